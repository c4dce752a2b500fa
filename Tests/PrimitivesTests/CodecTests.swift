import Testing

@testable import Primitives

/// A composite used to pin the format: every field kind once.
struct CodecSample: CanonicalCodable, Equatable {
    var flag: Bool
    var small: UInt16
    var amount: UInt64
    var delta: Int64
    var name: String
    var payload: [UInt8]
    var root: Hash
    var tags: [UInt32]
    var memo: String?

    func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(flag)
        encoder.write(small)
        encoder.write(amount)
        encoder.write(delta)
        encoder.write(name)
        encoder.write(bytes: payload)
        encoder.write(root)
        encoder.write(tags)
        encoder.write(memo)
    }

    init(
        flag: Bool, small: UInt16, amount: UInt64, delta: Int64, name: String, payload: [UInt8], root: Hash,
        tags: [UInt32], memo: String?
    ) {
        self.flag = flag
        self.small = small
        self.amount = amount
        self.delta = delta
        self.name = name
        self.payload = payload
        self.root = root
        self.tags = tags
        self.memo = memo
    }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        flag = try decoder.read(Bool.self)
        small = try decoder.read(UInt16.self)
        amount = try decoder.read(UInt64.self)
        delta = try decoder.read(Int64.self)
        name = try decoder.read(String.self)
        payload = try decoder.readBytes(maxLength: 1024)
        root = try decoder.read(Hash.self)
        tags = try decoder.readArray(of: UInt32.self, maxCount: 16)
        memo = try decoder.readOptional(String.self)
    }
}

@Suite("Canonical encoding")
struct CodecTests {
    static let sample = CodecSample(
        flag: true, small: 0x0102, amount: 1_000_000_000_000, delta: -2, name: "aic", payload: [0xde, 0xad],
        root: try! Hash([UInt8](0..<32)), tags: [1, 0xffff_ffff], memo: "hi")

    /// The golden bytes: if this changes, every hash and signature in Aether changes with it.
    static let golden =
        "01" + "0201" + "0010a5d4e8000000" + "feffffffffffffff" + "03616963" + "02dead"
        + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + "02" + "01000000" + "ffffffff"
        + "01" + "026869"

    @Test("golden encoding of every field kind")
    func golden() throws {
        #expect(Hex.encode(Canonical.encode(Self.sample)) == Self.golden)
        #expect(try Canonical.decode(CodecSample.self, from: try Hex.decode(Self.golden)) == Self.sample)
        var noMemo = Self.sample
        noMemo.memo = nil
        #expect(Hex.encode(Canonical.encode(noMemo)).hasSuffix("ffffffff00"))
    }

    @Test("LEB128 lengths: golden forms and shortest-form enforcement")
    func varints() throws {
        let cases: [(UInt64, String)] = [
            (0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"), (16_384, "808001"),
            (UInt64.max, "ffffffffffffffffff01"),
        ]
        for (value, hex) in cases {
            var encoder = CanonicalEncoder()
            encoder.writeVarint(value)
            #expect(Hex.encode(encoder.bytes) == hex)
            var decoder = try CanonicalDecoder(try Hex.decode(hex))
            #expect(try decoder.readVarint() == value)
            try decoder.finish()
        }
        for bad in ["8000", "ff00", "808000", "ffffffffffffffffff02", "ffffffffffffffffffff01"] {
            var decoder = try CanonicalDecoder(try Hex.decode(bad))
            #expect(throws: CodecError.nonCanonicalLength(offset: 0)) { try decoder.readVarint() }
        }
    }

    @Test("non-canonical and hostile input is rejected with a typed error")
    func rejections() throws {
        let good = try Hex.decode(Self.golden)
        #expect(throws: CodecError.trailingBytes(count: 1)) { try Canonical.decode(CodecSample.self, from: good + [0]) }
        var badBool = good
        badBool[0] = 2
        #expect(throws: CodecError.invalidBoolean(offset: 0, value: 2)) {
            try Canonical.decode(CodecSample.self, from: badBool)
        }
        var badOption = good
        badOption[badOption.count - 4] = 7
        #expect(throws: CodecError.invalidBoolean(offset: good.count - 4, value: 7)) {
            try Canonical.decode(CodecSample.self, from: badOption)
        }
        // Every truncation fails cleanly.
        for length in 0..<good.count {
            #expect(throws: CodecError.self) { try Canonical.decode(CodecSample.self, from: Array(good[..<length])) }
        }
        // A string that is not UTF-8.
        var decoder = try CanonicalDecoder([2, 0xc3, 0x28])
        #expect(throws: CodecError.invalidUTF8(offset: 0)) { try decoder.read(String.self) }
        // A length beyond the field's limit, and an array count beyond the input.
        decoder = try CanonicalDecoder([0x80, 0x08] + [UInt8](repeating: 0, count: 4))
        #expect(throws: CodecError.lengthTooLarge(offset: 0, length: 1024, limit: 16)) {
            try decoder.readBytes(maxLength: 16)
        }
        decoder = try CanonicalDecoder([0x10, 1, 2])
        #expect(throws: CodecError.self) { try decoder.readArray(of: UInt8.self) }
        // Input over the whole-message limit.
        let limits = CodecLimits(maxInputBytes: 8, maxByteStringLength: 8, maxCollectionCount: 8, maxDepth: 4)
        #expect(throws: CodecError.inputTooLarge(count: 9, limit: 8)) {
            try CanonicalDecoder([UInt8](repeating: 0, count: 9), limits: limits)
        }
    }

    @Test("maps are written in key order and must be read in strictly ascending order")
    func maps() throws {
        var encoder = CanonicalEncoder()
        encoder.write(map: ["b": UInt8(2), "a": UInt8(1), "ab": UInt8(3)])
        // Keys sort by encoding: "a" (01 61) < "b" (01 62) < "ab" (02 61 62).
        #expect(Hex.encode(encoder.bytes) == "03" + "016101" + "016202" + "02616203")
        var decoder = try CanonicalDecoder(encoder.bytes)
        #expect(try decoder.readMap(String.self, UInt8.self) == ["a": 1, "b": 2, "ab": 3])
        let swapped = try Hex.decode("02" + "016202" + "016101")
        decoder = try CanonicalDecoder(swapped)
        #expect(throws: CodecError.unsortedKeys(offset: 4)) { try decoder.readMap(String.self, UInt8.self) }
        let repeated = try Hex.decode("02" + "016101" + "016101")
        decoder = try CanonicalDecoder(repeated)
        #expect(throws: CodecError.unsortedKeys(offset: 4)) { try decoder.readMap(String.self, UInt8.self) }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func depth() throws {
        let limits = CodecLimits(
            maxInputBytes: 1 << 20, maxByteStringLength: 64, maxCollectionCount: 1 << 20, maxDepth: 32)
        let deep = [UInt8](repeating: 1, count: 100) + [0]
        #expect(throws: CodecError.tooDeep(limit: 32)) {
            try Canonical.decode(CodecNested.self, from: deep, limits: limits)
        }
        let shallow = [UInt8](repeating: 1, count: 10) + [0]
        #expect(try Canonical.decode(CodecNested.self, from: shallow, limits: limits).depth == 10)
    }

    @Test("seeded round trips of random samples")
    func roundTrips() throws {
        var generator = SeededRandom(seed: 1)
        for _ in 0..<500 {
            let sample = CodecSample(
                flag: Bool.random(using: &generator), small: .random(in: 0...UInt16.max, using: &generator),
                amount: .random(in: 0...UInt64.max, using: &generator),
                delta: .random(in: Int64.min...Int64.max, using: &generator),
                name: String(
                    (0..<Int.random(in: 0...20, using: &generator)).map { _ in "aé€😀".randomElement(using: &generator)!
                    }),
                payload: generator.bytes(Int.random(in: 0...300, using: &generator)),
                root: try Hash(generator.bytes(32)),
                tags: (0..<Int.random(in: 0...16, using: &generator)).map { _ in
                    .random(in: 0...UInt32.max, using: &generator)
                },
                memo: Bool.random(using: &generator) ? nil : "memo")
            let bytes = Canonical.encode(sample)
            #expect(try Canonical.decode(CodecSample.self, from: bytes) == sample)
        }
    }
}

/// A recursive type: `1` then a nested value, or `0`.
struct CodecNested: CanonicalDecodable {
    let depth: Int
    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        if try decoder.read(Bool.self) {
            depth = try decoder.read(CodecNested.self).depth + 1
        } else {
            depth = 0
        }
    }
}
