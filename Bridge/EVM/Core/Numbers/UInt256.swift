import Primitives

/// An unsigned 256-bit integer: EVM word values such as wei amounts, fees and `uint256` arguments.
///
/// Only what encoding needs (conversion to and from big-endian bytes, comparison, and the few
/// additions the signature `v` value uses): the bridge moves amounts between chains, it does no
/// arithmetic on them, so a full big-integer type would be surface without a user (ADR 0011).
public struct UInt256: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The four 64-bit limbs, most significant first.
    package let limbs: (UInt64, UInt64, UInt64, UInt64)

    /// Zero.
    public static let zero = UInt256(0)
    /// 2^256 − 1.
    public static let max = UInt256(limbs: (.max, .max, .max, .max))

    /// A value from four 64-bit limbs, most significant first.
    package init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }

    /// The value of `value`.
    public init(_ value: UInt64) { limbs = (0, 0, 0, value) }

    /// A value from at most 32 big-endian bytes (leading zeros allowed, fewer bytes mean a smaller value).
    /// - Throws: `UInt256Error.tooLong` for more than 32 bytes.
    public init(bigEndian bytes: some Collection<UInt8>) throws(UInt256Error) {
        guard bytes.count <= 32 else { throw .tooLong(bytes.count) }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.reversed().enumerated() {
            words[3 - index / 8] |= UInt64(byte) << (8 * UInt64(index % 8))
        }
        limbs = (words[0], words[1], words[2], words[3])
    }

    /// Parses hex digits (an optional `0x` prefix, at most 64 digits, odd counts allowed).
    /// - Throws: `UInt256Error` for bad digits or more than 64 of them.
    public init(hex text: String) throws(UInt256Error) {
        var digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : text
        guard digits.count <= 64 else { throw .tooLong((digits.count + 1) / 2) }
        if digits.count % 2 == 1 { digits = "0" + digits }
        let bytes: [UInt8]
        do { bytes = try Hex.decode(digits) } catch { throw .invalidHex(text) }
        try self.init(bigEndian: bytes)
    }

    /// The 32 big-endian bytes (the ABI word form).
    public var bigEndianBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for limb in [limbs.0, limbs.1, limbs.2, limbs.3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift)))
            }
        }
        return out
    }

    /// The big-endian bytes without leading zeros; empty for zero (the RLP integer form).
    public var minimalBigEndianBytes: [UInt8] {
        Array(bigEndianBytes.drop { $0 == 0 })
    }

    /// The number of significant bits (0 for zero).
    public var bitWidth: Int {
        let words = [limbs.0, limbs.1, limbs.2, limbs.3]
        for (index, word) in words.enumerated() where word != 0 {
            return (3 - index) * 64 + (64 - word.leadingZeroBitCount)
        }
        return 0
    }

    /// The value as a `UInt64`, or nil when it does not fit.
    public var exactUInt64: UInt64? {
        limbs.0 == 0 && limbs.1 == 0 && limbs.2 == 0 ? limbs.3 : nil
    }

    /// `self + other`, and whether the true sum overflowed 256 bits.
    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (d, c3) = limbs.3.addingReportingOverflow(other.limbs.3)
        let (c, c2) = add(limbs.2, other.limbs.2, carry: c3)
        let (b, c1) = add(limbs.1, other.limbs.1, carry: c2)
        let (a, c0) = add(limbs.0, other.limbs.0, carry: c1)
        return (UInt256(limbs: (a, b, c, d)), c0)
    }

    /// A value from decimal digits (no sign, no separators, at most 78 digits).
    /// - Throws: `UInt256Error` for anything else or a value of 2^256 or more.
    public init(decimal text: String) throws(UInt256Error) {
        guard !text.isEmpty, text.count <= 78, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .invalidDecimal(text)
        }
        var value = UInt256.zero
        for digit in text.utf8 {
            let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = scaled.addingReportingOverflow(UInt256(UInt64(digit - 0x30)))
            guard !overflow, !carry else { throw .tooLarge }
            value = sum
        }
        self = value
    }

    /// The value times a 64-bit factor, and whether the product overflowed 256 bits.
    public func multipliedReportingOverflow(by factor: UInt64) -> (partialValue: UInt256, overflow: Bool) {
        let d = limbs.3.multipliedFullWidth(by: factor)
        let c = limbs.2.multipliedFullWidth(by: factor)
        let b = limbs.1.multipliedFullWidth(by: factor)
        let a = limbs.0.multipliedFullWidth(by: factor)
        let (c1, k1) = c.low.addingReportingOverflow(d.high)
        let (b1, k2) = b.low.addingReportingOverflow(c.high &+ (k1 ? 1 : 0))
        let (a1, k3) = a.low.addingReportingOverflow(b.high &+ (k2 ? 1 : 0))
        let overflow = a.high != 0 || k3
        return (UInt256(limbs: (a1, b1, c1, d.low)), overflow)
    }

    /// Decimal digits, no leading zeros.
    public var decimalDescription: String {
        guard self != .zero else { return "0" }
        var value = self
        var digits: [UInt8] = []
        while value != .zero {
            let (quotient, remainder) = value.dividedBySmall(10)
            digits.append(UInt8(remainder) + 0x30)
            value = quotient
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// Quotient and remainder of a division by a non-zero 64-bit divisor.
    func dividedBySmall(_ divisor: UInt64) -> (UInt256, UInt64) {
        var remainder: UInt64 = 0
        var out: [UInt64] = []
        for limb in [limbs.0, limbs.1, limbs.2, limbs.3] {
            let (q, r) = divisor.dividingFullWidth((high: remainder, low: limb))
            out.append(q)
            remainder = r
        }
        return (UInt256(limbs: (out[0], out[1], out[2], out[3])), remainder)
    }

    /// Lower-case hex with `0x` and no leading zeros (`0x0` for zero), the JSON-RPC quantity form.
    public var description: String {
        let digits = Hex.encode(minimalBigEndianBytes).drop { $0 == "0" }
        return "0x" + (digits.isEmpty ? "0" : String(digits))
    }

    public static func == (lhs: UInt256, rhs: UInt256) -> Bool {
        lhs.limbs.0 == rhs.limbs.0 && lhs.limbs.1 == rhs.limbs.1 && lhs.limbs.2 == rhs.limbs.2
            && lhs.limbs.3 == rhs.limbs.3
    }

    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        [lhs.limbs.0, lhs.limbs.1, lhs.limbs.2, lhs.limbs.3].lexicographicallyPrecedes(
            [rhs.limbs.0, rhs.limbs.1, rhs.limbs.2, rhs.limbs.3])
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
    }
}

extension UInt256: ExpressibleByIntegerLiteral {
    /// A literal that fits in 64 bits; larger values come from `init(hex:)` or `init(bigEndian:)`.
    public init(integerLiteral value: UInt64) { self.init(value) }
}

/// Why bytes or text are not a 256-bit unsigned value.
public enum UInt256Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// More than 32 bytes (the count given).
    case tooLong(Int)
    /// Not hex digits.
    case invalidHex(String)
    /// Text that is not decimal digits.
    case invalidDecimal(String)
    /// A decimal value of 2^256 or more.
    case tooLarge

    public var description: String {
        switch self {
        case .tooLong(let count): "a 256-bit value has at most 32 bytes, got \(count)"
        case .invalidHex(let text): "not a hex number: \(text)"
        case .invalidDecimal(let text): "not a decimal number: \(text.prefix(80))"
        case .tooLarge: "the value is 2^256 or more"
        }
    }
}

/// One limb of an addition: `a + b + carry` and the carry out.
private func add(_ a: UInt64, _ b: UInt64, carry: Bool) -> (UInt64, Bool) {
    let (sum, first) = a.addingReportingOverflow(b)
    let (total, second) = sum.addingReportingOverflow(carry ? 1 : 0)
    return (total, first || second)
}
