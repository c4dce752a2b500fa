/// A value in Ethereum's Recursive Length Prefix encoding: a byte string or a list of items.
///
/// RLP has no integers of its own: an integer is the byte string of its big-endian bytes without
/// leading zeros (zero is the empty string), which `RLPItem.init(_:)` and `uint64Value` apply.
public enum RLPItem: Hashable, Sendable {
    /// A byte string.
    case bytes([UInt8])
    /// A list of items.
    case list([RLPItem])

    /// The encoding of `self` (yellow paper, appendix B).
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    /// Appends the encoding of `self` to `out`.
    public func append(to out: inout [UInt8]) {
        switch self {
        case .bytes(let bytes):
            // A single byte below 0x80 is its own encoding; anything else gets a length prefix.
            if bytes.count == 1 && bytes[0] < 0x80 {
                out.append(bytes[0])
            } else {
                Self.appendHeader(length: bytes.count, shortBase: 0x80, to: &out)
                out.append(contentsOf: bytes)
            }
        case .list(let items):
            var payload: [UInt8] = []
            for item in items { item.append(to: &payload) }
            Self.appendHeader(length: payload.count, shortBase: 0xc0, to: &out)
            out.append(contentsOf: payload)
        }
    }

    /// The byte string, or nil for a list.
    public var byteString: [UInt8]? {
        if case .bytes(let bytes) = self { bytes } else { nil }
    }

    /// The items, or nil for a byte string.
    public var listItems: [RLPItem]? {
        if case .list(let items) = self { items } else { nil }
    }

    /// `shortBase + length` for payloads up to 55 bytes, else `shortBase + 55 + n` and the length
    /// in `n` big-endian bytes.
    private static func appendHeader(length: Int, shortBase: UInt8, to out: inout [UInt8]) {
        if length <= 55 {
            out.append(shortBase + UInt8(length))
        } else {
            let lengthBytes = minimalBigEndian(UInt64(length))
            out.append(shortBase + 55 + UInt8(lengthBytes.count))
            out.append(contentsOf: lengthBytes)
        }
    }
}

// MARK: - Integers

extension RLPItem {
    /// The RLP integer `value`: its big-endian bytes without leading zeros (zero is empty).
    public init(_ value: UInt64) { self = .bytes(minimalBigEndian(value)) }

    /// The RLP integer `value`: its big-endian bytes without leading zeros (zero is empty).
    public init(_ value: UInt256) { self = .bytes(value.minimalBigEndianBytes) }

    /// The byte string read as a canonical RLP integer of at most 64 bits.
    /// - Throws: `RLPError` for a list, a leading zero byte, or a value over 64 bits.
    public func uint64Value() throws(RLPError) -> UInt64 {
        let bytes = try integerBytes()
        guard bytes.count <= 8 else { throw .integerTooLarge(bytes: bytes.count, limit: 8) }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The byte string read as a canonical RLP integer of at most 256 bits.
    /// - Throws: `RLPError` for a list, a leading zero byte, or more than 32 bytes.
    public func uint256Value() throws(RLPError) -> UInt256 {
        let bytes = try integerBytes()
        guard bytes.count <= 32, let value = try? UInt256(bigEndian: bytes) else {
            throw .integerTooLarge(bytes: bytes.count, limit: 32)
        }
        return value
    }

    /// The byte string of an integer, checked for the canonical form (no leading zero byte).
    private func integerBytes() throws(RLPError) -> [UInt8] {
        guard case .bytes(let bytes) = self else { throw .expectedBytes }
        // Ethereum requires minimal integers: "0x00" would be a second encoding of zero.
        if let first = bytes.first, first == 0 { throw .integerHasLeadingZero }
        return bytes
    }
}

/// `value` big-endian without leading zero bytes; empty for zero.
func minimalBigEndian(_ value: UInt64) -> [UInt8] {
    var out: [UInt8] = []
    var remaining = value
    while remaining > 0 {
        out.append(UInt8(truncatingIfNeeded: remaining))
        remaining >>= 8
    }
    return out.reversed()
}
