internal import Crypto

/// The hash functions Aether uses, over byte arrays and raw buffers.
///
/// SHA-256 and SHA-512 come from swift-crypto (BoringSSL underneath, with the CPU's SHA extensions
/// when present); Keccak-256 and the other ICS-23 hash operations are our own code.
public enum Hashing {
    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { sha256($0) }
    }

    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: ArraySlice<UInt8>) -> Hash {
        bytes.withUnsafeBytes { sha256($0) }
    }

    /// SHA-256 of the bytes in `buffer`.
    public static func sha256(_ buffer: UnsafeRawBufferPointer) -> Hash {
        var hasher = SHA256Hasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// SHA-512 of `bytes` (64 bytes).
    public static func sha512(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { sha512($0) }
    }

    /// SHA-512 of the bytes in `buffer` (64 bytes).
    public static func sha512(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = Crypto.SHA512()
        hasher.update(bufferPointer: buffer)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }
}

/// Incremental SHA-256: feed pieces with `update`, then `finalize` once.
///
/// A value type over swift-crypto's streaming hasher, so hashing a Merkle node does not allocate.
public struct SHA256Hasher: Sendable {
    private var state = Crypto.SHA256()

    /// A hasher with no input yet.
    public init() {}

    /// Appends the bytes in `buffer`.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        state.update(bufferPointer: buffer)
    }

    /// Appends `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { state.update(bufferPointer: $0) }
    }

    /// Appends one byte (domain-separation prefixes).
    public mutating func update(byte: UInt8) {
        withUnsafeBytes(of: byte) { state.update(bufferPointer: $0) }
    }

    /// Appends the 32 bytes of `hash`.
    public mutating func update(_ hash: Hash) {
        hash.withUnsafeBytes { state.update(bufferPointer: $0) }
    }

    /// The digest of everything appended.
    public func finalize() -> Hash {
        state.finalize().withUnsafeBytes { Hash(unchecked: $0) }
    }
}
