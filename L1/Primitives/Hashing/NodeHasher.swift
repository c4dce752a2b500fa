internal import COpenSSL

/// SHA-256 for Merkle nodes: short messages hashed by the million, through OpenSSL's SHA-256 block
/// functions with the context on the stack. This file is the one wrapper of libcrypto.
///
/// swift-crypto's `SHA256` allocates and zeroes a context object per digest, which costs as much as
/// hashing a 65-byte node itself; this path does not (Docs/adr/0002-hashing-and-proof-formats.md).
/// Both give the same digests (tested); general-purpose hashing stays on `Hashing.sha256`.
package struct NodeHasher {
    private var context = SHA256_CTX()

    /// A hasher with no input yet.
    package init() {
        SHA256_Init(&context)
    }

    /// Appends the bytes in `buffer`.
    package mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        SHA256_Update(&context, base, buffer.count)
    }

    /// Appends one byte.
    package mutating func update(byte: UInt8) {
        var value = byte
        SHA256_Update(&context, &value, 1)
    }

    /// Appends the 32 bytes of `hash`.
    package mutating func update(_ hash: Hash) {
        hash.withUnsafeBytes { _ = SHA256_Update(&context, $0.baseAddress!, 32) }
    }

    /// The digest; the hasher must not be used afterwards.
    package mutating func finalize() -> Hash {
        var digest = Hash.zero
        digest.withUnsafeMutableBytes { out in
            _ = SHA256_Final(out.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
        }
        return digest
    }
}

extension NodeHasher {
    /// SHA-256 of the bytes in `buffer`, for short inputs hashed in bulk (tree nodes and paths).
    package static func digest(_ buffer: UnsafeRawBufferPointer) -> Hash {
        var hasher = NodeHasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// SHA-256 of `bytes`, for short inputs hashed in bulk.
    package static func digest(_ bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { digest($0) }
    }
}
