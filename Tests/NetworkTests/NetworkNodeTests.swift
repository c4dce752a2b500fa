import NIOCore
import NIOPosix
import Primitives
import Testing

@testable import NetworkCore
@testable import PeerNetwork

/// Real sockets on 127.0.0.1 with ports picked by the kernel.
@Suite("Network node over loopback")
struct NetworkNodeTests {
    /// Two validators, `b` dialing `a`, both connected.
    static func connectedPair(
        configureA: (inout NetworkConfiguration) -> Void = { _ in },
        configureB: (inout NetworkConfiguration) -> Void = { _ in }
    ) async throws -> (TestNode, TestNode) {
        let keyA = Ed25519.PrivateKey.generate()
        let keyB = Ed25519.PrivateKey.generate()
        let validators: Set = [keyA.publicKey, keyB.publicKey]
        let a = try await TestNode(keyA, validators: validators, configure: configureA)
        let b = try await TestNode(keyB, validators: validators, peers: [a.address], configure: configureB)
        let up = await eventually { a.isConnected(to: b.key) && b.isConnected(to: a.key) }
        try #require(up, "the pair did not connect")
        return (a, b)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("the handshake succeeds and messages flow both ways")
    func messagesFlow() async throws {
        let (a, b) = try await Self.connectedPair()
        try a.node.send(to: b.key, channel: 1, payload: Self.bytes("ping"))
        try b.node.send(to: a.key, channel: 2, payload: Self.bytes("pong"))
        #expect(try b.node.broadcast(channel: 3, payload: Self.bytes("to all")) == 1)
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try a.node.send(to: b.key, channel: 4, payload: big)
        #expect(await eventually { b.received(from: a.key, channel: 1) == [Self.bytes("ping")] })
        #expect(await eventually { a.received(from: b.key, channel: 2) == [Self.bytes("pong")] })
        #expect(await eventually { a.received(from: b.key, channel: 3) == [Self.bytes("to all")] })
        #expect(await eventually { b.received(from: a.key, channel: 4) == [big] })
        #expect(await eventually { a.events == [.connected(b.key)] && b.events == [.connected(a.key)] })
        let metrics = a.node.metrics
        #expect(metrics.peersConnected == 1 && metrics.messagesOut == 2 && metrics.messagesDelivered == 2)
        #expect(metrics.bytesOut > UInt64(big.count) && metrics.bytesIn > 0)
        #expect(throws: NetworkError.payloadTooLarge(size: 8 << 20, limit: a.node.configuration.maxPayloadBytes)) {
            try a.node.send(to: b.key, channel: 1, payload: [UInt8](repeating: 0, count: 8 << 20))
        }
        #expect(throws: NetworkError.self) {
            try a.node.send(to: Ed25519.PrivateKey.generate().publicKey, channel: 1, payload: [1])
        }
        await a.stop()
        await b.stop()
    }

    @Test("a peer with an unknown key is refused, with the reason in both logs")
    func unknownKeyRefused() async throws {
        let keyA = Ed25519.PrivateKey.generate()
        let stranger = Ed25519.PrivateKey.generate()
        let a = try await TestNode(keyA, validators: [])
        // The stranger knows A, but A does not know the stranger.
        let c = try await TestNode(stranger, validators: [keyA.publicKey], peers: [a.address])
        #expect(await eventually { a.node.metrics.handshakeFailures >= 1 && c.node.metrics.handshakeFailures >= 1 })
        #expect(a.node.connectedPeers.isEmpty && c.node.connectedPeers.isEmpty)
        #expect(a.events.isEmpty && c.events.isEmpty, "a refused dialer must never report a connection")
        await a.stop()
        await c.stop()
    }

    @Test("a peer presenting a proof signed for another chain id is refused")
    func proofForAnotherChain() async throws {
        let keyA = Ed25519.PrivateKey.generate()
        let impostor = Ed25519.PrivateKey.generate()
        let a = try await TestNode(keyA, validators: [impostor.publicKey])
        let raw = try await RawConnection.connect(port: a.port)
        let machine = HandshakeStateMachine(
            initiatorExpecting: keyA.publicKey,
            identity: LocalIdentity(signingKey: impostor, chainId: "another-chain"), chainId: testChainId)
        await #expect(throws: (any Error).self) { _ = try await raw.handshake(machine) }
        #expect(await eventually { raw.isClosed })
        #expect(await eventually { a.node.metrics.handshakeFailures == 1 })
        #expect(a.node.connectedPeers.isEmpty && a.events.isEmpty)

        // A whole node of another chain id fails too (its prologue differs).
        let other = try await TestNode(impostor, validators: [keyA.publicKey], peers: [a.address]) {
            $0.chainId = "another-chain"
        }
        #expect(await eventually { other.node.metrics.handshakeFailures >= 1 })
        #expect(a.node.connectedPeers.isEmpty && other.node.connectedPeers.isEmpty)
        await other.stop()
        await a.stop()
    }

    enum Attack: String, CaseIterable {
        case tamperedCiphertext, oversizedFrame, garbageAfterHandshake, garbageBeforeHandshake, malformedPlaintext
    }

    @Test("a bad frame closes that link while honest peers keep working", arguments: Attack.allCases)
    func badFrameClosesLink(attack: Attack) async throws {
        let attacker = Ed25519.PrivateKey.generate()
        let (a, b) = try await Self.connectedPair(configureA: {
            $0.validators.insert(attacker.publicKey)
            $0.maxFrameBytes = 64 << 10
        })
        let raw: RawConnection
        switch attack {
        case .garbageBeforeHandshake:
            raw = try await RawConnection.connect(port: a.port)
            try await raw.write((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        default:
            var cipher: TransportCipher
            (raw, cipher) = try await RawConnection.established(port: a.port, expected: a.key, as: attacker)
            #expect(await eventually { a.isConnected(to: attacker.publicKey) })
            // One honest message first: the link works until the attack.
            try await raw.writeFrame(cipher.seal(Canonical.encode(WireMessage(channel: 1, payload: [42]))))
            #expect(await eventually { a.received(from: attacker.publicKey, channel: 1) == [[42]] })
            switch attack {
            case .tamperedCiphertext:
                var frame = try cipher.seal(Canonical.encode(WireMessage(channel: 1, payload: [1, 2, 3])))
                frame[frame.count / 2] ^= 0x04
                try await raw.writeFrame(frame)
            case .oversizedFrame:
                // Only the length: the node must refuse before waiting for (or allocating) the body.
                try await raw.write([0x00, 0x01, 0x00, 0x01])
            case .garbageAfterHandshake:
                try await raw.write([0x00, 0x00, 0x00, 0x20] + (0..<32).map { UInt8($0) })
            case .malformedPlaintext:
                // Authentic ciphertext of bytes that are not a wire message (length runs past the end).
                try await raw.writeFrame(cipher.seal([1, 200, 1]))
            case .garbageBeforeHandshake:
                break
            }
        }
        #expect(await eventually { raw.isClosed }, "\(attack): the node kept the link open")
        if attack == .garbageBeforeHandshake {
            #expect(await eventually { a.node.metrics.handshakeFailures == 1 })
        } else {
            #expect(await eventually { a.node.metrics.protocolViolations == 1 })
            #expect(a.node.score(of: attacker.publicKey) < 0)
            #expect(a.received(from: attacker.publicKey, channel: 1) == [[42]], "nothing after the attack")
            let closed = await eventually {
                a.events.contains {
                    if case .disconnected(attacker.publicKey, .protocolViolation) = $0 { true } else { false }
                }
            }
            #expect(closed)
        }
        // The honest link was not disturbed.
        try b.node.send(to: a.key, channel: 5, payload: Self.bytes("still here"))
        #expect(await eventually { a.received(from: b.key, channel: 5) == [Self.bytes("still here")] })
        #expect(a.isConnected(to: b.key))
        await raw.close()
        await a.stop()
        await b.stop()
    }

    @Test("a peer that sends bad frames twice is banned and refused at its next handshake")
    func repeatOffenderBanned() async throws {
        let attacker = Ed25519.PrivateKey.generate()
        let a = try await TestNode(validators: [attacker.publicKey])
        for _ in 0..<2 {
            // On a loaded machine the node may still be closing the previous link when the next
            // handshake starts, and drop it: try again (up to three times).
            var attempt = 0
            var established: RawConnection?
            while established == nil {
                do {
                    established = try await RawConnection.established(port: a.port, expected: a.key, as: attacker).0
                } catch let error as ChannelError where attempt < 2 {
                    attempt += 1
                    _ = error
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let raw = try #require(established)
            do {
                try await raw.write([0xff, 0xff, 0xff, 0xff])
            } catch let error as ChannelError {
                // On a loaded machine the node may already have closed the link: the frame was bad all the same.
                #expect(error == .ioOnClosedChannel || error == .eof, "unexpected channel error \(error)")
            }
            #expect(await eventually { raw.isClosed })
            await raw.close()
        }
        #expect(await eventually { a.node.isBanned(attacker.publicKey) })
        #expect(a.node.metrics.bans == 1 && a.node.metrics.protocolViolations == 2)
        let raw = try await RawConnection.connect(port: a.port)
        let machine = HandshakeStateMachine(
            initiatorExpecting: a.key, identity: LocalIdentity(signingKey: attacker, chainId: testChainId),
            chainId: testChainId)
        do {
            _ = try await raw.handshake(machine)
            Issue.record("a banned peer completed a handshake")
        } catch let error as HandshakeError {
            guard case .refusedByPeer(let reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(reason.contains("banned"))
        } catch let error as ChannelError {
            // The node may drop the link before its refusal frame reaches us: refused all the same.
            #expect(error == .ioOnClosedChannel || error == .eof, "unexpected channel error \(error)")
        }
        await raw.close()
        await a.stop()
    }

    @Test("duplicates are delivered once; relayed channels reach peers that are not directly connected")
    func deduplicationAndRelay() async throws {
        let keys = (0..<3).map { _ in Ed25519.PrivateKey.generate() }
        let validators = Set(keys.map(\.publicKey))
        let relayed: (inout NetworkConfiguration) -> Void = { $0.channels[7] = ChannelPolicy(relay: true) }
        // A line: a — hub — c. a and c are not linked to each other.
        let hub = try await TestNode(keys[1], validators: validators, configure: relayed)
        let a = try await TestNode(keys[0], validators: validators, peers: [hub.address], configure: relayed)
        let c = try await TestNode(keys[2], validators: validators, peers: [hub.address], configure: relayed)
        let linked = await eventually {
            hub.node.connectedPeers.count == 2 && a.isConnected(to: hub.key) && c.isConnected(to: hub.key)
        }
        try #require(linked)

        for _ in 0..<3 { try a.node.send(to: hub.key, channel: 1, payload: Self.bytes("same")) }
        try a.node.send(to: hub.key, channel: 1, payload: Self.bytes("other"))
        #expect(await eventually { hub.received(from: a.key, channel: 1).count == 2 })
        #expect(await eventually { hub.node.metrics.drops(.duplicate) == 2 })
        #expect(hub.received(from: a.key, channel: 1) == [Self.bytes("same"), Self.bytes("other")])

        try a.node.broadcast(channel: 7, payload: Self.bytes("gossip"))
        try a.node.broadcast(channel: 7, payload: Self.bytes("gossip"))
        #expect(await eventually { c.received(from: hub.key, channel: 7) == [Self.bytes("gossip")] })
        try a.node.broadcast(channel: 1, payload: Self.bytes("not relayed"))
        #expect(await eventually { hub.received(from: a.key, channel: 1).count == 3 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(c.received(from: hub.key, channel: 1).isEmpty)
        #expect(c.received(from: hub.key, channel: 7).count == 1)
        #expect(a.received.isEmpty, "a's own gossip must not come back to it")
        #expect(hub.node.metrics.messagesRelayed == 1)
        for node in [a, c, hub] { await node.stop() }
    }

    @Test("over-limit messages are dropped and counted")
    func rateLimit() async throws {
        let (a, b) = try await Self.connectedPair(configureA: {
            $0.maxFrameBytes = 64 << 10
            $0.rateLimit = RateLimit(
                messagesPerSecond: 10, messageBurst: 10, bytesPerSecond: Double(1 << 20), byteBurst: Double(1 << 20))
        })
        for index in 0..<100 { try b.node.send(to: a.key, channel: 1, payload: [UInt8(index)]) }
        #expect(await eventually { a.node.metrics.messagesIn == 100 })
        let metrics = a.node.metrics
        #expect(metrics.drops(.rateLimited) >= 80)
        #expect(metrics.messagesDelivered + metrics.drops(.rateLimited) == 100)
        #expect(await eventually { a.received(from: b.key, channel: 1).count == Int(metrics.messagesDelivered) })
        #expect(a.isConnected(to: b.key), "rate limiting drops messages, not the peer")
        await a.stop()
        await b.stop()
    }

    @Test("a peer that restarts is redialed and reconnects")
    func redialAfterRestart() async throws {
        let keyA = Ed25519.PrivateKey.generate()
        let keyB = Ed25519.PrivateKey.generate()
        let validators: Set = [keyA.publicKey, keyB.publicKey]
        let b = try await TestNode(keyB, validators: validators)
        let a = try await TestNode(keyA, validators: validators, peers: [b.address])
        #expect(await eventually { a.isConnected(to: keyB.publicKey) })
        await b.stop()
        #expect(await eventually { !a.isConnected(to: keyB.publicKey) })
        #expect(await eventually { a.events.last == .disconnected(keyB.publicKey, .closedByPeer) })

        // Same key, same port: stop() released it, and A keeps redialing until B is back.
        try await Task.sleep(for: .milliseconds(300))
        let restarted = try await TestNode(keyB, validators: validators, port: b.port)
        #expect(await eventually { a.isConnected(to: keyB.publicKey) && restarted.isConnected(to: keyA.publicKey) })
        try a.node.send(to: keyB.publicKey, channel: 1, payload: [9])
        #expect(await eventually { restarted.received(from: keyA.publicKey, channel: 1) == [[9]] })
        #expect(await eventually { a.events.filter { $0 == .connected(keyB.publicKey) }.count == 2 })
        await a.stop()
        await restarted.stop()
    }

    @Test("isolation drops traffic both ways without closing the link; healing restores it")
    func isolation() async throws {
        let (a, b) = try await Self.connectedPair()
        a.node.isolate(from: [b.key])
        try b.node.send(to: a.key, channel: 1, payload: [1])
        try a.node.send(to: b.key, channel: 1, payload: [2])
        #expect(await eventually { a.node.metrics.drops(.isolated) == 2 })
        try await Task.sleep(for: .milliseconds(150))
        #expect(a.received.isEmpty && b.received.isEmpty)
        #expect(a.isConnected(to: b.key) && b.isConnected(to: a.key), "sockets stay open")

        a.node.heal()
        try b.node.send(to: a.key, channel: 1, payload: [3])
        try a.node.send(to: b.key, channel: 1, payload: [4])
        #expect(await eventually { a.received(from: b.key, channel: 1) == [[3]] })
        #expect(await eventually { b.received(from: a.key, channel: 1) == [[4]] })
        #expect(await eventually { a.events == [.connected(b.key)] }, "no reconnect happened")
        await a.stop()
        await b.stop()
    }

    @Test("penalties below the threshold disconnect and ban the peer")
    func penaltiesBan() async throws {
        let (a, b) = try await Self.connectedPair()
        for index in 0..<3 { a.node.penalize(peer: b.key, reason: "invalid transaction \(index)") }
        #expect(a.isConnected(to: b.key), "three penalties of 30 stay above -100")
        #expect(a.node.score(of: b.key) < -89)
        a.node.penalize(peer: b.key, reason: "invalid vote signature")
        #expect(await eventually { !a.isConnected(to: b.key) && !b.isConnected(to: a.key) })
        #expect(a.node.isBanned(b.key))
        #expect(await eventually { a.events.last == .disconnected(b.key, .banned("invalid vote signature")) })
        #expect(a.node.metrics.bans == 1)
        // B keeps redialing; A refuses it while the ban lasts.
        #expect(await eventually { b.node.metrics.handshakeFailures >= 1 })
        #expect(!a.isConnected(to: b.key))
        await a.stop()
        await b.stop()
    }

    @Test("a peer removed from the allowed set is disconnected and refused until it is back")
    func allowedSetChange() async throws {
        let (a, b) = try await Self.connectedPair()
        a.node.setAllowedPeers(validators: [a.key])
        #expect(await eventually { a.events.last == .disconnected(b.key, .notAllowed) })
        // B keeps redialing and is refused each time.
        #expect(await eventually { b.node.metrics.handshakeFailures >= 1 })
        #expect(!a.isConnected(to: b.key))
        a.node.setAllowedPeers(validators: [a.key], fullNodes: [b.key])
        #expect(await eventually { a.isConnected(to: b.key) && b.isConnected(to: a.key) })
        await a.stop()
        await b.stop()
    }

    @Test("four validators that all dial each other form a full mesh; a broadcast reaches each once")
    func fourValidatorMesh() async throws {
        let keys = (0..<4).map { _ in Ed25519.PrivateKey.generate() }
        let validators = Set(keys.map(\.publicKey))
        var nodes: [TestNode] = []
        for key in keys { nodes.append(try await TestNode(key, validators: validators)) }
        // Every node gets every address, its own included (ignored), as a localnet driver would.
        for node in nodes { for other in nodes { try node.node.connect(to: other.address) } }
        let meshed = await eventually { nodes.allSatisfy { $0.node.connectedPeers.count == 3 } }
        try #require(meshed)
        for (index, node) in nodes.enumerated() {
            #expect(try node.node.broadcast(channel: 2, payload: [UInt8(index)]) == 3)
        }
        for (index, node) in nodes.enumerated() {
            let others = nodes.indices.filter { $0 != index }.map { [UInt8($0)] }
            #expect(await eventually { Set(node.received.map(\.payload)) == Set(others) })
            #expect(node.received.count == 3)
            #expect(node.node.metrics.peersConnected == 3)
        }
        for node in nodes { await node.stop() }
    }

    @Test("simultaneous dials leave exactly one link")
    func simultaneousDial() async throws {
        let keyA = Ed25519.PrivateKey.generate()
        let keyB = Ed25519.PrivateKey.generate()
        let validators: Set = [keyA.publicKey, keyB.publicKey]
        let a = try await TestNode(keyA, validators: validators)
        let b = try await TestNode(keyB, validators: validators, peers: [a.address])
        try a.node.connect(to: b.address)
        #expect(await eventually { a.isConnected(to: keyB.publicKey) && b.isConnected(to: keyA.publicKey) })
        try await Task.sleep(for: .milliseconds(300))
        #expect(a.node.metrics.peersConnected == 1 && b.node.metrics.peersConnected == 1)
        try a.node.send(to: keyB.publicKey, channel: 1, payload: [1])
        try b.node.send(to: keyA.publicKey, channel: 1, payload: [2])
        #expect(await eventually { b.received(from: keyA.publicKey, channel: 1) == [[1]] })
        #expect(await eventually { a.received(from: keyB.publicKey, channel: 1) == [[2]] })
        // Swapping the duplicate link is not a disconnect.
        #expect(await eventually { a.events == [.connected(keyB.publicKey)] })
        #expect(await eventually { b.events == [.connected(keyA.publicKey)] })
        await a.stop()
        await b.stop()
    }

    @Test("stop() closes every link, ends the streams and releases the port")
    func stopReleasesPort() async throws {
        let (a, b) = try await Self.connectedPair()
        let port = a.port
        await a.stop()
        #expect(await eventually { a.events.last == .disconnected(b.key, .stopped) })
        #expect(await eventually { !b.isConnected(to: a.key) })
        #expect(throws: NetworkError.stopped) { try a.node.broadcast(channel: 1, payload: [1]) }
        await #expect(throws: NetworkError.stopped) { try await a.node.start() }
        // The port is free: another listener can take it at once (SO_REUSEADDR, as every server sets,
        // because the closed connections on that port sit in TIME_WAIT).
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port).get()
        #expect(listener.localAddress?.port == port)
        try await listener.close()
        await b.stop()
    }
}
