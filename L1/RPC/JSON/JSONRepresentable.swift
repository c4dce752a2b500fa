public import Primitives

/// A type that converts to and from a ``JSONValue``: what RPC params are read as and results are
/// written from.
public protocol JSONRepresentable: Sendable {
    /// Reads a value, throwing what was expected and what was found when `json` does not fit.
    init(json: JSONValue) throws(JSONTypeMismatch)
    /// The value as JSON.
    var json: JSONValue { get }
}

/// A JSON value is not of the type or form a reader expected.
public struct JSONTypeMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was expected, as a noun phrase: "an unsigned 64-bit integer".
    public let expected: String
    /// What was found: "a string", "a negative integer".
    public let found: String
    /// More detail when the kind was right but the content was not: "invalid hex character at offset 3".
    public let detail: String?

    /// A mismatch between `expected` and the kind of `value`.
    public init(expected: String, found value: JSONValue, detail: String? = nil) {
        self.expected = expected
        self.found = value.kindDescription
        self.detail = detail
    }

    public var description: String {
        if let detail { return "expected \(expected), got \(found): \(detail)" }
        return "expected \(expected), got \(found)"
    }
}

// MARK: - Standard types

extension JSONValue: JSONRepresentable {
    public init(json: JSONValue) { self = json }
    public var json: JSONValue { self }
}

extension Bool: JSONRepresentable {
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        guard let value = json.boolValue else { throw JSONTypeMismatch(expected: "a boolean", found: json) }
        self = value
    }

    public var json: JSONValue { .bool(self) }
}

extension String: JSONRepresentable {
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        guard let value = json.stringValue else { throw JSONTypeMismatch(expected: "a string", found: json) }
        self = value
    }

    public var json: JSONValue { .string(self) }
}

/// Reads integers from JSON integers, from doubles that are whole and exact (|x| ≤ 2^53), and
/// from decimal strings (how clients without 64-bit integers send large values).
enum JSONInteger {
    static func read(_ json: JSONValue, expected: String) throws(JSONTypeMismatch) -> (
        negative: Bool, magnitude: UInt64
    ) {
        switch json {
        case .integer(let value): return (value < 0, value.magnitude)
        case .unsignedInteger(let value): return (false, value)
        case .double(let value):
            guard value.rounded() == value, value.magnitude <= 9_007_199_254_740_992 else {
                throw JSONTypeMismatch(expected: expected, found: json, detail: "\(value) is not a whole number")
            }
            return (value < 0, UInt64(value.magnitude))
        case .string(let text):
            let utf8 = Array(text.utf8)
            let negative = utf8.first == UInt8(ascii: "-")
            let digits = negative ? utf8.dropFirst() : utf8[...]
            guard !digits.isEmpty, digits.count <= 20,
                digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let magnitude = UInt64(String(decoding: digits, as: UTF8.self))
            else {
                throw JSONTypeMismatch(expected: expected, found: json, detail: "not a decimal integer")
            }
            return (negative, magnitude)
        default:
            throw JSONTypeMismatch(expected: expected, found: json)
        }
    }
}

extension UInt64: JSONRepresentable {
    /// Reads a non-negative integer (a JSON integer, a whole double up to 2^53, or a decimal string).
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        let expected = "an unsigned 64-bit integer"
        let (negative, magnitude) = try JSONInteger.read(json, expected: expected)
        guard !negative || magnitude == 0 else {
            throw JSONTypeMismatch(expected: expected, found: json, detail: "it is negative")
        }
        self = magnitude
    }

    public var json: JSONValue { JSONValue(self) }
}

extension Int64: JSONRepresentable {
    /// Reads an integer (a JSON integer, a whole double up to 2^53, or a decimal string).
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        let expected = "a signed 64-bit integer"
        let (negative, magnitude) = try JSONInteger.read(json, expected: expected)
        if negative, magnitude == Int64.min.magnitude {
            self = .min
            return
        }
        guard let value = Int64(exactly: magnitude) else {
            throw JSONTypeMismatch(expected: expected, found: json, detail: "out of range")
        }
        self = negative ? -value : value
    }

    public var json: JSONValue { .integer(self) }
}

extension Int: JSONRepresentable {
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        let value = try Int64(json: json)
        guard let narrowed = Int(exactly: value) else {
            throw JSONTypeMismatch(expected: "an integer", found: json, detail: "out of range")
        }
        self = narrowed
    }

    public var json: JSONValue { .integer(Int64(self)) }
}

extension UInt32: JSONRepresentable {
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        let value = try UInt64(json: json)
        guard let narrowed = UInt32(exactly: value) else {
            throw JSONTypeMismatch(expected: "an unsigned 32-bit integer", found: json, detail: "out of range")
        }
        self = narrowed
    }

    public var json: JSONValue { .integer(Int64(self)) }
}

extension Double: JSONRepresentable {
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        guard let value = json.doubleValue else { throw JSONTypeMismatch(expected: "a number", found: json) }
        self = value
    }

    public var json: JSONValue { .double(self) }
}

extension Array: JSONRepresentable where Element: JSONRepresentable {
    /// Reads an array whose every element reads as `Element`; a failure names the element's index.
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        guard let elements = json.arrayValue else { throw JSONTypeMismatch(expected: "an array", found: json) }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do throws(JSONTypeMismatch) {
                result.append(try Element(json: element))
            } catch {
                throw JSONTypeMismatch(expected: "an array", found: json, detail: "element \(index): \(error)")
            }
        }
        self = result
    }

    public var json: JSONValue { .array(map(\.json)) }
}

extension JSONObject: JSONRepresentable {
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        guard let object = json.objectValue else { throw JSONTypeMismatch(expected: "an object", found: json) }
        self = object
    }

    public var json: JSONValue { .object(self) }
}

// MARK: - Chain types

extension Hash: JSONRepresentable {
    /// Reads 64 hex digits (an optional `0x` prefix is allowed); writes lower-case hex, no prefix.
    public init(json: JSONValue) throws(JSONTypeMismatch) {
        guard let text = json.stringValue else {
            throw JSONTypeMismatch(expected: "a 32-byte hash in hex", found: json)
        }
        do throws(HexError) {
            self = try Hash(hex: text)
        } catch {
            throw JSONTypeMismatch(expected: "a 32-byte hash in hex", found: json, detail: error.description)
        }
    }

    public var json: JSONValue { .string(hex) }
}

/// A byte string written as lower-case hex without a prefix (an optional `0x` is accepted).
public struct HexBytes: JSONRepresentable, Hashable {
    /// The bytes.
    public var bytes: [UInt8]

    /// Wraps `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(json: JSONValue) throws(JSONTypeMismatch) {
        guard let text = json.stringValue else { throw JSONTypeMismatch(expected: "hex bytes", found: json) }
        do throws(HexError) {
            bytes = try Hex.decode(text)
        } catch {
            throw JSONTypeMismatch(expected: "hex bytes", found: json, detail: error.description)
        }
    }

    public var json: JSONValue { .string(Hex.encode(bytes)) }
}
