import NIOCore
import NIOPosix
import Primitives
import Synchronization
import Testing

@testable import NetworkCore
@testable import PeerNetwork

/// The chain id every socket test uses.
let testChainId = "aether-test"

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A started `NetworkNode` plus everything it delivered, recorded for assertions.
final class TestNode: Sendable {
    let node: NetworkNode
    let signingKey: Ed25519.PrivateKey
    let port: Int
    private let inbox = Mutex<[InboundMessage]>([])
    private let log = Mutex<[PeerEvent]>([])

    var key: PeerKey { signingKey.publicKey }
    var address: PeerAddress { PeerAddress(host: "127.0.0.1", port: port, key: key) }
    var received: [InboundMessage] { inbox.withLock { $0 } }
    var events: [PeerEvent] { log.withLock { $0 } }

    /// Starts a node with `signingKey` that accepts `validators` and dials `peers`.
    init(
        _ signingKey: Ed25519.PrivateKey = .generate(),
        validators: Set<PeerKey>,
        peers: [PeerAddress] = [],
        port: Int = 0,
        configure: (inout NetworkConfiguration) -> Void = { _ in }
    ) async throws {
        var configuration = NetworkConfiguration(chainId: testChainId, validators: validators, peers: peers)
        configuration.port = port
        configuration.redial = RedialPolicy(
            initialDelay: .milliseconds(50), maxDelay: .milliseconds(400), stableAfter: .seconds(1))
        // make test runs these beside CPU-heavy chain peers: a starved handshake must not time out.
        configuration.handshakeTimeout = .seconds(30)
        configure(&configuration)
        self.signingKey = signingKey
        node = try NetworkNode(configuration: configuration, identity: signingKey)
        self.port = try await node.start()
        Task { [self] in for await message in node.messages { inbox.withLock { $0.append(message) } } }
        Task { [self] in for await event in node.events { log.withLock { $0.append(event) } } }
    }

    /// Messages delivered from `peer` on `channel`.
    func received(from peer: PeerKey, channel: UInt8) -> [[UInt8]] {
        received.filter { $0.peer == peer && $0.channel == channel }.map(\.payload)
    }

    /// True once `peer` is connected.
    func isConnected(to peer: PeerKey) -> Bool { node.connectedPeers.contains(peer) }

    func stop() async { await node.stop() }
}

/// A hand-driven TCP client speaking raw bytes: runs the handshake state machine itself, then
/// lets a test send whatever it likes (tampered frames, oversized lengths, garbage).
final class RawConnection: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        let closed = Mutex(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLock { $0 = true }
        }
    }

    struct Closed: Error {}
    struct TimedOut: Error {}

    let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    var isClosed: Bool { collector.closed.withLock { $0 } }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func writeFrame(_ body: [UInt8]) async throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        try await channel.writeAndFlush(buffer)
    }

    /// The next complete frame body; throws `Closed` at end of stream.
    func readFrame(timeout: Duration = .seconds(5)) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let frame = collector.bytes.withLock { bytes -> [UInt8]? in
                guard bytes.count >= 4 else { return nil }
                let length = bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
                guard bytes.count >= 4 + length else { return nil }
                defer { bytes.removeFirst(4 + length) }
                return Array(bytes[4..<4 + length])
            }
            if let frame { return frame }
            if isClosed { throw Closed() }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TimedOut()
    }

    /// Runs `machine` (an initiator) to completion over this connection.
    func handshake(_ machine: HandshakeStateMachine) async throws -> (PeerKey, TransportCipher) {
        var machine = machine
        var actions = machine.on(.start)
        while true {
            for action in actions {
                switch action {
                case .send(let frame): try await writeFrame(frame)
                case .established(let peer, let cipher): return (peer, cipher)
                case .fail(let error): throw error
                case .authenticate: throw Closed()
                }
            }
            actions = machine.on(.received(try await readFrame()))
        }
    }

    /// Completes an honest handshake with the node at `expected` as `identity`.
    static func established(
        port: Int, expected: PeerKey, as signingKey: Ed25519.PrivateKey
    ) async throws -> (RawConnection, TransportCipher) {
        let connection = try await connect(port: port)
        let machine = HandshakeStateMachine(
            initiatorExpecting: expected, identity: LocalIdentity(signingKey: signingKey, chainId: testChainId),
            chainId: testChainId)
        let (_, cipher) = try await connection.handshake(machine)
        return (connection, cipher)
    }

    func close() async {
        try? await channel.close()
    }
}
