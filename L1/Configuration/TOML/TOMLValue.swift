/// A place in a TOML document: 1-based line and column (columns count Unicode scalars).
public struct TOMLPosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The line, from 1.
    public var line: Int
    /// The column, from 1, in Unicode scalars.
    public var column: Int

    /// A position from its line and column.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }

    public static func < (lhs: TOMLPosition, rhs: TOMLPosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// A parsed TOML value. Floats are kept as exact decimals (`TOMLDecimal`), never as `Double`.
public indirect enum TOMLValue: Hashable, Sendable {
    /// A basic or literal string.
    case string(String)
    /// An integer (decimal, hex, octal or binary in the source).
    case integer(TOMLInteger)
    /// A float, exactly as written (sign, digits and a power of ten).
    case decimal(TOMLDecimal)
    /// `true` or `false`.
    case boolean(Bool)
    /// An array of values, or the tables of an `[[array of tables]]`.
    case array([TOMLItem])
    /// A table: the root, a `[table]`, a dotted-key table or an inline table.
    case table(TOMLTable)

    /// What kind of value this is, for error messages (`an integer`, `a table`…).
    public var kindDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .decimal: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A value with the position where it starts in the source.
public struct TOMLItem: Hashable, Sendable {
    /// The value.
    public var value: TOMLValue
    /// Where the value starts (for a table: its header, or the key that created it).
    public var position: TOMLPosition

    /// An item from its value and position.
    public init(_ value: TOMLValue, at position: TOMLPosition) {
        self.value = value
        self.position = position
    }
}

/// A TOML table: keys in the order they first appear, each with its item.
public struct TOMLTable: Hashable, Sendable {
    /// The keys, in source order.
    public private(set) var keys: [String] = []
    private var items: [String: TOMLItem] = [:]

    /// An empty table.
    public init() {}

    /// The item under `key`, if any.
    public subscript(key: String) -> TOMLItem? { items[key] }

    /// The number of keys.
    public var count: Int { keys.count }

    /// Sets `key` to `item`, appending the key if it is new.
    public mutating func set(_ key: String, _ item: TOMLItem) {
        if items.updateValue(item, forKey: key) == nil { keys.append(key) }
    }
}

/// A TOML integer: a sign and a 64-bit magnitude.
///
/// TOML asks for the signed 64-bit range; we also accept positive values up to `UInt64.max`
/// because amounts are unsigned 64-bit base units. Negative zero is stored as zero.
public struct TOMLInteger: Hashable, Sendable, CustomStringConvertible {
    /// True for a value below zero.
    public let isNegative: Bool
    /// The absolute value (at most 2^63 when negative).
    public let magnitude: UInt64

    /// An integer from its sign and magnitude (a negative zero becomes zero).
    /// - Returns: nil when a negative magnitude is above 2^63.
    public init?(isNegative: Bool, magnitude: UInt64) {
        if isNegative, magnitude > UInt64(Int64.max) + 1 { return nil }
        self.isNegative = isNegative && magnitude != 0
        self.magnitude = magnitude
    }

    /// A non-negative integer.
    public init(_ value: UInt64) {
        isNegative = false
        magnitude = value
    }

    /// The value as `UInt64`, or nil when negative.
    public var unsigned: UInt64? { isNegative ? nil : magnitude }

    public var description: String { isNegative ? "-\(magnitude)" : "\(magnitude)" }
}

/// A decimal number exactly as written: `(−1)^sign × significand × 10^exponent`.
///
/// Normalized so that one value has one form: the significand has no leading or trailing zeros
/// (trailing zeros move into the exponent) and zero is `0 × 10^0`, never negative.
public struct TOMLDecimal: Hashable, Sendable, CustomStringConvertible {
    /// True below zero.
    public let isNegative: Bool
    /// The significand's decimal digits (values 0–9), most significant first; `[0]` for zero.
    public let digits: [UInt8]
    /// The power of ten the significand is multiplied by.
    public let exponent: Int

    /// A decimal from a sign, significand digits (0–9 each) and a power of ten, normalized.
    public init(isNegative: Bool, digits: [UInt8], exponent: Int) {
        var digits = Array(digits.drop { $0 == 0 })
        var exponent = exponent
        while let last = digits.last, last == 0, exponent < Int.max {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty {
            self.isNegative = false
            self.digits = [0]
            self.exponent = 0
        } else {
            self.isNegative = isNegative
            self.digits = digits
            self.exponent = exponent
        }
    }

    /// True for zero.
    public var isZero: Bool { digits == [0] }

    /// Plain decimal notation (`0.05`, `-12.5`, `300`); an exponent (`12e500`) only beyond 64 places.
    public var description: String {
        var text = isNegative ? "-" : ""
        let characters = digits.map { Character(Unicode.Scalar(min($0, 9) + 0x30)) }
        guard exponent.magnitude <= 64 else { return text + String(characters) + "e\(exponent)" }
        if exponent >= 0 {
            text += String(characters) + String(repeating: "0", count: isZero ? 0 : exponent)
        } else {
            let fraction = -exponent
            if fraction >= characters.count {
                text += "0." + String(repeating: "0", count: fraction - characters.count) + String(characters)
            } else {
                let split = characters.count - fraction
                text += String(characters[..<split]) + "." + String(characters[split...])
            }
        }
        return text
    }
}
