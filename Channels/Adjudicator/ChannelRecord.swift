public import ChannelCore
internal import ChannelMetering
public import Primitives

/// What the adjudicator stores per channel (Docs/spec/channels.md, "Adjudicator").
public struct ChannelRecord: Hashable, Sendable {
    /// AIC deposited per participant and not yet paid out.
    public var holdings: [UInt64]
    /// The registered state, when a dispute is open or concluded.
    public var dispute: Dispute?
    /// Per participant, what the conclusion pays (nil until concluded).
    public var payouts: [UInt64]?
    /// Per participant, whether its payout has been withdrawn.
    public var withdrawn: [Bool]

    /// A registered state and its challenge window.
    public struct Dispute: Hashable, Sendable {
        public var parameters: ChannelParameters
        public var state: ChannelState
        /// The height at which the window closes: a higher version may replace the state before
        /// it, `Conclude` is allowed from it on. Set by the first registration; never extended.
        public var timeout: UInt64
        /// Units of the registered metering segment shown by `ProgressMeter` (0 if none).
        public var meterUnits: UInt64
    }

    /// An unfunded, undisputed channel.
    public static let empty = ChannelRecord(holdings: [0, 0], dispute: nil, payouts: nil, withdrawn: [false, false])

    public var isConcluded: Bool { payouts != nil }

    /// AIC this channel still holds in escrow.
    public var outstanding: UInt64 {
        guard let payouts else { return holdings.reduce(0, &+) }
        return zip(payouts, withdrawn).reduce(0) { $0 &+ ($1.1 ? 0 : $1.0) }
    }

    /// The registered state's outcome per participant: balances, plus a metering session's escrow
    /// split by the units shown (the provider gets `units × price`, the payer the rest).
    static func outcome(of dispute: Dispute) throws(AdjudicatorError) -> [UInt64] {
        var outcome = dispute.state.allocation.balances
        let locked = dispute.state.allocation.locked
        guard !locked.isEmpty else { return outcome }
        guard locked.count == 1, let commitment = try? MeterCommitment(of: dispute.state),
            commitment.sessionID == locked[0].id, commitment.providerIndex < 2
        else { throw .subChannelsUnsupported }
        let escrow = locked[0].amount
        let earned = min(commitment.terms.price(of: dispute.meterUnits) ?? .max, escrow)
        let provider = Int(commitment.providerIndex)
        let (providerTotal, o1) = outcome[provider].addingReportingOverflow(earned)
        let (payerTotal, o2) = outcome[1 - provider].addingReportingOverflow(escrow - earned)
        guard !o1, !o2 else { throw .overflow }
        outcome[provider] = providerTotal
        outcome[1 - provider] = payerTotal
        return outcome
    }

    /// The payouts of `outcome` against `holdings` (Perun's funding rule): a channel holding at
    /// least its outcome pays the outcome, and any surplus back to the depositors in proportion to
    /// their deposits (the rounding remainder to participant 0); an underfunded channel refunds
    /// each deposit. Either way the payouts add up to the holdings exactly.
    static func payouts(outcome: [UInt64], holdings: [UInt64]) -> [UInt64] {
        let held = holdings.reduce(UInt128(0)) { $0 + UInt128($1) }
        let owed = outcome.reduce(UInt128(0)) { $0 + UInt128($1) }
        guard held >= owed else { return holdings }
        let surplus = held - owed
        var payouts = outcome
        var given = UInt128(0)
        for index in payouts.indices where held > 0 {
            let share = surplus * UInt128(holdings[index]) / held
            payouts[index] += UInt64(share)
            given += share
        }
        payouts[0] += UInt64(surplus - given)
        return payouts
    }
}

extension ChannelRecord.Dispute: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(parameters)
        encoder.write(state)
        encoder.write(timeout)
        encoder.write(meterUnits)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        parameters = try decoder.read(ChannelParameters.self)
        state = try decoder.read(ChannelState.self)
        timeout = try decoder.read(UInt64.self)
        meterUnits = try decoder.read(UInt64.self)
    }
}

extension ChannelRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(holdings)
        encoder.write(dispute)
        encoder.write(payouts != nil)
        if let payouts { encoder.write(payouts) }
        encoder.write(withdrawn)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        holdings = try decoder.readArray(of: UInt64.self, maxCount: 2)
        dispute = try decoder.readOptional(Dispute.self)
        payouts = try decoder.read(Bool.self) ? try decoder.readArray(of: UInt64.self, maxCount: 2) : nil
        withdrawn = try decoder.readArray(of: Bool.self, maxCount: 2)
        guard holdings.count == 2, withdrawn.count == 2, payouts.map({ $0.count == 2 }) ?? true else {
            throw .invalidValue(offset: offset, reason: "a channel record has two participants")
        }
    }
}
