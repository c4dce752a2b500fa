public import Primitives

/// A 20-byte account address, derived from the account's public key.
///
/// `address = SHA-256(canonical("aether/address/ed25519/v1") ‖ public key)[0..<20]`, where
/// `canonical(s)` is the canonical string encoding (LEB128 length, then UTF-8). The key type is part
/// of the domain tag, so a later key type (secp256k1) can never map to the address of an Ed25519 key
/// with the same bytes (Docs/adr/0005-transactions-and-accounts.md).
public struct Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number of bytes in an address.
    public static let byteCount = 20

    /// The domain tag hashed in front of an Ed25519 public key.
    public static let ed25519DomainTag = "aether/address/ed25519/v1"

    /// The 20 bytes.
    public let bytes: [UInt8]

    /// The address of an Ed25519 public key.
    public init(publicKey: Ed25519.PublicKey) {
        var encoder = CanonicalEncoder(capacity: 64)
        encoder.write(Address.ed25519DomainTag)
        encoder.write(fixed: publicKey.bytes)
        bytes = Array(Hashing.sha256(encoder.bytes).bytes.prefix(Address.byteCount))
    }

    /// The domain tag of module accounts.
    public static let moduleAccountDomainTag = "aether/module-account/v1"

    /// A module account: `SHA-256(canonical("aether/module-account/v1") ‖ canonical(name))[0..<20]`
    /// (ADR 0005). No key hashes to it, so only its module's rules move its funds.
    public init(moduleAccount name: String) {
        var encoder = CanonicalEncoder(capacity: 64)
        encoder.write(Address.moduleAccountDomainTag)
        encoder.write(name)
        bytes = Array(Hashing.sha256(encoder.bytes).bytes.prefix(Address.byteCount))
    }

    /// An address from its 20 bytes.
    /// - Throws: `AddressError.invalidLength` when `bytes` is not 20 bytes long.
    public init(_ bytes: [UInt8]) throws(AddressError) {
        guard bytes.count == Address.byteCount else { throw .invalidLength(bytes.count) }
        self.bytes = bytes
    }

    /// Parses 40 hex digits (an optional `0x` prefix is allowed).
    /// - Throws: `AddressError.invalidHex` when the text is not 20 bytes of hex.
    public init(hex: String) throws(AddressError) {
        do {
            bytes = try Hex.decode(hex, count: Address.byteCount)
        } catch {
            throw .invalidHex(error)
        }
    }

    init(validated bytes: [UInt8]) { self.bytes = bytes }

    /// Lower-case hex of the 20 bytes, no prefix.
    public var description: String { Hex.encode(bytes) }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension Address: CanonicalCodable {
    /// A fixed 20-byte field: no length prefix.
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(fixed: bytes) }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        self.init(validated: try decoder.readFixed(count: Address.byteCount))
    }
}

/// Why bytes or text are not an address.
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An address is 20 bytes; this many were given.
    case invalidLength(Int)
    /// The text is not 40 hex digits.
    case invalidHex(HexError)

    public var description: String {
        switch self {
        case .invalidLength(let count): "an address is 20 bytes, got \(count)"
        case .invalidHex(let error): "an address is 40 hex digits: \(error)"
        }
    }
}
