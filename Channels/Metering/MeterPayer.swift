public import ChannelCore
public import Primitives

/// The payer's side of a metering session: reveals one preimage per unit received, never for a
/// unit not yet received, and builds the checkpoint every K paid units, or every T milliseconds
/// when units have been paid but not settled for that long (`checkpointInterval`).
///
/// Guarantee: `paid <= received` at all times (`pay()` refuses otherwise), and a checkpoint the
/// payer builds or accepts settles only paid units, so the payer never pays for unserved units.
/// Each segment's chain comes from `segmentSeed(index)`, derived from one secret session seed.
public struct MeterPayer: Sendable {
    /// The domain tag for deriving segment seeds from the session seed.
    public static let segmentDomainTag = "aether/meter/segment/v1"

    /// The session's terms.
    public let terms: MeterTerms
    private let seed: Hash
    /// The index of the current segment (0 for the first).
    public private(set) var segment: UInt64 = 0
    /// The current segment's chain.
    public private(set) var chain: HashChain
    /// Units received from the provider, in the whole session.
    public private(set) var received: UInt64 = 0
    /// Units paid (preimages revealed), in the whole session.
    public private(set) var paid: UInt64 = 0
    /// Units settled by accepted checkpoints.
    public private(set) var settled: UInt64 = 0
    /// T, in milliseconds: the longest paid units stay unsettled before a checkpoint is due (nil:
    /// only every K units). A payer's policy, not part of the terms: the provider accepts a
    /// checkpoint of any verified count.
    public var checkpointInterval: UInt64?
    /// When the oldest unsettled paid unit was paid (milliseconds, the caller's clock), if any.
    public private(set) var unsettledSince: UInt64?

    /// A payer with secret `seed` (from a secure source; it is the whole session's spending key).
    public init(terms: MeterTerms, seed: Hash) {
        self.terms = terms
        self.seed = seed
        chain = HashChain(seed: Self.segmentSeed(seed, index: 0), length: Int(terms.segmentLength))
    }

    /// The first segment's root, committed by the opening state.
    public var root: Hash { chain.root }

    /// `SHA-256(canonical(segmentDomainTag) ‖ seed ‖ index)`: each segment's chain seed.
    static func segmentSeed(_ seed: Hash, index: UInt64) -> Hash {
        var encoder = CanonicalEncoder(capacity: 72)
        encoder.write(segmentDomainTag)
        encoder.write(seed)
        encoder.write(index)
        return Hashing.sha256(encoder.bytes)
    }

    /// Records one unit received from the provider.
    public mutating func unitReceived() {
        received += 1
    }

    /// The preimage paying for the next received, unpaid unit.
    /// - Throws: `.unitNotServed` when every received unit is paid, `.checkpointDue` when the
    ///   segment is fully paid and its checkpoint is not yet signed.
    public mutating func pay() throws(MeterError) -> Hash {
        guard paid < received else { throw .unitNotServed(unit: paid + 1) }
        let inSegment = paid - settled
        guard inSegment < UInt64(terms.segmentLength) else { throw .checkpointDue }
        let preimage = try chain.preimage(forUnit: Int(inSegment) + 1)
        paid += 1
        return preimage
    }

    /// True when the segment is fully paid and the checkpoint should be proposed.
    public var checkpointDue: Bool { paid - settled == UInt64(terms.segmentLength) }

    /// True when a checkpoint should be proposed at time `now` (ms): the segment is fully paid, or
    /// paid units have been unsettled for at least `checkpointInterval`.
    public func isCheckpointDue(now: UInt64) -> Bool {
        if checkpointDue { return true }
        guard let interval = checkpointInterval, let since = unsettledSince, paid > settled else { return false }
        return now >= since && now - since >= interval
    }

    /// `pay()` at time `now` (ms): also refuses with `.checkpointDue` once T has passed, so no unit is
    /// paid from a segment whose checkpoint is being signed.
    public mutating func pay(now: UInt64) throws(MeterError) -> Hash {
        if isCheckpointDue(now: now) { throw .checkpointDue }
        let preimage = try pay()
        if unsettledSince == nil { unsettledSince = now }
        return preimage
    }

    /// The checkpoint settling the paid units of this segment and committing the next root.
    /// - Throws: as `MeterUpdates.checkpoint`.
    public func checkpoint(from state: ChannelState) throws(MeterError) -> ChannelState {
        let next = HashChain(seed: Self.segmentSeed(seed, index: segment + 1), length: Int(terms.segmentLength))
        return try MeterUpdates.checkpoint(from: state, units: paid - settled, nextRoot: next.root)
    }

    /// The state settling the paid units and returning the rest of the escrow: the channel's
    /// final state, or with `final: false` the session's end in a channel that goes on.
    /// - Throws: as `MeterUpdates.close`.
    public func close(from state: ChannelState, final: Bool = true) throws(MeterError) -> ChannelState {
        try MeterUpdates.close(from: state, units: paid - settled, final: final)
    }

    /// The app rule the payer's channel machine should use now: settle no more than paid.
    public var rule: MeterRule {
        MeterRule(acceptedUnits: 0...(paid - settled))
    }

    /// Moves to the next segment once a checkpoint (or close) is fully signed.
    /// - Throws: `MeterError.invalidState` when `state` does not settle exactly the paid units.
    public mutating func checkpointAccepted(_ state: ChannelState) throws(MeterError) {
        if state.isFinal || state.appData.isEmpty {
            settled = paid
            unsettledSince = nil
            return
        }
        let commitment = try MeterCommitment(of: state)
        guard commitment.settledUnits == paid else {
            throw .invalidState("checkpoint settles \(commitment.settledUnits) units, \(paid) are paid")
        }
        settled = commitment.settledUnits
        unsettledSince = nil
        segment += 1
        chain = HashChain(seed: Self.segmentSeed(seed, index: segment), length: Int(terms.segmentLength))
    }
}
