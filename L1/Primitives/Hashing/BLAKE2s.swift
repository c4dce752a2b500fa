extension Hashing {
    /// Unkeyed BLAKE2s with a 32-byte digest (RFC 7693); ICS-23's `BLAKE2S_256` hash operation.
    public static func blake2s256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { blake2s256($0) }
    }

    /// Unkeyed BLAKE2s-256 of the bytes in `buffer` (32 bytes).
    ///
    /// Written for correctness, not speed: proofs name it rarely and hash short inputs with it.
    public static func blake2s256(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var state = BLAKE2sState(digestLength: 32)
        let blockSize = BLAKE2sState.blockSize
        // The last block, even when full, is compressed with the final flag set, so hold it back.
        // An empty message still has one (all-zero) final block.
        let earlyBlocks = buffer.isEmpty ? 0 : (buffer.count - 1) / blockSize
        for index in 0..<earlyBlocks {
            state.compress(buffer.baseAddress! + index * blockSize, byteCount: UInt64((index + 1) * blockSize))
        }
        var last = [UInt8](repeating: 0, count: blockSize)
        let tail = UnsafeRawBufferPointer(rebasing: buffer[(earlyBlocks * blockSize)...])
        last.withUnsafeMutableBytes { $0.copyMemory(from: tail) }
        last.withUnsafeBytes {
            state.compress($0.baseAddress!, byteCount: UInt64(buffer.count), isFinal: true)
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in state.h {
            withUnsafeBytes(of: word.littleEndian) { digest.append(contentsOf: $0) }
        }
        return digest
    }
}

/// BLAKE2s's chaining value and compression function F (RFC 7693, section 3.2).
struct BLAKE2sState {
    static let blockSize = 64

    /// The chaining value: eight little-endian words.
    private(set) var h: [UInt32]

    /// The initialization vector, the same words as SHA-256's (RFC 7693, section 2.6).
    private static let iv: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// The message word permutation of each of the 10 rounds (RFC 7693, section 2.7).
    private static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    /// The state of an unkeyed hash with a `digestLength`-byte output (1...32).
    init(digestLength: Int) {
        precondition(digestLength >= 1 && digestLength <= 32)
        h = Self.iv
        // Parameter block word 0: digest length, key length 0, fanout 1, depth 1 (sequential mode).
        h[0] ^= 0x0101_0000 ^ UInt32(digestLength)
    }

    /// Mixes the 64-byte block at `block` into the chaining value. `byteCount` is the number of
    /// message bytes hashed so far, this block included (the counter t); `isFinal` marks the last.
    mutating func compress(_ block: UnsafeRawPointer, byteCount: UInt64, isFinal: Bool = false) {
        var v = h + Self.iv
        v[12] ^= UInt32(truncatingIfNeeded: byteCount)
        v[13] ^= UInt32(truncatingIfNeeded: byteCount >> 32)
        if isFinal { v[14] = ~v[14] }
        let m = (0..<16).map { UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        for round in 0..<10 {
            let s = Self.sigma[round]
            // Columns, then diagonals.
            Self.mix(&v, 0, 4, 8, 12, m[s[0]], m[s[1]])
            Self.mix(&v, 1, 5, 9, 13, m[s[2]], m[s[3]])
            Self.mix(&v, 2, 6, 10, 14, m[s[4]], m[s[5]])
            Self.mix(&v, 3, 7, 11, 15, m[s[6]], m[s[7]])
            Self.mix(&v, 0, 5, 10, 15, m[s[8]], m[s[9]])
            Self.mix(&v, 1, 6, 11, 12, m[s[10]], m[s[11]])
            Self.mix(&v, 2, 7, 8, 13, m[s[12]], m[s[13]])
            Self.mix(&v, 3, 4, 9, 14, m[s[14]], m[s[15]])
        }
        for index in 0..<8 { h[index] ^= v[index] ^ v[index + 8] }
    }

    /// The mixing function G with BLAKE2s's rotations 16, 12, 8 and 7 (RFC 7693, section 3.1).
    private static func mix(_ v: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
        v[a] = v[a] &+ v[b] &+ x
        v[d] = rotateRight(v[d] ^ v[a], 16)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 12)
        v[a] = v[a] &+ v[b] &+ y
        v[d] = rotateRight(v[d] ^ v[a], 8)
        v[c] = v[c] &+ v[d]
        v[b] = rotateRight(v[b] ^ v[c], 7)
    }
}

/// Rotates right by `count` (1...31).
private func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 {
    (value &>> count) | (value &<< (32 &- count))
}
