public import Chain
public import Primitives
internal import Storage

extension DataAvailabilityModule {
    /// A domain block's data commitment as the L1 records it.
    public struct Commitment: Hashable, Sendable {
        /// The data root (`DataAvailabilityHeader.dataRoot`) of the block's extended square.
        public var dataRoot: Hash
        /// `k`: the original square is `k × k` shares.
        public var originalWidth: UInt16
        /// Who posted it (the domain's proposer at the time).
        public var poster: Address
        /// The L1 height of the block that recorded it.
        public var postedAt: UInt64
        /// Whether a bad-encoding proof has rejected it.
        public var rejected: Bool

        /// A commitment from its parts.
        public init(dataRoot: Hash, originalWidth: UInt16, poster: Address, postedAt: UInt64, rejected: Bool = false) {
            self.dataRoot = dataRoot
            self.originalWidth = originalWidth
            self.poster = poster
            self.postedAt = postedAt
            self.rejected = rejected
        }
    }

    /// State keys, relative to `da/`.
    public enum Keys {
        /// `0x01 ‖ len(domain) ‖ domain ‖ height (8 bytes, big-endian)` → `Commitment`.
        public static func commitment(domain: String, height: UInt64) -> [UInt8] {
            [0x01] + domainBytes(domain) + bigEndian(height)
        }
        /// `0x02 ‖ len(domain) ‖ domain` → the highest height posted for the domain (8 bytes).
        public static func latest(domain: String) -> [UInt8] { [0x02] + domainBytes(domain) }
        /// `0x03 ‖ len(domain) ‖ domain ‖ height ‖ axis ‖ index (2 bytes)` → the parts of a
        /// bad-encoding proof received so far (`BadEncodingProof`, items ascending by position).
        public static func pendingProof(domain: String, height: UInt64, axis: UInt8, index: UInt16) -> [UInt8] {
            [0x03] + domainBytes(domain) + bigEndian(height) + [axis, UInt8(index >> 8), UInt8(index & 0xFF)]
        }

        static func domainBytes(_ domain: String) -> [UInt8] { [UInt8(domain.utf8.count)] + Array(domain.utf8) }

        static func bigEndian(_ value: UInt64) -> [UInt8] {
            (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
        }
    }

    /// The commitment of `domain`'s block at `height`, or nil.
    public static func commitment(domain: String, height: UInt64, in state: some ModuleStateReading)
        throws(StateAccessError) -> Commitment?
    {
        guard let bytes = try state.get(Keys.commitment(domain: domain, height: height)) else { return nil }
        do { return try Canonical.decode(Commitment.self, from: bytes) } catch {
            throw .storage(.corrupted("DA commitment of \(domain) at \(height): \(error)"))
        }
    }

    /// The highest height of `domain` with a commitment (nil: none yet).
    public static func latestHeight(domain: String, in state: some ModuleStateReading) throws(StateAccessError)
        -> UInt64?
    {
        guard let bytes = try state.get(Keys.latest(domain: domain)) else { return nil }
        guard bytes.count == 8 else {
            throw .storage(.corrupted("latest DA height of \(domain) is \(bytes.count) bytes"))
        }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension DataAvailabilityModule.Commitment: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(dataRoot)
        encoder.write(originalWidth)
        encoder.write(poster)
        encoder.write(postedAt)
        encoder.write(rejected)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        self.init(
            dataRoot: try decoder.read(Hash.self), originalWidth: try decoder.read(UInt16.self),
            poster: try decoder.read(Address.self), postedAt: try decoder.read(UInt64.self),
            rejected: try decoder.read(Bool.self))
    }
}
