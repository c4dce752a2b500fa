/// An element of GF(2^255 − 19) in five 51-bit limbs (little-endian), for the variable-time group
/// arithmetic of Ed25519 batch verification (ADR 0018). Public values only: nothing here is
/// constant-time, and nothing here touches a secret.
///
/// Limbs are kept below 2^52 between operations (`mul`, `square`, `add` and `sub` all end with a
/// carry pass), so products of two limbs, times 19, summed five times, fit in 128 bits.
struct Field25519: Equatable {
    var l0: UInt64
    var l1: UInt64
    var l2: UInt64
    var l3: UInt64
    var l4: UInt64

    static let mask: UInt64 = (1 << 51) - 1
    static let zero = Field25519(l0: 0, l1: 0, l2: 0, l3: 0, l4: 0)
    static let one = Field25519(l0: 1, l1: 0, l2: 0, l3: 0, l4: 0)
    /// The curve constant d = −121665/121666.
    static let d = Field25519(
        l0: 0x34dca1_35978a3, l1: 0x1a8283_b156ebd, l2: 0x5e7a26_001c029, l3: 0x739c66_3a03cbb,
        l4: 0x52036c_ee2b6ff)
    /// 2d.
    static let d2 = Field25519(
        l0: 0x69b942_6b2f159, l1: 0x350507_62add7a, l2: 0x3cf44c_0038052, l3: 0x6738cc_7407977,
        l4: 0x2406d9_dc56dff)
    /// A square root of −1: 2^((p−1)/4).
    static let sqrtMinusOne = Field25519(
        l0: 0x61b274_a0ea0b0, l1: 0x0d5a5f_c8f189d, l2: 0x7ef5e9_cbd0c60, l3: 0x78595a_6804c9e,
        l4: 0x2b8324_804fc1d)

    /// The element whose little-endian encoding is `bytes[offset..<offset + 32]`, with the top bit
    /// ignored (a value of p or more is taken modulo p; `EdwardsPoint.isCanonicalY` refuses it).
    init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        func word(_ index: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: offset + 8 * index, as: UInt64.self) }
        let (w0, w1, w2, w3) = (
            UInt64(littleEndian: word(0)), UInt64(littleEndian: word(1)),
            UInt64(littleEndian: word(2)), UInt64(littleEndian: word(3))
        )
        l0 = w0 & Self.mask
        l1 = ((w0 >> 51) | (w1 << 13)) & Self.mask
        l2 = ((w1 >> 38) | (w2 << 26)) & Self.mask
        l3 = ((w2 >> 25) | (w3 << 39)) & Self.mask
        l4 = (w3 >> 12) & Self.mask
    }

    init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64) {
        self.l0 = l0
        self.l1 = l1
        self.l2 = l2
        self.l3 = l3
        self.l4 = l4
    }

    // MARK: - Arithmetic

    @inline(__always)
    static func + (a: Field25519, b: Field25519) -> Field25519 {
        Field25519(l0: a.l0 &+ b.l0, l1: a.l1 &+ b.l1, l2: a.l2 &+ b.l2, l3: a.l3 &+ b.l3, l4: a.l4 &+ b.l4).carried()
    }

    /// a − b, computed as a + 16p − b so no limb goes negative (limbs of b stay below 2^55).
    @inline(__always)
    static func - (a: Field25519, b: Field25519) -> Field25519 {
        Field25519(
            l0: (a.l0 &+ 0x7ffff_ffff_ffed0) &- b.l0, l1: (a.l1 &+ 0x7ffff_ffff_ffff0) &- b.l1,
            l2: (a.l2 &+ 0x7ffff_ffff_ffff0) &- b.l2, l3: (a.l3 &+ 0x7ffff_ffff_ffff0) &- b.l3,
            l4: (a.l4 &+ 0x7ffff_ffff_ffff0) &- b.l4
        ).carried()
    }

    @inline(__always)
    static prefix func - (a: Field25519) -> Field25519 { zero - a }

    /// One carry pass: every limb below 2^51 plus a small excess in `l0`.
    @inline(__always)
    func carried() -> Field25519 {
        var (r, top) = propagated()
        r.l0 &+= top &* 19
        return r
    }

    /// Carries each limb's bits above 51 into the next; returns the limbs, all below 2^51, and
    /// what came out of the top (worth 2^255 each).
    @inline(__always)
    private func propagated() -> (Field25519, UInt64) {
        var r = self
        r.l1 &+= r.l0 >> 51
        r.l0 &= Self.mask
        r.l2 &+= r.l1 >> 51
        r.l1 &= Self.mask
        r.l3 &+= r.l2 >> 51
        r.l2 &= Self.mask
        r.l4 &+= r.l3 >> 51
        r.l3 &= Self.mask
        let top = r.l4 >> 51
        r.l4 &= Self.mask
        return (r, top)
    }

    @inline(__always)
    static func * (a: Field25519, b: Field25519) -> Field25519 {
        let b1 = b.l1 &* 19
        let b2 = b.l2 &* 19
        let b3 = b.l3 &* 19
        let b4 = b.l4 &* 19
        var c0 = Wide(a.l0, b.l0)
        c0.add(a.l1, b4)
        c0.add(a.l2, b3)
        c0.add(a.l3, b2)
        c0.add(a.l4, b1)
        var c1 = Wide(a.l0, b.l1)
        c1.add(a.l1, b.l0)
        c1.add(a.l2, b4)
        c1.add(a.l3, b3)
        c1.add(a.l4, b2)
        var c2 = Wide(a.l0, b.l2)
        c2.add(a.l1, b.l1)
        c2.add(a.l2, b.l0)
        c2.add(a.l3, b4)
        c2.add(a.l4, b3)
        var c3 = Wide(a.l0, b.l3)
        c3.add(a.l1, b.l2)
        c3.add(a.l2, b.l1)
        c3.add(a.l3, b.l0)
        c3.add(a.l4, b4)
        var c4 = Wide(a.l0, b.l4)
        c4.add(a.l1, b.l3)
        c4.add(a.l2, b.l2)
        c4.add(a.l3, b.l1)
        c4.add(a.l4, b.l0)
        return reduce(c0, c1, c2, c3, c4)
    }

    @inline(__always)
    func squared() -> Field25519 {
        let d0 = l0 &* 2
        let d1 = l1 &* 2
        let l3_19 = l3 &* 19
        let l4_19 = l4 &* 19
        var s0 = Wide(l0, l0)
        s0.add(d1, l4_19)
        s0.add(l2 &* 2, l3_19)
        var s1 = Wide(d0, l1)
        s1.add(l2 &* 2, l4_19)
        s1.add(l3, l3_19)
        var s2 = Wide(d0, l2)
        s2.add(l1, l1)
        s2.add(l3 &* 2, l4_19)
        var s3 = Wide(d0, l3)
        s3.add(d1, l2)
        s3.add(l4, l4_19)
        var s4 = Wide(d0, l4)
        s4.add(d1, l3)
        s4.add(l2, l2)
        return Self.reduce(s0, s1, s2, s3, s4)
    }

    /// Carries five 128-bit column sums down to limbs below 2^52.
    @inline(__always)
    static func reduce(_ c0: Wide, _ c1: Wide, _ c2: Wide, _ c3: Wide, _ c4: Wide) -> Field25519 {
        var c1 = c1
        var c2 = c2
        var c3 = c3
        var c4 = c4
        c1.add(c0.shifted51)
        let r0 = c0.low & mask
        c2.add(c1.shifted51)
        let r1 = c1.low & mask
        c3.add(c2.shifted51)
        let r2 = c2.low & mask
        c4.add(c3.shifted51)
        let r3 = c3.low & mask
        let carry = c4.shifted51
        let r4 = c4.low & mask
        let t0 = r0 &+ carry &* 19
        return Field25519(l0: t0 & mask, l1: r1 &+ (t0 >> 51), l2: r2, l3: r3, l4: r4)
    }

    /// self^(2^k).
    func squared(times k: Int) -> Field25519 {
        var r = self
        for _ in 0..<k { r = r.squared() }
        return r
    }

    /// (self^(2^250 − 1), self^11): the common start of the two exponentiations below.
    private func power250() -> (z2_250_1: Field25519, z11: Field25519) {
        let z2 = squared()
        let z9 = z2.squared(times: 2) * self
        let z11 = z9 * z2
        let z2_5_0 = z11.squared() * z9
        let z2_10_0 = z2_5_0.squared(times: 5) * z2_5_0
        let z2_20_0 = z2_10_0.squared(times: 10) * z2_10_0
        let z2_40_0 = z2_20_0.squared(times: 20) * z2_20_0
        let z2_50_0 = z2_40_0.squared(times: 10) * z2_10_0
        let z2_100_0 = z2_50_0.squared(times: 50) * z2_50_0
        let z2_200_0 = z2_100_0.squared(times: 100) * z2_100_0
        return (z2_200_0.squared(times: 50) * z2_50_0, z11)
    }

    /// self^((p − 5)/8) = self^(2^252 − 3), for square roots.
    func powP58() -> Field25519 { power250().z2_250_1.squared(times: 2) * self }

    /// 1/self = self^(p − 2) = self^(2^255 − 21); 0 for 0.
    func inverted() -> Field25519 {
        let (z2_250_1, z11) = power250()
        return z2_250_1.squared(times: 5) * z11
    }

    // MARK: - Canonical form

    /// The unique representative below p, limb by limb.
    func frozen() -> Field25519 {
        var r = carried().carried()
        // Now r < 2^255 + small; subtract p when r ≥ p: add 19 and look at bit 255.
        var q = (r.l0 &+ 19) >> 51
        q = (r.l1 &+ q) >> 51
        q = (r.l2 &+ q) >> 51
        q = (r.l3 &+ q) >> 51
        q = (r.l4 &+ q) >> 51
        r.l0 &+= 19 &* q
        // r + 19q − 2^255·q: the bit that leaves the top is the 2^255 subtracted.
        return r.propagated().0
    }

    /// True for 0 (any representation).
    var isZero: Bool { frozen() == .zero }

    /// The low bit of the canonical value (the "sign" of x in an encoding).
    var isNegative: Bool { frozen().l0 & 1 == 1 }

    /// The 32-byte little-endian canonical encoding.
    var encoded: [UInt8] {
        let r = frozen()
        let words = [
            r.l0 | (r.l1 << 51), (r.l1 >> 13) | (r.l2 << 38), (r.l2 >> 26) | (r.l3 << 25), (r.l3 >> 39) | (r.l4 << 12),
        ]
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in words { withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// Equality of the values (not of the limbs).
    func isEqual(to other: Field25519) -> Bool { (self - other).isZero }
}

/// A 128-bit accumulator of 64 × 64-bit products.
struct Wide {
    var low: UInt64
    var high: UInt64

    @inline(__always)
    init(_ a: UInt64, _ b: UInt64) { (high, low) = a.multipliedFullWidth(by: b) }

    @inline(__always)
    mutating func add(_ a: UInt64, _ b: UInt64) {
        let (h, l) = a.multipliedFullWidth(by: b)
        let (sum, overflow) = low.addingReportingOverflow(l)
        low = sum
        high = high &+ h &+ (overflow ? 1 : 0)
    }

    @inline(__always)
    mutating func add(_ value: UInt64) {
        let (sum, overflow) = low.addingReportingOverflow(value)
        low = sum
        high = high &+ (overflow ? 1 : 0)
    }

    /// The value shifted right by 51 bits (it fits in 64 bits for column sums of reduced limbs).
    @inline(__always)
    var shifted51: UInt64 { (high << 13) | (low >> 51) }
}
