/// The application's say over an update, beyond the channel invariants (the "app rule hook").
///
/// The machine calls it after the invariants hold, on the receiving side only: a proposer is
/// trusted to propose what its own application wants. The meter's rule checks that a checkpoint
/// pays only for proven units.
public protocol ChannelAppRule: Sendable {
    /// Checks that `proposer` (a participant index) may move the channel from `current` to `next`.
    /// - Throws: `UpdateRejection.appRule` (or another case) when it may not.
    func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection)
}

/// Plain payments: the proposer may only give. The receiver's balance must not go down, and the
/// locked funds and application data must stay as they are (a payment cannot open, move or
/// release a sub-allocation). A final state under the same conditions is a cooperative close.
public struct PaymentRule: ChannelAppRule {
    /// The rule.
    public init() {}

    public func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection) {
        let receiver = 1 - proposer
        guard next.allocation.balances[receiver] >= current.allocation.balances[receiver] else {
            throw .appRule(
                "a payment may not take from the receiver (balance \(current.allocation.balances[receiver]) "
                    + "would become \(next.allocation.balances[receiver]))")
        }
        guard next.allocation.locked == current.allocation.locked, next.appData == current.appData else {
            throw .appRule("a payment may not change locked funds or application data")
        }
    }
}
