public import Primitives

/// Sub-channels and virtual channels: child channels whose funds are a sub-allocation of a parent
/// (ledger) channel, locked and released by ordinary parent updates (ADR 0016).
///
/// A sub-channel has the parent's two participants. A virtual channel `V = (A, B)` through a hub
/// `H` is locked in both ledgers `A–H` and `H–B` with the same child state: in each, the ledger
/// participant who is not in `V` (the hub) fronts the other side's share and receives its outcome,
/// so the hub's net is zero whatever `V` did, provided both ledgers settle from the same `V` state.
public enum ChildChannels {
    /// The index map of `child` inside `parent`: a child participant who is also a parent participant
    /// maps to its own index there, the other to the remaining index (the hub, in a virtual channel).
    /// - Throws: `UpdateRejection.malformedAllocation` when no child participant is in the parent.
    public static func indexMap(parent: ChannelParameters, child: ChannelParameters) throws(UpdateRejection) -> [UInt8]
    {
        let own = child.participants.map { parent.index(of: $0) }
        switch (own[0], own[1]) {
        case (let first?, let second?) where first != second: return [UInt8(first), UInt8(second)]
        case (let first?, nil): return [UInt8(first), UInt8(1 - first)]
        case (nil, let second?): return [UInt8(1 - second), UInt8(second)]
        default:
            throw .malformedAllocation("no participant of the child channel is a participant of the parent")
        }
    }

    /// The child channel `next` locks that `current` does not, if any (a lock proposal).
    public static func newlyLocked(from current: ChannelState, to next: ChannelState) -> SubAllocation? {
        next.allocation.locked.first { $0.isChannel && current.allocation.subAllocation(id: $0.id) == nil }
    }

    /// Checks that `indexMap` is the one `indexMap(parent:child:)` gives.
    public static func checkIndexMap(
        _ indexMap: [UInt8], parent: ChannelParameters, child: ChannelParameters
    ) throws(UpdateRejection) {
        let expected = try Self.indexMap(parent: parent, child: child)
        guard indexMap == expected else {
            throw .malformedAllocation("index map \(indexMap) for the child channel, expected \(expected)")
        }
    }

    /// The parent update that locks `child` (a state of the child channel both of its participants
    /// signed, normally version 0): each child participant's balance comes out of the parent balance
    /// its index map names, into a sub-allocation under the child's channel id.
    /// - Throws: `UpdateRejection` when the parent is final, the child is already locked, holds
    ///   locked funds itself, or a parent balance cannot cover its share.
    public static func fund(
        _ parent: ChannelState, child: ChannelState, indexMap: [UInt8]
    ) throws(UpdateRejection) -> ChannelState {
        guard !parent.isFinal else { throw .channelFinal }
        guard parent.allocation.subAllocation(id: child.channelID) == nil else {
            throw .malformedAllocation("child channel \(child.channelID.hex) is already locked")
        }
        guard child.allocation.locked.isEmpty, !child.isFinal else {
            throw .malformedAllocation("a child channel is funded from a state with no locked funds that is not final")
        }
        guard let amount = child.allocation.total else { throw .allocationOverflow }
        var next = parent.next()
        let sub = SubAllocation(id: child.channelID, amount: amount, indexMap: indexMap)
        try sub.validate()
        guard sub.isChannel else { throw .malformedAllocation("a child channel needs an index map") }
        for (childIndex, share) in child.allocation.balances.enumerated() {
            let parentIndex = Int(indexMap[childIndex])
            guard next.allocation.balances[parentIndex] >= share else {
                throw .malformedAllocation(
                    "participant \(parentIndex) has \(next.allocation.balances[parentIndex]), "
                        + "the child channel needs \(share)")
            }
            next.allocation.balances[parentIndex] -= share
        }
        next.allocation.locked.append(sub)
        next.allocation.locked.sort { $0.id < $1.id }
        try next.allocation.validate()
        return next
    }

    /// The parent update that releases a child channel from its final state: the sub-allocation
    /// goes, and each child participant's final balance goes to the parent participant its index
    /// map names.
    /// - Throws: `UpdateRejection` when the child is not final, not locked here, or its total
    ///   differs from the locked amount.
    public static func settle(_ parent: ChannelState, child: ChannelState) throws(UpdateRejection) -> ChannelState {
        guard child.isFinal, child.allocation.locked.isEmpty else {
            throw .malformedAllocation("a child channel is settled from a final state with no locked funds")
        }
        guard let index = parent.allocation.locked.firstIndex(where: { $0.id == child.channelID && $0.isChannel })
        else { throw .malformedAllocation("child channel \(child.channelID.hex) is not locked in this channel") }
        let sub = parent.allocation.locked[index]
        guard child.allocation.total == sub.amount else {
            throw .fundsNotConserved(before: sub.amount, after: child.allocation.total ?? .max)
        }
        var next = parent.next()
        next.allocation.locked.remove(at: index)
        for (childIndex, share) in child.allocation.balances.enumerated() {
            let parentIndex = Int(sub.indexMap[childIndex])
            let (sum, overflow) = next.allocation.balances[parentIndex].addingReportingOverflow(share)
            guard !overflow else { throw .allocationOverflow }
            next.allocation.balances[parentIndex] = sum
        }
        return next
    }
}

/// The app rule of a parent channel that carries child channels: an update that locks or releases
/// a child must be exactly `ChildChannels.fund` or `.settle` of a child state this side knows to be
/// signed by the child's participants; every other update goes to `inner` (payments, the meter).
///
/// The application adds each child it agrees to (`add`), with its latest fully signed state.
public struct ChildChannelRule: ChannelAppRule {
    /// A child channel this side knows: its parameters and its latest fully signed state.
    public struct Child: Hashable, Sendable {
        public let parameters: ChannelParameters
        public let latest: SignedState
    }

    /// The parent channel's parameters (to check index maps).
    public let parent: ChannelParameters
    /// The rule for updates that do not lock or release a child.
    public var inner: any ChannelAppRule
    /// Known children by channel id.
    public private(set) var children: [Hash: Child] = [:]
    private let chainID: String

    /// A rule for the parent channel `parent` on `chainID`, with `inner` for everything else.
    public init(parent: ChannelParameters, chainID: String, inner: any ChannelAppRule = PaymentRule()) {
        self.parent = parent
        self.chainID = chainID
        self.inner = inner
    }

    /// Records `signed` as the latest known state of the child channel `parameters` (a later call
    /// with a higher version replaces it).
    /// - Throws: `ChannelError` when the signatures do not verify.
    public mutating func add(parameters: ChannelParameters, signed: SignedState) throws(ChannelError) {
        try signed.verify(parameters: parameters, chainID: chainID)
        let id = signed.state.channelID
        if let known = children[id], known.latest.state.version >= signed.state.version { return }
        children[id] = Child(parameters: parameters, latest: signed)
    }

    public func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection) {
        let before = Set(current.allocation.locked.filter(\.isChannel).map(\.id))
        let after = Set(next.allocation.locked.filter(\.isChannel).map(\.id))
        guard before != after else {
            // Locked children must stay exactly as they are; the rest is the inner rule's.
            for sub in current.allocation.locked where sub.isChannel {
                guard next.allocation.subAllocation(id: sub.id) == sub else {
                    throw .appRule("a locked child channel's sub-allocation may not change")
                }
            }
            try inner.check(from: current, to: next, proposer: proposer)
            return
        }
        let added = after.subtracting(before)
        let removed = before.subtracting(after)
        guard added.count + removed.count == 1, let id = added.first ?? removed.first else {
            throw .appRule("one update locks or releases one child channel")
        }
        guard let child = children[id] else { throw .appRule("child channel \(id.hex) is unknown to this side") }
        var expected: ChannelState
        if added.isEmpty {
            expected = try ChildChannels.settle(current, child: child.latest.state)
        } else {
            let map = try ChildChannels.indexMap(parent: parent, child: child.parameters)
            expected = try ChildChannels.fund(current, child: child.latest.state, indexMap: map)
        }
        expected.appData = next.appData
        guard next == expected, next.appData == current.appData else {
            throw .appRule("the update does not lock or release child channel \(id.hex) as its signed state says")
        }
    }
}
