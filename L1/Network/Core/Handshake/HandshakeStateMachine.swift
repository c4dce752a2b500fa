package import Primitives

/// The Aether handshake on top of Noise XX (Docs/spec/network.md §2), as a pure state machine:
/// feed it events, perform the actions it returns. No sockets, no clock.
///
/// ```
/// -> e                      (empty payload)
/// <- e, ee, s, es           (responder's identity proof)
/// -> s, se                  (initiator's identity proof)
/// <- verdict                (first transport frame: accepted, or refused with a reason)
/// ```
///
/// The initiator checks it reached the key it dialed before revealing its own identity; the
/// responder checks the initiator's key is allowed, then asks its owner (`authenticate`) whether to
/// accept, so node-level rules (bans, duplicate links) decide the verdict too.
package struct HandshakeStateMachine: Sendable {
    /// What happened.
    package enum Event: Sendable {
        /// The TCP connection is up (the initiator writes message 1).
        case start
        /// A complete handshake frame body arrived.
        case received([UInt8])
        /// The owner accepts the authenticated peer (answer to `authenticate`; responder only).
        case accept
        /// The owner refuses the authenticated peer, with a reason sent to it (responder only).
        case refuse(String)
    }

    /// What the owner must do, in order.
    package enum Action: Sendable {
        /// Write this frame body (the owner adds the length prefix).
        case send([UInt8])
        /// Responder: the peer proved it holds `PeerKey`; answer with `.accept` or `.refuse`.
        case authenticate(PeerKey)
        /// The link is up: use the cipher for transport frames.
        case established(PeerKey, TransportCipher)
        /// The handshake failed: close the connection (after sending any `send` before this).
        case fail(HandshakeError)
    }

    fileprivate enum State: Sendable {
        case idle(NoiseXXHandshake)
        case awaitingMessage1(NoiseXXHandshake)
        case awaitingMessage2(NoiseXXHandshake)
        case awaitingMessage3(NoiseXXHandshake)
        case awaitingDecision(PeerKey, TransportCipher)
        case awaitingVerdict(PeerKey, TransportCipher)
        case done
    }

    private enum Role: Sendable {
        case initiator(expected: PeerKey)
        case responder(allowed: Set<PeerKey>?)
    }

    private let role: Role
    private let chainId: String
    private let identity: LocalIdentity
    private var state: State

    /// The dialer's side: it will only complete with the node holding `expectedPeer`.
    package init(initiatorExpecting expectedPeer: PeerKey, identity: LocalIdentity, chainId: String) {
        self.role = .initiator(expected: expectedPeer)
        self.chainId = chainId
        self.identity = identity
        state = .idle(
            NoiseXXHandshake(
                role: .initiator, prologue: Self.prologue(chainId: chainId), staticKey: identity.staticKey))
    }

    /// The listener's side: it accepts initiators whose key is in `allowedPeers`, or any key that
    /// proves itself when `allowedPeers` is nil (a service open to the public).
    package init(responderAllowing allowedPeers: Set<PeerKey>?, identity: LocalIdentity, chainId: String) {
        self.role = .responder(allowed: allowedPeers)
        self.chainId = chainId
        self.identity = identity
        state = .awaitingMessage1(
            NoiseXXHandshake(
                role: .responder, prologue: Self.prologue(chainId: chainId), staticKey: identity.staticKey))
    }

    /// `canonical("aether/network", version, chain id)`: mixed into the handshake hash, so nodes of
    /// another chain or protocol version cannot complete a handshake with us.
    package static func prologue(chainId: String, version: UInt16 = NetworkProtocol.version) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.write("aether/network")
        encoder.write(version)
        encoder.write(chainId)
        return encoder.bytes
    }

    /// True once the machine has established or failed.
    package var isFinished: Bool {
        if case .done = state { return true }
        return false
    }

    /// Advances on `event` and returns what to do.
    package mutating func on(_ event: Event) -> [Action] {
        let current = state
        state = .done
        do throws(HandshakeError) {
            switch (current, event) {
            case (.idle(var noise), .start):
                let message = try noiseStep { () throws(NoiseError) in try noise.writeMessage(payload: []) }
                state = .awaitingMessage2(noise)
                return [.send(message)]
            case (.awaitingMessage1(let noise), .start):
                state = .awaitingMessage1(noise)
                return []
            case (.awaitingMessage1(var noise), .received(let message)):
                return try respondToMessage1(&noise, message)
            case (.awaitingMessage2(var noise), .received(let message)):
                return try answerMessage2(&noise, message)
            case (.awaitingMessage3(var noise), .received(let message)):
                return try checkMessage3(&noise, message)
            case (.awaitingDecision(let peer, var cipher), .accept):
                let verdict = try noiseStep { () throws(NoiseError) in
                    try cipher.seal(Canonical.encode(HandshakeVerdict.accepted))
                }
                return [.send(verdict), .established(peer, cipher)]
            case (.awaitingDecision(_, var cipher), .refuse(let reason)):
                return refusal(reason, cipher: &cipher, error: .refused(reason))
            case (.awaitingVerdict(let peer, var cipher), .received(let frame)):
                let plaintext = try noiseStep { () throws(NoiseError) in try cipher.open(frame) }
                let verdict: HandshakeVerdict
                do {
                    verdict = try Canonical.decode(HandshakeVerdict.self, from: plaintext)
                } catch {
                    throw .malformedMessage("verdict: \(error)")
                }
                switch verdict {
                case .accepted: return [.established(peer, cipher)]
                case .refused(let reason): throw .refusedByPeer(reason)
                }
            case (.done, _):
                return [.fail(.unexpectedEvent("the handshake is already finished"))]
            default:
                throw .unexpectedEvent("\(event) in state \(current.name)")
            }
        } catch {
            return [.fail(error)]
        }
    }

    // MARK: - Steps

    private mutating func respondToMessage1(
        _ noise: inout NoiseXXHandshake, _ message: [UInt8]
    ) throws(HandshakeError) -> [Action] {
        let payload = try noiseStep { () throws(NoiseError) in try noise.readMessage(message) }
        guard payload.isEmpty else {
            throw .malformedMessage("message 1 carries a \(payload.count)-byte payload; version 1 sends none")
        }
        let reply = try noiseStep { () throws(NoiseError) in
            try noise.writeMessage(payload: Canonical.encode(identity.proof))
        }
        state = .awaitingMessage3(noise)
        return [.send(reply)]
    }

    private mutating func answerMessage2(
        _ noise: inout NoiseXXHandshake, _ message: [UInt8]
    ) throws(HandshakeError) -> [Action] {
        guard case .initiator(let expected) = role else { throw .unexpectedEvent("message 2 at the responder") }
        let payload = try noiseStep { () throws(NoiseError) in try noise.readMessage(message) }
        let peer = try verifiedIdentity(payload, noise: noise)
        // Checked before message 3, so we never reveal our identity to a node we did not dial.
        guard peer == expected else { throw .unexpectedPeer(expected: expected, actual: peer) }
        let reply = try noiseStep { () throws(NoiseError) in
            try noise.writeMessage(payload: Canonical.encode(identity.proof))
        }
        let (send, receive) = try noiseStep { () throws(NoiseError) in try noise.split() }
        state = .awaitingVerdict(peer, TransportCipher(send: send, receive: receive))
        return [.send(reply)]
    }

    private mutating func checkMessage3(
        _ noise: inout NoiseXXHandshake, _ message: [UInt8]
    ) throws(HandshakeError) -> [Action] {
        guard case .responder(let allowed) = role else { throw .unexpectedEvent("message 3 at the initiator") }
        let payload = try noiseStep { () throws(NoiseError) in try noise.readMessage(message) }
        let peer = try verifiedIdentity(payload, noise: noise)
        let (send, receive) = try noiseStep { () throws(NoiseError) in try noise.split() }
        var cipher = TransportCipher(send: send, receive: receive)
        guard allowed?.contains(peer) ?? true else {
            return refusal(
                "your key \(peer) is not a validator or on the allowlist of this node",
                cipher: &cipher, error: .peerNotAllowed(peer))
        }
        state = .awaitingDecision(peer, cipher)
        return [.authenticate(peer)]
    }

    /// Parses and checks a proof: right size, valid for our chain and the static key Noise proved.
    private func verifiedIdentity(_ payload: [UInt8], noise: NoiseXXHandshake) throws(HandshakeError) -> PeerKey {
        guard payload.count == IdentityProof.byteCount else {
            throw .malformedMessage(
                "an identity proof is \(IdentityProof.byteCount) bytes, got \(payload.count)")
        }
        let proof: IdentityProof
        do {
            proof = try Canonical.decode(IdentityProof.self, from: payload)
        } catch {
            throw .malformedMessage("identity proof: \(error)")
        }
        guard let staticKey = noise.remoteStaticKey else { throw .unexpectedEvent("no static key after s") }
        guard proof.isValid(staticKey: staticKey, chainId: chainId) else {
            throw .invalidIdentityProof(proof.identity)
        }
        guard proof.identity != identity.key else { throw .connectedToSelf }
        return proof.identity
    }

    private func refusal(_ reason: String, cipher: inout TransportCipher, error: HandshakeError) -> [Action] {
        let trimmed = String(decoding: reason.utf8.prefix(Framing.maxRefusalReasonBytes), as: UTF8.self)
        guard let verdict = try? cipher.seal(Canonical.encode(HandshakeVerdict.refused(trimmed))) else {
            return [.fail(error)]
        }
        return [.send(verdict), .fail(error)]
    }
}

extension HandshakeStateMachine.Event: CustomStringConvertible {
    package var description: String {
        switch self {
        case .start: "start"
        case .received(let bytes): "a \(bytes.count)-byte frame"
        case .accept: "accept"
        case .refuse: "refuse"
        }
    }
}

extension HandshakeStateMachine.State {
    fileprivate var name: String {
        switch self {
        case .idle: "idle"
        case .awaitingMessage1: "awaiting message 1"
        case .awaitingMessage2: "awaiting message 2"
        case .awaitingMessage3: "awaiting message 3"
        case .awaitingDecision: "awaiting the owner's decision"
        case .awaitingVerdict: "awaiting the verdict"
        case .done: "done"
        }
    }
}

/// The responder's answer after message 3, sent as the first transport frame.
package enum HandshakeVerdict: Sendable, Equatable, CanonicalCodable {
    /// The link is up.
    case accepted
    /// The link is refused; the reason is for the dialer's log (at most 256 UTF-8 bytes).
    case refused(String)

    package func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .accepted: encoder.write(UInt8(0))
        case .refused(let reason):
            encoder.write(UInt8(1))
            encoder.write(reason)
        }
    }

    package init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0: self = .accepted
        case 1: self = .refused(try decoder.read(String.self, maxLength: Framing.maxRefusalReasonBytes))
        case let tag: throw .unknownTag(offset: offset, tag: UInt64(tag), type: "HandshakeVerdict")
        }
    }
}

/// Why a handshake did not establish a link.
package enum HandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A handshake field failed authentication: the peer runs another chain id or protocol
    /// version (the prologue differs), or the bytes were altered.
    case decryptionFailed
    /// A message has the wrong shape (length, payload, encoding).
    case malformedMessage(String)
    /// A key in the handshake is unusable for X25519.
    case invalidKey(String)
    /// The identity proof's signature does not vouch for the Noise static key on our chain id.
    case invalidIdentityProof(PeerKey)
    /// The dialed address answered with another identity than the one we dialed.
    case unexpectedPeer(expected: PeerKey, actual: PeerKey)
    /// The initiator's key is neither a validator key nor on the allowlist.
    case peerNotAllowed(PeerKey)
    /// The peer presented our own identity (we dialed ourselves).
    case connectedToSelf
    /// The responder refused us; the reason is the peer's text.
    case refusedByPeer(String)
    /// We refused an authenticated peer (banned, duplicate link, stopping).
    case refused(String)
    /// An event arrived that the current state does not expect.
    case unexpectedEvent(String)

    package var description: String {
        switch self {
        case .decryptionFailed:
            "handshake decryption failed (the peer uses another chain id or protocol version, or bytes were altered)"
        case .malformedMessage(let reason): "malformed handshake message: \(reason)"
        case .invalidKey(let reason): "invalid handshake key: \(reason)"
        case .invalidIdentityProof(let key):
            "identity proof of \(key) does not verify for this chain id and the Noise static key"
        case .unexpectedPeer(let expected, let actual): "dialed \(expected) but reached \(actual)"
        case .peerNotAllowed(let key): "peer \(key) is not a validator or on the allowlist"
        case .connectedToSelf: "the peer is this node itself"
        case .refusedByPeer(let reason): "the peer refused the link: \(String(reflecting: reason))"
        case .refused(let reason): "refused the peer: \(reason)"
        case .unexpectedEvent(let reason): "unexpected handshake event: \(reason)"
        }
    }
}

/// Runs a Noise step, turning its error into the handshake's.
private func noiseStep<T>(_ body: () throws(NoiseError) -> T) throws(HandshakeError) -> T {
    do {
        return try body()
    } catch {
        throw HandshakeError(error)
    }
}

extension HandshakeError {
    init(_ error: NoiseError) {
        switch error {
        case .decryptionFailed: self = .decryptionFailed
        case .malformedMessage(let reason): self = .malformedMessage(reason)
        case .invalidKey(let reason): self = .invalidKey(reason)
        case .nonceExhausted, .outOfOrder, .cipherFailure: self = .unexpectedEvent(error.description)
        }
    }
}
