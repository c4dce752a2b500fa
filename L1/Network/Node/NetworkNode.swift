public import Logging
public import NIOCore
import NIOPosix
public import NetworkCore
public import Primitives
import Synchronization

/// A node's end of the validator network: listens, dials and redials peers, authenticates every
/// link (Noise XX bound to Ed25519 identities), and moves opaque `(channel, payload)` messages.
///
/// Thread-safe; every method may be called from any thread or task. Inbound traffic arrives on
/// `messages` and peer changes on `events`; each stream has one consumer. A stopped node cannot
/// be started again. See Docs/spec/network.md for the wire protocol and the policies.
public final class NetworkNode: Sendable {
    /// This node's Ed25519 identity.
    public let localKey: PeerKey
    /// The configuration the node was made with (the allowed set may since have changed:
    /// `setAllowedPeers`).
    public let configuration: NetworkConfiguration
    /// Inbound messages, after decryption, isolation, rate limits and de-duplication.
    public let messages: AsyncStream<InboundMessage>
    /// Peers connecting and disconnecting, in the order they happened.
    public let events: AsyncStream<PeerEvent>

    private let identity: LocalIdentity
    private let logger: Logger
    private let group: any EventLoopGroup
    private let messageSink: AsyncStream<InboundMessage>.Continuation
    private let eventSink: AsyncStream<PeerEvent>.Continuation
    private let state: Mutex<NodeState>

    /// A node for `configuration` with identity `signingKey`; nothing happens until `start()`.
    /// An entry for this node's own key in `configuration.peers` is ignored.
    ///
    /// - Parameter eventLoopGroup: where sockets run; default `MultiThreadedEventLoopGroup.singleton`.
    /// - Throws: `NetworkError.invalidConfiguration` when the configuration cannot work.
    public init(
        configuration: NetworkConfiguration,
        identity signingKey: Ed25519.PrivateKey,
        logger: Logger = Logger(label: "aether.network"),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) throws(NetworkError) {
        try configuration.validate()
        self.configuration = configuration
        self.localKey = signingKey.publicKey
        self.identity = LocalIdentity(signingKey: signingKey, chainId: configuration.chainId)
        var logger = logger
        logger[metadataKey: "node"] = "\(String(describing: signingKey.publicKey).prefix(12))"
        self.logger = logger
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        (messages, messageSink) = AsyncStream.makeStream(
            of: InboundMessage.self, bufferingPolicy: .bufferingOldest(configuration.inboundQueueCapacity))
        (events, eventSink) = AsyncStream.makeStream(of: PeerEvent.self, bufferingPolicy: .unbounded)
        var initial = NodeState(
            allowed: configuration.validators.union(configuration.fullNodes),
            deduplicationCapacity: configuration.deduplicationCapacity)
        // The driver may pass every validator's address, this node's own included: skip it.
        for peer in configuration.peers where peer.key != signingKey.publicKey {
            initial.targets[peer.key] = DialTarget(address: peer)
        }
        state = Mutex(initial)
    }

    // MARK: - Lifecycle

    /// Starts listening on `configuration.host:port` and dials the configured peers.
    ///
    /// - Returns: the bound port (the one picked when `port` is 0).
    /// - Throws: `NetworkError.bindFailed`, `.alreadyStarted` or `.stopped`.
    @discardableResult
    public func start() async throws(NetworkError) -> Int {
        try state.withLock { (state) throws(NetworkError) in
            switch state.phase {
            case .idle: state.phase = .starting
            case .starting, .running: throw .alreadyStarted
            case .stopped: throw .stopped
            }
        }
        let high = configuration.outboundBufferBytes
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
            .childChannelInitializer { [self] channel in setUp(channel, dialing: nil) }
        let server: any Channel
        do {
            server = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            state.withLock { $0.phase = .idle }
            throw .bindFailed(host: configuration.host, port: configuration.port, reason: String(describing: error))
        }
        guard let port = server.localAddress?.port else {
            try? await server.close()
            state.withLock { $0.phase = .idle }
            throw .bindFailed(host: configuration.host, port: configuration.port, reason: "no local address")
        }
        let stopped = state.withLock { state -> Bool in
            guard state.phase == .starting else { return true }
            state.phase = .running
            state.server = server
            state.port = port
            return false
        }
        if stopped {
            try? await server.close()
            throw .stopped
        }
        logger.info("listening on \(configuration.host):\(port)")
        for peer in configuration.peers where peer.key != localKey { dial(peer.key) }
        return port
    }

    /// Closes the listener and every link, and ends `messages` and `events` (after a
    /// `disconnected(_, .stopped)` for each connected peer). Returns when the sockets are closed,
    /// so the port is free again.
    public func stop() async {
        let (server, channels): ((any Channel)?, [any Channel]) = state.withLock { state in
            guard state.phase != .stopped else { return (nil, []) }
            state.phase = .stopped
            for peer in state.links.keys.sorted() { eventSink.yield(.disconnected(peer, .stopped)) }
            state.links = [:]
            state.metrics.peersConnected = 0
            eventSink.finish()
            messageSink.finish()
            let channels = Array(state.connections.values)
            state.connections = [:]
            defer { state.server = nil }
            return (state.server, channels)
        }
        if let server { try? await server.close() }
        for channel in channels {
            channel.triggerUserOutboundEvent(CloseLink(reason: .stopped), promise: nil)
            channel.close(promise: nil)
        }
        for channel in channels { try? await channel.closeFuture.get() }
        logger.info("stopped")
    }

    /// The port `start()` bound, or nil before.
    public var listeningPort: Int? { state.withLock { $0.port } }

    // MARK: - Sending

    /// Sends a message to one connected peer.
    ///
    /// Silently dropped (and counted) when the peer is isolated or its send buffer is full.
    /// - Throws: `.notConnected` when there is no link to `peer`, `.payloadTooLarge`, `.stopped`.
    public func send(to peer: PeerKey, channel: UInt8, payload: [UInt8]) throws(NetworkError) {
        try checkSize(payload)
        let message = WireMessage(channel: channel, payload: payload)
        let target = try state.withLock { (state) throws(NetworkError) -> (any Channel)? in
            guard state.phase == .running else { throw state.phase == .stopped ? .stopped : .notStarted }
            guard let link = state.links[peer] else { throw .notConnected(peer) }
            return state.prepareSend(message, on: link)
        }
        target?.writeAndFlush(message, promise: nil)
    }

    /// Sends a message to every connected peer and marks it seen (a relayed copy coming back is
    /// dropped as a duplicate).
    ///
    /// - Returns: the number of peers it was queued for.
    /// - Throws: `.payloadTooLarge`, `.stopped`, `.notStarted`.
    @discardableResult
    public func broadcast(channel: UInt8, payload: [UInt8]) throws(NetworkError) -> Int {
        try checkSize(payload)
        let message = WireMessage(channel: channel, payload: payload)
        let seen = configuration.policy(for: channel).deduplicate ? SeenKey(message) : nil
        let targets = try state.withLock { (state) throws(NetworkError) -> [any Channel] in
            guard state.phase == .running else { throw state.phase == .stopped ? .stopped : .notStarted }
            if let seen { state.seen.insert(seen) }
            return state.links.values.compactMap { state.prepareSend(message, on: $0) }
        }
        for target in targets { target.writeAndFlush(message, promise: nil) }
        return targets.count
    }

    private func checkSize(_ payload: [UInt8]) throws(NetworkError) {
        let limit = configuration.maxPayloadBytes
        guard payload.count <= limit else { throw .payloadTooLarge(size: payload.count, limit: limit) }
    }

    // MARK: - Peers

    /// Peers with an established link now.
    public var connectedPeers: Set<PeerKey> { state.withLock { Set($0.links.keys) } }

    /// A snapshot of the counters.
    public var metrics: NetworkMetrics { state.withLock { $0.metrics } }

    /// Adds (or updates) a peer to dial and keep connected, and dials it now if started.
    /// This node's own address is ignored, so the driver may pass every validator's.
    /// - Throws: `.peerNotAllowed` when its key is neither a validator nor on the allowlist.
    public func connect(to address: PeerAddress) throws(NetworkError) {
        let running = try state.withLock { (state) throws(NetworkError) -> Bool in
            guard address.key != localKey else { return false }
            guard state.allowed.contains(address.key) else { throw .peerNotAllowed(address.key) }
            var target = state.targets[address.key] ?? DialTarget(address: address)
            target.address = address
            state.targets[address.key] = target
            return state.phase == .running
        }
        if running { dial(address.key) }
    }

    /// Replaces the allowed set (validator keys and the full-node allowlist), e.g. at an epoch
    /// boundary. Links to peers no longer allowed close with `.notAllowed`; configured peers that
    /// became allowed are dialed.
    public func setAllowedPeers(validators: Set<PeerKey>, fullNodes: Set<PeerKey> = []) {
        let (closing, dialing) = state.withLock { state -> ([any Channel], [PeerKey]) in
            state.allowed = validators.union(fullNodes)
            let closing = (Array(state.links.values) + Array(state.draining.values))
                .filter { !state.allowed.contains($0.peer) }.map(\.channel)
            guard state.phase == .running else { return (closing, []) }
            let dialing = state.targets.keys.filter { state.allowed.contains($0) && state.links[$0] == nil }
            return (closing, dialing)
        }
        for channel in closing { channel.triggerUserOutboundEvent(CloseLink(reason: .notAllowed), promise: nil) }
        for key in dialing { dial(key) }
    }

    /// Lowers `peer`'s score because the application found its payload invalid (a bad signature,
    /// a malformed transaction…). At the ban threshold the peer is disconnected and banned.
    ///
    /// - Parameter points: the penalty; default `scoring.invalidPayloadPenalty`.
    public func penalize(peer: PeerKey, reason: String, points: Double? = nil) {
        let now = now()
        let effects = state.withLock { state in
            state.penalize(
                peer, points: points ?? configuration.scoring.invalidPayloadPenalty, reason: reason, now: now,
                policy: configuration.scoring)
        }
        perform(effects)
    }

    /// The peer's current misbehaviour score (0 is clean; at `scoring.banThreshold` it is banned).
    public func score(of peer: PeerKey) -> Double {
        let now = now()
        return state.withLock { state in
            state.scores[peer]?.current(now: now, recoveryPerSecond: configuration.scoring.recoveryPerSecond) ?? 0
        }
    }

    /// True while `peer` is banned.
    public func isBanned(_ peer: PeerKey) -> Bool {
        let now = now()
        return state.withLock { ($0.bans[peer] ?? .zero) > now }
    }

    // MARK: - Fault injection

    /// Cuts this node off from `peers` (added to any already cut off): every message to or from
    /// them is dropped and counted (`isolated`), while links and sockets stay open. For partition
    /// tests on loopback.
    public func isolate(from peers: Set<PeerKey>) {
        state.withLock { $0.isolated.formUnion(peers) }
        logger.notice("isolated from \(peers.count) peer(s)")
    }

    /// Ends every isolation.
    public func heal() {
        state.withLock { $0.isolated = [] }
        logger.notice("healed")
    }

    // MARK: - Connections

    private func now() -> Duration {
        .nanoseconds(Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }

    /// Installs the handler on a new connection (inbound when `dialing` is nil).
    private func setUp(_ channel: any Channel, dialing expected: PeerKey?) -> EventLoopFuture<Void> {
        let setup = state.withLock { state -> (UInt64, HandshakeStateMachine)? in
            guard state.phase == .running else { return nil }
            if expected == nil && state.handshaking.count >= configuration.maxPendingHandshakes { return nil }
            let connection = state.nextConnection
            state.nextConnection += 1
            state.connections[connection] = channel
            state.handshaking.insert(connection)
            let machine: HandshakeStateMachine
            if let expected {
                state.targets[expected]?.connection = connection
                machine = HandshakeStateMachine(
                    initiatorExpecting: expected, identity: identity, chainId: configuration.chainId)
            } else {
                machine = HandshakeStateMachine(
                    responderAllowing: configuration.admitAnyPeer ? nil : state.allowed, identity: identity,
                    chainId: configuration.chainId)
            }
            return (connection, machine)
        }
        guard let (connection, machine) = setup else {
            if expected == nil { logger.warning("refused an inbound connection: too many pending handshakes") }
            return channel.eventLoop.makeFailedFuture(NetworkError.stopped)
        }
        let handler = PeerChannelHandler(
            connection: connection, outbound: expected != nil, machine: machine, delegate: self,
            maxFrameBytes: configuration.maxFrameBytes, handshakeTimeout: configuration.handshakeTimeout)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    private func dial(_ key: PeerKey) {
        let now = now()
        var effects: [NodeEffect] = []
        let address = state.withLock { state -> PeerAddress? in
            guard state.phase == .running, var target = state.targets[key] else { return nil }
            target.redialPending = false
            defer { state.targets[key] = target }
            guard !target.dialing, state.links[key] == nil else { return nil }
            guard state.allowed.contains(key) else {
                effects.append(.log(.warning, "not dialing \(target.address): not a validator or on the allowlist"))
                return nil
            }
            if let until = state.bans[key], until > now {
                target.redialPending = true
                effects.append(.dial(key, after: until - now))
                return nil
            }
            target.dialing = true
            return target.address
        }
        perform(effects)
        guard let address else { return }
        let high = configuration.outboundBufferBytes
        ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.writeBufferWaterMark, value: .init(low: high / 2, high: high))
            .channelInitializer { [self] channel in setUp(channel, dialing: key) }
            .connect(host: address.host, port: address.port)
            .whenFailure { [self] error in dialFailed(key, address: address, error: error) }
    }

    /// Closes a draining link once its grace period is over (unless it was promoted meanwhile).
    private func closeDraining(_ connection: UInt64) {
        let channel = state.withLock { $0.draining.removeValue(forKey: connection)?.channel }
        channel?.triggerUserOutboundEvent(CloseLink(reason: .replaced), promise: nil)
    }

    private func dialFailed(_ key: PeerKey, address: PeerAddress, error: any Error) {
        let effects = state.withLock { state -> [NodeEffect] in
            guard state.phase == .running, var target = state.targets[key] else { return [] }
            if let connection = target.connection {
                state.connections[connection] = nil
                state.handshaking.remove(connection)
            }
            target.dialing = false
            target.connection = nil
            state.targets[key] = target
            var effects: [NodeEffect] = [.log(.debug, "dialing \(address) failed: \(error)")]
            if let redial = state.scheduleRedial(key, policy: configuration.redial) { effects.append(redial) }
            return effects
        }
        perform(effects)
    }

    private func perform(_ effects: [NodeEffect]) {
        for effect in effects {
            switch effect {
            case .close(let channel, let reason):
                channel.triggerUserOutboundEvent(CloseLink(reason: reason), promise: nil)
            case .closeDraining(let connection, let delay):
                group.next().scheduleTask(in: TimeAmount(delay)) { [self] in closeDraining(connection) }
            case .dial(let key, let delay):
                group.next().scheduleTask(in: TimeAmount(delay)) { [self] in dial(key) }
            case .log(let level, let message):
                logger.log(level: level, "\(message)")
            }
        }
    }
}

// MARK: - Callbacks from the handlers

extension NetworkNode: PeerLinkDelegate {
    func admit(connection: UInt64, peer: PeerKey, outbound: Bool, channel: any Channel) -> String? {
        let now = now()
        var effects: [NodeEffect] = []
        let refusal = state.withLock { state -> String? in
            state.handshaking.remove(connection)
            guard state.phase == .running else { return "the node is stopping" }
            if let until = state.bans[peer] {
                if until > now { return "banned for misbehaviour for another \(Int((until - now).seconds)) s" }
                state.bans[peer] = nil
                state.scores[peer] = nil
            }
            guard configuration.admitAnyPeer || state.allowed.contains(peer) else {
                return "not a validator or on the allowlist"
            }
            let initiator = outbound ? localKey : peer
            let link = PeerLink(
                connection: connection, channel: channel, initiator: initiator, establishedAt: now, peer: peer)
            if let existing = state.links[peer] {
                // Both ends keep the link dialed by the smaller key; a newer link dialed by the same
                // side replaces the old one (the dialer lost it, e.g. it restarted). The other link
                // drains: no more sends, but frames already on their way are still delivered until
                // it closes, so nothing is lost while the two ends converge.
                let keepNew = existing.initiator == initiator || initiator == min(localKey, peer)
                let loser = keepNew ? existing : link
                if keepNew { state.links[peer] = link }
                state.draining[loser.connection] = loser
                effects.append(.closeDraining(loser.connection, after: configuration.duplicateLinkGrace))
                effects.append(.log(.debug, "two links to \(peer): draining connection \(loser.connection)"))
            } else {
                state.links[peer] = link
                state.metrics.peersConnected = state.links.count
                eventSink.yield(.connected(peer))
                let direction = outbound ? "dialed" : "accepted"
                effects.append(.log(.info, "connected to \(peer) (\(direction), \(describe(channel)))"))
            }
            if outbound, state.targets[peer]?.connection == connection {
                state.targets[peer]?.dialing = false
                state.targets[peer]?.connection = nil
            }
            if state.buckets[peer] == nil {
                state.buckets[peer] = PeerBuckets(limit: configuration.rateLimit, now: now)
            }
            return nil
        }
        perform(effects)
        if let refusal { logger.warning("refusing \(peer) (\(describe(channel))): \(refusal)") }
        return refusal
    }

    func received(connection: UInt64, peer: PeerKey, message: WireMessage, frameBytes: Int) {
        let now = now()
        let policy = configuration.policy(for: message.channel)
        let seen = policy.deduplicate ? SeenKey(message) : nil
        let relays = state.withLock { state -> [any Channel] in
            guard state.phase == .running, state.links[peer] != nil else { return [] }
            state.metrics.bytesIn &+= UInt64(frameBytes)
            state.metrics.messagesIn &+= 1
            guard !state.isolated.contains(peer) else {
                state.count(.isolated)
                return []
            }
            guard state.buckets[peer]?.admit(bytes: frameBytes, now: now) ?? true else {
                state.count(.rateLimited)
                return []
            }
            if let seen, state.seen.contains(seen) {
                state.count(.duplicate)
                return []
            }
            // Yielded under the lock so messages never overtake the peer's `connected` event.
            switch messageSink.yield(InboundMessage(peer: peer, channel: message.channel, payload: message.payload)) {
            case .enqueued: state.metrics.messagesDelivered &+= 1
            case .dropped:
                // Not marked seen: a retransmission may still get through once the queue drains.
                state.count(.queueFull)
                return []
            case .terminated: return []
            @unknown default: return []
            }
            if let seen { state.seen.insert(seen) }
            guard policy.relay else { return [] }
            let targets = state.links.filter { $0.key != peer }.values.compactMap { state.prepareSend(message, on: $0) }
            state.metrics.messagesRelayed &+= UInt64(targets.count)
            return targets
        }
        for target in relays { target.writeAndFlush(message, promise: nil) }
    }

    func closed(connection: UInt64, peer: PeerKey?, established: Bool, reason: DisconnectReason) {
        let now = now()
        let effects = state.withLock { state -> [NodeEffect] in
            state.connections[connection] = nil
            state.handshaking.remove(connection)
            guard state.phase == .running else { return [] }
            var effects: [NodeEffect] = []
            let dialed = state.targets.first { $0.value.connection == connection }?.key
            if let dialed {
                state.targets[dialed]?.dialing = false
                state.targets[dialed]?.connection = nil
            }
            let wasDraining = state.draining.removeValue(forKey: connection) != nil
            if let peer, state.links[peer]?.connection == connection, state.allowed.contains(peer),
                (state.bans[peer] ?? .zero) <= now,
                let spare = state.draining.values.first(where: { $0.peer == peer })
            {
                // The current link closed while another one to the peer was draining: keep that one.
                state.draining[spare.connection] = nil
                state.links[peer] = spare
                effects.append(.log(.debug, "link to \(peer) closed (\(reason)); kept its other link"))
            } else if let peer, let link = state.links[peer], link.connection == connection {
                state.links[peer] = nil
                state.metrics.peersConnected = state.links.count
                eventSink.yield(.disconnected(peer, reason))
                effects.append(.log(.info, "disconnected from \(peer): \(reason)"))
                if now - link.establishedAt >= configuration.redial.stableAfter { state.targets[peer]?.attempts = 0 }
                if let redial = state.scheduleRedial(peer, policy: configuration.redial) { effects.append(redial) }
            } else if !established && !wasDraining {
                let other = peer ?? dialed
                if let other, state.links[other] != nil {
                    // The losing half of a simultaneous dial: the peer is connected over the other link.
                    effects.append(.log(.debug, "dropped a second link to \(other): \(reason)"))
                } else {
                    state.metrics.handshakeFailures &+= 1
                    let who = other.map { "\($0)" } ?? "an inbound connection"
                    effects.append(.log(.warning, "link with \(who) not established: \(reason)"))
                }
                if let dialed, let redial = state.scheduleRedial(dialed, policy: configuration.redial) {
                    effects.append(redial)
                }
            }
            if case .protocolViolation(let why) = reason {
                state.metrics.protocolViolations &+= 1
                effects.append(.log(.warning, "closed the link with \(peer.map { "\($0)" } ?? "a peer"): \(why)"))
                if let peer {
                    effects += state.penalize(
                        peer, points: configuration.scoring.protocolViolationPenalty, reason: why, now: now,
                        policy: configuration.scoring)
                }
            }
            return effects
        }
        perform(effects)
    }

    private func describe(_ channel: any Channel) -> String {
        channel.remoteAddress.map { "\($0)" } ?? "unknown address"
    }
}

// MARK: - State

/// Everything mutable about a node, guarded by one mutex. Methods return effects that are
/// performed after the lock is released (channel calls can re-enter the node on the same thread).
private struct NodeState: Sendable {
    enum Phase: Sendable { case idle, starting, running, stopped }

    var phase = Phase.idle
    var server: (any Channel)?
    var port: Int?
    var allowed: Set<PeerKey>
    var nextConnection: UInt64 = 1
    /// Every open connection, in handshake or established, so `stop()` can close them.
    var connections: [UInt64: any Channel] = [:]
    var handshaking: Set<UInt64> = []
    /// The one current link per peer.
    var links: [PeerKey: PeerLink] = [:]
    /// Links that lost the duplicate-link rule, by connection: still read, never written, closed
    /// after a grace period (or promoted if the current link closes first).
    var draining: [UInt64: PeerLink] = [:]
    var targets: [PeerKey: DialTarget] = [:]
    var buckets: [PeerKey: PeerBuckets] = [:]
    var scores: [PeerKey: PeerScore] = [:]
    var bans: [PeerKey: Duration] = [:]
    var isolated: Set<PeerKey> = []
    var seen: RecentSet<SeenKey>
    var metrics = NetworkMetrics()

    init(allowed: Set<PeerKey>, deduplicationCapacity: Int) {
        self.allowed = allowed
        seen = RecentSet(capacity: deduplicationCapacity)
    }

    mutating func count(_ reason: DropReason) {
        metrics.drops[reason, default: 0] &+= 1
    }

    /// Counts an outbound message on `link` and returns its channel, or nil (counted) when the
    /// peer is isolated or its send buffer is full.
    mutating func prepareSend(_ message: WireMessage, on link: PeerLink) -> (any Channel)? {
        guard !isolated.contains(link.peer) else {
            count(.isolated)
            return nil
        }
        guard link.channel.isWritable else {
            count(.backpressure)
            return nil
        }
        metrics.messagesOut &+= 1
        metrics.bytesOut &+= UInt64(message.frameBytes)
        return link.channel
    }

    /// Schedules the next dial of `key` with backoff, unless connected, dialing or already pending.
    mutating func scheduleRedial(_ key: PeerKey, policy: RedialPolicy) -> NodeEffect? {
        guard phase == .running, var target = targets[key], !target.redialPending, !target.dialing,
            links[key] == nil
        else { return nil }
        let delay = policy.delay(attempt: target.attempts)
        target.attempts += 1
        target.redialPending = true
        targets[key] = target
        return .dial(key, after: delay)
    }

    /// Lowers a score; at the threshold bans the peer and closes its link.
    mutating func penalize(
        _ peer: PeerKey, points: Double, reason: String, now: Duration, policy: ScoringPolicy
    ) -> [NodeEffect] {
        if let until = bans[peer], until > now { return [] }
        var score = scores[peer] ?? PeerScore(now: now)
        let value = score.penalize(points, now: now, recoveryPerSecond: policy.recoveryPerSecond)
        scores[peer] = score
        guard value <= policy.banThreshold else {
            return [.log(.notice, "penalized \(peer) by \(points) (\(reason)); score \(value)")]
        }
        bans[peer] = now + policy.banDuration
        metrics.bans &+= 1
        var effects: [NodeEffect] = [
            .log(.warning, "banning \(peer) for \(policy.banDuration): score \(value) after \(reason)")
        ]
        for link in [links[peer]].compactMap({ $0 }) + draining.values.filter({ $0.peer == peer }) {
            effects.append(.close(link.channel, .banned(reason)))
        }
        return effects
    }
}

private enum NodeEffect {
    case close(any Channel, DisconnectReason)
    case closeDraining(UInt64, after: Duration)
    case dial(PeerKey, after: Duration)
    case log(Logger.Level, String)
}

/// An established link: its connection, its channel and which side dialed it.
private struct PeerLink: Sendable {
    let connection: UInt64
    let channel: any Channel
    /// The key of the node that dialed this link (for the duplicate-link rule).
    let initiator: PeerKey
    let establishedAt: Duration
    /// The peer at the other end.
    let peer: PeerKey
}

private struct DialTarget: Sendable {
    var address: PeerAddress
    var attempts = 0
    var dialing = false
    var redialPending = false
    /// The outbound connection in progress, until it is established or fails.
    var connection: UInt64?

    init(address: PeerAddress) { self.address = address }
}

/// One peer's inbound rate limits.
private struct PeerBuckets: Sendable {
    var messages: TokenBucket
    var bytes: TokenBucket

    init(limit: RateLimit, now: Duration) {
        messages = TokenBucket(capacity: limit.messageBurst, refillPerSecond: limit.messagesPerSecond, now: now)
        bytes = TokenBucket(capacity: limit.byteBurst, refillPerSecond: limit.bytesPerSecond, now: now)
    }

    /// Takes one message and `bytes` bytes, or nothing if either bucket is short.
    mutating func admit(bytes count: Int, now: Duration) -> Bool {
        var nextMessages = messages
        var nextBytes = bytes
        guard nextMessages.take(1, now: now), nextBytes.take(Double(count), now: now) else { return false }
        messages = nextMessages
        bytes = nextBytes
        return true
    }
}

/// A de-duplication key: the channel and the SHA-256 of the payload.
private struct SeenKey: Hashable, Sendable {
    let channel: UInt8
    let digest: Hash

    init(_ message: WireMessage) {
        channel = message.channel
        digest = Hashing.sha256(message.payload)
    }
}
