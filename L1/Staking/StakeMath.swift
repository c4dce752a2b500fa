/// Exact integer arithmetic for stake, shares and rewards: 128-bit intermediates, stated rounding,
/// and `nil` instead of a trap when a result does not fit.
enum StakeMath {
    /// `⌊a × b / c⌋`, or nil when `c` is zero or the quotient does not fit in 64 bits.
    static func mulDivFloor(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64? {
        guard c != 0 else { return nil }
        let product = a.multipliedFullWidth(by: b)
        guard product.high < c else { return nil }
        return c.dividingFullWidth(product).quotient
    }

    /// `⌈a × b / c⌉`, or nil when `c` is zero or the quotient does not fit in 64 bits.
    static func mulDivCeil(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64? {
        guard c != 0 else { return nil }
        let product = a.multipliedFullWidth(by: b)
        guard product.high < c else { return nil }
        let (quotient, remainder) = c.dividingFullWidth(product)
        guard remainder != 0 else { return quotient }
        return quotient == .max ? nil : quotient + 1
    }

    /// `a + b`, or nil on overflow.
    static func add(_ a: UInt64, _ b: UInt64) -> UInt64? {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : sum
    }
}
