import Foundation
import Testing

@testable import Primitives

@Suite("Hashing")
struct HashingTests {
    // MARK: - Keccak-256 known answers (every file in Tests/Vectors/keccak)

    @Test("every Keccak-256 vector file in Tests/Vectors/keccak")
    func keccakVectorFiles() throws {
        let files = try Vectors.jsonFiles(in: "keccak")
        try #require(!files.isEmpty, "no vector files in Tests/Vectors/keccak")
        for file in files {
            let vectors = try KeccakVector.load(file)
            #expect(!vectors.isEmpty, "\(file.lastPathComponent) has no vectors")
            for vector in vectors {
                let context = "\(file.lastPathComponent): \(vector.name)"
                #expect(vector.message.count == vector.length, "msg_len disagrees with the message: \(context)")
                #expect(Hashing.keccak256(vector.message).hex == vector.digest, "one-shot: \(context)")
                // The same message through the hasher in rate-unaligned pieces.
                var hasher = Keccak256Hasher()
                for start in stride(from: 0, to: vector.message.count, by: 1000) {
                    hasher.update(Array(vector.message[start..<min(start + 1000, vector.message.count)]))
                }
                #expect(hasher.finalize().hex == vector.digest, "1000-byte pieces: \(context)")
            }
        }
    }

    // MARK: - Keccak-256 incremental hashing

    @Test("Keccak-256 in fixed-size pieces equals one-shot", arguments: [1, 7, 8, 135, 136, 137, 272, 1000])
    func keccakFixedPieces(pieceSize: Int) {
        let message = Self.pseudoRandomBytes(count: 1500, seed: 42)
        for length in [0, 1, 135, 136, 137, 271, 272, 273, 1500] {
            let prefix = Array(message[..<length])
            var hasher = Keccak256Hasher()
            for start in stride(from: 0, to: length, by: pieceSize) {
                hasher.update(Array(prefix[start..<min(start + pieceSize, length)]))
            }
            #expect(hasher.finalize() == Hashing.keccak256(prefix), "length \(length), pieces of \(pieceSize)")
        }
    }

    @Test("Keccak-256 split in two at every offset equals one-shot")
    func keccakEverySplitPoint() {
        let message = Self.pseudoRandomBytes(count: 409, seed: 7)
        for length in [0, 1, 31, 32, 33, 64, 134, 135, 136, 137, 271, 272, 273, 408, 409] {
            let prefix = Array(message[..<length])
            let expected = Hashing.keccak256(prefix)
            for split in 0...length {
                var hasher = Keccak256Hasher()
                hasher.update(Array(prefix[..<split]))
                hasher.update(Array(prefix[split...]))
                #expect(hasher.finalize() == expected, "length \(length), split at \(split)")
            }
        }
    }

    @Test("Keccak-256 in random pieces equals one-shot", arguments: [1, 2, 3, 20_250_101])
    func keccakRandomPieces(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<40 {
            let length = Int.random(in: 0...2000, using: &generator)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var hasher = Keccak256Hasher()
            var start = 0
            var pieces: [Int] = []
            while start < length {
                // Mostly short pieces with some rate-sized and larger ones, and empty updates.
                let piece = min(length - start, Int.random(in: 0...300, using: &generator))
                pieces.append(piece)
                message.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[start..<start + piece])) }
                start += piece
            }
            #expect(
                hasher.finalize() == Hashing.keccak256(message),
                "seed \(seed): length \(length) in pieces \(pieces)"
            )
        }
    }

    @Test("finalize leaves the Keccak-256 hasher usable for a longer message")
    func keccakFinalizeIsNotDestructive() {
        let message = Self.pseudoRandomBytes(count: 300, seed: 3)
        var hasher = Keccak256Hasher()
        hasher.update(Array(message[..<100]))
        #expect(hasher.finalize() == Hashing.keccak256(Array(message[..<100])))
        hasher.update(Array(message[100...]))
        #expect(hasher.finalize() == Hashing.keccak256(message))
    }

    // MARK: - Keccak-f[1600]

    @Test("Keccak-f[1600] of the zero state matches the Keccak team's intermediate values")
    func keccakPermutationOfZero() {
        // KeccakF-1600-IntermediateValues.txt (Keccak team, keccak.team): the state after one
        // permutation of the all-zero state, lane (x, y) at index x + 5y.
        let expected: [UInt64] = [
            0xF125_8F79_40E1_DDE7, 0x84D5_CCF9_33C0_478A, 0xD598_261E_A65A_A9EE, 0xBD15_4730_6F80_494D,
            0x8B28_4E05_6253_D057, 0xFF97_A42D_7F8E_6FD4, 0x90FE_E5A0_A446_47C4, 0x8C5B_DA0C_D619_2E76,
            0xAD30_A6F7_1B19_059C, 0x3093_5AB7_D08F_FC64, 0xEB5A_A93F_2317_D635, 0xA9A6_E626_0D71_2103,
            0x81A5_7C16_DBCF_555F, 0x43B8_31CD_0347_C826, 0x01F2_2F1A_11A5_569F, 0x05E5_635A_21D9_AE61,
            0x64BE_FEF2_8CC9_70F2, 0x6136_7095_7BC4_6611, 0xB87C_5A55_4FD0_0ECB, 0x8C3E_E88A_1CCF_32C8,
            0x940C_7922_AE3A_2614, 0x1841_F924_A2C5_09E4, 0x16F5_3526_E704_65C2, 0x75F6_44E9_7F30_A13B,
            0xEAF1_FF7B_5CEC_A249,
        ]
        var state = KeccakState()
        KeccakPermutation.permute(&state)
        #expect((0..<25).map { state[lane: $0] } == expected)
    }

    @Test("Keccak-f[1600] agrees with a plain reference on random states")
    func keccakPermutationMatchesReference() {
        var generator = SplitMix64(seed: 1600)
        for trial in 0..<50 {
            let lanes = (0..<25).map { _ in UInt64.random(in: .min ... .max, using: &generator) }
            var state = KeccakState()
            for index in 0..<25 { state[lane: index] = lanes[index] }
            KeccakPermutation.permute(&state)
            var reference = lanes
            ReferenceKeccak.permute(&reference)
            #expect((0..<25).map { state[lane: $0] } == reference, "seed 1600, trial \(trial)")
        }
    }

    // MARK: - RIPEMD-160

    @Test("RIPEMD-160 known answers")
    func ripemd160KnownAnswers() {
        // Dobbertin, Bosselaers, Preneel, "RIPEMD-160: A Strengthened Version of RIPEMD" (1996),
        // Appendix / test vectors, as listed on https://homes.esat.kuleuven.be/~bosselae/ripemd160.html
        let cases: [(String, String)] = [
            ("", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
            ("a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
            ("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
            ("message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
            ("abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "12a053384a9c0c88e405a06c27dcf49ada62eb2b"
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "b0e20b6e3116640286ed3a87a5713079b21f5189"
            ),
            (String(repeating: "1234567890", count: 8), "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
            (String(repeating: "a", count: 1_000_000), "52783243c1697bdbe16d37f97f68f08325dc1528"),
        ]
        for (message, digest) in cases {
            #expect(Hex.encode(Hashing.ripemd160(Array(message.utf8))) == digest, "\(message.prefix(60))")
        }
    }

    // MARK: - BLAKE2s-256

    @Test("BLAKE2s-256 known answers")
    func blake2s256KnownAnswers() {
        // RFC 7693, Appendix B (Example of BLAKE2s Computation): BLAKE2s-256("abc").
        #expect(
            Hex.encode(Hashing.blake2s256(Array("abc".utf8)))
                == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"
        )
        // The empty message: one all-zero final block with counter 0. Value from the BLAKE2
        // reference code, as bundled in CPython (hashlib.blake2s(b"").hexdigest()).
        #expect(
            Hex.encode(Hashing.blake2s256([]))
                == "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"
        )
    }

    // MARK: - SHA-512/256

    @Test("SHA-512/256 known answers")
    func sha512_256KnownAnswers() {
        // NIST CSRC, "Examples with Intermediate Values", SHA512_256.pdf: one-block "abc" and the
        // two-block 112-byte message.
        #expect(
            Hex.encode(Hashing.sha512_256(Array("abc".utf8)))
                == "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
        )
        let twoBlocks =
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(
            Hex.encode(Hashing.sha512_256(Array(twoBlocks.utf8)))
                == "3928e184fb8690f840da3988121d31be65cb9d3ef83ee6146feac861e19b563a"
        )
    }

    // MARK: - ICS-23 hash operations

    @Test("ICS-23 TestDoHashData: every hash operation of the preimage \"food\"")
    func ics23DoHashData() throws {
        // cosmos/ics23 testdata/TestDoHashData.json, copied to Tests/Vectors/ics23 with its license.
        let file = Vectors.root.appendingPathComponent("ics23/testdata/TestDoHashData.json")
        let cases = try Vectors.object(file)
        let operations: [String: ([UInt8]) -> [UInt8]] = [
            "sha256": { Hashing.sha256($0).bytes },
            "sha512": { Hashing.sha512($0) },
            "ripemd160": { Hashing.ripemd160($0) },
            "bitcoin": { Hashing.bitcoinHash160($0) },
            "sha512_256": { Hashing.sha512_256($0) },
            "blake2b": { Hashing.blake2b512($0) },
            "blake2s": { Hashing.blake2s256($0) },
        ]
        #expect(Set(cases.keys).isSuperset(of: ["ripemd160", "bitcoin", "sha512_256", "blake2b", "blake2s"]))
        for (name, value) in cases.sorted(by: { $0.key < $1.key }) {
            // The upstream file spells the preimage key both "Preimage" and "PreImage".
            guard let entry = value as? [String: Any],
                let preimage = (entry["Preimage"] ?? entry["PreImage"]) as? String,
                let expected = entry["ExpectedHash"] as? String
            else {
                throw VectorFileError(file: file, reason: "case \(name) lacks a preimage or expected hash")
            }
            guard let operation = operations[name] else {
                Issue.record("TestDoHashData case \(name) names a hash operation this test does not know")
                continue
            }
            #expect(Hex.encode(operation(Array(preimage.utf8))) == expected, "\(name)")
        }
    }

    @Test("Bitcoin HASH160 is RIPEMD-160 of SHA-256")
    func bitcoinHash160Composition() {
        let message = Self.pseudoRandomBytes(count: 77, seed: 160)
        #expect(Hashing.bitcoinHash160(message) == Hashing.ripemd160(Hashing.sha256(message).bytes))
        #expect(Hashing.bitcoinHash160(message).count == 20)
    }

    @Test("output lengths and padding boundaries agree between [UInt8] and raw-buffer entry points")
    func entryPointsAgree() {
        let message = Self.pseudoRandomBytes(count: 260, seed: 11)
        // Lengths around each block size: 55/56/64 (RIPEMD-160), 64/65 (BLAKE2s), 111/112/128/129 (SHA-512).
        for length in [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 256, 257] {
            let bytes = Array(message[..<length])
            bytes.withUnsafeBytes { buffer in
                #expect(Hashing.ripemd160(buffer) == Hashing.ripemd160(bytes))
                #expect(Hashing.blake2s256(buffer) == Hashing.blake2s256(bytes))
                #expect(Hashing.sha512_256(buffer) == Hashing.sha512_256(bytes))
                #expect(Hashing.bitcoinHash160(buffer) == Hashing.bitcoinHash160(bytes))
                #expect(Hashing.blake2b512(buffer) == Hashing.blake2b512(bytes))
                #expect(Hashing.keccak256(buffer) == Hashing.keccak256(bytes))
            }
            #expect(Hashing.ripemd160(bytes).count == 20)
            #expect(Hashing.blake2s256(bytes).count == 32)
            #expect(Hashing.sha512_256(bytes).count == 32)
            #expect(Hashing.blake2b512(bytes).count == 64)
        }
    }

    // MARK: - Helpers

    /// `count` bytes from a seeded generator, the same on every run.
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

/// One case of a Keccak-256 vector file (format in Tests/Vectors/keccak/README.md).
private struct KeccakVector {
    let name: String
    let message: [UInt8]
    let length: Int
    let digest: String

    /// The vectors of `file`; a case that cannot be read throws rather than being skipped.
    static func load(_ file: URL) throws -> [KeccakVector] {
        guard let cases = try Vectors.object(file)["vectors"] as? [[String: Any]] else {
            throw VectorFileError(file: file, reason: "no \"vectors\" array")
        }
        return try cases.enumerated().map { index, entry in
            let name = entry["name"] as? String ?? "vector \(index)"
            guard let length = entry["msg_len"] as? Int, let digest = entry["digest"] as? String else {
                throw VectorFileError(file: file, reason: "\(name): missing msg_len or digest")
            }
            let message: [UInt8]
            if let hex = entry["msg"] as? String {
                message = try Hex.decode(hex)
            } else if let repeated = entry["msg_repeat"] as? [String: Any],
                let byteHex = repeated["byte"] as? String,
                let count = repeated["count"] as? Int
            {
                let byte = try Hex.decode(byteHex, count: 1)[0]
                message = [UInt8](repeating: byte, count: count)
            } else {
                throw VectorFileError(file: file, reason: "\(name): neither msg nor msg_repeat")
            }
            return KeccakVector(name: name, message: message, length: length, digest: digest.lowercased())
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so failures can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Keccak-f[1600] written straight from the specification (FIPS 202, section 3.2), with arrays and
/// index arithmetic: slow and obviously right, to check the unrolled, lane-complemented one.
private enum ReferenceKeccak {
    static func permute(_ a: inout [UInt64]) {
        // Rho offsets for lane x + 5y, and iota's constants, both from FIPS 202.
        let offsets: [UInt64] = [
            0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
        ]
        for round in 0..<24 {
            var c = [UInt64](repeating: 0, count: 5)
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotate(c[(x + 1) % 5], 1)
                for y in 0..<5 { a[x + 5 * y] ^= d }
            }
            var b = [UInt64](repeating: 0, count: 25)
            for x in 0..<5 {
                for y in 0..<5 { b[y + 5 * ((2 * x + 3 * y) % 5)] = rotate(a[x + 5 * y], offsets[x + 5 * y]) }
            }
            for x in 0..<5 {
                for y in 0..<5 { a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]) }
            }
            a[0] ^= roundConstant(round)
        }
    }

    /// Iota's constant for round `round`, generated by the degree-8 LFSR of FIPS 202 algorithm 5
    /// rather than copied from a table, so it does not share a typo with the production table.
    static func roundConstant(_ round: Int) -> UInt64 {
        var constant: UInt64 = 0
        for j in 0...6 where lfsrBit(j + 7 * round) {
            constant |= 1 << ((1 << j) - 1)
        }
        return constant
    }

    /// rc(t) of FIPS 202 algorithm 5.
    static func lfsrBit(_ t: Int) -> Bool {
        if t % 255 == 0 { return true }
        var r: UInt8 = 0x01
        for _ in 0..<(t % 255) {
            let high = r & 0x80 != 0
            r <<= 1
            if high { r ^= 0x71 }
        }
        return r & 1 != 0
    }

    static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        count == 0 ? value : (value << count) | (value >> (64 - count))
    }
}
