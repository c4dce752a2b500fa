/// A token bucket: holds up to `capacity` tokens, refills at `refillPerSecond`, and lets an
/// amount through only when that many tokens are there.
///
/// Time is a value (`now`, any monotonic origin), so tests drive it directly.
package struct TokenBucket: Sendable, Equatable {
    /// The most tokens the bucket holds (the burst).
    package let capacity: Double
    /// Tokens added per second.
    package let refillPerSecond: Double
    /// Tokens available at `updatedAt`.
    package private(set) var tokens: Double
    private var updatedAt: Duration

    /// A full bucket at time `now`.
    package init(capacity: Double, refillPerSecond: Double, now: Duration) {
        self.capacity = max(0, capacity)
        self.refillPerSecond = max(0, refillPerSecond)
        tokens = self.capacity
        updatedAt = now
    }

    /// Takes `amount` tokens if available at `now`; false (and nothing taken) otherwise.
    package mutating func take(_ amount: Double, now: Duration) -> Bool {
        refill(now: now)
        guard amount <= tokens else { return false }
        tokens -= amount
        return true
    }

    private mutating func refill(now: Duration) {
        guard now > updatedAt else { return }
        let elapsed = (now - updatedAt).seconds
        tokens = min(capacity, tokens + elapsed * refillPerSecond)
        updatedAt = now
    }
}

extension Duration {
    /// This duration in seconds, as a `Double`.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
