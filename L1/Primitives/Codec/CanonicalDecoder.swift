/// Reads canonical encodings from a byte buffer, rejecting anything non-canonical.
///
/// Every read checks bounds first and throws `CodecError`; nothing here traps on hostile input.
public struct CanonicalDecoder: Sendable {
    private let bytes: [UInt8]
    /// The offset of the next unread byte.
    public private(set) var offset: Int
    /// The limits in force.
    public let limits: CodecLimits
    private var depth = 0

    /// A decoder over `bytes`; throws when the input itself is over `limits.maxInputBytes`.
    public init(_ bytes: [UInt8], limits: CodecLimits = .default) throws(CodecError) {
        guard bytes.count <= limits.maxInputBytes else {
            throw .inputTooLarge(count: bytes.count, limit: limits.maxInputBytes)
        }
        self.bytes = bytes
        self.offset = 0
        self.limits = limits
    }

    /// The number of bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    /// Throws unless every byte has been read.
    public func finish() throws(CodecError) {
        guard remaining == 0 else { throw .trailingBytes(count: remaining) }
    }

    // MARK: - Integers

    /// One byte.
    public mutating func read(_: UInt8.Type = UInt8.self) throws(CodecError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Two bytes, little-endian.
    public mutating func read(_: UInt16.Type) throws(CodecError) -> UInt16 { try readLittleEndian() }
    /// Four bytes, little-endian.
    public mutating func read(_: UInt32.Type) throws(CodecError) -> UInt32 { try readLittleEndian() }
    /// Eight bytes, little-endian.
    public mutating func read(_: UInt64.Type) throws(CodecError) -> UInt64 { try readLittleEndian() }
    /// Eight bytes, little-endian two's complement.
    public mutating func read(_: Int64.Type) throws(CodecError) -> Int64 {
        Int64(bitPattern: try readLittleEndian() as UInt64)
    }

    /// `0` or `1`; any other byte is an error.
    public mutating func read(_: Bool.Type) throws(CodecError) -> Bool {
        let at = offset
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw .invalidBoolean(offset: at, value: other)
        }
    }

    private mutating func readLittleEndian<T: FixedWidthInteger>() throws(CodecError) -> T {
        let size = MemoryLayout<T>.size
        try need(size)
        var value: T = 0
        for index in 0..<size {
            value |= T(bytes[offset + index]) << (8 * index)
        }
        offset += size
        return value
    }

    // MARK: - Lengths and byte strings

    /// An unsigned LEB128 integer; rejects redundant trailing zero groups and 64-bit overflow.
    public mutating func readVarint() throws(CodecError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try read(UInt8.self)
            let payload = UInt64(byte & 0x7f)
            if shift == 63 && payload > 1 { throw .nonCanonicalLength(offset: start) }
            value |= payload << shift
            if byte & 0x80 == 0 {
                // A final group of zero after other groups could have been left out.
                if byte == 0 && offset - start > 1 { throw .nonCanonicalLength(offset: start) }
                return value
            }
            shift += 7
            if shift > 63 { throw .nonCanonicalLength(offset: start) }
        }
    }

    /// A length or count no larger than `limit`.
    public mutating func readLength(limit: Int) throws(CodecError) -> Int {
        let at = offset
        let value = try readVarint()
        guard value <= UInt64(limit) else { throw .lengthTooLarge(offset: at, length: value, limit: limit) }
        return Int(value)
    }

    /// A length-prefixed byte string, at most `maxLength` bytes (default: the limits' maximum).
    public mutating func readBytes(maxLength: Int? = nil) throws(CodecError) -> [UInt8] {
        let count = try readLength(limit: min(maxLength ?? limits.maxByteStringLength, limits.maxByteStringLength))
        return try readFixed(count: count)
    }

    /// Exactly `count` raw bytes (no prefix).
    public mutating func readFixed(count: Int) throws(CodecError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A length-prefixed UTF-8 string; invalid UTF-8 is an error.
    public mutating func read(_: String.Type, maxLength: Int? = nil) throws(CodecError) -> String {
        let at = offset
        let raw = try readBytes(maxLength: maxLength)
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(offset: at) }
        return text
    }

    // MARK: - Composites

    /// A nested value.
    public mutating func read<T: CanonicalDecodable>(_: T.Type = T.self) throws(CodecError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
        return try T(from: &self)
    }

    /// A count (at most `maxCount`) followed by that many elements.
    public mutating func readArray<Element: CanonicalDecodable>(
        of _: Element.Type = Element.self,
        maxCount: Int? = nil
    ) throws(CodecError) -> [Element] {
        let count = try readLength(limit: min(maxCount ?? limits.maxCollectionCount, limits.maxCollectionCount))
        // Each element takes at least one byte, so a count beyond the input is rejected before allocating.
        guard count <= remaining else { throw .truncated(offset: offset, needed: count - remaining) }
        var values: [Element] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(Element.self)) }
        return values
    }

    /// A `0` tag (nil) or a `1` tag and a value.
    public mutating func readOptional<Wrapped: CanonicalDecodable>(
        _: Wrapped.Type = Wrapped.self
    ) throws(CodecError) -> Wrapped? {
        try read(Bool.self) ? try read(Wrapped.self) : nil
    }

    /// A map written by `CanonicalEncoder.write(map:)`; keys must be strictly ascending by encoding.
    public mutating func readMap<Key: CanonicalDecodable & Hashable, Value: CanonicalDecodable>(
        _: Key.Type,
        _: Value.Type,
        maxCount: Int? = nil
    ) throws(CodecError) -> [Key: Value] {
        let count = try readLength(limit: min(maxCount ?? limits.maxCollectionCount, limits.maxCollectionCount))
        guard count <= remaining else { throw .truncated(offset: offset, needed: count - remaining) }
        var map: [Key: Value] = [:]
        map.reserveCapacity(count)
        var previousKey: ArraySlice<UInt8>? = nil
        for _ in 0..<count {
            let keyStart = offset
            let key = try read(Key.self)
            let keyBytes = bytes[keyStart..<offset]
            if let previousKey, !previousKey.lexicographicallyPrecedes(keyBytes) {
                throw .unsortedKeys(offset: keyStart)
            }
            previousKey = keyBytes
            map[key] = try read(Value.self)
        }
        return map
    }

    private func need(_ count: Int) throws(CodecError) {
        guard count <= remaining else { throw .truncated(offset: offset, needed: count - remaining) }
    }
}
