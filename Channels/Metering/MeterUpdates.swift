public import ChannelCore
public import Primitives

/// The channel updates a metering session makes: open, checkpoint, close. Each returns the next
/// state (version + 1) for `ChannelMachine`'s `.propose`; both sides can build and check them.
public enum MeterUpdates {
    /// Opens a session: moves `escrow` from the payer's balance into a sub-allocation named
    /// `sessionID` and commits the first segment's `root` in the app data.
    /// - Throws: `MeterError.escrowExhausted` when the payer's balance is short,
    ///   `.invalidState` when the id is already locked or the state is final.
    public static func open(
        from state: ChannelState,
        sessionID: Hash,
        terms: MeterTerms,
        providerIndex: Int,
        escrow: UInt64,
        root: Hash
    ) throws(MeterError) -> ChannelState {
        guard !state.isFinal else { throw .invalidState("the channel is closed") }
        guard providerIndex == 0 || providerIndex == 1 else { throw .invalidState("provider index \(providerIndex)") }
        guard state.allocation.subAllocation(id: sessionID) == nil else {
            throw .invalidState("session \(sessionID.hex) is already open")
        }
        let payer = 1 - providerIndex
        var next = state.next()
        guard next.allocation.balances[payer] >= escrow else {
            throw .escrowExhausted(needed: escrow, locked: next.allocation.balances[payer])
        }
        next.allocation.balances[payer] -= escrow
        next.allocation.locked.append(SubAllocation(id: sessionID, amount: escrow))
        next.allocation.locked.sort { $0.id < $1.id }
        let commitment = MeterCommitment(
            sessionID: sessionID, terms: terms, providerIndex: UInt8(providerIndex), root: root, settledUnits: 0)
        next.appData = Canonical.encode(commitment)
        return next
    }

    /// A checkpoint: pays `units` more units (`units × price` from the session's escrow to the
    /// provider) and commits `nextRoot` for the next segment.
    /// - Throws: `MeterError.invalidState` without an open session, `.escrowExhausted` when the
    ///   escrow is short, `.invalidTerms` when `units` exceeds K.
    public static func checkpoint(from state: ChannelState, units: UInt64, nextRoot: Hash) throws(MeterError)
        -> ChannelState
    {
        var commitment = try MeterCommitment(of: state)
        guard units <= UInt64(commitment.terms.segmentLength) else {
            throw .invalidTerms(
                "a checkpoint settles at most K = \(commitment.terms.segmentLength) units, got \(units)")
        }
        var next = state.next()
        try move(units: units, of: commitment, in: &next.allocation, releaseRest: false)
        commitment.root = nextRoot
        commitment.settledUnits += units
        next.appData = Canonical.encode(commitment)
        return next
    }

    /// The session's end: settles `units` last units, returns the rest of the escrow to the payer
    /// and clears the app data. With `final` (the default) the state is also the channel's
    /// cooperative close; without, the channel goes on and may open another session.
    /// - Throws: as `checkpoint`.
    public static func close(from state: ChannelState, units: UInt64, final: Bool = true) throws(MeterError)
        -> ChannelState
    {
        let commitment = try MeterCommitment(of: state)
        guard units <= UInt64(commitment.terms.segmentLength) else {
            throw .invalidTerms("a close settles at most K = \(commitment.terms.segmentLength) units, got \(units)")
        }
        var next = state.next()
        try move(units: units, of: commitment, in: &next.allocation, releaseRest: true)
        next.appData = []
        next.isFinal = final
        return next
    }

    private static func move(
        units: UInt64,
        of commitment: MeterCommitment,
        in allocation: inout Allocation,
        releaseRest: Bool
    ) throws(MeterError) {
        guard let index = allocation.locked.firstIndex(where: { $0.id == commitment.sessionID }) else {
            throw .invalidState("no sub-allocation for session \(commitment.sessionID.hex)")
        }
        let locked = allocation.locked[index].amount
        guard let amount = commitment.terms.price(of: units), amount <= locked else {
            throw .escrowExhausted(needed: commitment.terms.price(of: units) ?? .max, locked: locked)
        }
        let provider = Int(commitment.providerIndex)
        // Cannot overflow: the allocation's total fits in 64 bits and only moves within it.
        allocation.balances[provider] += amount
        if releaseRest {
            allocation.balances[1 - provider] += locked - amount
            allocation.locked.remove(at: index)
        } else {
            allocation.locked[index].amount = locked - amount
        }
    }
}
