extension Hashing {
    /// RIPEMD-160 of `bytes` (20 bytes); ICS-23's `RIPEMD160` hash operation.
    public static func ripemd160(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { ripemd160($0) }
    }

    /// RIPEMD-160 of the bytes in `buffer` (20 bytes).
    ///
    /// Written for correctness, not speed: proofs name it rarely and hash short inputs with it.
    public static func ripemd160(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var state = RIPEMD160State()
        let fullBlocks = buffer.count / RIPEMD160State.blockSize
        for index in 0..<fullBlocks {
            state.compress(buffer.baseAddress! + index * RIPEMD160State.blockSize)
        }
        // MD4-style padding: 0x80, zeros up to 56 mod 64, then the bit length as 64-bit little-endian.
        var tail = Array(UnsafeRawBufferPointer(rebasing: buffer[(fullBlocks * RIPEMD160State.blockSize)...]))
        tail.append(0x80)
        while tail.count % RIPEMD160State.blockSize != 56 { tail.append(0) }
        // The length field is the bit count modulo 2^64, as the specification defines it.
        let bitCount = UInt64(truncatingIfNeeded: buffer.count) &* 8
        withUnsafeBytes(of: bitCount.littleEndian) { tail.append(contentsOf: $0) }
        tail.withUnsafeBytes { padded in
            for offset in stride(from: 0, to: padded.count, by: RIPEMD160State.blockSize) {
                state.compress(padded.baseAddress! + offset)
            }
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(20)
        for word in [state.h0, state.h1, state.h2, state.h3, state.h4] {
            withUnsafeBytes(of: word.littleEndian) { digest.append(contentsOf: $0) }
        }
        return digest
    }

    /// RIPEMD-160 of SHA-256 of `bytes` (20 bytes): Bitcoin's HASH160, ICS-23's `BITCOIN` operation.
    public static func bitcoinHash160(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { bitcoinHash160($0) }
    }

    /// RIPEMD-160 of SHA-256 of the bytes in `buffer` (20 bytes).
    public static func bitcoinHash160(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        sha256(buffer).withUnsafeBytes { ripemd160($0) }
    }
}

/// The five chaining words of RIPEMD-160 and its compression function (Dobbertin, Bosselaers and
/// Preneel, "RIPEMD-160: A Strengthened Version of RIPEMD", 1996).
struct RIPEMD160State {
    static let blockSize = 64

    var h0: UInt32 = 0x6745_2301
    var h1: UInt32 = 0xefcd_ab89
    var h2: UInt32 = 0x98ba_dcfe
    var h3: UInt32 = 0x1032_5476
    var h4: UInt32 = 0xc3d2_e1f0

    /// Which message word each of the 80 steps reads: left line, then right line.
    private static let leftWord: [Int] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
        3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
        1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
        4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
    ]
    private static let rightWord: [Int] = [
        5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
        6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
        15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
        8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
        12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
    ]
    /// The left-rotation amount of each step: left line, then right line.
    private static let leftShift: [UInt32] = [
        11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
        7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
        11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
        11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
        9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
    ]
    private static let rightShift: [UInt32] = [
        8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
        9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
        9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
        15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
        8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
    ]
    /// The additive constant of each group of 16 steps.
    private static let leftConstant: [UInt32] = [0x0000_0000, 0x5a82_7999, 0x6ed9_eba1, 0x8f1b_bcdc, 0xa953_fd4e]
    private static let rightConstant: [UInt32] = [0x50a2_8be6, 0x5c4d_d124, 0x6d70_3ef3, 0x7a6d_76e9, 0x0000_0000]

    /// Mixes the 64-byte block at `block` into the chaining words: two parallel lines of 80 steps.
    mutating func compress(_ block: UnsafeRawPointer) {
        var (al, bl, cl, dl, el) = (h0, h1, h2, h3, h4)
        var (ar, br, cr, dr, er) = (h0, h1, h2, h3, h4)
        for step in 0..<80 {
            let group = step / 16
            // The right line uses the boolean functions in reverse order.
            var t = al &+ Self.function(group, bl, cl, dl) &+ word(block, Self.leftWord[step])
            t = rotate(t &+ Self.leftConstant[group], Self.leftShift[step]) &+ el
            (al, el, dl, cl, bl) = (el, dl, rotate(cl, 10), bl, t)
            t = ar &+ Self.function(4 - group, br, cr, dr) &+ word(block, Self.rightWord[step])
            t = rotate(t &+ Self.rightConstant[group], Self.rightShift[step]) &+ er
            (ar, er, dr, cr, br) = (er, dr, rotate(cr, 10), br, t)
        }
        let t = h1 &+ cl &+ dr
        h1 = h2 &+ dl &+ er
        h2 = h3 &+ el &+ ar
        h3 = h4 &+ al &+ br
        h4 = h0 &+ bl &+ cr
        h0 = t
    }

    /// The boolean function of step group `group` (0...4).
    private static func function(_ group: Int, _ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 {
        switch group {
        case 0: x ^ y ^ z
        case 1: (x & y) | (~x & z)
        case 2: (x | ~y) ^ z
        case 3: (x & z) | (y & ~z)
        default: x ^ (y | ~z)
        }
    }
}

/// Rotates left by `count` (1...31).
private func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
    (value &<< count) | (value &>> (32 &- count))
}

/// Message word `index` of the block at `block`, little-endian.
private func word(_ block: UnsafeRawPointer, _ index: Int) -> UInt32 {
    UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
}
