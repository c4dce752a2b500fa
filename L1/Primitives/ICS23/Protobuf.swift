// A minimal proto3 wire-format reader and writer, just enough for the ICS-23 messages.
//
// The reader works on untrusted bytes: every read is bounds-checked and every failure is a typed
// `ICS23Error`; nothing here traps on any input.

/// The protobuf wire types (the low three bits of a field key).
enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A decoded field key: the field number and how its value is laid out.
struct ProtobufTag: Sendable {
    let field: UInt32
    let wireType: ProtobufWireType
    /// Offset of the key in the whole input, for error messages.
    let offset: Int
}

// MARK: - Reader

/// Reads proto3 wire format from a byte array, one field at a time.
///
/// Offsets in errors count from the start of the outermost message: a nested message is read by a
/// reader over the same array with a narrower window, not by a copy.
struct ProtobufReader {
    /// How deeply messages and groups may nest. The ICS-23 schema needs 6 levels; the bound exists
    /// so hostile input (nested unknown groups) cannot run away.
    static let maxDepth = 32

    private let bytes: [UInt8]
    private(set) var position: Int
    private let end: Int
    /// How many messages enclose this one (0 for the outermost).
    let depth: Int

    /// A reader over the whole of `bytes`.
    init(_ bytes: [UInt8]) {
        self.init(bytes: bytes, start: 0, end: bytes.count, depth: 0)
    }

    private init(bytes: [UInt8], start: Int, end: Int, depth: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
        self.depth = depth
    }

    /// True when every byte of this message has been read.
    var isAtEnd: Bool { position >= end }

    /// Reads a base-128 varint of at most 10 bytes in its shortest form.
    ///
    /// A longer form (trailing `0x80 … 0x00` padding) is rejected although protobuf parsers accept
    /// it: no encoder emits one, and refusing it keeps one byte string per proof.
    mutating func readVarint() throws(ICS23Error) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw .truncated(offset: start) }
            let byte = bytes[position]
            position += 1
            // The tenth byte may only carry bit 63; anything more overflows 64 bits.
            if shift == 63, byte > 1 { throw .malformedVarint(offset: start) }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                if byte == 0, shift > 0 { throw .malformedVarint(offset: start) }
                return result
            }
            shift += 7
        }
    }

    /// Reads the next field key.
    mutating func readTag() throws(ICS23Error) -> ProtobufTag {
        let offset = position
        let key = try readVarint()
        // Field numbers are 1…2^29−1, so a key never needs more than 32 bits.
        guard key <= UInt64(UInt32.max), key >> 3 != 0 else { throw .invalidFieldNumber(offset: offset) }
        guard let wireType = ProtobufWireType(rawValue: UInt8(key & 7)) else {
            throw .invalidWireType(offset: offset, wireType: UInt8(key & 7))
        }
        return ProtobufTag(field: UInt32(key >> 3), wireType: wireType, offset: offset)
    }

    /// Reads a length prefix and returns the window of the bytes it announces.
    private mutating func readLengthDelimitedRange() throws(ICS23Error) -> Range<Int> {
        let offset = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw .lengthOutOfRange(offset: offset, length: length, available: end - position)
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// Reads a `bytes` field's value.
    mutating func readBytes(_ tag: ProtobufTag, field name: String) throws(ICS23Error) -> [UInt8] {
        try expect(tag, .lengthDelimited, field: name)
        return Array(bytes[try readLengthDelimitedRange()])
    }

    /// Reads an enum field's value; values this version does not know are an error.
    mutating func readEnum<Value: RawRepresentable<Int32>>(
        _ tag: ProtobufTag,
        field name: String,
        as type: Value.Type
    ) throws(ICS23Error) -> Value {
        try expect(tag, .varint, field: name)
        let raw = try readVarint()
        guard raw <= UInt64(Int32.max), let value = Value(rawValue: Int32(raw)) else {
            throw .unknownEnumValue(field: name, value: raw)
        }
        return value
    }

    /// Reads a `repeated int32` field, packed or not, appending to `values`.
    mutating func readInt32s(
        _ tag: ProtobufTag,
        field name: String,
        into values: inout [Int32]
    ) throws(ICS23Error) {
        switch tag.wireType {
        case .varint:
            values.append(try readInt32(field: name))
        case .lengthDelimited:
            let range = try readLengthDelimitedRange()
            var packed = ProtobufReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, depth: depth)
            while !packed.isAtEnd { values.append(try packed.readInt32(field: name)) }
        default:
            throw .wrongWireType(field: name, wireType: tag.wireType.rawValue)
        }
    }

    /// An int32 is sign-extended to 64 bits on the wire; any other 64-bit value is not an int32.
    private mutating func readInt32(field name: String) throws(ICS23Error) -> Int32 {
        let offset = position
        let raw = Int64(bitPattern: try readVarint())
        guard let value = Int32(exactly: raw) else { throw .int32OutOfRange(field: name, offset: offset) }
        return value
    }

    /// Reads an embedded message field, merging into `existing` as protobuf requires when a
    /// singular message field appears more than once.
    mutating func readMessage<Message: ProtobufMessage>(
        _ tag: ProtobufTag,
        field name: String,
        mergingInto existing: Message? = nil
    ) throws(ICS23Error) -> Message {
        try expect(tag, .lengthDelimited, field: name)
        let range = try readLengthDelimitedRange()
        guard depth + 1 <= Self.maxDepth else { throw .nestingTooDeep(limit: Self.maxDepth) }
        var nested = ProtobufReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, depth: depth + 1)
        var message = existing ?? Message.protobufDefault
        try message.merge(from: &nested)
        return message
    }

    /// Skips the value of a field this schema does not know.
    mutating func skip(_ tag: ProtobufTag) throws(ICS23Error) {
        switch tag.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: try skipFixed(8)
        case .fixed32: try skipFixed(4)
        case .lengthDelimited: _ = try readLengthDelimitedRange()
        case .startGroup: try skipGroup(startingWith: tag)
        case .endGroup: throw .unmatchedEndGroup(offset: tag.offset)
        }
    }

    private mutating func skipFixed(_ count: Int) throws(ICS23Error) {
        guard end - position >= count else { throw .truncated(offset: position) }
        position += count
    }

    /// Skips a (deprecated) group, iteratively, up to its matching end-group key.
    private mutating func skipGroup(startingWith tag: ProtobufTag) throws(ICS23Error) {
        var open: [UInt32] = [tag.field]
        while let innermost = open.last {
            guard depth + open.count <= Self.maxDepth else { throw .nestingTooDeep(limit: Self.maxDepth) }
            let next = try readTag()
            switch next.wireType {
            case .startGroup:
                open.append(next.field)
            case .endGroup:
                guard next.field == innermost else { throw .unmatchedEndGroup(offset: next.offset) }
                open.removeLast()
            default:
                try skip(next)
            }
        }
    }

    private func expect(
        _ tag: ProtobufTag,
        _ wireType: ProtobufWireType,
        field name: String
    ) throws(ICS23Error) {
        guard tag.wireType == wireType else { throw .wrongWireType(field: name, wireType: tag.wireType.rawValue) }
    }
}

// MARK: - Writer

/// Writes proto3 wire format the way the Go and Rust reference encoders do: fields in number
/// order, scalar fields left out when they hold their default, embedded messages always written,
/// repeated scalars packed.
struct ProtobufWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    mutating func writeTag(_ field: UInt32, _ wireType: ProtobufWireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// Writes a `bytes` field unless it is empty (proto3 leaves defaults out).
    mutating func writeBytes(_ field: UInt32, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes an enum field unless it holds 0.
    mutating func writeEnum<Value: RawRepresentable<Int32>>(_ field: UInt32, _ value: Value) {
        guard value.rawValue != 0 else { return }
        writeTag(field, .varint)
        writeVarint(UInt64(bitPattern: Int64(value.rawValue)))
    }

    /// Writes a packed `repeated int32` field unless it is empty.
    mutating func writePackedInt32s(_ field: UInt32, _ values: [Int32]) {
        guard !values.isEmpty else { return }
        var packed = ProtobufWriter()
        for value in values { packed.writeVarint(UInt64(bitPattern: Int64(value))) }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(packed.bytes.count))
        bytes.append(contentsOf: packed.bytes)
    }

    /// Writes an embedded message, even an empty one (its presence is meaningful).
    mutating func writeMessage(_ field: UInt32, _ message: some ProtobufMessage) {
        var nested = ProtobufWriter()
        message.encode(to: &nested)
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(nested.bytes.count))
        bytes.append(contentsOf: nested.bytes)
    }
}

// MARK: - Messages

/// A message type the reader and writer above can handle.
protocol ProtobufMessage {
    /// The message with every field at its default (what an empty byte string decodes to).
    static var protobufDefault: Self { get }

    /// Applies one field read from the wire: scalars replace, messages merge, repeated fields append.
    /// Unknown fields must be skipped with `reader.skip(tag)`.
    mutating func decodeField(_ tag: ProtobufTag, from reader: inout ProtobufReader) throws(ICS23Error)

    /// Appends this message's fields.
    func encode(to writer: inout ProtobufWriter)
}

extension ProtobufMessage {
    /// Applies every remaining field in `reader`.
    mutating func merge(from reader: inout ProtobufReader) throws(ICS23Error) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            try decodeField(tag, from: &reader)
        }
    }

    /// Decodes a whole top-level message.
    static func decodeProtobuf(_ bytes: [UInt8]) throws(ICS23Error) -> Self {
        var reader = ProtobufReader(bytes)
        var message = protobufDefault
        try message.merge(from: &reader)
        return message
    }

    /// This message's wire encoding.
    var protobufBytes: [UInt8] {
        var writer = ProtobufWriter()
        encode(to: &writer)
        return writer.bytes
    }
}
