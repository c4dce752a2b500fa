/// The rules every update obeys, as checked functions the machine, the adjudicator and the
/// property tests share.
public enum ChannelInvariants {
    /// Checks that `next` may follow `current`: same channel, `current` not final, version strictly
    /// higher, a well-formed allocation, and the same total of balances plus locked funds.
    ///
    /// The update protocol additionally requires the version to be exactly one higher
    /// (`ChannelMachine`); the adjudicator only needs "higher", since it may skip versions.
    /// - Throws: the first rule broken.
    public static func checkTransition(from current: ChannelState, to next: ChannelState) throws(UpdateRejection) {
        guard next.channelID == current.channelID else { throw .wrongChannel }
        guard !current.isFinal else { throw .channelFinal }
        guard next.version > current.version else {
            throw .versionNotNext(expected: current.version &+ 1, actual: next.version)
        }
        try next.allocation.validate()
        try checkConservation(from: current.allocation, to: next.allocation)
    }

    /// Checks that both allocations hold the same total (balances plus locked funds).
    /// - Throws: `.fundsNotConserved`, or `.allocationOverflow` when a total does not fit in 64 bits.
    public static func checkConservation(from before: Allocation, to after: Allocation) throws(UpdateRejection) {
        guard let totalBefore = before.total, let totalAfter = after.total else { throw .allocationOverflow }
        guard totalBefore == totalAfter else { throw .fundsNotConserved(before: totalBefore, after: totalAfter) }
    }
}
