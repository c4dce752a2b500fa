public import Primitives

/// One participant's side of the update protocol, as a pure state machine: events in, actions out.
///
/// The driver feeds local wishes (`.propose`) and messages from the peer (`.received`), and
/// performs the actions in order: persist every `.accepted` state before performing a `.send`
/// that follows it, so an acknowledged state is never lost. The machine signs with the key it
/// holds; it reads no clock and does no IO (Docs/spec/channels.md, "Update protocol").
///
/// Protocol, for current version `v`:
/// 1. The proposer signs state `v + 1` and sends `.proposal`. One proposal at a time.
/// 2. The receiver checks: right channel, proposer's signature, version exactly `v + 1`, the
///    invariants (funds conserved, current not final), the app rule. It then signs, takes the
///    fully signed state as current and sends `.acceptance`; or sends `.rejection` with a reason.
/// 3. The proposer checks the acceptance's signature and takes the fully signed state as current;
///    a rejection clears its proposal.
///
/// Concurrent proposals: when both sides propose version `v + 1` at once, the proposal whose
/// proposer key is lower (bytewise) wins. The side with the higher key drops its own proposal
/// (`.ownProposalDropped`) and handles the other as in step 2; the side with the lower key ignores
/// the other's proposal and waits for its acceptance. Both sides decide alike without a further
/// message, so they end on the same fully signed state.
public struct ChannelMachine: Sendable {
    /// Something that happened to this side.
    public enum Event: Sendable {
        /// The application wants `state` to be the next state (its version must be current + 1).
        case propose(ChannelState)
        /// A message from the other participant.
        case received(ChannelMessage)
    }

    /// Something the driver must do, in order.
    public enum Action: Hashable, Sendable {
        /// Send the message to the other participant.
        case send(ChannelMessage)
        /// A fully signed state is now current: persist it before any later send.
        case accepted(SignedState)
        /// The other side refused our proposal of this state.
        case proposalRejected(ChannelState, UpdateRejection)
        /// Our proposal lost a concurrent-proposal tie and was withdrawn; propose again if still wanted.
        case ownProposalDropped(ChannelState)
        /// A local `.propose` was refused before anything was sent.
        case refused(ChannelState, UpdateRejection)
        /// A peer message was ignored because it is invalid or stale (a late, replayed or forged message).
        case discarded(ChannelMessage, UpdateRejection)
    }

    /// The channel's parameters.
    public let parameters: ChannelParameters
    /// The chain the channel lives on (part of every signature).
    public let chainID: String
    /// `parameters.channelID(chainID:)`.
    public let channelID: Hash
    /// Our participant index.
    public let ourIndex: Int
    /// The latest fully signed state.
    public private(set) var current: SignedState
    /// Our proposal waiting for an answer, with our signature.
    public private(set) var pending: (state: ChannelState, signature: Ed25519.Signature)?

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
        rule: any ChannelAppRule = PaymentRule()
    ) throws(ChannelError) {
        guard let index = parameters.index(of: key.publicKey) else { throw .notAParticipant(key.publicKey) }
        try initial.verify(parameters: parameters, chainID: chainID)
        self.parameters = parameters
        self.chainID = chainID
        self.channelID = initial.state.channelID
        self.ourIndex = index
        self.current = initial
        self.key = key
        self.rule = rule
    }

    /// The other participant's index.
    public var peerIndex: Int { 1 - ourIndex }

    /// Handles one event and returns what to do.
    public mutating func on(_ event: Event) -> [Action] {
        switch event {
        case .propose(let state): propose(state)
        case .received(let message): receive(message)
        }
    }

    // MARK: - Proposing

    private mutating func propose(_ state: ChannelState) -> [Action] {
        guard pending == nil else { return [.refused(state, .proposalPending)] }
        do {
            try validate(state, proposer: ourIndex, applyingRule: false)
        } catch {
            return [.refused(state, error)]
        }
        let signature = key.sign(state.signBytes(chainID: chainID))
        pending = (state, signature)
        return [.send(.proposal(state, signature: signature))]
    }

    // MARK: - Receiving

    private mutating func receive(_ message: ChannelMessage) -> [Action] {
        guard message.channelID == channelID else { return [.discarded(message, .wrongChannel)] }
        switch message {
        case .proposal(let state, let signature): return receiveProposal(state, signature: signature, message: message)
        case .acceptance(_, let version, let signature): return receiveAcceptance(version, signature, message)
        case .rejection(_, let version, let reason):
            guard let own = pending, own.state.version == version else {
                return [.discarded(message, .unknownProposal(version: version))]
            }
            pending = nil
            return [.proposalRejected(own.state, reason)]
        }
    }

    private mutating func receiveProposal(
        _ state: ChannelState,
        signature: Ed25519.Signature,
        message: ChannelMessage
    ) -> [Action] {
        let signBytes = state.signBytes(chainID: chainID)
        // A proposal whose signature fails is not the peer's: drop it without an answer, so a
        // forger cannot make us reject on the peer's behalf.
        guard parameters.participants[peerIndex].isValidSignature(signature, for: signBytes) else {
            return [.discarded(message, .invalidSignature)]
        }
        var actions: [Action] = []
        if let own = pending {
            if own.state.version == state.version {
                // Concurrent proposals: the lower proposer key wins on both sides.
                if parameters.participants[ourIndex] < parameters.participants[peerIndex] {
                    return []
                }
                pending = nil
                actions.append(.ownProposalDropped(own.state))
            } else {
                return actions + [reject(state, .proposalPending)]
            }
        }
        do {
            try validate(state, proposer: peerIndex, applyingRule: true)
        } catch {
            return actions + [reject(state, error)]
        }
        let ours = key.sign(signBytes)
        let signed = SignedState(state: state, signatures: ordered(ours: ours, theirs: signature))
        current = signed
        actions.append(.accepted(signed))
        actions.append(.send(.acceptance(channelID: channelID, version: state.version, signature: ours)))
        return actions
    }

    private mutating func receiveAcceptance(
        _ version: UInt64,
        _ signature: Ed25519.Signature,
        _ message: ChannelMessage
    ) -> [Action] {
        guard let own = pending, own.state.version == version else {
            return [.discarded(message, .unknownProposal(version: version))]
        }
        guard parameters.participants[peerIndex].isValidSignature(signature, for: own.state.signBytes(chainID: chainID))
        else {
            return [.discarded(message, .invalidSignature)]
        }
        pending = nil
        let signed = SignedState(state: own.state, signatures: ordered(ours: own.signature, theirs: signature))
        current = signed
        return [.accepted(signed)]
    }

    // MARK: - Helpers

    private func validate(_ state: ChannelState, proposer: Int, applyingRule: Bool) throws(UpdateRejection) {
        let now = current.state
        guard state.channelID == channelID else { throw .wrongChannel }
        guard !now.isFinal else { throw .channelFinal }
        guard state.version == now.version &+ 1 else {
            throw .versionNotNext(expected: now.version &+ 1, actual: state.version)
        }
        try ChannelInvariants.checkTransition(from: now, to: state)
        if applyingRule { try rule.check(from: now, to: state, proposer: proposer) }
    }

    private func reject(_ state: ChannelState, _ reason: UpdateRejection) -> Action {
        .send(.rejection(channelID: channelID, version: state.version, reason: reason))
    }

    private func ordered(ours: Ed25519.Signature, theirs: Ed25519.Signature) -> [Ed25519.Signature] {
        ourIndex == 0 ? [ours, theirs] : [theirs, ours]
    }
}
