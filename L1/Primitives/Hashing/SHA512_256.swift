extension Hashing {
    /// SHA-512/256 of `bytes` (32 bytes; FIPS 180-4); ICS-23's `SHA512_256` hash operation.
    ///
    /// Not SHA-512 truncated to 32 bytes: SHA-512/256 starts from its own initial hash value.
    public static func sha512_256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { sha512_256($0) }
    }

    /// SHA-512/256 of the bytes in `buffer` (32 bytes).
    ///
    /// Our own SHA-512 compression, because swift-crypto offers no SHA-512/t. Written for
    /// correctness, not speed: proofs name it rarely and hash short inputs with it.
    public static func sha512_256(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var state = SHA512State(initialHash: SHA512State.sha512_256InitialHash)
        let blockSize = SHA512State.blockSize
        let fullBlocks = buffer.count / blockSize
        for index in 0..<fullBlocks {
            state.compress(buffer.baseAddress! + index * blockSize)
        }
        // FIPS 180-4 section 5.1.2: 0x80, zeros up to 112 mod 128, then the bit length as a 128-bit
        // big-endian number.
        var tail = Array(UnsafeRawBufferPointer(rebasing: buffer[(fullBlocks * blockSize)...]))
        tail.append(0x80)
        while tail.count % blockSize != 112 { tail.append(0) }
        let byteCount = UInt64(buffer.count)
        let bitCountHigh = byteCount >> 61
        let bitCountLow = byteCount &<< 3
        withUnsafeBytes(of: (bitCountHigh.bigEndian, bitCountLow.bigEndian)) { tail.append(contentsOf: $0) }
        tail.withUnsafeBytes { padded in
            for offset in stride(from: 0, to: padded.count, by: blockSize) {
                state.compress(padded.baseAddress! + offset)
            }
        }
        // The digest is the leftmost 256 bits of the final hash value: its first four words.
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in state.h[0..<4] {
            withUnsafeBytes(of: word.bigEndian) { digest.append(contentsOf: $0) }
        }
        return digest
    }
}

/// The SHA-512 hash value and compression function (FIPS 180-4, section 6.4), under SHA-512/256.
struct SHA512State {
    static let blockSize = 128

    /// SHA-512/256's initial hash value H(0) (FIPS 180-4, section 5.3.6.2).
    static let sha512_256InitialHash: [UInt64] = [
        0x2231_2194_fc2b_f72c, 0x9f55_5fa3_c84c_64c2, 0x2393_b86b_6f53_b151, 0x9638_7719_5940_eabd,
        0x9628_3ee2_a88e_ffe3, 0xbe5e_1e25_5386_3992, 0x2b01_99fc_2c85_b8aa, 0x0eb7_2ddc_81c5_2ca2,
    ]

    /// The 80 round constants: the first 64 bits of the fractional parts of the cube roots of the
    /// first 80 primes (FIPS 180-4, section 4.2.3).
    private static let roundConstants: [UInt64] = [
        0x428a_2f98_d728_ae22, 0x7137_4491_23ef_65cd, 0xb5c0_fbcf_ec4d_3b2f, 0xe9b5_dba5_8189_dbbc,
        0x3956_c25b_f348_b538, 0x59f1_11f1_b605_d019, 0x923f_82a4_af19_4f9b, 0xab1c_5ed5_da6d_8118,
        0xd807_aa98_a303_0242, 0x1283_5b01_4570_6fbe, 0x2431_85be_4ee4_b28c, 0x550c_7dc3_d5ff_b4e2,
        0x72be_5d74_f27b_896f, 0x80de_b1fe_3b16_96b1, 0x9bdc_06a7_25c7_1235, 0xc19b_f174_cf69_2694,
        0xe49b_69c1_9ef1_4ad2, 0xefbe_4786_384f_25e3, 0x0fc1_9dc6_8b8c_d5b5, 0x240c_a1cc_77ac_9c65,
        0x2de9_2c6f_592b_0275, 0x4a74_84aa_6ea6_e483, 0x5cb0_a9dc_bd41_fbd4, 0x76f9_88da_8311_53b5,
        0x983e_5152_ee66_dfab, 0xa831_c66d_2db4_3210, 0xb003_27c8_98fb_213f, 0xbf59_7fc7_beef_0ee4,
        0xc6e0_0bf3_3da8_8fc2, 0xd5a7_9147_930a_a725, 0x06ca_6351_e003_826f, 0x1429_2967_0a0e_6e70,
        0x27b7_0a85_46d2_2ffc, 0x2e1b_2138_5c26_c926, 0x4d2c_6dfc_5ac4_2aed, 0x5338_0d13_9d95_b3df,
        0x650a_7354_8baf_63de, 0x766a_0abb_3c77_b2a8, 0x81c2_c92e_47ed_aee6, 0x9272_2c85_1482_353b,
        0xa2bf_e8a1_4cf1_0364, 0xa81a_664b_bc42_3001, 0xc24b_8b70_d0f8_9791, 0xc76c_51a3_0654_be30,
        0xd192_e819_d6ef_5218, 0xd699_0624_5565_a910, 0xf40e_3585_5771_202a, 0x106a_a070_32bb_d1b8,
        0x19a4_c116_b8d2_d0c8, 0x1e37_6c08_5141_ab53, 0x2748_774c_df8e_eb99, 0x34b0_bcb5_e19b_48a8,
        0x391c_0cb3_c5c9_5a63, 0x4ed8_aa4a_e341_8acb, 0x5b9c_ca4f_7763_e373, 0x682e_6ff3_d6b2_b8a3,
        0x748f_82ee_5def_b2fc, 0x78a5_636f_4317_2f60, 0x84c8_7814_a1f0_ab72, 0x8cc7_0208_1a64_39ec,
        0x90be_fffa_2363_1e28, 0xa450_6ceb_de82_bde9, 0xbef9_a3f7_b2c6_7915, 0xc671_78f2_e372_532b,
        0xca27_3ece_ea26_619c, 0xd186_b8c7_21c0_c207, 0xeada_7dd6_cde0_eb1e, 0xf57d_4f7f_ee6e_d178,
        0x06f0_67aa_7217_6fba, 0x0a63_7dc5_a2c8_98a6, 0x113f_9804_bef9_0dae, 0x1b71_0b35_131c_471b,
        0x28db_77f5_2304_7d84, 0x32ca_ab7b_40c7_2493, 0x3c9e_be0a_15c9_bebc, 0x431d_67c4_9c10_0d4c,
        0x4cc5_d4be_cb3e_42b6, 0x597f_299c_fc65_7e2a, 0x5fcb_6fab_3ad6_faec, 0x6c44_198c_4a47_5817,
    ]

    /// The hash value: eight 64-bit words.
    private(set) var h: [UInt64]

    init(initialHash: [UInt64]) {
        precondition(initialHash.count == 8)
        h = initialHash
    }

    /// Mixes the 128-byte block at `block` into the hash value.
    mutating func compress(_ block: UnsafeRawPointer) {
        // The message schedule W.
        var w = [UInt64](repeating: 0, count: 80)
        for t in 0..<16 {
            w[t] = UInt64(bigEndian: block.loadUnaligned(fromByteOffset: 8 * t, as: UInt64.self))
        }
        for t in 16..<80 {
            let sigma0 = rotateRight(w[t - 15], 1) ^ rotateRight(w[t - 15], 8) ^ (w[t - 15] >> 7)
            let sigma1 = rotateRight(w[t - 2], 19) ^ rotateRight(w[t - 2], 61) ^ (w[t - 2] >> 6)
            w[t] = sigma1 &+ w[t - 7] &+ sigma0 &+ w[t - 16]
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for t in 0..<80 {
            let bigSigma1 = rotateRight(e, 14) ^ rotateRight(e, 18) ^ rotateRight(e, 41)
            let choose = (e & f) ^ (~e & g)
            let t1 = hh &+ bigSigma1 &+ choose &+ Self.roundConstants[t] &+ w[t]
            let bigSigma0 = rotateRight(a, 28) ^ rotateRight(a, 34) ^ rotateRight(a, 39)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let t2 = bigSigma0 &+ majority
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        h[0] = h[0] &+ a
        h[1] = h[1] &+ b
        h[2] = h[2] &+ c
        h[3] = h[3] &+ d
        h[4] = h[4] &+ e
        h[5] = h[5] &+ f
        h[6] = h[6] &+ g
        h[7] = h[7] &+ hh
    }
}

/// Rotates right by `count` (1...63).
private func rotateRight(_ value: UInt64, _ count: UInt64) -> UInt64 {
    (value &>> count) | (value &<< (64 &- count))
}
