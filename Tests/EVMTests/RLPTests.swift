import Primitives
import Testing

@testable import EVM

@Suite("RLP")
struct RLPTests {
    // MARK: - Published examples

    /// The examples of the Ethereum wiki's RLP page (now ethereum.org, "Recursive-length prefix
    /// serialization", Examples), each as the item and its encoding.
    static let wikiExamples: [(name: String, item: RLPItem, encoding: String)] = [
        ("the string dog", .bytes(Array("dog".utf8)), "83646f67"),
        ("the list [cat, dog]", .list([.bytes(Array("cat".utf8)), .bytes(Array("dog".utf8))]), "c88363617483646f67"),
        ("the empty string", .bytes([]), "80"),
        ("the empty list", .list([]), "c0"),
        ("the integer 0", RLPItem(UInt64(0)), "80"),
        ("the encoded integer 0 (byte 0x00)", .bytes([0x00]), "00"),
        ("the encoded integer 15 (byte 0x0f)", .bytes([0x0f]), "0f"),
        ("the integer 1024", RLPItem(UInt64(1024)), "820400"),
        (
            "the set-theoretic three [ [], [[]], [ [], [[]] ] ]",
            .list([.list([]), .list([.list([])]), .list([.list([]), .list([.list([])])])]), "c7c0c1c0c3c0c1c0"
        ),
    ]

    @Test("wiki examples encode and decode", arguments: 0..<wikiExamples.count)
    func wikiExample(index: Int) throws {
        let example = Self.wikiExamples[index]
        #expect(Hex.encode(example.item.encoded) == example.encoding, "\(example.name)")
        #expect(try RLPItem.decode(Hex.decode(example.encoding)) == example.item, "\(example.name)")
    }

    // MARK: - Lengths at the short/long boundary

    @Test(
        "strings and lists of every length around 55 and 256 round-trip",
        arguments: [0, 1, 55, 56, 255, 256, 1024, 70_000])
    func lengths(length: Int) throws {
        let string = RLPItem.bytes([UInt8](repeating: 0xaa, count: length))
        #expect(try RLPItem.decode(string.encoded) == string)
        let headerLength = string.encoded.count - length
        #expect(headerLength == (length <= 55 ? 1 : 1 + minimalBigEndian(UInt64(length)).count))
        let list = RLPItem.list([RLPItem](repeating: .bytes([0x01]), count: length))
        #expect(try RLPItem.decode(list.encoded) == list)
    }

    // MARK: - Canonical form on decode

    @Test(
        "non-canonical and malformed encodings are refused",
        arguments: [
            ("8100", RLPError.singleByteWrapped(0x00)),
            ("817f", .singleByteWrapped(0x7f)),
            ("b80161", .longFormForShortPayload(length: 1)),
            ("b9000161", .lengthHasLeadingZero),
            ("f80180", .longFormForShortPayload(length: 1)),
            ("f800", .lengthHasLeadingZero),
            ("83646f", .truncated(needed: 3, available: 2)),
            ("83646f6700", .trailingBytes(count: 1)),
            ("c583646f67", .truncated(needed: 5, available: 4)),
            ("c28300", .truncated(needed: 3, available: 1)),
            ("", .truncated(needed: 1, available: 0)),
            ("bfffffffffffffffff", .lengthTooLarge),
            ("b9010000", .truncated(needed: 256, available: 1)),
        ] as [(String, RLPError)]
    )
    func refused(hex: String, expected: RLPError) throws {
        let bytes = try Hex.decode(hex)
        #expect(throws: expected) { try RLPItem.decode(bytes) }
    }
}
