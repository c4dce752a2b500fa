public import ChannelCore
import Foundation
internal import Logging
public import NetworkCore
public import PeerNetwork
public import Primitives
import Synchronization

/// Why a channel could not be opened with a peer.
public enum OpeningError: Error, Hashable, Sendable, CustomStringConvertible {
    case refusedByPeer(String)
    case invalid(String)
    case timedOut
    case notConnected

    public var description: String {
        switch self {
        case .refusedByPeer(let reason): "the peer refused the channel: \(reason)"
        case .invalid(let reason): "invalid opening: \(reason)"
        case .timedOut: "the peer did not answer the opening in time"
        case .notConnected: "the peer is not connected"
        }
    }
}

/// The links of one participant key (Docs/spec/channels.md, "Wire"): one network node that
/// listens and dials, and carries the messages of many channels, each framed as
/// `channelID ‖ WireMessage`, to their endpoints. A provider or a hub serves all its clients on one
/// port; a client reaches all its channels with one provider over one link. It also runs the
/// opening handshake: the opener sends the channel's parameters and the funding state (version 0)
/// with its signature, and the other side countersigns it (or says why not).
public final class ChannelNetwork: Sendable {
    /// The wire's channel number on the link.
    public static let wireChannel: UInt8 = 1

    /// The chain the channels live on.
    public let chainID: String
    let node: NetworkNode
    let key: Ed25519.PrivateKey
    private let routes = Mutex<[Hash: Route]>([:])
    private let openings = Mutex<[Hash: CheckedContinuation<Ed25519.Signature, any Error>]>([:])
    private let acceptor = Mutex<Acceptor?>(nil)
    /// Channels whose opening the acceptor is deciding.
    private let opening = Mutex<Set<Hash>>([])
    private let loops = Mutex<[Task<Void, Never>]>([])
    private let logger = Logger(label: "aether.channel.network")

    /// Decides on a channel a peer opens with us: the fully signed funding state, and the peer.
    /// Return to accept (after attaching an endpoint for it); throw to refuse, with the reason.
    public typealias Acceptor = @Sendable (ChannelParameters, SignedState, PeerKey) async throws -> Void

    struct Route {
        let endpoint: ChannelEndpoint
        let peer: PeerKey
        let inbox: ChannelInbox
    }

    /// The links of `key` for channels on `chainID`: listens on `host:port` (0: any free port),
    /// dials and keeps `peers` connected, and accepts inbound links from `allowed` keys, or from
    /// any key that proves itself when `admitAnyPeer` (a provider or hub open to the public).
    public init(
        key: Ed25519.PrivateKey, chainID: String, host: String = "127.0.0.1", port: Int = 0,
        peers: [PeerAddress] = [], allowed: Set<PeerKey> = [], admitAnyPeer: Bool = false
    ) throws {
        var configuration = NetworkConfiguration(
            chainId: "aether-channel/\(chainID)", validators: allowed.union(peers.map(\.key)), peers: peers)
        configuration.host = host
        configuration.port = port
        configuration.admitAnyPeer = admitAnyPeer
        configuration.channels[Self.wireChannel] = ChannelPolicy(deduplicate: false, relay: false)
        configuration.rateLimit = RateLimit(
            messagesPerSecond: 1_000_000, messageBurst: 1_000_000, bytesPerSecond: 1e10, byteBurst: 1e10)
        configuration.redial = RedialPolicy(
            initialDelay: .milliseconds(50), maxDelay: .milliseconds(500), stableAfter: .seconds(1))
        self.chainID = chainID
        self.key = key
        node = try NetworkNode(configuration: configuration, identity: key)
    }

    /// Starts listening and dialing; returns the port.
    public func start() async throws -> Int {
        let port = try await node.start()
        let node = self.node
        let messages = Task { [weak self] in
            for await message in node.messages { self?.route(message) }
        }
        let events = Task { [weak self] in
            for await event in node.events { self?.route(event) }
        }
        loops.withLock { $0 += [messages, events] }
        return port
    }

    /// Closes every link; the endpoints' states stay on disk.
    public func stop() async {
        for loop in loops.withLock({ loops in
            defer { loops.removeAll() }; return loops
        }) { loop.cancel() }
        await node.stop()
        let waiting = openings.withLock { openings in
            defer { openings.removeAll() }; return openings
        }
        for (_, continuation) in waiting { continuation.resume(throwing: OpeningError.notConnected) }
    }

    /// Keeps a link to `address` (dialing it now if started).
    public func connect(to address: PeerAddress) throws {
        try node.connect(to: address)
    }

    /// Whether a link to `peer` is up.
    public func isConnected(_ peer: PeerKey) -> Bool { node.connectedPeers.contains(peer) }

    // MARK: - Opening

    /// Accept channels peers open with us, deciding with `acceptor`.
    public func acceptChannels(_ acceptor: @escaping Acceptor) {
        self.acceptor.withLock { $0 = acceptor }
    }

    /// Opens a channel with the other participant of `parameters`: signs the funding state
    /// `funding` (version 0), sends both, and returns the state once the peer countersigns it.
    /// Fund it on chain afterwards (a deposit backs only a state both have signed).
    /// - Throws: `OpeningError`.
    public func open(_ parameters: ChannelParameters, funding: ChannelState, timeout: Duration = .seconds(10))
        async throws -> SignedState
    {
        guard let index = parameters.index(of: key.publicKey) else {
            throw OpeningError.invalid("our key is not a participant")
        }
        let peer = parameters.participants[1 - index]
        let id = parameters.channelID(chainID: chainID)
        guard funding.channelID == id, funding.version == 0, !funding.isFinal else {
            throw OpeningError.invalid("the funding state must be version 0 of this channel, not final")
        }
        guard isConnected(peer) else { throw OpeningError.notConnected }
        let bytes = funding.signBytes(chainID: chainID)
        let ours = key.sign(bytes)
        let timer = Task { [weak self] in
            do { try await Task.sleep(for: timeout) } catch { return }  // cancelled: answered in time
            self?.openings.withLock { $0.removeValue(forKey: id) }?.resume(throwing: OpeningError.timedOut)
        }
        defer { timer.cancel() }
        let theirs = try await withCheckedThrowingContinuation { continuation in
            openings.withLock { $0[id] = continuation }
            do {
                try send(.open(parameters, funding, signature: ours), channel: id, to: peer)
            } catch {
                openings.withLock { $0.removeValue(forKey: id) }?.resume(throwing: OpeningError.notConnected)
            }
        }
        guard peer.isValidSignature(theirs, for: bytes) else {
            throw OpeningError.invalid("the peer's countersignature does not verify")
        }
        return SignedState(state: funding, signatures: index == 0 ? [ours, theirs] : [theirs, ours])
    }

    private func handleOpen(
        _ parameters: ChannelParameters, _ funding: ChannelState, _ signature: Ed25519.Signature, from peer: PeerKey
    ) async {
        let id = parameters.channelID(chainID: chainID)
        func refuse(_ reason: String) {
            logger.info("refused channel \(id.hex.prefix(16)) from \(peer): \(reason)")
            try? send(.openRefused(reason), channel: id, to: peer)
        }
        guard let ourIndex = parameters.index(of: key.publicKey), parameters.participants[1 - ourIndex] == peer else {
            return refuse("the parameters do not name this node and the sender as the participants")
        }
        guard funding.channelID == id, funding.version == 0, !funding.isFinal, funding.allocation.locked.isEmpty,
            funding.appData.isEmpty
        else {
            return refuse("the funding state must be version 0 of this channel, with balances only")
        }
        let bytes = funding.signBytes(chainID: chainID)
        guard peer.isValidSignature(signature, for: bytes) else {
            return refuse("the opener's signature does not verify")
        }
        guard let acceptor = acceptor.withLock({ $0 }) else { return refuse("this node does not accept channels") }
        // One opening of a channel at a time, and none of a channel already open here.
        let claimed = routes.withLock { routes in
            opening.withLock { opening in routes[id] == nil && opening.insert(id).inserted }
        }
        guard claimed else { return refuse("the channel is already open or being opened") }
        defer { _ = opening.withLock { $0.remove(id) } }
        let ours = key.sign(bytes)
        let signed = SignedState(state: funding, signatures: ourIndex == 0 ? [ours, signature] : [signature, ours])
        do {
            try await acceptor(parameters, signed, peer)
        } catch {
            return refuse("\(error)")
        }
        try? send(.opened(signature: ours), channel: id, to: peer)
    }

    // MARK: - Routing

    func attach(_ endpoint: ChannelEndpoint, channel: Hash, peer: PeerKey, inbox: ChannelInbox) {
        routes.withLock { $0[channel] = Route(endpoint: endpoint, peer: peer, inbox: inbox) }
    }

    func detach(channel: Hash) {
        _ = routes.withLock { $0.removeValue(forKey: channel) }
    }

    func send(_ message: WireMessage, channel: Hash, to peer: PeerKey) throws {
        var encoder = CanonicalEncoder(capacity: 128)
        encoder.write(channel)
        encoder.write(message)
        try node.send(to: peer, channel: Self.wireChannel, payload: encoder.bytes)
    }

    func penalize(peer: PeerKey, reason: String) {
        node.penalize(peer: peer, reason: reason)
    }

    private func route(_ message: InboundMessage) {
        guard message.channel == Self.wireChannel else { return }
        var decoder: CanonicalDecoder
        let channel: Hash
        let decoded: WireMessage
        do {
            decoder = try CanonicalDecoder(message.payload)
            channel = try decoder.read(Hash.self)
            decoded = try decoder.read(WireMessage.self)
            try decoder.finish()
        } catch {
            logger.warning("discarded a malformed channel message from \(message.peer): \(error)")
            node.penalize(peer: message.peer, reason: "malformed channel message: \(error)")
            return
        }
        switch decoded {
        case .open(let parameters, let funding, let signature):
            Task { await self.handleOpen(parameters, funding, signature, from: message.peer) }
        case .opened(let signature):
            openings.withLock { $0.removeValue(forKey: channel) }?.resume(returning: signature)
        case .openRefused(let reason):
            openings.withLock { $0.removeValue(forKey: channel) }?.resume(
                throwing: OpeningError.refusedByPeer(reason))
        default:
            guard let route = routes.withLock({ $0[channel] }), route.peer == message.peer else {
                logger.debug("a message for channel \(channel.hex.prefix(16)), not open here with \(message.peer)")
                return
            }
            if route.inbox.add(decoded) {
                let endpoint = route.endpoint
                Task { await endpoint.drain() }
            }
        }
    }

    private func route(_ event: PeerEvent) {
        let peer: PeerKey
        switch event {
        case .connected(let key), .disconnected(let key, _): peer = key
        }
        let endpoints = routes.withLock { $0.values.filter { $0.peer == peer }.map(\.endpoint) }
        for endpoint in endpoints { Task { await endpoint.peerEvent(event) } }
    }
}

/// An endpoint's inbound messages, collected while it handles the previous batch.
final class ChannelInbox: Sendable {
    private let messages = Mutex<[WireMessage]>([])

    /// Adds a message; true when the inbox was empty (a drain must be scheduled).
    func add(_ message: WireMessage) -> Bool {
        messages.withLock { queued in
            queued.append(message)
            return queued.count == 1
        }
    }

    func takeAll() -> [WireMessage] {
        messages.withLock { queued in
            defer { queued.removeAll(keepingCapacity: true) }
            return queued
        }
    }
}
