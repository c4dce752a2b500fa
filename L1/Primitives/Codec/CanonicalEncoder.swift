/// Appends canonical encodings to a byte buffer. See `CanonicalEncodable`.
public struct CanonicalEncoder: Sendable {
    /// Everything written so far.
    public private(set) var bytes: [UInt8]

    /// An empty encoder; `capacity` reserves room up front.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: - Integers (fixed width, little-endian)

    /// One byte.
    public mutating func write(_ value: UInt8) { bytes.append(value) }
    /// Two bytes, little-endian.
    public mutating func write(_ value: UInt16) { appendLittleEndian(value) }
    /// Four bytes, little-endian.
    public mutating func write(_ value: UInt32) { appendLittleEndian(value) }
    /// Eight bytes, little-endian.
    public mutating func write(_ value: UInt64) { appendLittleEndian(value) }
    /// Eight bytes, little-endian two's complement.
    public mutating func write(_ value: Int64) { appendLittleEndian(UInt64(bitPattern: value)) }
    /// `0` or `1`.
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    // MARK: - Lengths and byte strings

    /// An unsigned LEB128 integer in its shortest form (used for every length and count).
    public mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A length or count (LEB128).
    public mutating func writeLength(_ count: Int) {
        precondition(count >= 0, "negative length")
        writeVarint(UInt64(count))
    }

    /// A length-prefixed byte string.
    public mutating func write(bytes value: some Collection<UInt8>) {
        writeLength(value.count)
        bytes.append(contentsOf: value)
    }

    /// Raw bytes with no length prefix (fixed-size fields such as keys and hashes).
    public mutating func write(fixed value: some Sequence<UInt8>) {
        bytes.append(contentsOf: value)
    }

    /// A length-prefixed UTF-8 string.
    public mutating func write(_ value: String) {
        write(bytes: Array(value.utf8))
    }

    // MARK: - Composites

    /// A nested value, in place (no prefix).
    public mutating func write(_ value: some CanonicalEncodable) {
        value.encode(to: &self)
    }

    /// A count followed by each element.
    public mutating func write<Element: CanonicalEncodable>(_ values: [Element]) {
        writeLength(values.count)
        for value in values { value.encode(to: &self) }
    }

    /// A `0` tag, or a `1` tag followed by the value.
    public mutating func write<Wrapped: CanonicalEncodable>(_ value: Wrapped?) {
        if let value {
            bytes.append(1)
            value.encode(to: &self)
        } else {
            bytes.append(0)
        }
    }

    /// A map as a count and key-value pairs in ascending order of the keys' encodings.
    ///
    /// Sorting by encoded bytes (not by `Comparable`) keeps the order a property of the format.
    public mutating func write<Key: CanonicalEncodable, Value: CanonicalEncodable>(map: [Key: Value]) {
        let entries = map.map { (key: Canonical.encode($0.key), value: $0.value) }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }
        writeLength(entries.count)
        for entry in entries {
            bytes.append(contentsOf: entry.key)
            entry.value.encode(to: &self)
        }
    }
}
