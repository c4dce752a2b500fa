/// A peer's misbehaviour score: starts at 0, drops by penalties, recovers toward 0 over time.
///
/// When it reaches the policy's threshold the peer is disconnected and banned. Time is a value.
package struct PeerScore: Sendable, Equatable {
    /// The score at `updatedAt` (≤ 0).
    package private(set) var value: Double = 0
    private var updatedAt: Duration

    /// A clean score at `now`.
    package init(now: Duration) {
        updatedAt = now
    }

    /// The score at `now` after recovery at `recoveryPerSecond`.
    package mutating func current(now: Duration, recoveryPerSecond: Double) -> Double {
        if now > updatedAt {
            value = min(0, value + (now - updatedAt).seconds * max(0, recoveryPerSecond))
            updatedAt = now
        }
        return value
    }

    /// Subtracts `points` at `now` and returns the new score.
    package mutating func penalize(_ points: Double, now: Duration, recoveryPerSecond: Double) -> Double {
        _ = current(now: now, recoveryPerSecond: recoveryPerSecond)
        value -= max(0, points)
        return value
    }

    /// Back to 0 (after a ban has been served).
    package mutating func reset(now: Duration) {
        value = 0
        updatedAt = now
    }
}
