/// Ed25519 verification under the cofactored rule of ADR 0018, one signature at a time or many
/// with one multi-scalar multiplication.
///
/// A signature (R, s) by key A on message M is valid when
/// - s is canonical (s < L), and A and R are canonical encodings of curve points of which neither
///   has small order (the same encoding checks libsodium makes), and
/// - [8]([s]B − R − [h]A) is the identity, h = SHA-512(R ‖ A ‖ M) mod L.
///
/// libsodium checks R = [s]B − [h]A instead (cofactorless). Every honestly made signature passes
/// both; they differ only on signatures built with torsion components on purpose. The cofactored
/// equation is the one a batch can check: for random 128-bit z_i,
/// [8](Σ z_i·R_i + Σ (z_i·h_i)·A_i − (Σ z_i·s_i)·B) is the identity when every signature is valid,
/// and is not, except with probability about 2^−128, when one is not, whatever the z_i. So the
/// verdict of a batch is that of checking its signatures one by one, on every validator.
///
/// Variable-time: signatures, keys and messages are public.
public enum Ed25519Cofactored {
    /// One signature to check.
    public struct Item: Sendable {
        public let publicKey: Ed25519.PublicKey
        public let signature: Ed25519.Signature
        public let message: [UInt8]

        /// A signature by `publicKey` on `message`.
        public init(publicKey: Ed25519.PublicKey, signature: Ed25519.Signature, message: [UInt8]) {
            self.publicKey = publicKey
            self.signature = signature
            self.message = message
        }
    }

    /// True when `item`'s signature is valid under the cofactored rule.
    public static func verify(_ item: Item) -> Bool {
        guard let prepared = Prepared(item) else { return false }
        var one = [UInt8](repeating: 0, count: 32)
        one[0] = 1
        return check([prepared], weights: [one])
    }

    /// True when every signature in `items` is valid (true for none); one multi-scalar
    /// multiplication for all of them, with weights drawn from `generator`, which must be a
    /// cryptographically secure source (the default is the system's).
    public static func verifyAll(_ items: [Item]) -> Bool {
        var generator = SystemRandomNumberGenerator()
        return verifyAll(items, using: &generator)
    }

    /// `verifyAll` with the weights drawn from `generator`.
    public static func verifyAll(_ items: [Item], using generator: inout some RandomNumberGenerator) -> Bool {
        var prepared: [Prepared] = []
        prepared.reserveCapacity(items.count)
        for item in items {
            guard let ready = Prepared(item) else { return false }
            prepared.append(ready)
        }
        return check(prepared, weights: randomWeights(prepared.count, using: &generator))
    }

    /// The verdict on each signature of `items`, in order: all checked at once, and when that
    /// fails, each alone (libsodium first). One bad signature then costs one batch plus a single
    /// check per signature, never more: halving the batch would find it cheaper, but would let a
    /// sender of many bad signatures make a validator do several times the work of checking them
    /// one by one.
    /// Fewer signatures than `smallestBatch` are checked one by one: below it a batch costs more
    /// per signature than libsodium (`aether bench primitives --only ed25519-batch`).
    public static func verifyEach(_ items: [Item]) -> [Bool] {
        guard items.count >= smallestBatch else {
            return items.map { $0.publicKey.isValidSignature($0.signature, for: $0.message, rule: .cofactored) }
        }
        var generator = SystemRandomNumberGenerator()
        let prepared = items.map(Prepared.init)
        let ready = prepared.compactMap { $0 }
        if !ready.isEmpty, check(ready, weights: randomWeights(ready.count, using: &generator)) {
            return prepared.map { $0 != nil }
        }
        return zip(items, prepared).map { item, ready in
            ready != nil && item.publicKey.isValidSignature(item.signature, for: item.message, rule: .cofactored)
        }
    }

    /// The fewest signatures `verifyEach` checks as a batch.
    public static let smallestBatch = 12

    // MARK: - The check

    /// A signature whose encodings passed: its points decoded, its scalars ready.
    struct Prepared {
        let publicKey: [UInt8]
        let a: EdwardsPoint
        let r: EdwardsPoint
        let s: [UInt8]
        let h: [UInt8]

        init?(_ item: Item) {
            let signature = item.signature.bytes
            let key = item.publicKey.bytes
            guard signature.count == 64, key.count == 32 else { return nil }
            let s = Array(signature[32...])
            guard Ed25519Cofactored.isCanonicalScalar(s) else { return nil }
            guard let a = key.withUnsafeBytes({ EdwardsPoint(decoding: $0, at: 0) }), !a.hasSmallOrder,
                let r = signature.withUnsafeBytes({ EdwardsPoint(decoding: $0, at: 0) }), !r.hasSmallOrder
            else { return nil }
            var preimage = Array(signature[..<32])
            preimage.reserveCapacity(64 + item.message.count)
            preimage += key
            preimage += item.message
            publicKey = key
            self.a = a
            self.r = r
            self.s = s
            h = Sodium.scalarReduce(Hashing.sha512(preimage))
        }
    }

    /// [8](Σ w_i·R_i + Σ (w_i·h_i)·A_i − (Σ w_i·s_i)·B) is the identity. Equal keys share one point.
    static func check(_ signatures: [Prepared], weights: [[UInt8]]) -> Bool {
        guard !signatures.isEmpty else { return true }
        let zero = [UInt8](repeating: 0, count: 32)
        var baseScalar = zero
        var points: [EdwardsPoint] = [EdwardsPoint.base.negated]
        var scalars: [[UInt8]] = [zero]
        var keyPosition: [[UInt8]: Int] = [:]
        points.reserveCapacity(2 * signatures.count + 1)
        scalars.reserveCapacity(2 * signatures.count + 1)
        for (signature, weight) in zip(signatures, weights) {
            baseScalar = Sodium.scalarMultiplyAdd(weight, signature.s, baseScalar)
            points.append(signature.r)
            scalars.append(weight)
            if let position = keyPosition[signature.publicKey] {
                scalars[position] = Sodium.scalarMultiplyAdd(weight, signature.h, scalars[position])
            } else {
                keyPosition[signature.publicKey] = points.count
                points.append(signature.a)
                scalars.append(Sodium.scalarMultiplyAdd(weight, signature.h, zero))
            }
        }
        scalars[0] = baseScalar
        return MultiScalar.sum(points, scalars).timesCofactor.isIdentity
    }

    /// Weights of 128 random bits each (nonzero), as 32-byte scalars.
    static func randomWeights(_ count: Int, using generator: inout some RandomNumberGenerator) -> [[UInt8]] {
        (0..<count).map { _ in
            var weight = [UInt8](repeating: 0, count: 32)
            repeat {
                withUnsafeBytes(of: generator.next()) { weight.replaceSubrange(0..<8, with: $0) }
                withUnsafeBytes(of: generator.next()) { weight.replaceSubrange(8..<16, with: $0) }
            } while weight.allSatisfy { $0 == 0 }
            return weight
        }
    }

    /// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    static let order: [UInt8] = [
        0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ]

    /// True when the 32-byte little-endian `scalar` is below L.
    static func isCanonicalScalar(_ scalar: [UInt8]) -> Bool {
        for index in stride(from: 31, through: 0, by: -1) where scalar[index] != order[index] {
            return scalar[index] < order[index]
        }
        return false
    }
}

/// Multi-scalar multiplication: Pippenger's bucket method with signed digits.
enum MultiScalar {
    /// Σ scalars[i]·points[i], each scalar 32 bytes little-endian, below 2^255.
    static func sum(_ points: [EdwardsPoint], _ scalars: [[UInt8]]) -> EdwardsPoint {
        let width = windowWidth(points.count)
        let windows = (256 + width - 1) / width + 1
        var digits = [Int32](repeating: 0, count: points.count * windows)
        var highest = 0
        for (index, scalar) in scalars.enumerated() {
            highest = max(highest, recode(scalar, width: width, into: &digits, at: index * windows, windows: windows))
        }
        let cached = points.map(\.cached)
        var result = EdwardsPoint.identity
        var buckets = [EdwardsPoint](repeating: .identity, count: 1 << (width - 1))
        var filled = [Bool](repeating: false, count: buckets.count)
        for window in stride(from: highest, through: 0, by: -1) {
            if window != highest {
                for _ in 0..<width { result = result.doubled() }
            }
            for index in 0..<filled.count { filled[index] = false }
            for point in 0..<points.count {
                let digit = Int(digits[point * windows + window])
                if digit > 0 {
                    buckets[digit - 1] = filled[digit - 1] ? buckets[digit - 1].adding(cached[point]) : points[point]
                    filled[digit - 1] = true
                } else if digit < 0 {
                    buckets[-digit - 1] =
                        filled[-digit - 1]
                        ? buckets[-digit - 1].subtracting(cached[point]) : points[point].negated
                    filled[-digit - 1] = true
                }
            }
            // Σ j·bucket_j as running sums from the top bucket down.
            var running = EdwardsPoint.identity
            var total = EdwardsPoint.identity
            var started = false
            for bucket in stride(from: buckets.count - 1, through: 0, by: -1) {
                if filled[bucket] {
                    running = started ? running.adding(buckets[bucket].cached) : buckets[bucket]
                    started = true
                }
                if started { total = total.adding(running.cached) }
            }
            result = result.adding(total.cached)
        }
        return result
    }

    /// The window width that minimises the additions for `count` points.
    static func windowWidth(_ count: Int) -> Int {
        var best = 2
        var bestCost = Int.max
        for width in 2...12 {
            let cost = (256 / width + 1) * (count + (1 << (width - 1)) * 2)
            if cost < bestCost {
                bestCost = cost
                best = width
            }
        }
        return best
    }

    /// Writes the signed base-2^width digits of `scalar` (each in [−2^(width−1), 2^(width−1)))
    /// into `digits[offset...]`; returns the index of the highest nonzero one (0 when none).
    static func recode(_ scalar: [UInt8], width: Int, into digits: inout [Int32], at offset: Int, windows: Int) -> Int {
        let words: [UInt64] = (0..<4).map { word in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(scalar[8 * word + $1]) << (8 * $1) }
        }
        let radix = Int64(1) << width
        let mask = UInt64(radix - 1)
        var carry: Int64 = 0
        var highest = 0
        for window in 0..<windows {
            let bit = window * width
            var bits: UInt64 = 0
            if bit < 256 {
                let word = bit / 64
                let shift = bit % 64
                bits = words[word] >> shift
                if shift > 0, word + 1 < 4 { bits |= words[word + 1] << (64 - shift) }
                bits &= mask
            }
            var value = Int64(bits) + carry
            carry = value >= radix / 2 ? 1 : 0
            value -= carry * radix
            digits[offset + window] = Int32(value)
            if value != 0 { highest = window }
        }
        return highest
    }
}
