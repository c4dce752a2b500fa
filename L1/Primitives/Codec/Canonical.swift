/// A value with one canonical byte encoding: what Aether hashes and signs.
///
/// The format (Docs/adr/0001-canonical-encoding.md): fixed-width little-endian integers, `0`/`1`
/// booleans and option tags, LEB128 lengths in their shortest form, UTF-8 strings, and fields in
/// declaration order with no names or padding. Equal values always encode to equal bytes.
public protocol CanonicalEncodable {
    /// Appends this value's canonical encoding.
    func encode(to encoder: inout CanonicalEncoder)
}

/// A value that can be read back from its canonical encoding, rejecting any other form.
public protocol CanonicalDecodable {
    /// Reads one value; throws on malformed or non-canonical input.
    init(from decoder: inout CanonicalDecoder) throws(CodecError)
}

/// Both directions of the canonical encoding.
public typealias CanonicalCodable = CanonicalDecodable & CanonicalEncodable

/// Entry points for whole-message encoding and decoding.
public enum Canonical {
    /// The canonical encoding of `value`.
    public static func encode(_ value: some CanonicalEncodable) -> [UInt8] {
        var encoder = CanonicalEncoder()
        value.encode(to: &encoder)
        return encoder.bytes
    }

    /// Decodes exactly one `T` from `bytes`; trailing bytes are an error.
    public static func decode<T: CanonicalDecodable>(
        _ type: T.Type,
        from bytes: [UInt8],
        limits: CodecLimits = .default
    ) throws(CodecError) -> T {
        var decoder = try CanonicalDecoder(bytes, limits: limits)
        let value = try T(from: &decoder)
        try decoder.finish()
        return value
    }
}

/// Bounds the decoder enforces so hostile input cannot exhaust memory or the stack.
public struct CodecLimits: Sendable, Equatable {
    /// The largest whole input accepted, in bytes.
    public var maxInputBytes: Int
    /// The largest byte string or string a length prefix may announce.
    public var maxByteStringLength: Int
    /// The largest element count an array or map may announce.
    public var maxCollectionCount: Int
    /// The deepest nesting of `read(_:)` calls (bounds recursion in recursive types).
    public var maxDepth: Int

    /// Creates limits; see the property docs.
    public init(maxInputBytes: Int, maxByteStringLength: Int, maxCollectionCount: Int, maxDepth: Int) {
        self.maxInputBytes = maxInputBytes
        self.maxByteStringLength = maxByteStringLength
        self.maxCollectionCount = maxCollectionCount
        self.maxDepth = maxDepth
    }

    /// 64 MiB of input, 16 MiB per byte string, 1,048,576 elements per collection, depth 64.
    public static let `default` = CodecLimits(
        maxInputBytes: 64 << 20,
        maxByteStringLength: 16 << 20,
        maxCollectionCount: 1 << 20,
        maxDepth: 64
    )
}

/// Why bytes are not the canonical encoding of the expected value.
public enum CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended `needed` bytes too early, at `offset`.
    case truncated(offset: Int, needed: Int)
    /// Bytes were left over after the value ended.
    case trailingBytes(count: Int)
    /// A length or count is above its limit.
    case lengthTooLarge(offset: Int, length: UInt64, limit: Int)
    /// The whole input is larger than allowed.
    case inputTooLarge(count: Int, limit: Int)
    /// A length prefix is not in its shortest LEB128 form, or overflows 64 bits.
    case nonCanonicalLength(offset: Int)
    /// A boolean or option tag other than 0 or 1.
    case invalidBoolean(offset: Int, value: UInt8)
    /// An enum tag this version does not know.
    case unknownTag(offset: Int, tag: UInt64, type: String)
    /// A string that is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// Map keys or set elements not in strictly ascending order (or repeated).
    case unsortedKeys(offset: Int)
    /// Values nest deeper than the limit.
    case tooDeep(limit: Int)
    /// A field decoded but its value is not allowed (the message says which and why).
    case invalidValue(offset: Int, reason: String)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed): "input ends early at offset \(offset): \(needed) more bytes needed"
        case .trailingBytes(let count): "\(count) unexpected trailing bytes"
        case .lengthTooLarge(let offset, let length, let limit):
            "length \(length) at offset \(offset) exceeds the limit of \(limit)"
        case .inputTooLarge(let count, let limit): "input of \(count) bytes exceeds the limit of \(limit)"
        case .nonCanonicalLength(let offset): "length at offset \(offset) is not in shortest LEB128 form"
        case .invalidBoolean(let offset, let value): "byte \(value) at offset \(offset) is not a boolean (0 or 1)"
        case .unknownTag(let offset, let tag, let type): "unknown \(type) tag \(tag) at offset \(offset)"
        case .invalidUTF8(let offset): "string at offset \(offset) is not valid UTF-8"
        case .unsortedKeys(let offset): "keys at offset \(offset) are not strictly ascending"
        case .tooDeep(let limit): "value nests deeper than \(limit) levels"
        case .invalidValue(let offset, let reason): "invalid value at offset \(offset): \(reason)"
        }
    }
}
