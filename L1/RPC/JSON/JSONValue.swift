/// A JSON value with exact 64-bit integers.
///
/// Integers are never routed through `Double`: a literal without a fraction or exponent becomes
/// ``integer(_:)`` when it fits in `Int64` and ``unsignedInteger(_:)`` when it only fits in `UInt64`
/// (balances up to 2^64 − 1 survive a round trip exactly). The parser never produces
/// `unsignedInteger` for a value that fits in `Int64`, and equality compares integers by value, so
/// `.integer(5) == .unsignedInteger(5)`.
///
/// Objects keep their keys in insertion order (``JSONObject``), so what we write is stable.
public enum JSONValue: Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in `Int64`.
    case integer(Int64)
    /// An integer above `Int64.max`.
    case unsignedInteger(UInt64)
    /// A number with a fraction or exponent. Non-finite values are written as `null`.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in insertion order.
    case object(JSONObject)
}

// MARK: - Construction

extension JSONValue {
    /// An integer value, `.integer` when it fits in `Int64`, `.unsignedInteger` otherwise.
    public init(_ value: UInt64) {
        if let signed = Int64(exactly: value) {
            self = .integer(signed)
        } else {
            self = .unsignedInteger(value)
        }
    }

    /// An integer value.
    public init(_ value: Int) {
        self = .integer(Int64(value))
    }

    /// An object from key-value pairs in this order; a repeated key keeps its last value.
    public init(object pairs: KeyValuePairs<String, JSONValue>) {
        var object = JSONObject()
        for (key, value) in pairs { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object with the keys in the order written; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

// MARK: - Reading

extension JSONValue {
    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// This value, or nil for `null` (an absent and a null field read the same way).
    public var nonNull: JSONValue? {
        if case .null = self { return Optional.none }
        return self
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean, if this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The integer, if this is an integer that fits in `Int64` (never rounds a double).
    public var int64Value: Int64? {
        switch self {
        case .integer(let value): value
        case .unsignedInteger(let value): Int64(exactly: value)
        default: nil
        }
    }

    /// The integer, if this is a non-negative integer (never rounds a double).
    public var uint64Value: UInt64? {
        switch self {
        case .integer(let value): UInt64(exactly: value)
        case .unsignedInteger(let value): value
        default: nil
        }
    }

    /// The number as a `Double` (integers are converted, possibly rounding above 2^53).
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .unsignedInteger(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The object, if this is an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The member `key` of an object; nil for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// The element at `index` of an array; nil when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// A short name of this value's kind, for error messages: "null", "a string", "an object"...
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer(let value): value < 0 ? "a negative integer" : "an integer"
        case .unsignedInteger: "an integer"
        case .double: "a fractional number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

// MARK: - Equality

extension JSONValue: Equatable {
    /// Structural equality: integers compare by value whichever case holds them, objects compare
    /// as maps (key order is ignored), doubles compare with `==` (so `NaN != NaN`).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let left), .bool(let right)): left == right
        case (.integer(let left), .integer(let right)): left == right
        case (.unsignedInteger(let left), .unsignedInteger(let right)): left == right
        case (.integer(let left), .unsignedInteger(let right)): left >= 0 && UInt64(left) == right
        case (.unsignedInteger(let left), .integer(let right)): right >= 0 && left == UInt64(right)
        case (.double(let left), .double(let right)): left == right
        case (.string(let left), .string(let right)): left == right
        case (.array(let left), .array(let right)): left == right
        case (.object(let left), .object(let right)): left == right
        default: false
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text of this value.
    public var description: String {
        String(decoding: JSONWriter.encode(self), as: UTF8.self)
    }
}
