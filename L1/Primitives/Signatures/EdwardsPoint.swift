/// A point of edwards25519 (−x² + y² = 1 + d·x²·y²) in extended coordinates: x = X/Z, y = Y/Z,
/// x·y = T/Z. Variable-time arithmetic on public values, for Ed25519 batch verification.
struct EdwardsPoint {
    var x: Field25519
    var y: Field25519
    var z: Field25519
    var t: Field25519

    static let identity = EdwardsPoint(x: .zero, y: .one, z: .one, t: .zero)

    /// The base point B of RFC 8032 (y = 4/5, x positive).
    static let base: EdwardsPoint = {
        var encoding = [UInt8](repeating: 0x66, count: 32)
        encoding[0] = 0x58
        // The standard base point's encoding always decodes.
        return encoding.withUnsafeBytes { EdwardsPoint(decoding: $0, at: 0)! }
    }()

    /// Decodes the 32-byte encoding at `offset` (RFC 8032, 5.1.3), or nil when it is not the
    /// canonical encoding of a curve point: y must be below p, and x = 0 must come with a clear
    /// sign bit.
    init?(decoding bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard Self.isCanonicalY(bytes, at: offset) else { return nil }
        let sign = bytes[offset + 31] >> 7 == 1
        let y = Field25519(bytes: bytes, offset: offset)
        let y2 = y.squared()
        let u = y2 - .one
        let v = y2 * .d + .one
        let v3 = v.squared() * v
        let v7 = v3.squared() * v
        var x = u * v3 * (u * v7).powP58()
        let check = v * x.squared()
        if !check.isEqual(to: u) {
            guard check.isEqual(to: -u) else { return nil }
            x = x * .sqrtMinusOne
        }
        let xIsZero = x.isZero
        if xIsZero && sign { return nil }
        if x.isNegative != sign { x = -x }
        self.init(x: x, y: y, z: .one, t: x * y)
    }

    init(x: Field25519, y: Field25519, z: Field25519, t: Field25519) {
        self.x = x
        self.y = y
        self.z = z
        self.t = t
    }

    /// True when the little-endian value at `offset`, top bit cleared, is below p = 2^255 − 19.
    static func isCanonicalY(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard bytes[offset + 31] & 0x7F == 0x7F else { return true }
        for index in 1..<31 where bytes[offset + index] != 0xFF { return true }
        return bytes[offset] < 0xED
    }

    // MARK: - Group law

    /// −P.
    var negated: EdwardsPoint { EdwardsPoint(x: -x, y: y, z: z, t: -t) }

    /// The form additions take their second operand in.
    var cached: CachedPoint {
        CachedPoint(yPlusX: y + x, yMinusX: y - x, z2: z + z, t2d: t * .d2)
    }

    /// P + Q (add-2008-hwcd-3 for a = −1).
    @inline(__always)
    func adding(_ q: CachedPoint) -> EdwardsPoint {
        let a = (y - x) * q.yMinusX
        let b = (y + x) * q.yPlusX
        let c = t * q.t2d
        let d = z * q.z2
        let e = b - a
        let f = d - c
        let g = d + c
        let h = b + a
        return EdwardsPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// P − Q: the addition with −Q, whose cached form swaps Y + X and Y − X and negates 2dT.
    @inline(__always)
    func subtracting(_ q: CachedPoint) -> EdwardsPoint {
        adding(CachedPoint(yPlusX: q.yMinusX, yMinusX: q.yPlusX, z2: q.z2, t2d: -q.t2d))
    }

    /// 2P (dbl-2008-hwcd for a = −1, with every intermediate negated, which leaves the result).
    @inline(__always)
    func doubled() -> EdwardsPoint {
        let a = x.squared()
        let b = y.squared()
        let c = z.squared() + z.squared()
        let h = a + b
        let e = h - (x + y).squared()
        let g = a - b
        let f = c + g
        return EdwardsPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// [8]P.
    var timesCofactor: EdwardsPoint { doubled().doubled().doubled() }

    /// True for the neutral element: X = 0 and Y = Z.
    var isIdentity: Bool { x.isZero && y.isEqual(to: z) }

    /// True when [8]P is the identity: P is one of the eight points of small order.
    var hasSmallOrder: Bool { timesCofactor.isIdentity }

    /// The 32-byte encoding (y, with the sign of x in the top bit).
    var encoded: [UInt8] {
        let inverse = z.inverted()
        var out = (y * inverse).encoded
        if (x * inverse).isNegative { out[31] |= 0x80 }
        return out
    }
}

/// A point prepared as the second operand of additions: (Y + X, Y − X, 2Z, 2dT).
struct CachedPoint {
    var yPlusX: Field25519
    var yMinusX: Field25519
    var z2: Field25519
    var t2d: Field25519
}
