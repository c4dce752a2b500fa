import Primitives
import Testing

@testable import EVM

@Suite("ABI")
struct ABITests {
    // MARK: - Examples of the Solidity ABI specification ("Examples" section, contract Foo)

    @Test("baz(uint32,bool) with 69, true")
    func baz() throws {
        let function = ABIFunction(name: "baz", inputs: [.uint(bits: 32), .bool], outputs: [.bool])
        #expect(function.signature == "baz(uint32,bool)")
        #expect(Hex.encode(function.selector) == "cdcd77c0")
        let call = try function.encodeCall([.uint(69), .bool(true)])
        #expect(
            Hex.encode(call)
                == "cdcd77c0"
                + "0000000000000000000000000000000000000000000000000000000000000045"
                + "0000000000000000000000000000000000000000000000000000000000000001")
        #expect(try function.decodeCall(call) == [.uint(69), .bool(true)])
    }

    @Test("sam(bytes,bool,uint256[]) with \"dave\", true, [1,2,3]")
    func sam() throws {
        let function = ABIFunction(name: "sam", inputs: [.bytes, .bool, .array(.uint256)])
        #expect(Hex.encode(function.selector) == "a5643bf2")
        let arguments: [ABIValue] = [.bytes(Array("dave".utf8)), .bool(true), .array([.uint(1), .uint(2), .uint(3)])]
        let call = try function.encodeCall(arguments)
        let words = [
            "0000000000000000000000000000000000000000000000000000000000000060",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "00000000000000000000000000000000000000000000000000000000000000a0",
            "0000000000000000000000000000000000000000000000000000000000000004",
            "6461766500000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000003",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "0000000000000000000000000000000000000000000000000000000000000002",
            "0000000000000000000000000000000000000000000000000000000000000003",
        ]
        #expect(Hex.encode(call) == "a5643bf2" + words.joined())
        #expect(try function.decodeCall(call) == arguments)
    }

    // MARK: - The settlement contract's calls

    static let batchId = try! Hash(hex: String(repeating: "11", count: 32))
    static let root = try! Hash(hex: String(repeating: "22", count: 32))
    static let recipient = try! EthereumAddress(parsing: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")

    @Test("recordBatch(bytes32,bytes32,bytes[]) round-trips with signatures of 65 bytes")
    func recordBatch() throws {
        let function = ABIFunction(name: "recordBatch", inputs: [.bytes32, .bytes32, .array(.bytes)])
        #expect(function.signature == "recordBatch(bytes32,bytes32,bytes[])")
        let signatures: [ABIValue] = (0..<3).map { .bytes([UInt8](repeating: UInt8($0 + 1), count: 65)) }
        let arguments: [ABIValue] = [.bytes32(Self.batchId), .bytes32(Self.root), .array(signatures)]
        let call = try function.encodeCall(arguments)
        // Head: two words in place, one offset (0x60); the array: count 3, three offsets, then three
        // elements of length word + 65 bytes padded to 96.
        #expect(call.count == 4 + 3 * 32 + 32 + 3 * 32 + 3 * (32 + 96))
        #expect(Array(call[4 + 64..<4 + 96]) == ABI.word(0x60))
        #expect(Array(call[4 + 96 + 32..<4 + 96 + 64]) == ABI.word(0x60))
        #expect(try function.decodeCall(call) == arguments)
    }

    @Test("claim(bytes32,address,uint256,bytes32[]) round-trips")
    func claim() throws {
        let function = ABIFunction(
            name: "claim", inputs: [.bytes32, .address, .uint256, .array(.bytes32)], outputs: [.bool])
        #expect(function.signature == "claim(bytes32,address,uint256,bytes32[])")
        let proof: [ABIValue] = [.bytes32(Self.root), .bytes32(Self.batchId)]
        let arguments: [ABIValue] = [
            .bytes32(Self.batchId), .address(Self.recipient), .uint(try UInt256(hex: "0xde0b6b3a7640000")),
            .array(proof),
        ]
        let call = try function.encodeCall(arguments)
        #expect(call.count == 4 + 4 * 32 + 32 + 2 * 32)
        #expect(Array(call[4 + 32..<4 + 64]) == [UInt8](repeating: 0, count: 12) + Self.recipient.bytes)
        #expect(try function.decodeCall(call) == arguments)
        #expect(try function.decodeOutput(ABI.word(1)) == [.bool(true)])
    }

    @Test("tuples, address[], uint64 and empty arrays round-trip")
    func tuples() throws {
        let types: [ABIType] = [
            .tuple([.uint64, .bytes, .array(.address)]), .array(.tuple([.bytes32, .uint256])), .array(.uint256),
            .tuple([.bool, .address]),
        ]
        let values: [ABIValue] = [
            .tuple([
                .uint(UInt256(UInt64.max)), .bytes([]), .array([.address(Self.recipient), .address(Self.recipient)]),
            ]),
            .array([.tuple([.bytes32(Self.root), .uint(UInt256.max)])]), .array([]),
            .tuple([.bool(false), .address(Self.recipient)]),
        ]
        #expect(
            types.map(\.description) == [
                "(uint64,bytes,address[])", "(bytes32,uint256)[]", "uint256[]", "(bool,address)",
            ])
        let encoded = try ABI.encode(values, as: types)
        #expect(try ABI.decode(encoded, as: types) == values)
    }

    // MARK: - Encoding refusals

    @Test("values that do not fit their types are refused")
    func encodingRefusals() {
        #expect(throws: ABIError.integerTooWide(bits: 64)) {
            try ABI.encode([.uint(try UInt256(hex: "0x10000000000000000"))], as: [.uint64])
        }
        #expect(throws: ABIError.wrongFixedBytesLength(expected: 32, actual: 31)) {
            try ABI.encode([.fixedBytes([UInt8](repeating: 0, count: 31))], as: [.bytes32])
        }
        #expect(throws: ABIError.valueDoesNotMatchType(type: "bool")) { try ABI.encode([.uint(1)], as: [.bool]) }
        #expect(throws: ABIError.wrongValueCount(expected: 2, actual: 1)) {
            try ABI.encode([.bool(true)], as: [.bool, .bool])
        }
        #expect(throws: ABIError.invalidType("uint7")) { try ABI.encode([.uint(1)], as: [.uint(bits: 7)]) }
    }

    // MARK: - Decoding bounds and padding checks

    @Test("truncated data, offsets past the end and huge lengths are refused")
    func decodingBounds() throws {
        let types: [ABIType] = [.bytes, .array(.uint256)]
        let good = try ABI.encode([.bytes(Array("dave".utf8)), .array([.uint(7)])], as: types)
        for length in [0, 31, 63, good.count - 1] {
            #expect(throws: ABIError.self) { try ABI.decode(Array(good.prefix(length)), as: types) }
        }
        // An offset word pointing past the data.
        var badOffset = good
        badOffset[31] = 0xff
        #expect(throws: ABIError.offsetTooLarge) { try ABI.decode(badOffset, as: types) }
        // An offset word above 2^64.
        var hugeOffset = good
        hugeOffset[0] = 1
        #expect(throws: ABIError.offsetTooLarge) { try ABI.decode(hugeOffset, as: types) }
        // An array count the data cannot hold is refused before allocating.
        let countAt = 32 * 4  // after the two offsets and the bytes value (length and data words)
        var hugeCount = good
        hugeCount[countAt + 31] = 0xf0
        #expect(throws: ABIError.self) { try ABI.decode(hugeCount, as: types) }
    }

    @Test("arrays whose offsets share one inner array (a decoding bomb) are refused")
    func sharedOffsets() throws {
        let type: [ABIType] = [.array(.array(.uint256))]
        let inner: [ABIValue] = (0..<10).map { .uint(UInt256(UInt64($0))) }
        // Honest: ten inner arrays of ten, each with its own data.
        let honest = try ABI.encode([.array(Array(repeating: .array(inner), count: 10))], as: type)
        #expect(try ABI.decode(honest, as: type) == [.array(Array(repeating: .array(inner), count: 10))])
        // Hostile: ten offsets to the same inner array; 23 words would decode to 110 elements.
        var hostile = ABI.word(0x20) + ABI.word(10)
        for _ in 0..<10 { hostile += ABI.word(10 * 32) }
        hostile += ABI.word(10)
        for index in 0..<10 { hostile += ABI.word(UInt64(index)) }
        #expect(throws: ABIError.elementLimitExceeded(limit: 23)) { try ABI.decode(hostile, as: type) }
    }

    @Test("dirty padding is refused")
    func dirtyPadding() throws {
        var word = ABI.word(1)
        word[0] = 1
        #expect(throws: ABIError.invalidPadding(type: "uint64")) { try ABI.decode(word, as: [.uint64]) }
        #expect(throws: ABIError.invalidPadding(type: "address")) { try ABI.decode(word, as: [.address]) }
        #expect(throws: ABIError.invalidPadding(type: "bool")) { try ABI.decode(ABI.word(2), as: [.bool]) }
        #expect(throws: ABIError.invalidPadding(type: "bytes4")) { try ABI.decode(ABI.word(1), as: [.fixedBytes(4)]) }
        #expect(try ABI.decode(word, as: [.uint256]).count == 1)
    }

    @Test("decodeCall refuses another function's selector")
    func selectorMismatch() throws {
        let baz = ABIFunction(name: "baz", inputs: [.uint(bits: 32), .bool])
        let sam = ABIFunction(name: "sam", inputs: [.bytes, .bool, .array(.uint256)])
        let call = try baz.encodeCall([.uint(69), .bool(true)])
        #expect(throws: ABIError.selectorMismatch(expected: sam.selector, actual: baz.selector)) {
            try sam.decodeCall(call)
        }
    }
}
