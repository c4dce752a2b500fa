/// A deterministic, seedable random number generator (SplitMix64).
///
/// For simulations, property tests and benchmarks that must replay exactly from a printed seed.
/// Not for keys or nonces: those come from the system's secure source (libsodium).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole output is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = next().littleEndian
            let take = min(8, count - index)
            withUnsafeBytes(of: &word) { source in
                for offset in 0..<take { out[index + offset] = source[offset] }
            }
            index += take
        }
        return out
    }
}
