import Primitives

extension RLPItem {
    /// Decodes exactly one item that spans all of `bytes`, accepting only the canonical form.
    ///
    /// Every value has one RLP encoding; the decoder refuses the others so that a hash or signature
    /// over the bytes cannot be matched by a second, differently encoded copy (transaction
    /// malleability). Rejected: a single byte below 0x80 wrapped in a string header, a long form
    /// for a payload of 55 bytes or less, a length with leading zero bytes, a length that runs past
    /// the input, and bytes left over after the item. Nesting deeper than `maximumDepth` is refused
    /// so hostile input cannot exhaust the stack.
    /// - Throws: `RLPError` naming the first rule broken.
    public static func decode(_ bytes: [UInt8], maximumDepth: Int = 64) throws(RLPError) -> RLPItem {
        var reader = RLPReader(bytes: bytes, maximumDepth: maximumDepth)
        let item = try reader.readItem(end: bytes.count, depth: 0)
        guard reader.position == bytes.count else { throw .trailingBytes(count: bytes.count - reader.position) }
        return item
    }
}

/// Why bytes are not a canonical RLP item, or an item is not the value expected.
public enum RLPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended inside an item.
    case truncated(needed: Int, available: Int)
    /// Bytes remain after the item.
    case trailingBytes(count: Int)
    /// A one-byte string below 0x80 was given a header (it must be encoded as itself).
    case singleByteWrapped(UInt8)
    /// The long-form header was used for a payload of 55 bytes or less.
    case longFormForShortPayload(length: Int)
    /// A long-form length starts with a zero byte.
    case lengthHasLeadingZero
    /// A length does not fit in memory (more than 8 length bytes or above `Int.max`).
    case lengthTooLarge
    /// Nesting deeper than the decoder allows.
    case tooDeep(limit: Int)
    /// A byte string was expected, a list was found.
    case expectedBytes
    /// A list was expected, a byte string was found.
    case expectedList
    /// A list has the wrong number of items for the structure being read.
    case wrongItemCount(expected: Int, actual: Int)
    /// An integer's bytes start with zero (integers are minimal big-endian).
    case integerHasLeadingZero
    /// An integer has more bytes than its type holds.
    case integerTooLarge(bytes: Int, limit: Int)
    /// A byte string has the wrong length for the field (an address, a storage key).
    case wrongLength(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .truncated(let needed, let available): "RLP input ends early: need \(needed) bytes, have \(available)"
        case .trailingBytes(let count): "\(count) bytes follow the RLP item"
        case .singleByteWrapped(let byte): "byte 0x\(Hex.encode([byte])) must be encoded as itself, not wrapped"
        case .longFormForShortPayload(let length): "long-form RLP header for a \(length)-byte payload"
        case .lengthHasLeadingZero: "RLP length has a leading zero byte"
        case .lengthTooLarge: "RLP length is too large"
        case .tooDeep(let limit): "RLP nesting deeper than \(limit)"
        case .expectedBytes: "expected an RLP byte string, found a list"
        case .expectedList: "expected an RLP list, found a byte string"
        case .wrongItemCount(let expected, let actual): "expected \(expected) RLP list items, found \(actual)"
        case .integerHasLeadingZero: "RLP integer has a leading zero byte"
        case .integerTooLarge(let bytes, let limit): "RLP integer of \(bytes) bytes exceeds \(limit)"
        case .wrongLength(let expected, let actual): "expected \(expected) bytes, found \(actual)"
        }
    }
}

/// A cursor over RLP input; every read is bounds-checked against the end of its enclosing item.
private struct RLPReader {
    let bytes: [UInt8]
    let maximumDepth: Int
    var position = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Reads one item that must end at or before `end`.
    mutating func readItem(end: Int, depth: Int) throws(RLPError) -> RLPItem {
        guard depth <= maximumDepth else { throw .tooDeep(limit: maximumDepth) }
        guard position < end else { throw .truncated(needed: 1, available: 0) }
        let prefix = bytes[position]
        position += 1
        switch prefix {
        case 0x00...0x7f:
            return .bytes([prefix])
        case 0x80...0xb7:
            let length = Int(prefix - 0x80)
            let payload = try take(length, end: end)
            if length == 1 && payload[0] < 0x80 { throw .singleByteWrapped(payload[0]) }
            return .bytes(payload)
        case 0xb8...0xbf:
            let length = try readLongLength(byteCount: Int(prefix - 0xb7), end: end)
            return .bytes(try take(length, end: end))
        default:
            let length =
                prefix <= 0xf7
                ? Int(prefix - 0xc0) : try readLongLength(byteCount: Int(prefix - 0xf7), end: end)
            guard length <= end - position else { throw .truncated(needed: length, available: end - position) }
            let listEnd = position + length
            var items: [RLPItem] = []
            while position < listEnd {
                items.append(try readItem(end: listEnd, depth: depth + 1))
            }
            return .list(items)
        }
    }

    /// Reads a long-form length of `byteCount` big-endian bytes, which must be minimal and above 55.
    private mutating func readLongLength(byteCount: Int, end: Int) throws(RLPError) -> Int {
        let lengthBytes = try take(byteCount, end: end)
        guard lengthBytes[0] != 0 else { throw .lengthHasLeadingZero }
        guard byteCount <= 8 else { throw .lengthTooLarge }
        let length = lengthBytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(Int.max) else { throw .lengthTooLarge }
        guard length > 55 else { throw .longFormForShortPayload(length: Int(length)) }
        return Int(length)
    }

    private mutating func take(_ count: Int, end: Int) throws(RLPError) -> [UInt8] {
        guard count <= end - position else { throw .truncated(needed: count, available: end - position) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }
}
