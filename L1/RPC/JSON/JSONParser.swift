/// Limits the JSON parser enforces before and while parsing.
public struct JSONLimits: Sendable, Hashable {
    /// The deepest nesting the parser allows (at most ``JSONLimits/depthCeiling``).
    public static let depthCeiling = 512

    /// The largest input, in bytes.
    public var maxBytes: Int
    /// The deepest nesting of arrays and objects: `[]` is depth 1, `[[]]` depth 2.
    public var maxDepth: Int

    /// Limits with the given values; `maxDepth` is capped at ``depthCeiling`` so a misconfiguration
    /// cannot make the recursive parser run out of stack.
    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64) {
        self.maxBytes = maxBytes
        self.maxDepth = min(maxDepth, Self.depthCeiling)
    }
}

/// Why a text is not the JSON we accept, and the byte offset where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The input is larger than ``JSONLimits/maxBytes``.
        case tooLarge(limit: Int, actual: Int)
        /// Arrays and objects nest deeper than ``JSONLimits/maxDepth``.
        case tooDeep(limit: Int)
        /// The input ended in the middle of a value.
        case unexpectedEnd
        /// A byte that cannot start or continue a value here.
        case unexpectedCharacter(UInt8)
        /// Something other than whitespace follows the value.
        case trailingCharacters
        /// A number that does not follow the JSON grammar (leading zeros, a bare `-`, `1.`...).
        case invalidNumber
        /// An integer literal outside `Int64.min...UInt64.max`.
        case integerOutOfRange
        /// A fractional number too large for a `Double`.
        case numberOutOfRange
        /// A backslash escape JSON does not define, or a malformed `\u` escape.
        case invalidEscape
        /// A `\u` escape of half a surrogate pair.
        case unpairedSurrogate
        /// A control character (below U+0020) inside a string; it must be escaped.
        case controlCharacter
        /// Bytes that are not well-formed UTF-8.
        case invalidUTF8
        /// The same key twice in one object.
        case duplicateKey(String)
    }

    /// What went wrong.
    public let reason: Reason
    /// The byte offset in the input where the problem was found.
    public let offset: Int

    /// A parse error.
    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        switch reason {
        case .tooLarge(let limit, let actual): "JSON text of \(actual) bytes exceeds the limit of \(limit) bytes"
        case .tooDeep(let limit): "JSON nests deeper than \(limit) levels at byte \(offset)"
        case .unexpectedEnd: "JSON text ends unexpectedly at byte \(offset)"
        case .unexpectedCharacter(let byte): "unexpected \(Self.describe(byte)) at byte \(offset)"
        case .trailingCharacters: "unexpected text after the JSON value at byte \(offset)"
        case .invalidNumber: "malformed number at byte \(offset)"
        case .integerOutOfRange:
            "integer at byte \(offset) does not fit in 64 bits (send larger numbers as decimal strings)"
        case .numberOutOfRange: "number at byte \(offset) is too large"
        case .invalidEscape: "invalid escape sequence at byte \(offset)"
        case .unpairedSurrogate: "unpaired UTF-16 surrogate escape at byte \(offset)"
        case .controlCharacter: "unescaped control character in a string at byte \(offset)"
        case .invalidUTF8: "invalid UTF-8 at byte \(offset)"
        case .duplicateKey(let key): "duplicate key \"\(Self.truncated(key))\" at byte \(offset)"
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7f { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private static func truncated(_ key: String) -> String {
        key.count <= 40 ? key : String(key.prefix(40)) + "…"
    }
}

extension JSONValue {
    /// Parses one JSON value from UTF-8 bytes (RFC 8259, strictly).
    ///
    /// Refused: anything after the value but whitespace, comments, trailing commas, single quotes,
    /// `NaN`/`Infinity`, leading zeros, unescaped control characters, invalid UTF-8, unpaired
    /// surrogate escapes, duplicate object keys, integers beyond 64 bits and nesting deeper than
    /// `limits.maxDepth`. The size limit is checked before any parsing.
    public init(parsing bytes: some Collection<UInt8>, limits: JSONLimits = JSONLimits()) throws(JSONParseError) {
        guard bytes.count <= limits.maxBytes else {
            throw JSONParseError(.tooLarge(limit: limits.maxBytes, actual: bytes.count), at: 0)
        }
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            JSONParser.parse(buffer, maxDepth: limits.maxDepth)
        }
        let result =
            contiguous ?? Array(bytes).withUnsafeBufferPointer { JSONParser.parse($0, maxDepth: limits.maxDepth) }
        self = try result.get()
    }

    /// Parses one JSON value from a string; see ``init(parsing:limits:)-(Collection<UInt8>,_)``.
    public init(parsing text: String, limits: JSONLimits = JSONLimits()) throws(JSONParseError) {
        try self.init(parsing: Array(text.utf8), limits: limits)
    }
}

// MARK: - The parser

/// A recursive-descent parser over a byte buffer; depth is bounded, so recursion is too.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var position = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        do throws(JSONParseError) {
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.position == bytes.count else {
                throw JSONParseError(.trailingCharacters, at: parser.position)
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case let byte:
            throw JSONParseError(.unexpectedCharacter(byte), at: position)
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: position) }
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            case let byte: throw JSONParseError(.unexpectedCharacter(byte), at: position)
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: position) }
        position += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard try peek() == UInt8(ascii: "\"") else {
                throw JSONParseError(.unexpectedCharacter(bytes[position]), at: position)
            }
            let key = try parseString()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else {
                throw JSONParseError(.unexpectedCharacter(bytes[position]), at: position)
            }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            guard object.insertNew(key, value) else { throw JSONParseError(.duplicateKey(key), at: keyOffset) }
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(object)
            case let byte: throw JSONParseError(.unexpectedCharacter(byte), at: position)
            }
        }
    }

    // MARK: Strings

    /// Parses a string starting at its opening quote. Unescaped runs are validated as UTF-8 in the
    /// same pass; the common escape-free string is made from the input bytes without a copy step.
    private mutating func parseString() throws(JSONParseError) -> String {
        position += 1  // opening quote
        let start = position
        var scratch: [UInt8]? = nil
        var runStart = start
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<position])
                position += 1  // closing quote
                guard var collected = scratch else { return String(decoding: run, as: UTF8.self) }
                collected.append(contentsOf: run)
                return String(decoding: collected, as: UTF8.self)
            case UInt8(ascii: "\\"):
                var collected = scratch ?? []
                collected.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                try parseEscape(into: &collected)
                scratch = collected
                runStart = position
            case 0..<0x20:
                throw JSONParseError(.controlCharacter, at: position)
            case 0x20..<0x80:
                position += 1
            default:
                try skipUTF8Sequence()
            }
        }
        throw JSONParseError(.unexpectedEnd, at: position)
    }

    /// Checks one multi-byte UTF-8 sequence at `position` (no overlong forms, no surrogates,
    /// nothing above U+10FFFF) and moves past it.
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[position]
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xbf
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0:
            length = 3
            lowerBound = 0xa0
        case 0xe1...0xec, 0xee...0xef: length = 3
        case 0xed:
            length = 3
            upperBound = 0x9f
        case 0xf0:
            length = 4
            lowerBound = 0x90
        case 0xf1...0xf3: length = 4
        case 0xf4:
            length = 4
            upperBound = 0x8f
        default: throw JSONParseError(.invalidUTF8, at: position)
        }
        guard position + length <= bytes.count else { throw JSONParseError(.invalidUTF8, at: position) }
        let second = bytes[position + 1]
        guard second >= lowerBound && second <= upperBound else { throw JSONParseError(.invalidUTF8, at: position) }
        for offset in 2..<max(length, 2) where bytes[position + offset] & 0xc0 != 0x80 {
            throw JSONParseError(.invalidUTF8, at: position)
        }
        position += length
    }

    private mutating func parseEscape(into output: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = position
        position += 1  // backslash
        guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0c)
        case UInt8(ascii: "n"): output.append(0x0a)
        case UInt8(ascii: "r"): output.append(0x0d)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHexQuad()
            var scalarValue = UInt32(unit)
            switch unit {
            case 0xd800...0xdbff:
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw JSONParseError(.unpairedSurrogate, at: escapeStart) }
                position += 2
                let low = try parseHexQuad()
                guard (0xdc00...0xdfff).contains(low) else {
                    throw JSONParseError(.unpairedSurrogate, at: escapeStart)
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xd800) << 10) + (UInt32(low) - 0xdc00)
            case 0xdc00...0xdfff:
                throw JSONParseError(.unpairedSurrogate, at: escapeStart)
            default:
                break
            }
            guard let scalar = Unicode.Scalar(scalarValue) else {
                throw JSONParseError(.unpairedSurrogate, at: escapeStart)
            }
            UTF8.encode(scalar) { output.append($0) }
        default:
            throw JSONParseError(.invalidEscape, at: escapeStart)
        }
    }

    private mutating func parseHexQuad() throws(JSONParseError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: bytes.count) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidEscape, at: position)
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard position < bytes.count else { throw JSONParseError(.invalidNumber, at: start) }
        let integerStart = position
        switch bytes[position] {
        case UInt8(ascii: "0"):
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw JSONParseError(.invalidNumber, at: start) }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            skipDigits()
        default:
            throw JSONParseError(.invalidNumber, at: start)
        }
        let integerEnd = position
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw JSONParseError(.invalidNumber, at: start)
            }
            skipDigits()
            isInteger = false
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw JSONParseError(.invalidNumber, at: start)
            }
            skipDigits()
            isInteger = false
        }
        if isInteger {
            return try integer(digits: integerStart..<integerEnd, negative: negative, at: start)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw JSONParseError(.numberOutOfRange, at: start) }
        return .double(value)
    }

    private func integer(digits: Range<Int>, negative: Bool, at start: Int) throws(JSONParseError) -> JSONValue {
        var magnitude: UInt64 = 0
        for index in digits {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { throw JSONParseError(.integerOutOfRange, at: start) }
            magnitude = sum
        }
        if !negative { return JSONValue(magnitude) }
        if magnitude == UInt64(Int64.max) + 1 { return .integer(.min) }
        guard let value = Int64(exactly: magnitude) else { throw JSONParseError(.integerOutOfRange, at: start) }
        return .integer(-value)
    }

    // MARK: Helpers

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0a, 0x0d: position += 1
            default: return
            }
        }
    }

    private func peek() throws(JSONParseError) -> UInt8 {
        guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
        return bytes[position]
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        for index in 0..<count {
            guard position < bytes.count else { throw JSONParseError(.unexpectedEnd, at: position) }
            guard bytes[position] == start[index] else {
                throw JSONParseError(.unexpectedCharacter(bytes[position]), at: position)
            }
            position += 1
        }
    }
}
