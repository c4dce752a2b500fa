public import ChannelCore

/// The meter's app rule for `ChannelMachine`: a received update that touches a session must be
/// exactly `MeterUpdates.checkpoint` or `.close` of the current state for some unit count, and
/// for no more units than `maximumUnits` allows.
///
/// The provider installs `MeterProvider.rule` (units = what it verified, exactly); the payer
/// installs `MeterPayer.rule` (at most what it paid), so neither side signs a checkpoint that
/// pays for units it cannot prove or did not pay. When the current state has no session, an
/// update is either a plain payment (`PaymentRule`) or an opening proposed by the payer, whose
/// terms the receiving provider's `MeterOpenPolicy` must accept.
public struct MeterRule: ChannelAppRule {
    /// The unit counts a checkpoint or close may settle.
    public let acceptedUnits: ClosedRange<UInt64>
    /// The sessions this side accepts being opened with it as the provider (nil: none).
    public let openPolicy: MeterOpenPolicy?

    /// A rule accepting settlements of `acceptedUnits` units, and openings `openPolicy` allows.
    public init(acceptedUnits: ClosedRange<UInt64>, openPolicy: MeterOpenPolicy? = nil) {
        self.acceptedUnits = acceptedUnits
        self.openPolicy = openPolicy
    }

    public func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection) {
        guard !current.appData.isEmpty else {
            try checkWithoutSession(from: current, to: next, proposer: proposer)
            return
        }
        let commitment: MeterCommitment
        do {
            commitment = try MeterCommitment(of: current)
        } catch {
            throw .appRule(error.description)
        }
        let units = try settledUnits(
            current: current, next: next, commitment: commitment, closing: next.isFinal || next.appData.isEmpty)
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
                expected = try MeterUpdates.close(from: current, units: units, final: next.isFinal)
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

    /// No session open: a plain payment, or an opening by the payer with acceptable terms.
    private func checkWithoutSession(from current: ChannelState, to next: ChannelState, proposer: Int)
        throws(UpdateRejection)
    {
        guard !next.appData.isEmpty else {
            try PaymentRule().check(from: current, to: next, proposer: proposer)
            return
        }
        let commitment: MeterCommitment
        do {
            commitment = try MeterCommitment(of: next)
        } catch {
            throw .appRule(error.description)
        }
        guard Int(commitment.providerIndex) == 1 - proposer else {
            throw .appRule("only the payer opens a session, with the other side as the provider")
        }
        guard let policy = openPolicy else { throw .appRule("this side does not provide metered sessions") }
        if let reason = policy.refusal(of: commitment.terms) { throw .appRule(reason) }
        guard let escrow = next.allocation.subAllocation(id: commitment.sessionID)?.amount else {
            throw .appRule("the opening locks no escrow for the session")
        }
        var expected: ChannelState
        do {
            expected = try MeterUpdates.open(
                from: current, sessionID: commitment.sessionID, terms: commitment.terms,
                providerIndex: Int(commitment.providerIndex), escrow: escrow, root: commitment.root)
        } catch {
            throw .appRule(error.description)
        }
        expected.version = next.version
        guard expected == next, commitment.settledUnits == 0 else {
            throw .appRule("the update is not an opening of a session")
        }
    }
}

/// What a provider accepts when a payer opens a session with it.
public struct MeterOpenPolicy: Hashable, Sendable {
    /// The lowest unit price, in AIC base units.
    public var minimumUnitPrice: UInt64
    /// The largest credit window W (the provider's exposure, in units).
    public var maximumCreditWindow: UInt32
    /// The largest segment length K (the hash steps a dispute may need).
    public var maximumSegmentLength: UInt32

    public init(minimumUnitPrice: UInt64, maximumCreditWindow: UInt32, maximumSegmentLength: UInt32) {
        self.minimumUnitPrice = minimumUnitPrice
        self.maximumCreditWindow = maximumCreditWindow
        self.maximumSegmentLength = maximumSegmentLength
    }

    /// Why `terms` are refused, or nil when they are acceptable.
    public func refusal(of terms: MeterTerms) -> String? {
        if terms.unitPrice < minimumUnitPrice {
            return "unit price \(terms.unitPrice) is below the provider's \(minimumUnitPrice)"
        }
        if terms.creditWindow > maximumCreditWindow {
            return "credit window \(terms.creditWindow) is above the provider's \(maximumCreditWindow)"
        }
        if terms.segmentLength > maximumSegmentLength {
            return "segment length \(terms.segmentLength) is above the provider's \(maximumSegmentLength)"
        }
        return nil
    }
}
