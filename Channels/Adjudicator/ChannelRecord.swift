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

    /// The registered state's outcome per participant: its balances, plus each locked
    /// sub-allocation's outcome — a metering session's escrow split by the units shown (the provider
    /// gets `units × price`, the payer the rest), a child channel's registered state through its
    /// index map (ADR 0016).
    ///
    /// - Parameters:
    ///   - child: the registered record of a child channel; nil when none is registered, which
    ///     fails the outcome unless `height` is nil (a structural check at registration, when the
    ///     children may still come).
    ///   - height: the block height of the conclusion: every child's window must have closed.
    static func outcome(
        of dispute: Dispute, child: (Hash) throws -> ChildRecord?, height: UInt64?
    ) throws -> [UInt64] {
        let locked = dispute.state.allocation.locked
        var outcome = try meteredOutcome(dispute.state, meterUnits: dispute.meterUnits)
        for sub in locked where sub.isChannel {
            guard let record = try child(sub.id) else {
                if height != nil { throw AdjudicatorError.childNotRegistered(sub.id) }
                continue
            }
            if let height, height < record.timeout {
                throw AdjudicatorError.childWindowOpen(child: sub.id, timeout: record.timeout, height: height)
            }
            do {
                try ChildChannels.checkIndexMap(sub.indexMap, parent: dispute.parameters, child: record.parameters)
            } catch { throw AdjudicatorError.badIndexMap("\(error)") }
            guard record.state.allocation.total == sub.amount else {
                throw AdjudicatorError.childTotalMismatch(
                    child: sub.id, locked: sub.amount, registered: record.state.allocation.total)
            }
            let childOutcome = try meteredOutcome(record.state, meterUnits: record.meterUnits)
            for (childIndex, share) in childOutcome.enumerated() {
                let parentIndex = Int(sub.indexMap[childIndex])
                let (sum, overflow) = outcome[parentIndex].addingReportingOverflow(share)
                guard !overflow else { throw AdjudicatorError.overflow }
                outcome[parentIndex] = sum
            }
        }
        return outcome
    }

    /// `state`'s balances plus its metering session (at most one, named by the commitment in the
    /// application data) split by `meterUnits`; child channels are left to the caller.
    static func meteredOutcome(_ state: ChannelState, meterUnits: UInt64) throws(AdjudicatorError) -> [UInt64] {
        var outcome = state.allocation.balances
        let sessions = state.allocation.locked.filter { !$0.isChannel }
        guard let session = sessions.first else { return outcome }
        guard sessions.count == 1, let commitment = try? MeterCommitment(of: state),
            commitment.sessionID == session.id, commitment.providerIndex < 2
        else { throw .unsupportedLocks("locked funds without an index map must be the one metering session") }
        let escrow = session.amount
        let earned = min(commitment.terms.price(of: meterUnits) ?? .max, escrow)
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

/// What the adjudicator stores per child channel (a sub- or virtual channel, ADR 0016): the highest
/// fully signed state registered in its own challenge window, which the first registration opens
/// and nothing extends. A parent that locks the child concludes only after that window, so every
/// parent (both ledgers of a virtual channel) settles from the same, final child state.
public struct ChildRecord: Hashable, Sendable {
    public var parameters: ChannelParameters
    public var state: ChannelState
    /// Units of the child's metering segment shown by `ProgressMeter` (0 if none).
    public var meterUnits: UInt64
    /// The height at which the child's window closes: registrations and meter progress before it,
    /// parent conclusions from it on.
    public var timeout: UInt64
}

extension ChildRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(parameters)
        encoder.write(state)
        encoder.write(meterUnits)
        encoder.write(timeout)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        parameters = try decoder.read(ChannelParameters.self)
        state = try decoder.read(ChannelState.self)
        meterUnits = try decoder.read(UInt64.self)
        timeout = try decoder.read(UInt64.self)
    }
}
