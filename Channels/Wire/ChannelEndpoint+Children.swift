public import ChannelCore
import Foundation
import Logging
import Primitives

/// Child channels (sub- and virtual channels, ADR 0016) on a ledger channel's endpoint: a lock or
/// release is an ordinary update, preceded on the link by the child state it follows (`.child`),
/// which the receiver checks with `ChildChannelRule`. A hub's endpoints hold a virtual channel's
/// lock proposal until the matching lock arrives on the hub's other ledger (`VirtualHub`).
extension ChannelEndpoint {
    /// Records a fully signed state of a child channel, so that the peer's lock or release of it
    /// is accepted (both sides of a lock must know the child state).
    /// - Throws: `ChannelError` when it does not verify.
    public func addChild(parameters: ChannelParameters, signed: SignedState) throws(ChannelError) {
        var rule =
            machine.rule as? ChildChannelRule
            ?? ChildChannelRule(parent: self.parameters, chainID: chainID, inner: machine.rule)
        try rule.add(parameters: parameters, signed: signed)
        machine.rule = rule
    }

    /// Locks the child channel `parameters` in this channel from `signed` (a state of the child
    /// both of its participants signed, normally version 0): the child's balances leave this
    /// channel's balances through the index map. For a virtual channel through a hub, the hub
    /// answers only once the other party's lock arrives on its other ledger: give a `timeout`
    /// longer than the hub's hold.
    /// - Throws: `ChannelError` for a child state that does not verify, `EndpointError` otherwise
    ///   (`.refused` when the lock cannot be built on the current state).
    public func lockChild(
        parameters: ChannelParameters, signed: SignedState, timeout: Duration? = nil
    ) async throws -> SignedState {
        try addChild(parameters: parameters, signed: signed)
        guard isConnected else { throw EndpointError.disconnected }
        let next: ChannelState
        do {
            let map = try ChildChannels.indexMap(parent: self.parameters, child: parameters)
            next = try ChildChannels.fund(machine.tip, child: signed.state, indexMap: map)
        } catch { throw EndpointError.refused(error) }
        send(.child(parameters, signed))
        return try await propose(next, timeout: timeout)
    }

    /// Releases the child channel `parameters` from its final state `final` (signed by both of
    /// its participants): its balances come back into this channel through the index map.
    public func settleChild(
        parameters: ChannelParameters, final: SignedState, timeout: Duration? = nil
    ) async throws -> SignedState {
        try addChild(parameters: parameters, signed: final)
        guard isConnected else { throw EndpointError.disconnected }
        let next: ChannelState
        do { next = try ChildChannels.settle(machine.tip, child: final.state) } catch {
            throw EndpointError.refused(error)
        }
        send(.child(parameters, final))
        return try await propose(next, timeout: timeout)
    }

    /// Makes this endpoint one of `hub`'s ledgers: lock proposals of virtual channels wait for
    /// their match on another of the hub's ledgers before they are answered.
    public func joinHub(_ hub: VirtualHub) { self.hub = hub }

    /// The peer's child state: recorded for the lock or release that follows it.
    func receiveChild(_ parameters: ChannelParameters, _ signed: SignedState) {
        do { try addChild(parameters: parameters, signed: signed) } catch {
            logger.warning("refused a child channel state from the peer: \(error)")
            network.penalize(peer: peer, reason: "invalid child channel state")
        }
    }

    /// True when `update` is a proposal locking a virtual channel that must wait for its match at
    /// the hub (the caller then holds it); false to handle it now. `earlier` are the updates of
    /// this batch before it (a pipelined proposal builds on the one before).
    func holdsForHub(_ update: ChannelMessage, after earlier: [ChannelMessage]) -> Bool {
        guard let hub, case .proposal(let state, _) = update,
            let rule = machine.rule as? ChildChannelRule
        else { return false }
        var base = machine.current.state
        for case .proposal(let previous, _) in earlier { base = previous }
        guard let locked = ChildChannels.newlyLocked(from: base, to: state),
            let child = rule.children[locked.id],
            !child.parameters.participants.allSatisfy({ parameters.index(of: $0) != nil })
        else { return false }  // not a virtual channel's lock, or an unknown child the rule refuses
        if matchedLock == locked.id {
            matchedLock = nil
            return false
        }
        if hub.arrived(child: child.latest.state, ledger: channelID, endpoint: self) { return false }
        heldLock = (locked.id, state.version, ContinuousClock.now + hub.holdTimeout)
        return true
    }

    /// The hub matched the held lock of `childID`: handle it and everything after it.
    func releaseHeldLock(_ childID: Hash) {
        guard heldLock?.childID == childID else { return }
        let messages = held
        heldLock = nil
        held = []
        matchedLock = childID
        process(messages)
    }

    /// Rejects a held lock whose match did not come in time, then handles what followed it.
    func expireHeldLock() {
        guard let lock = heldLock, lock.deadline <= ContinuousClock.now else { return }
        hub?.withdraw(childID: lock.childID, ledger: channelID)
        let messages = held
        heldLock = nil
        held = []
        send(
            .update(
                .rejection(
                    channelID: channelID, version: lock.version,
                    reason: .appRule("the matching lock of the virtual channel did not reach the hub in time"))))
        process(Array(messages.dropFirst()))
    }

    /// The link went down: a held lock is forgotten (the peer resyncs and may propose it again).
    func dropHeldLock() {
        guard let lock = heldLock else { return }
        hub?.withdraw(childID: lock.childID, ledger: channelID)
        heldLock = nil
        held = []
    }
}
