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

/// No application rule: any update that keeps the invariants is acceptable (plain payments).
public struct PaymentRule: ChannelAppRule {
    /// The rule.
    public init() {}

    /// Accepts everything; the invariants have already been checked.
    public func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection) {}
}
