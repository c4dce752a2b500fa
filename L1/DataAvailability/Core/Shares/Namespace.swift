/// The namespace a share belongs to: 8 bytes, ordered as a big-endian integer.
///
/// Each domain (app-chain) writes its block data under its own namespace, so a light client can ask
/// for one domain's shares and a proof that none were left out. Eight bytes (not Celestia's 29) are
/// enough for every domain id Aether will assign and let the tree compare namespaces as one machine
/// word. The two largest values are reserved: `tailPadding` fills the square after the last blob and
/// `parity` marks every share the erasure code adds (Docs/adr/0009-data-availability-encoding.md).
public struct Namespace: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Bytes in a namespace.
    public static let byteCount = 8

    /// The namespace of every parity share: all 0xFF.
    public static let parity = Namespace(rawValue: .max)
    /// The namespace of the padding shares that fill the original square after the last blob.
    public static let tailPadding = Namespace(rawValue: .max - 1)

    /// The namespace as a big-endian integer.
    public let rawValue: UInt64

    /// The namespace with this big-endian value.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The namespace from exactly `byteCount` bytes.
    public init(bytes: some Collection<UInt8>) throws(DataAvailabilityError) {
        guard bytes.count == Self.byteCount else { throw .wrongNamespaceSize(actual: bytes.count) }
        rawValue = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Reads a namespace from the first 8 bytes at `pointer`.
    init(loadingFrom pointer: UnsafeRawPointer) {
        rawValue = UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
    }

    /// The 8 bytes, most significant first.
    public var bytes: [UInt8] {
        (0..<Self.byteCount).map { UInt8(truncatingIfNeeded: rawValue >> (56 - 8 * UInt64($0))) }
    }

    /// Writes the 8 bytes at `pointer`.
    func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: rawValue.bigEndian, as: UInt64.self)
    }

    /// True for the padding and parity namespaces, which blobs may not use.
    public var isReserved: Bool { self >= .tailPadding }

    /// Lower-case hex of the 8 bytes.
    public var description: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func < (lhs: Namespace, rhs: Namespace) -> Bool { lhs.rawValue < rhs.rawValue }
}
