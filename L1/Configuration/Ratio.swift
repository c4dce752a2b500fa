public import Primitives

/// An exact non-negative fraction `numerator / denominator` of 64-bit integers, always reduced.
///
/// Configuration fractions (`quorum = "2/3"`, `slash_double = "0.05"`, `tau = 0.8`) become
/// ratios, never `Double`: every amount computed from one is exact integer arithmetic with a
/// stated rounding (`floorMultiply`). Two ratios are equal exactly when their values are.
public struct Ratio: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The numerator (after reduction).
    public let numerator: UInt64
    /// The denominator (after reduction; never zero).
    public let denominator: UInt64

    /// `numerator / denominator`, reduced.
    /// - Throws: `RatioError.zeroDenominator`.
    public init(_ numerator: UInt64, _ denominator: UInt64) throws(RatioError) {
        guard denominator != 0 else { throw .zeroDenominator }
        let divisor = Self.gcd(numerator, denominator)
        self.numerator = numerator / divisor
        self.denominator = denominator / divisor
    }

    private init(reduced numerator: UInt64, _ denominator: UInt64) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// 0.
    public static let zero = Ratio(reduced: 0, 1)
    /// 1.
    public static let one = Ratio(reduced: 1, 1)
    /// 1/2.
    public static let half = Ratio(reduced: 1, 2)
    /// 2/3.
    public static let twoThirds = Ratio(reduced: 2, 3)

    /// Parses `"n/d"` (decimal integers, `_` allowed between digits) or a decimal such as `"0.05"`,
    /// `"1e-5"` or `"3"`.
    /// - Throws: `RatioError` saying what is wrong with the text.
    public init(parsing text: String) throws(RatioError) {
        let trimmed = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if trimmed.count == 2 {
            guard let numerator = Self.parseInteger(trimmed[0]), let denominator = Self.parseInteger(trimmed[1]) else {
                throw .malformed(text)
            }
            try self.init(numerator, denominator)
            return
        }
        guard trimmed.count == 1 else { throw .malformed(text) }
        let decimal: TOMLDecimal
        do {
            let table = try TOML.parse("value = \(text)")
            guard case .decimal(let parsed)? = table["value"]?.value, table.count == 1 else {
                if case .integer(let integer)? = table["value"]?.value, table.count == 1 {
                    guard let value = integer.unsigned else { throw RatioError.negative(text) }
                    self.init(reduced: value, 1)
                    return
                }
                throw RatioError.malformed(text)
            }
            decimal = parsed
        } catch let error as RatioError {
            throw error
        } catch {
            throw .malformed(text)
        }
        try self.init(decimal: decimal)
    }

    /// The exact value of a decimal.
    /// - Throws: `RatioError.negative`, or `.unrepresentable` when numerator or denominator would
    ///   not fit in 64 bits (more than 19 significant digits, or a huge exponent).
    public init(decimal: TOMLDecimal) throws(RatioError) {
        guard !decimal.isNegative else { throw .negative(decimal.description) }
        // 10^20 and beyond does not fit in 64 bits: such a scale can never be represented.
        guard decimal.isZero || decimal.exponent.magnitude < 20 else { throw .unrepresentable(decimal.description) }
        var significand: UInt64 = 0
        for digit in decimal.digits {
            let (product, overflow1) = significand.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = product.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { throw .unrepresentable(decimal.description) }
            significand = sum
        }
        var scale: UInt64 = 1
        for _ in 0..<Int(decimal.exponent.magnitude) {
            let (product, overflow) = scale.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw .unrepresentable(decimal.description) }
            scale = product
        }
        if decimal.exponent >= 0 {
            let (value, overflow) = significand.multipliedReportingOverflow(by: scale)
            guard !overflow else { throw .unrepresentable(decimal.description) }
            self.init(reduced: value, 1)
        } else {
            try self.init(significand, scale)
        }
    }

    private static func parseInteger(_ bytes: some Collection<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        var sawDigit = false
        var previousUnderscore = true
        for byte in bytes {
            if byte == UInt8(ascii: "_") {
                guard !previousUnderscore else { return nil }
                previousUnderscore = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (product, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = product.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            sawDigit = true
            previousUnderscore = false
        }
        return sawDigit && !previousUnderscore ? value : nil
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return max(a, 1)
    }

    // MARK: - Arithmetic

    /// `⌊amount × numerator / denominator⌋`, computed in 128 bits.
    /// - Returns: nil when the result does not fit in 64 bits (only possible for ratios above 1).
    public func floorMultiply(_ amount: UInt64) -> UInt64? {
        let product = amount.multipliedFullWidth(by: numerator)
        guard product.high < denominator else { return nil }
        return denominator.dividingFullWidth(product).quotient
    }

    /// True when the value is at most 1.
    public var isAtMostOne: Bool { numerator <= denominator }

    public static func < (lhs: Ratio, rhs: Ratio) -> Bool {
        let left = lhs.numerator.multipliedFullWidth(by: rhs.denominator)
        let right = rhs.numerator.multipliedFullWidth(by: lhs.denominator)
        return (left.high, left.low) < (right.high, right.low)
    }

    // MARK: - Text

    /// The value as a plain decimal when it has a finite one (`0.05`, `0.8`, `3`), else `n/d`.
    public var description: String { decimalText ?? "\(numerator)/\(denominator)" }

    /// The exact decimal text when the denominator has no prime factors but 2 and 5.
    public var decimalText: String? {
        var twos = 0
        var fives = 0
        var rest = denominator
        while rest % 2 == 0 {
            rest /= 2
            twos += 1
        }
        while rest % 5 == 0 {
            rest /= 5
            fives += 1
        }
        guard rest == 1 else { return nil }
        // value = numerator × 2^(k−twos) × 5^(k−fives) / 10^k with k = max(twos, fives).
        let places = max(twos, fives)
        // 10^19 is the largest power of ten in 64 bits: beyond it the text would not parse back.
        guard places <= 19 else { return nil }
        var scaled = numerator
        for _ in 0..<(places - twos) {
            let (product, overflow) = scaled.multipliedReportingOverflow(by: 2)
            guard !overflow else { return nil }
            scaled = product
        }
        for _ in 0..<(places - fives) {
            let (product, overflow) = scaled.multipliedReportingOverflow(by: 5)
            guard !overflow else { return nil }
            scaled = product
        }
        var digits = String(scaled)
        guard places > 0 else { return digits }
        if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -places)
        return digits[..<split] + "." + digits[split...]
    }
}

extension Ratio: CanonicalCodable {
    /// Numerator then denominator, each 8 bytes little-endian.
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(numerator)
        encoder.write(denominator)
    }

    /// Refuses a zero denominator and a fraction that is not reduced (one value, one encoding).
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        let numerator = try decoder.read(UInt64.self)
        let denominator = try decoder.read(UInt64.self)
        guard denominator != 0, Self.gcd(numerator, denominator) == 1 else {
            throw .invalidValue(offset: offset, reason: "ratio \(numerator)/\(denominator) is not reduced")
        }
        self.init(reduced: numerator, denominator)
    }
}

/// Why text or numbers are not a `Ratio`.
public enum RatioError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The denominator is zero.
    case zeroDenominator
    /// A negative value.
    case negative(String)
    /// Not `n/d` or a decimal.
    case malformed(String)
    /// Exact, but numerator or denominator would not fit in 64 bits.
    case unrepresentable(String)

    public var description: String {
        switch self {
        case .zeroDenominator: "the denominator is zero"
        case .negative(let text): "\(text) is negative"
        case .malformed(let text): "'\(text)' is not a fraction (write \"n/d\" or a decimal such as \"0.05\")"
        case .unrepresentable(let text):
            "\(text) cannot be written as a fraction of two 64-bit integers (too many digits)"
        }
    }
}
