public import ChannelCore
public import Primitives

/// The provider's side of a metering session: serves units while at most W are unpaid, and counts
/// a unit paid only when its hash-chain preimage verifies.
///
/// Guarantee: `served - paid <= W` at all times (`serve()` refuses otherwise), and every paid unit
/// is backed by a preimage that chains to a root the payer signed. So if the payer stops paying,
/// the provider stops within W units, and at most W units' price is ever at risk.
public struct MeterProvider: Sendable {
    /// The session's terms.
    public let terms: MeterTerms
    /// Units served so far, in the whole session.
    public private(set) var served: UInt64 = 0
    /// Units whose preimage verified, in the whole session.
    public private(set) var paid: UInt64 = 0
    /// Units settled by accepted checkpoints.
    public private(set) var settled: UInt64 = 0
    /// The check of the current segment's reveals.
    public private(set) var verifier: HashChainVerifier

    /// A provider for the session committed to in `state` (the opening state, or a later one).
    /// - Throws: `MeterError.invalidState` when `state` has no meter commitment.
    public init(state: ChannelState) throws(MeterError) {
        let commitment = try MeterCommitment(of: state)
        terms = commitment.terms
        settled = commitment.settledUnits
        served = settled
        paid = settled
        verifier = HashChainVerifier(root: commitment.root, length: Int(commitment.terms.segmentLength))
    }

    /// Units served and not paid: the provider's exposure, never above W.
    public var unpaid: UInt64 { served - paid }

    /// True when one more unit may be served.
    public var canServe: Bool { unpaid < UInt64(terms.creditWindow) }

    /// True when the segment is fully paid and a checkpoint should settle it.
    public var checkpointDue: Bool { paid - settled == UInt64(terms.segmentLength) }

    /// Records one unit served and returns its number (1-based, over the session).
    /// - Throws: `MeterError.creditWindowFull` when W units are already unpaid: do not serve.
    public mutating func serve() throws(MeterError) -> UInt64 {
        guard canServe else { throw .creditWindowFull(unpaid: unpaid) }
        served += 1
        return served
    }

    /// Checks the payer's reveal for the next unpaid unit (one SHA-256) and counts it paid.
    /// - Throws: `.unitNotServed` when every served unit is paid already, the verifier's
    ///   `.forgedPreimage` / `.replayedPreimage`, or `.chainExhausted` when the segment needs its
    ///   checkpoint first. Nothing changes when it throws.
    public mutating func receive(_ preimage: Hash) throws(MeterError) {
        guard paid < served else { throw .unitNotServed(unit: paid + 1) }
        try verifier.verify(preimage)
        paid += 1
    }

    /// The app rule the provider's channel machine should use now: a checkpoint must settle
    /// exactly the verified, unsettled units, no more (unprovable) and no fewer (underpaid).
    public var rule: MeterRule {
        MeterRule(acceptedUnits: (paid - settled)...(paid - settled))
    }

    /// Moves to the next segment once a checkpoint (or close) is fully signed.
    /// - Throws: `MeterError.invalidState` when `state` settles a different number of units.
    public mutating func checkpointAccepted(_ state: ChannelState) throws(MeterError) {
        if state.isFinal || state.appData.isEmpty {
            settled = paid
            return
        }
        let commitment = try MeterCommitment(of: state)
        guard commitment.settledUnits == paid else {
            throw .invalidState("checkpoint settles \(commitment.settledUnits) units, \(paid) are paid")
        }
        settled = commitment.settledUnits
        verifier = HashChainVerifier(root: commitment.root, length: Int(terms.segmentLength))
    }
}
