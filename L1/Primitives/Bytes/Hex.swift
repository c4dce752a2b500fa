/// Strict hexadecimal encoding and decoding of byte strings.
///
/// Decoding accepts an optional `0x`/`0X` prefix and upper- or lower-case digits, and rejects
/// everything else: odd lengths, whitespace, signs and any non-hex character. Encoding is always
/// lower-case without a prefix.
public enum Hex {
    /// Lower-case hex of `bytes`, two characters per byte, no prefix.
    public static func encode(_ bytes: [UInt8]) -> String {
        // The common case, without generic iteration: a block's JSON holds megabytes of hex.
        let table = digits
        return bytes.withUnsafeBufferPointer { input in
            table.withUnsafeBufferPointer { digit in
                String(unsafeUninitializedCapacity: input.count * 2) { output in
                    var index = 0
                    for byte in input {
                        output[index] = digit[Int(byte >> 4)]
                        output[index + 1] = digit[Int(byte & 0x0f)]
                        index += 2
                    }
                    return index
                }
            }
        }
    }

    /// Lower-case hex of any byte sequence.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            utf8.append(digits[Int(byte >> 4)])
            utf8.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Parses `text` as hex (an optional `0x` prefix is allowed).
    /// - Throws: `HexError` naming the first offending character, or an odd length.
    public static func decode(_ text: String) throws(HexError) -> [UInt8] {
        var utf8 = Array(text.utf8)
        var offset = 0
        if utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] | 0x20 == UInt8(ascii: "x") {
            utf8.removeFirst(2)
            offset = 2
        }
        guard utf8.count % 2 == 0 else { throw .oddLength(utf8.count) }
        var out = [UInt8](repeating: 0, count: utf8.count / 2)
        for index in 0..<out.count {
            let high = try value(of: utf8[2 * index], at: offset + 2 * index)
            let low = try value(of: utf8[2 * index + 1], at: offset + 2 * index + 1)
            out[index] = high << 4 | low
        }
        return out
    }

    /// Parses `text` as hex that must decode to exactly `count` bytes.
    public static func decode(_ text: String, count: Int) throws(HexError) -> [UInt8] {
        let bytes = try decode(text)
        guard bytes.count == count else { throw .wrongLength(expected: count, actual: bytes.count) }
        return bytes
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func value(of character: UInt8, at position: Int) throws(HexError) -> UInt8 {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: throw .invalidCharacter(position: position)
        }
    }
}

/// Why a string is not valid hex.
public enum HexError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The string has an odd number of hex digits.
    case oddLength(Int)
    /// A character that is not a hex digit, at this offset (counting from the first character).
    case invalidCharacter(position: Int)
    /// The hex is valid but decodes to the wrong number of bytes.
    case wrongLength(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .oddLength(let count): "hex has an odd number of digits (\(count))"
        case .invalidCharacter(let position): "invalid hex character at offset \(position)"
        case .wrongLength(let expected, let actual): "expected \(expected) bytes of hex, got \(actual)"
        }
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hex of these bytes, no prefix.
    public var hex: String { Hex.encode(self) }
}
