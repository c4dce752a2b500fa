/// ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381, suite 0x03): a verifiable random function.
///
/// A prover with a secret key turns an input `alpha` into a 64-byte output `beta` and an 80-byte
/// proof that anyone holding the public key can check. Only the key holder can compute `beta`, and
/// for each key and input there is exactly one valid `beta`.
///
/// Point and scalar arithmetic is libsodium's. Verification is stricter than RFC 9381 in one way
/// (Docs/adr/0002-hashing-and-proof-formats.md): the public key and `Gamma` must lie in the
/// prime-order subgroup. Honest keys and proofs always do, so no honest proof is rejected.
public enum VRF {
    /// RFC 9381 suite string for ECVRF-EDWARDS25519-SHA512-TAI.
    static let suite: UInt8 = 0x03
    /// Challenge length in bytes (cLen).
    static let challengeLength = 16

    /// A VRF secret key: the same 32-byte seed format as an Ed25519 key.
    ///
    /// Use a key of its own for the VRF rather than a node's signing key.
    public struct SecretKey: Sendable {
        let key: Ed25519.PrivateKey

        /// The key for a 32-byte seed.
        public init(seed: [UInt8]) throws(KeyError) { key = try Ed25519.PrivateKey(seed: seed) }

        /// A new random key.
        public static func generate() -> SecretKey { SecretKey(key: .generate()) }

        private init(key: Ed25519.PrivateKey) { self.key = key }

        /// The public key (an Ed25519 public key).
        public var publicKey: Ed25519.PublicKey { key.publicKey }

        /// The 32-byte seed.
        public var seed: [UInt8] { key.seed }
    }

    /// An 80-byte proof: `Gamma (32) ‖ c (16) ‖ s (32)`, scalars little-endian.
    public struct Proof: Hashable, Sendable, CustomStringConvertible {
        /// The 80 bytes.
        public let bytes: [UInt8]

        /// A proof from its 80 bytes (only the length is checked here; `verify` checks the rest).
        public init(_ bytes: [UInt8]) throws(KeyError) {
            guard bytes.count == 80 else { throw .invalidLength(expected: 80, actual: bytes.count) }
            self.bytes = bytes
        }

        fileprivate init(validated bytes: [UInt8]) { self.bytes = bytes }

        /// The 64-byte output `beta` this proof commits to (ECVRF_proof_to_hash).
        ///
        /// Only meaningful for a proof that `verify` accepted; use `verify`'s result otherwise.
        public var unverifiedOutput: [UInt8]? {
            let gamma = Array(bytes[0..<32])
            guard VRF.isCanonicalEncoding(gamma), let cleared = VRF.clearCofactor(gamma) else {
                return nil
            }
            return VRF.proofToHash(clearedGamma: cleared)
        }

        public var description: String { Hex.encode(bytes) }
    }

    /// The proof for input `alpha` under `secretKey`.
    /// - Throws: `VRFError.encodeToCurveFailed` if no curve point is found for this input in 256
    ///   tries, which happens with probability about 2^-256.
    public static func prove(_ alpha: [UInt8], secretKey: SecretKey) throws(VRFError) -> Proof {
        let expanded = Hashing.sha512(secretKey.seed)
        var scalar = Array(expanded[0..<32])
        scalar[0] &= 248
        scalar[31] &= 127
        scalar[31] |= 64
        let x = Sodium.scalarReduce(scalar + [UInt8](repeating: 0, count: 32))
        let publicKey = secretKey.publicKey.bytes
        let h = try encodeToCurve(publicKey: publicKey, alpha: alpha)
        guard let gamma = Sodium.scalarMultiply(x, h) else { throw .encodeToCurveFailed }
        let k = Sodium.scalarReduce(Hashing.sha512(Array(expanded[32..<64]) + h))
        guard let kB = Sodium.scalarMultiplyBase(k), let kH = Sodium.scalarMultiply(k, h) else {
            throw .encodeToCurveFailed
        }
        let c = challenge(publicKey, h, gamma, kB, kH)
        let s = Sodium.scalarMultiplyAdd(c + [UInt8](repeating: 0, count: 16), x, k)
        return Proof(validated: gamma + c + s)
    }

    /// Checks `proof` for `alpha` under `publicKey` and returns the 64-byte output `beta`.
    /// - Throws: `VRFError` saying which check failed.
    public static func verify(_ alpha: [UInt8], proof: Proof, publicKey: Ed25519.PublicKey) throws(VRFError) -> [UInt8]
    {
        let y = publicKey.bytes
        guard Sodium.isValidPoint(y) else { throw .invalidPublicKey }
        let gammaBytes = Array(proof.bytes[0..<32])
        let c = Array(proof.bytes[32..<48])
        let s = Array(proof.bytes[48..<80])
        // libsodium's validity check is stricter than RFC 8032 decoding (canonical, on the curve, prime order).
        guard Sodium.isValidPoint(gammaBytes) else { throw .invalidGamma }
        guard isCanonicalScalar(s) else { throw .nonCanonicalScalar }
        let h = try encodeToCurve(publicKey: y, alpha: alpha)
        let cWide = c + [UInt8](repeating: 0, count: 16)
        // U = s·B − c·Y and V = s·H − c·Γ; a zero scalar (identity product) cannot occur in a valid proof.
        guard let sB = Sodium.scalarMultiplyBase(s), let cY = Sodium.scalarMultiply(cWide, y),
            let sH = Sodium.scalarMultiply(s, h), let cGamma = Sodium.scalarMultiply(cWide, gammaBytes),
            let u = Sodium.pointSubtract(sB, cY), let v = Sodium.pointSubtract(sH, cGamma)
        else { throw .verificationFailed }
        guard challenge(y, h, gammaBytes, u, v) == c else { throw .verificationFailed }
        guard let cleared = clearCofactor(gammaBytes) else { throw .invalidGamma }
        return proofToHash(clearedGamma: cleared)
    }

    // MARK: - RFC 9381 building blocks

    /// ECVRF_encode_to_curve_try_and_increment (section 5.4.1.1), with the cofactor cleared.
    static func encodeToCurve(publicKey: [UInt8], alpha: [UInt8]) throws(VRFError) -> [UInt8] {
        var input = [suite, 0x01] + publicKey + alpha + [0, 0x00]
        let counterIndex = input.count - 2
        for counter in 0...255 {
            input[counterIndex] = UInt8(counter)
            let candidate = Array(Hashing.sha512(input)[0..<32])
            // The first doubling inside clearCofactor decodes the point, so no separate decode is needed.
            if isCanonicalEncoding(candidate), let h = clearCofactor(candidate), h != identity {
                return h
            }
        }
        throw .encodeToCurveFailed
    }

    /// The challenge (section 5.4.3): the first 16 bytes of SHA-512 over the five points.
    static func challenge(_ p1: [UInt8], _ p2: [UInt8], _ p3: [UInt8], _ p4: [UInt8], _ p5: [UInt8]) -> [UInt8] {
        let input = [suite, 0x02] + p1 + p2 + p3 + p4 + p5 + [0x00]
        return Array(Hashing.sha512(input)[0..<challengeLength])
    }

    /// ECVRF_proof_to_hash (section 5.2) from `cofactor · Gamma`.
    static func proofToHash(clearedGamma: [UInt8]) -> [UInt8] {
        Hashing.sha512([suite, 0x03] + clearedGamma + [0x00])
    }

    /// The checks RFC 8032 decoding makes that libsodium's decoder does not: `y < p`, and no `x = 0`
    /// with the sign bit set. Whether the point is on the curve is left to libsodium.
    static func isCanonicalEncoding(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 32 else { return false }
        var y = bytes
        let signBit = y[31] >> 7
        y[31] &= 0x7f
        if !lessThanFieldPrime(y) { return false }
        return !(signBit == 1 && (y == one || y == minusOne))
    }

    /// `8 · P` by three doublings (scalar multiplication in libsodium only accepts subgroup points).
    static func clearCofactor(_ point: [UInt8]) -> [UInt8]? {
        guard let p2 = Sodium.pointAdd(point, point), let p4 = Sodium.pointAdd(p2, p2) else { return nil }
        return Sodium.pointAdd(p4, p4)
    }

    /// True when the 32-byte little-endian `scalar` is below the group order L.
    static func isCanonicalScalar(_ scalar: [UInt8]) -> Bool {
        for index in stride(from: 31, through: 0, by: -1) where scalar[index] != groupOrder[index] {
            return scalar[index] < groupOrder[index]
        }
        return false
    }

    private static func lessThanFieldPrime(_ y: [UInt8]) -> Bool {
        for index in stride(from: 31, through: 0, by: -1) where y[index] != fieldPrime[index] {
            return y[index] < fieldPrime[index]
        }
        return false
    }

    /// The identity point (0, 1).
    static let identity: [UInt8] = [1] + [UInt8](repeating: 0, count: 31)
    private static let one: [UInt8] = identity
    /// p − 1 = 2^255 − 20, little-endian.
    private static let minusOne: [UInt8] = [0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f]
    /// p = 2^255 − 19, little-endian.
    private static let fieldPrime: [UInt8] = [0xed] + [UInt8](repeating: 0xff, count: 30) + [0x7f]
    /// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    private static let groupOrder: [UInt8] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ]
}

/// Why a VRF proof was not accepted.
public enum VRFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The public key is not a valid prime-order point.
    case invalidPublicKey
    /// `Gamma` is not a canonical prime-order point.
    case invalidGamma
    /// `s` is not below the group order.
    case nonCanonicalScalar
    /// The challenge does not match: the proof is not for this key and input.
    case verificationFailed
    /// Hashing to the curve found no point in 256 tries (probability about 2^-256).
    case encodeToCurveFailed

    public var description: String {
        switch self {
        case .invalidPublicKey: "VRF public key is not a valid prime-order point"
        case .invalidGamma: "VRF proof's Gamma is not a valid prime-order point"
        case .nonCanonicalScalar: "VRF proof's s is not below the group order"
        case .verificationFailed: "VRF proof does not verify for this public key and input"
        case .encodeToCurveFailed: "no curve point found for this VRF input"
        }
    }
}
