import ChainConfiguration
import Primitives
import Testing

@Suite("Ratio")
struct RatioTests {
    @Test("fractions and decimals parse to exact reduced ratios")
    func parsing() throws {
        #expect(try Ratio(parsing: "2/3") == Ratio.twoThirds)
        #expect(try Ratio(parsing: "4/6") == Ratio.twoThirds)
        #expect(try Ratio(parsing: "0.05") == Ratio(1, 20))
        #expect(try Ratio(parsing: "0.00001") == Ratio(1, 100_000))
        #expect(try Ratio(parsing: "1e-5") == Ratio(1, 100_000))
        #expect(try Ratio(parsing: "0.8") == Ratio(4, 5))
        #expect(try Ratio(parsing: "1") == Ratio.one)
        #expect(try Ratio(parsing: "0") == Ratio.zero)
        #expect(try Ratio(parsing: "1_000/3_000") == Ratio(1, 3))
        let reduced = try Ratio(6, 4)
        #expect(reduced.numerator == 3 && reduced.denominator == 2)

        #expect(throws: RatioError.zeroDenominator) { try Ratio(parsing: "1/0") }
        #expect(throws: RatioError.malformed("1/2/3")) { try Ratio(parsing: "1/2/3") }
        #expect(throws: RatioError.malformed("abc")) { try Ratio(parsing: "abc") }
        #expect(throws: RatioError.malformed("")) { try Ratio(parsing: "") }
        #expect(throws: RatioError.negative("-0.5")) { try Ratio(parsing: "-0.5") }
        #expect(throws: RatioError.unrepresentable("0.12345678901234567890123")) {
            try Ratio(parsing: "0.12345678901234567890123")
        }
        // Extreme exponents built in code are errors, not traps.
        let tiny = TOMLDecimal(isNegative: false, digits: [1], exponent: Int.min)
        #expect(tiny.description == "1e\(Int.min)")
        #expect(throws: RatioError.self) { try Ratio(decimal: tiny) }
        let huge = TOMLDecimal(isNegative: false, digits: [1, 0], exponent: Int.max)
        #expect(throws: RatioError.self) { try Ratio(decimal: huge) }
    }

    @Test("comparison and flooring multiplication are exact in 128 bits")
    func arithmetic() throws {
        #expect(Ratio.twoThirds > Ratio.half)
        #expect(try Ratio(2, 3) < Ratio(667, 1000))
        #expect(try !(Ratio(2, 3) < Ratio(4, 6)))
        // 5% of 1,000,001 rounds down to 50,000.
        #expect(try Ratio(1, 20).floorMultiply(1_000_001) == 50_000)
        #expect(try Ratio(1, 100_000).floorMultiply(99_999) == 0)
        #expect(Ratio.twoThirds.floorMultiply(UInt64.max) == 12_297_829_382_473_034_410)
        #expect(try Ratio(3, 2).floorMultiply(UInt64.max) == nil)
        #expect(Ratio.one.floorMultiply(UInt64.max) == UInt64.max)
    }

    @Test("decimal text when finite, n/d otherwise; the canonical encoding refuses unreduced values")
    func textAndEncoding() throws {
        #expect(try Ratio(1, 20).description == "0.05")
        #expect(try Ratio(1, 100_000).description == "0.00001")
        #expect(try Ratio(4, 5).description == "0.8")
        #expect(try Ratio(7, 4).description == "1.75")
        #expect(Ratio.twoThirds.description == "2/3")
        #expect(Ratio.one.description == "1")
        #expect(try Ratio(1, 1 << 40).description == "1/1099511627776")  // 40 decimal places would not parse back
        for ratio in [try Ratio(1, 20), Ratio.twoThirds, try Ratio(1, 1 << 40), try Ratio(123_456_789, 1_000_000)] {
            #expect(try Ratio(parsing: ratio.description) == ratio)
            #expect(try Canonical.decode(Ratio.self, from: Canonical.encode(ratio)) == ratio)
        }
        var encoder = CanonicalEncoder()
        encoder.write(UInt64(2))
        encoder.write(UInt64(4))
        #expect(throws: CodecError.self) { try Canonical.decode(Ratio.self, from: encoder.bytes) }
    }
}
