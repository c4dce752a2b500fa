import Primitives
import Testing

@testable import NetworkCore
@testable import PeerNetwork

/// The Aether handshake tested as a pure state machine: two machines exchange frames in memory.
@Suite("Handshake state machine")
struct HandshakeTests {
    static let chainId = "aether-test"

    /// The outcome of running an initiator against a responder until both stop.
    struct Run {
        var initiator: [HandshakeStateMachine.Action] = []
        var responder: [HandshakeStateMachine.Action] = []
        var initiatorCipher: TransportCipher?
        var responderCipher: TransportCipher?
        var initiatorError: HandshakeError?
        var responderError: HandshakeError?
        var authenticated: PeerKey?
    }

    /// Runs the two machines, answering `authenticate` with `decision` (nil accepts), and
    /// optionally altering each frame in flight.
    static func run(
        _ initiator: HandshakeStateMachine,
        _ responder: HandshakeStateMachine,
        decision: String? = nil,
        tamper: (Int, inout [UInt8]) -> Void = { _, _ in }
    ) -> Run {
        var initiator = initiator
        var responder = responder
        var run = Run()
        var toResponder: [[UInt8]] = []
        var toInitiator: [[UInt8]] = []
        var frameIndex = 0

        func absorb(_ actions: [HandshakeStateMachine.Action], initiatorSide: Bool) -> [HandshakeStateMachine.Action] {
            var followUps: [HandshakeStateMachine.Action] = []
            for action in actions {
                switch action {
                case .send(var frame):
                    tamper(frameIndex, &frame)
                    frameIndex += 1
                    if initiatorSide { toResponder.append(frame) } else { toInitiator.append(frame) }
                case .authenticate(let key):
                    run.authenticated = key
                    followUps += responder.on(decision.map { .refuse($0) } ?? .accept)
                case .established(_, let cipher):
                    if initiatorSide { run.initiatorCipher = cipher } else { run.responderCipher = cipher }
                case .fail(let error):
                    if initiatorSide { run.initiatorError = error } else { run.responderError = error }
                }
            }
            return followUps
        }

        var pending = initiator.on(.start)
        run.initiator += pending
        var followUps = absorb(pending, initiatorSide: true)
        while !followUps.isEmpty { followUps = absorb(followUps, initiatorSide: false) }
        for _ in 0..<10 {
            if let frame = toResponder.first, run.responderError == nil {
                toResponder.removeFirst()
                pending = responder.on(.received(frame))
                run.responder += pending
                followUps = absorb(pending, initiatorSide: false)
                while !followUps.isEmpty {
                    run.responder += followUps
                    followUps = absorb(followUps, initiatorSide: false)
                }
            }
            if let frame = toInitiator.first, run.initiatorError == nil {
                toInitiator.removeFirst()
                pending = initiator.on(.received(frame))
                run.initiator += pending
                _ = absorb(pending, initiatorSide: true)
            }
        }
        return run
    }

    static func pair(
        initiatorKey: Ed25519.PrivateKey = .generate(),
        responderKey: Ed25519.PrivateKey = .generate(),
        allowed: Set<PeerKey>? = nil,
        initiatorChain: String = chainId,
        responderChain: String = chainId,
        proofChain: String? = nil,
        expected: PeerKey? = nil
    ) -> (HandshakeStateMachine, HandshakeStateMachine) {
        let initiatorIdentity = LocalIdentity(signingKey: initiatorKey, chainId: proofChain ?? initiatorChain)
        let responderIdentity = LocalIdentity(signingKey: responderKey, chainId: responderChain)
        let initiator = HandshakeStateMachine(
            initiatorExpecting: expected ?? responderKey.publicKey, identity: initiatorIdentity,
            chainId: initiatorChain)
        let responder = HandshakeStateMachine(
            responderAllowing: allowed ?? [initiatorKey.publicKey], identity: responderIdentity,
            chainId: responderChain)
        return (initiator, responder)
    }

    @Test("an allowed initiator and the expected responder establish matching transport keys")
    func success() throws {
        let initiatorKey = Ed25519.PrivateKey.generate()
        let responderKey = Ed25519.PrivateKey.generate()
        let (initiator, responder) = Self.pair(initiatorKey: initiatorKey, responderKey: responderKey)
        let run = Self.run(initiator, responder)
        #expect(run.initiatorError == nil && run.responderError == nil)
        #expect(run.authenticated == initiatorKey.publicKey)
        var initiatorCipher = try #require(run.initiatorCipher)
        var responderCipher = try #require(run.responderCipher)
        // The verdict used the responder's first transport nonce.
        #expect(responderCipher.framesSent == 1 && initiatorCipher.framesReceived == 1)
        let ping = try initiatorCipher.seal(Array("ping".utf8))
        let pingReceived = try responderCipher.open(ping)
        #expect(pingReceived == Array("ping".utf8))
        let pong = try responderCipher.seal(Array("pong".utf8))
        let pongReceived = try initiatorCipher.open(pong)
        #expect(pongReceived == Array("pong".utf8))
        // Message sizes on the wire: 32, 32+48+112, 48+112, then the 17-byte verdict.
        let sizes = (run.initiator + run.responder).compactMap { action -> Int? in
            if case .send(let frame) = action { frame.count } else { nil }
        }
        #expect(sizes.sorted() == [17, 32, 160, 192])
    }

    @Test("a responder refuses an initiator whose key is not allowed, and says why")
    func unknownKeyRefused() {
        let stranger = Ed25519.PrivateKey.generate()
        let (initiator, responder) = Self.pair(
            initiatorKey: stranger, allowed: [Ed25519.PrivateKey.generate().publicKey])
        let run = Self.run(initiator, responder)
        #expect(run.responderError == .peerNotAllowed(stranger.publicKey))
        #expect(run.authenticated == nil)
        #expect(run.initiatorCipher == nil && run.responderCipher == nil)
        guard case .refusedByPeer(let reason) = run.initiatorError else {
            Issue.record("initiator error \(String(describing: run.initiatorError))")
            return
        }
        #expect(reason.contains("not a validator"))
    }

    @Test("an identity proof signed for another chain id is refused")
    func proofForAnotherChain() {
        let initiatorKey = Ed25519.PrivateKey.generate()
        // Same prologue (so Noise succeeds), but the proof was signed for another chain.
        let (initiator, responder) = Self.pair(initiatorKey: initiatorKey, proofChain: "another-chain")
        let run = Self.run(initiator, responder)
        #expect(run.responderError == .invalidIdentityProof(initiatorKey.publicKey))
        #expect(run.authenticated == nil && run.responderCipher == nil)
    }

    @Test("a proof made for another static key is refused")
    func proofForAnotherStaticKey() {
        let initiatorKey = Ed25519.PrivateKey.generate()
        let responderKey = Ed25519.PrivateKey.generate()
        let honest = LocalIdentity(signingKey: initiatorKey, chainId: Self.chainId)
        let other = LocalIdentity(signingKey: initiatorKey, chainId: Self.chainId)
        // A copied proof with a static key it does not vouch for (a replayed proof).
        let replayed = LocalIdentity(staticKey: other.staticKey, proof: honest.proof)
        let initiator = HandshakeStateMachine(
            initiatorExpecting: responderKey.publicKey, identity: replayed, chainId: Self.chainId)
        let responder = HandshakeStateMachine(
            responderAllowing: [initiatorKey.publicKey],
            identity: LocalIdentity(signingKey: responderKey, chainId: Self.chainId), chainId: Self.chainId)
        let run = Self.run(initiator, responder)
        #expect(run.responderError == .invalidIdentityProof(initiatorKey.publicKey))
    }

    @Test("nodes of different chain ids fail at message 2 (the prologue differs)")
    func differentChainPrologue() {
        let (initiator, responder) = Self.pair(initiatorChain: "chain-a", responderChain: "chain-b")
        let run = Self.run(initiator, responder)
        #expect(run.initiatorError == .decryptionFailed)
        #expect(run.authenticated == nil)
    }

    @Test("the initiator stops before revealing itself when the responder is not the dialed key")
    func unexpectedResponder() {
        let expected = Ed25519.PrivateKey.generate().publicKey
        let responderKey = Ed25519.PrivateKey.generate()
        let (initiator, responder) = Self.pair(responderKey: responderKey, expected: expected)
        let run = Self.run(initiator, responder)
        #expect(run.initiatorError == .unexpectedPeer(expected: expected, actual: responderKey.publicKey))
        // Only message 1 left the initiator: its identity (message 3) was never sent.
        let sent = run.initiator.filter { if case .send = $0 { true } else { false } }
        #expect(sent.count == 1)
    }

    @Test("a node that reaches itself refuses the link")
    func connectedToSelf() {
        let key = Ed25519.PrivateKey.generate()
        let (initiator, responder) = Self.pair(initiatorKey: key, responderKey: key)
        let run = Self.run(initiator, responder)
        #expect(run.initiatorError == .connectedToSelf)
    }

    @Test("the owner's refusal reaches the initiator as its reason", arguments: ["banned", "duplicate link"])
    func ownerRefusal(reason: String) {
        let (initiator, responder) = Self.pair()
        let run = Self.run(initiator, responder, decision: reason)
        #expect(run.responderError == .refused(reason))
        #expect(run.initiatorError == .refusedByPeer(reason))
        #expect(run.initiatorCipher == nil)
    }

    @Test("a flipped bit in any handshake frame aborts the handshake", arguments: 0..<4)
    func tamperedFrame(index: Int) {
        let (initiator, responder) = Self.pair()
        let run = Self.run(initiator, responder) { frameIndex, frame in
            // Frame 0 (`e` in clear) changes the key both sides derive; later frames fail their tag.
            if frameIndex == index, !frame.isEmpty { frame[frame.count - 1] ^= 0x01 }
        }
        #expect(run.initiatorCipher == nil, "frame \(index)")
        #expect(run.initiatorError != nil || run.responderError != nil, "frame \(index)")
    }

    @Test("malformed handshake frames are refused without trapping")
    func malformedFrames() {
        for frame: [UInt8] in [[], [1, 2, 3], [UInt8](repeating: 0, count: 31), [UInt8](repeating: 7, count: 33)] {
            var responder = Self.pair().1
            let actions = responder.on(.received(frame))
            let failed = actions.contains { if case .fail = $0 { true } else { false } }
            #expect(failed, "\(frame.count) bytes")
        }
        // An initiator that receives anything before it started.
        var initiator = Self.pair().0
        let actions = initiator.on(.received([UInt8](repeating: 0, count: 192)))
        #expect(actions.contains { if case .fail = $0 { true } else { false } })
    }

    @Test("transport frames are single-use: a replayed, reordered or altered frame fails")
    func transportReplay() throws {
        let (initiator, responder) = Self.pair()
        let done = Self.run(initiator, responder)
        var sender = try #require(done.initiatorCipher)
        var receiver = try #require(done.responderCipher)
        let first = try sender.seal([1])
        let second = try sender.seal([2])
        #expect(throws: NoiseError.decryptionFailed) { try receiver.open(second) }  // reordered
        let opened = try receiver.open(first)
        #expect(opened == [1])
        #expect(throws: NoiseError.decryptionFailed) { try receiver.open(first) }  // replayed
        var altered = second
        altered[0] ^= 0x80
        #expect(throws: NoiseError.decryptionFailed) { try receiver.open(altered) }
        let openedSecond = try receiver.open(second)
        #expect(openedSecond == [2])
    }
}
