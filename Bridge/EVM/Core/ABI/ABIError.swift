import Primitives

/// Why values cannot be encoded as the given types, or bytes cannot be decoded as them.
public enum ABIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A sized type with a size the ABI does not define (`uint7`, `bytes33`).
    case invalidType(String)
    /// A value whose kind does not match its type (`type` is the canonical type name).
    case valueDoesNotMatchType(type: String)
    /// An integer wider than its `uint<bits>` type.
    case integerTooWide(bits: Int)
    /// A `bytes<count>` value with another number of bytes.
    case wrongFixedBytesLength(expected: Int, actual: Int)
    /// A tuple or argument list with the wrong number of values.
    case wrongValueCount(expected: Int, actual: Int)
    /// The data ends before a value it describes (`needed` bytes from `offset`).
    case outOfBounds(offset: Int, needed: Int, available: Int)
    /// An offset or length word that does not fit the data at all.
    case offsetTooLarge
    /// A word for `type` with non-zero bits where the type requires zeros (dirty padding, or a
    /// `bool` other than 0 or 1).
    case invalidPadding(type: String)
    /// The arrays hold more elements in total than the data has words, which only offsets that
    /// share data can cause (a decoding bomb); `limit` is the number of words.
    case elementLimitExceeded(limit: Int)
    /// Call data shorter than a selector, or with another function's selector.
    case selectorMismatch(expected: [UInt8], actual: [UInt8])

    public var description: String {
        switch self {
        case .invalidType(let name): "\(name) is not an ABI type"
        case .valueDoesNotMatchType(let type): "value is not a \(type)"
        case .integerTooWide(let bits): "integer does not fit in uint\(bits)"
        case .wrongFixedBytesLength(let expected, let actual): "bytes\(expected) value has \(actual) bytes"
        case .wrongValueCount(let expected, let actual): "expected \(expected) values, got \(actual)"
        case .outOfBounds(let offset, let needed, let available):
            "ABI data ends early: \(needed) bytes needed at \(offset), \(available) available"
        case .offsetTooLarge: "ABI offset or length does not fit the data"
        case .invalidPadding(let type): "\(type) word has bits set outside its value"
        case .elementLimitExceeded(let limit): "ABI arrays hold more than \(limit) elements in total: offsets overlap"
        case .selectorMismatch(let expected, let actual):
            "selector \(Hex.encode(actual)) is not the expected \(Hex.encode(expected))"
        }
    }
}
