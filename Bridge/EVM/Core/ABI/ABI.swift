import Primitives

/// The Solidity contract ABI: encoding of arguments and decoding of return values.
///
/// Encoding follows the specification's head/tail layout: static values in place, dynamic values
/// behind an offset (from the start of the enclosing tuple) into a tail. Decoding checks every
/// offset and length against the data before reading, and refuses words whose unused bits are set
/// (a `uint64` above 2^64, an address with a non-zero top, a `bool` of 2), as Solidity's own
/// decoder does, so a value has one accepted encoding per position.
public enum ABI {
    /// The encoding of `values` as a tuple of `types` (a call's arguments without the selector).
    /// - Throws: `ABIError` when a value does not fit its type.
    public static func encode(_ values: [ABIValue], as types: [ABIType]) throws(ABIError) -> [UInt8] {
        for type in types { try type.validate() }
        return try encodeTuple(values, types)
    }

    /// Decodes `data` as a tuple of `types` (a function's return values, or arguments after the
    /// selector). Bytes after the last value are allowed, as in the EVM's own decoders.
    /// - Throws: `ABIError` for data that is too short, offsets out of range, or dirty padding.
    public static func decode(_ data: [UInt8], as types: [ABIType]) throws(ABIError) -> [ABIValue] {
        for type in types { try type.validate() }
        var reader = ABIReader(data: data)
        return try reader.decodeTuple(types, at: 0)
    }

    // MARK: - Encoding

    private static func encodeTuple(_ values: [ABIValue], _ types: [ABIType]) throws(ABIError) -> [UInt8] {
        guard values.count == types.count else { throw .wrongValueCount(expected: types.count, actual: values.count) }
        let headLength = types.reduce(0) { $0 + $1.headSize }
        var head: [UInt8] = []
        var tail: [UInt8] = []
        for (value, type) in zip(values, types) {
            let encoded = try encodeValue(value, type)
            if type.isDynamic {
                head += word(UInt64(headLength + tail.count))
                tail += encoded
            } else {
                head += encoded
            }
        }
        return head + tail
    }

    private static func encodeValue(_ value: ABIValue, _ type: ABIType) throws(ABIError) -> [UInt8] {
        switch (type, value) {
        case (.uint(let bits), .uint(let integer)):
            guard integer.bitWidth <= bits else { throw .integerTooWide(bits: bits) }
            return integer.bigEndianBytes
        case (.address, .address(let address)):
            return [UInt8](repeating: 0, count: 12) + address.bytes
        case (.bool, .bool(let flag)):
            return word(flag ? 1 : 0)
        case (.fixedBytes(let count), .fixedBytes(let bytes)):
            guard bytes.count == count else { throw .wrongFixedBytesLength(expected: count, actual: bytes.count) }
            return padded(bytes)
        case (.bytes, .bytes(let bytes)):
            return word(UInt64(bytes.count)) + padded(bytes)
        case (.array(let element), .array(let elements)):
            let body = try encodeTuple(elements, Array(repeating: element, count: elements.count))
            return word(UInt64(elements.count)) + body
        case (.tuple(let types), .tuple(let elements)):
            return try encodeTuple(elements, types)
        default:
            throw .valueDoesNotMatchType(type: type.description)
        }
    }

    /// `value` as a 32-byte big-endian word.
    static func word(_ value: UInt64) -> [UInt8] {
        UInt256(value).bigEndianBytes
    }

    /// `bytes` followed by zeros up to a multiple of 32.
    private static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32)
    }
}

/// Reads ABI values from `data`, checking every access against its length.
private struct ABIReader {
    let data: [UInt8]
    /// Array elements still allowed. In an honest encoding every element has a head word of its
    /// own, so all arrays together hold at most one element per word of data; offsets that point
    /// several arrays at the same bytes could otherwise make a small input decode to a huge value.
    var elementBudget: Int

    init(data: [UInt8]) {
        self.data = data
        elementBudget = data.count / 32
    }

    /// Decodes a tuple of `types` whose head starts at `base`; dynamic offsets count from `base`.
    mutating func decodeTuple(_ types: [ABIType], at base: Int) throws(ABIError) -> [ABIValue] {
        var values: [ABIValue] = []
        values.reserveCapacity(types.count)
        var position = base
        for type in types {
            if type.isDynamic {
                let offset = try readSize(at: position)
                guard offset <= data.count - base else { throw .offsetTooLarge }
                values.append(try decodeValue(type, at: base + offset))
            } else {
                values.append(try decodeValue(type, at: position))
            }
            position += type.headSize
        }
        return values
    }

    private mutating func decodeValue(_ type: ABIType, at position: Int) throws(ABIError) -> ABIValue {
        switch type {
        case .uint(let bits):
            let bytes = try read(32, at: position)
            guard bytes.prefix(32 - bits / 8).allSatisfy({ $0 == 0 }) else {
                throw .invalidPadding(type: type.description)
            }
            return .uint(try! UInt256(bigEndian: bytes))
        case .address:
            let bytes = try read(32, at: position)
            guard bytes.prefix(12).allSatisfy({ $0 == 0 }) else { throw .invalidPadding(type: type.description) }
            return .address(try! EthereumAddress(Array(bytes[12...])))
        case .bool:
            let bytes = try read(32, at: position)
            guard bytes.prefix(31).allSatisfy({ $0 == 0 }) && bytes[31] <= 1 else {
                throw .invalidPadding(type: type.description)
            }
            return .bool(bytes[31] == 1)
        case .fixedBytes(let count):
            let bytes = try read(32, at: position)
            guard bytes.suffix(32 - count).allSatisfy({ $0 == 0 }) else {
                throw .invalidPadding(type: type.description)
            }
            return .fixedBytes(Array(bytes.prefix(count)))
        case .bytes:
            let length = try readSize(at: position)
            return .bytes(try read(length, at: position + 32))
        case .array(let element):
            let count = try readSize(at: position)
            let start = position + 32
            // Each element takes at least its head size, so a count the data cannot hold is refused
            // before anything is allocated for it.
            let available = data.count - min(start, data.count)
            guard count <= available / max(element.headSize, 1) else {
                throw .outOfBounds(offset: start, needed: count &* element.headSize, available: available)
            }
            guard count <= elementBudget else { throw .elementLimitExceeded(limit: data.count / 32) }
            elementBudget -= count
            return .array(try decodeTuple(Array(repeating: element, count: count), at: start))
        case .tuple(let elements):
            return .tuple(try decodeTuple(elements, at: position))
        }
    }

    /// A word read as an offset or a length: it must fit well inside `Int`.
    private func readSize(at position: Int) throws(ABIError) -> Int {
        let bytes = try read(32, at: position)
        guard bytes.prefix(24).allSatisfy({ $0 == 0 }) else { throw .offsetTooLarge }
        let value = bytes.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard value <= UInt64(data.count) else { throw .offsetTooLarge }
        return Int(value)
    }

    private func read(_ count: Int, at position: Int) throws(ABIError) -> [UInt8] {
        guard position >= 0, position <= data.count, count <= data.count - position else {
            throw .outOfBounds(offset: position, needed: count, available: max(0, data.count - position))
        }
        return Array(data[position..<position + count])
    }
}
