public import Primitives

/// One participant's side of the update protocol, as a pure state machine: events in, actions out.
///
/// The driver feeds local wishes (`.propose`) and batches of messages from the peer
/// (`.received`), and performs the actions in order: persist every `.accepted` state before
/// performing a `.send` that follows it, so an acknowledged state is never lost. The machine signs
/// with the key it holds; it reads no clock and does no IO (Docs/spec/channels.md, "Update
/// protocol").
///
/// Protocol, for current version `v`:
/// 1. The proposer signs state `v + 1` and sends `.proposal`. It may go on proposing `v + 2`,
///    `v + 3`, … on top of its own pending proposals, up to `maxInFlight` unanswered ones
///    (pipelining).
/// 2. The receiver checks each proposal in order: right channel, version exactly one above the
///    last it took, the invariants (funds conserved, not after a final state), the app rule. At the
///    end of a batch of messages it verifies the proposer's signature on the **last** valid
///    proposal, signs that one, takes it as current and sends one `.acceptance` of its version.
///    Earlier proposals of the batch are superseded by it and never countersigned (only the latest
///    fully signed state counts, on or off chain). A proposal that breaks a rule gets a
///    `.rejection` (after the acceptance of those before it).
/// 3. The proposer takes an acceptance of version `n` as accepting all its pending proposals up
///    to `n`: it verifies the signature on the state of version `n` once (for several acceptances in
///    one batch, on the highest that verifies), and takes the fully signed state as current. A
///    rejection of its oldest pending proposal drops it and every later one built on it.
///
/// Concurrent proposals: when the peer proposes version `v + 1` while our own proposal of `v + 1`
/// is pending, the proposal whose proposer key is lower (bytewise) wins. The side with the higher
/// key drops all its pending proposals (`.ownProposalDropped`) and handles the other's as in step
/// 2; the side with the lower key ignores the other proposal and waits for its answer. Both sides
/// decide alike without a further message, so they never sign two different states of one version.
/// Proposals the loser pipelined behind its dropped one get no answer: every rejection answers a
/// proposal still pending, so a version the loser reuses is never hit by a late rejection.
public struct ChannelMachine: Sendable {
    /// Something that happened to this side.
    public enum Event: Sendable {
        /// The application wants `state` to be the next state (its version must be `tip` + 1).
        case propose(ChannelState)
        /// A message from the other participant.
        case received(ChannelMessage)
        /// Messages from the other participant that arrived together, in order: answered as a
        /// batch (one countersignature for the latest of its proposals).
        case receivedBatch([ChannelMessage])
    }

    /// Something the driver must do, in order.
    public enum Action: Hashable, Sendable {
        /// Send the message to the other participant.
        case send(ChannelMessage)
        /// A fully signed state is now current: persist it before any later send. It completes
        /// every proposal of ours up to its version.
        case accepted(SignedState)
        /// The other side refused our proposal of this state (or one it built on).
        case proposalRejected(ChannelState, UpdateRejection)
        /// Our proposal lost a concurrent-proposal tie and was withdrawn; propose again if still wanted.
        case ownProposalDropped(ChannelState)
        /// A local `.propose` was refused before anything was sent.
        case refused(ChannelState, UpdateRejection)
        /// A peer message was ignored because it is invalid or stale (a late, replayed or forged message).
        case discarded(ChannelMessage, UpdateRejection)
    }

    /// One of our proposals waiting for an answer.
    public struct Proposal: Hashable, Sendable {
        public let state: ChannelState
        public let signature: Ed25519.Signature
    }

    /// The channel's parameters.
    public let parameters: ChannelParameters
    /// The chain the channel lives on (part of every signature).
    public let chainID: String
    /// `parameters.channelID(chainID:)`.
    public let channelID: Hash
    /// Our participant index.
    public let ourIndex: Int
    /// The most proposals of ours that may wait for answers at once (at least 1).
    public let maxInFlight: Int
    /// The latest fully signed state.
    public private(set) var current: SignedState
    /// Our proposals waiting for answers, by ascending version (`current.version + 1`, `+ 2`, …).
    public private(set) var pending: [Proposal] = []

    /// The application rule applied to received proposals. A driver may replace it as the
    /// application learns more (the meter tightens it to the units verified so far).
    public var rule: any ChannelAppRule

    private let key: Ed25519.PrivateKey

    /// A machine for the participant holding `key`, starting from the fully signed `initial` state
    /// (the funding state, or the latest one restored from disk).
    /// - Throws: `ChannelError` when `key` is not a participant or `initial` does not verify.
    public init(
        parameters: ChannelParameters,
        chainID: String,
        key: Ed25519.PrivateKey,
        initial: SignedState,
        rule: any ChannelAppRule = PaymentRule(),
        maxInFlight: Int = 1
    ) throws(ChannelError) {
        guard let index = parameters.index(of: key.publicKey) else { throw .notAParticipant(key.publicKey) }
        try initial.verify(parameters: parameters, chainID: chainID)
        self.parameters = parameters
        self.chainID = chainID
        self.channelID = initial.state.channelID
        self.ourIndex = index
        self.maxInFlight = max(1, maxInFlight)
        self.current = initial
        self.key = key
        self.rule = rule
    }

    /// The other participant's index.
    public var peerIndex: Int { 1 - ourIndex }

    /// The state the next proposal builds on: our newest pending proposal, else the current state.
    public var tip: ChannelState { pending.last?.state ?? current.state }

    /// Handles one event and returns what to do.
    public mutating func on(_ event: Event) -> [Action] {
        switch event {
        case .propose(let state): return propose(state)
        case .received(let message): return receive([message])
        case .receivedBatch(let messages): return receive(messages)
        }
    }

    /// Forgets every pending proposal (the driver gave up waiting for answers: a timeout or a
    /// lost link) and returns them, oldest first. A half-signed state is worthless on chain; if
    /// the peer did accept one, a resync brings the fully signed state.
    public mutating func abandonPending() -> [ChannelState] {
        defer { pending.removeAll() }
        return pending.map(\.state)
    }

    /// Continues from `newer`, a fully signed state of a higher version that the peer holds (a
    /// resync), dropping our pending proposals. The caller checks nothing: this does.
    /// - Throws: `ChannelError` when `newer` does not verify or is not newer than `current`.
    public mutating func adopt(_ newer: SignedState) throws(ChannelError) {
        try newer.verify(parameters: parameters, chainID: chainID)
        guard newer.state.version > current.state.version else {
            throw .invalidState(.versionNotNext(expected: current.state.version + 1, actual: newer.state.version))
        }
        pending.removeAll()
        current = newer
    }

    // MARK: - Proposing

    private mutating func propose(_ state: ChannelState) -> [Action] {
        guard pending.count < maxInFlight else { return [.refused(state, .proposalPending)] }
        do {
            try validate(state, after: tip, proposer: ourIndex, applyingRule: false)
        } catch {
            return [.refused(state, error)]
        }
        let signature = key.sign(state.signBytes(chainID: chainID))
        pending.append(Proposal(state: state, signature: signature))
        return [.send(.proposal(state, signature: signature))]
    }

    // MARK: - Receiving

    /// The work of one batch: acceptances whose signatures are checked together, and the peer's
    /// valid proposals, to be countersigned (the last one) when the batch ends or before anything
    /// that must follow them.
    private struct Batch {
        var actions: [Action] = []
        var acceptances: [(version: UInt64, signature: Ed25519.Signature, message: ChannelMessage)] = []
        var proposals: [Proposal] = []
    }

    private mutating func receive(_ messages: [ChannelMessage]) -> [Action] {
        var batch = Batch()
        for message in messages {
            guard message.channelID == channelID else {
                batch.actions.append(.discarded(message, .wrongChannel))
                continue
            }
            switch message {
            case .proposal(let state, let signature):
                settleAcceptances(&batch)
                receiveProposal(Proposal(state: state, signature: signature), message: message, &batch)
            case .acceptance(_, let version, let signature):
                if batch.proposals.isEmpty, let first = pending.first, let last = pending.last,
                    first.state.version <= version, version <= last.state.version
                {
                    batch.acceptances.append((version, signature, message))
                } else {
                    batch.actions.append(.discarded(message, .unknownProposal(version: version)))
                }
            case .rejection(_, let version, let reason):
                settleAcceptances(&batch)
                countersign(&batch)
                guard let first = pending.first, first.state.version == version else {
                    batch.actions.append(.discarded(message, .unknownProposal(version: version)))
                    continue
                }
                batch.actions.append(.proposalRejected(first.state, reason))
                for later in pending.dropFirst() {
                    batch.actions.append(.proposalRejected(later.state, .dependsOnRejected(version: version)))
                }
                pending.removeAll()
            }
        }
        settleAcceptances(&batch)
        countersign(&batch)
        return batch.actions
    }

    private mutating func receiveProposal(_ proposal: Proposal, message: ChannelMessage, _ batch: inout Batch) {
        let state = proposal.state
        if let own = pending.first {
            if own.state.version == state.version {
                // Concurrent proposals: the lower proposer key wins on both sides.
                guard isValidPeerSignature(proposal) else {
                    batch.actions.append(.discarded(message, .invalidSignature))
                    return
                }
                if parameters.participants[ourIndex] < parameters.participants[peerIndex] { return }
                batch.actions += pending.map { .ownProposalDropped($0.state) }
                pending.removeAll()
            } else {
                // It builds on the peer's own earlier proposal, which lost a tie to ours: the peer
                // drops it when our proposal reaches it. No answer, since the peer may reuse the
                // version for a new proposal, which a late rejection must not hit.
                batch.actions.append(.discarded(message, .proposalPending))
                return
            }
        }
        do {
            try validate(
                state, after: batch.proposals.last?.state ?? current.state, proposer: peerIndex, applyingRule: true)
        } catch {
            refuse(proposal, error, message: message, &batch)
            return
        }
        batch.proposals.append(proposal)
    }

    /// Answers an invalid proposal with a rejection, after countersigning the valid ones before it;
    /// one whose signature is not the peer's is dropped without an answer, so a forger cannot make
    /// us reject in the peer's name.
    private mutating func refuse(
        _ proposal: Proposal,
        _ reason: UpdateRejection,
        message: ChannelMessage,
        _ batch: inout Batch
    ) {
        guard isValidPeerSignature(proposal) else {
            batch.actions.append(.discarded(message, .invalidSignature))
            return
        }
        countersign(&batch)
        batch.actions.append(
            .send(.rejection(channelID: channelID, version: proposal.state.version, reason: reason)))
    }

    /// Countersigns the newest of the batch's valid proposals whose signature verifies (normally
    /// the last: one verification and one signature for the whole batch), takes it as current
    /// and answers with one acceptance. Proposals after it, whose signatures failed, get no answer.
    private mutating func countersign(_ batch: inout Batch) {
        defer { batch.proposals.removeAll() }
        for proposal in batch.proposals.reversed() {
            let signBytes = proposal.state.signBytes(chainID: chainID)
            guard parameters.participants[peerIndex].isValidSignature(proposal.signature, for: signBytes) else {
                batch.actions.append(
                    .discarded(.proposal(proposal.state, signature: proposal.signature), .invalidSignature))
                continue
            }
            let ours = key.sign(signBytes)
            let signed = SignedState(state: proposal.state, signatures: ordered(ours: ours, theirs: proposal.signature))
            current = signed
            batch.actions.append(.accepted(signed))
            batch.actions.append(
                .send(.acceptance(channelID: channelID, version: proposal.state.version, signature: ours)))
            return
        }
    }

    /// Completes our pending proposals up to the highest acceptance of the batch whose signature
    /// verifies (normally the last: one verification however many acceptances arrived).
    private mutating func settleAcceptances(_ batch: inout Batch) {
        defer { batch.acceptances.removeAll() }
        for acceptance in batch.acceptances.reversed() {
            guard let index = pending.firstIndex(where: { $0.state.version == acceptance.version }) else {
                batch.actions.append(.discarded(acceptance.message, .unknownProposal(version: acceptance.version)))
                continue
            }
            let own = pending[index]
            guard
                parameters.participants[peerIndex].isValidSignature(
                    acceptance.signature, for: own.state.signBytes(chainID: chainID))
            else {
                batch.actions.append(.discarded(acceptance.message, .invalidSignature))
                continue
            }
            pending.removeFirst(index + 1)
            let signed = SignedState(
                state: own.state, signatures: ordered(ours: own.signature, theirs: acceptance.signature))
            current = signed
            batch.actions.append(.accepted(signed))
            return
        }
    }

    // MARK: - Helpers

    private func isValidPeerSignature(_ proposal: Proposal) -> Bool {
        parameters.participants[peerIndex].isValidSignature(
            proposal.signature, for: proposal.state.signBytes(chainID: chainID))
    }

    private func validate(
        _ state: ChannelState,
        after now: ChannelState,
        proposer: Int,
        applyingRule: Bool
    ) throws(UpdateRejection) {
        guard state.channelID == channelID else { throw .wrongChannel }
        guard !now.isFinal else { throw .channelFinal }
        guard state.version == now.version &+ 1 else {
            throw .versionNotNext(expected: now.version &+ 1, actual: state.version)
        }
        try ChannelInvariants.checkTransition(from: now, to: state)
        if applyingRule { try rule.check(from: now, to: state, proposer: proposer) }
    }

    private func ordered(ours: Ed25519.Signature, theirs: Ed25519.Signature) -> [Ed25519.Signature] {
        ourIndex == 0 ? [ours, theirs] : [theirs, ours]
    }
}
