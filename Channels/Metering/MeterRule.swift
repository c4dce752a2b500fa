public import ChannelCore

/// The meter's app rule for `ChannelMachine`: a received update that touches a session must be
/// exactly `MeterUpdates.checkpoint` or `.close` of the current state for some unit count, and
/// for no more units than `maximumUnits` allows.
///
/// The provider installs `MeterProvider.rule` (units = what it verified, exactly); the payer
/// installs `MeterPayer.rule` (at most what it paid), so neither side signs a checkpoint that
/// pays for units it cannot prove or did not pay. Updates outside a session (plain payments,
/// opening) pass when the current state has no session.
public struct MeterRule: ChannelAppRule {
    /// The unit counts a checkpoint or close may settle.
    public let acceptedUnits: ClosedRange<UInt64>

    /// A rule accepting settlements of `acceptedUnits` units.
    public init(acceptedUnits: ClosedRange<UInt64>) {
        self.acceptedUnits = acceptedUnits
    }

    public func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection) {
        guard !current.appData.isEmpty else { return }
        let commitment: MeterCommitment
        do {
            commitment = try MeterCommitment(of: current)
        } catch {
            throw .appRule(error.description)
        }
        let units: UInt64
        if next.isFinal {
            units = try settledUnits(current: current, next: next, commitment: commitment, closing: true)
        } else {
            units = try settledUnits(current: current, next: next, commitment: commitment, closing: false)
        }
        guard acceptedUnits.contains(units) else {
            throw .appRule(
                "settles \(units) units; this side accepts \(acceptedUnits.lowerBound)...\(acceptedUnits.upperBound)")
        }
    }

    /// The unit count whose settlement turns `current` into `next`, found from the provider's gain.
    private func settledUnits(current: ChannelState, next: ChannelState, commitment: MeterCommitment, closing: Bool)
        throws(UpdateRejection) -> UInt64
    {
        let provider = Int(commitment.providerIndex)
        guard next.allocation.balances[provider] >= current.allocation.balances[provider] else {
            throw .appRule("the provider's balance went down")
        }
        let gained = next.allocation.balances[provider] - current.allocation.balances[provider]
        let price = commitment.terms.unitPrice
        let units = price == 0 ? 0 : gained / price
        guard price == 0 || gained % price == 0 else {
            throw .appRule("the provider gained \(gained), not a multiple of the price")
        }
        var expected: ChannelState
        do {
            if closing {
                expected = try MeterUpdates.close(from: current, units: units)
            } else {
                let nextRoot = (try? MeterCommitment(of: next))?.root ?? commitment.root
                expected = try MeterUpdates.checkpoint(from: current, units: units, nextRoot: nextRoot)
            }
        } catch {
            throw .appRule(error.description)
        }
        expected.version = next.version
        guard expected == next else { throw .appRule("the update is not a checkpoint or close of the open session") }
        return units
    }
}
