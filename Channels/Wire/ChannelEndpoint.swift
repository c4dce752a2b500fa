public import ChannelCore
internal import Logging
public import NetworkCore
public import PeerNetwork
public import Primitives

/// Why an update through an endpoint did not complete.
public enum EndpointError: Error, Sendable, CustomStringConvertible {
    case refused(UpdateRejection)
    case rejectedByPeer(UpdateRejection)
    case superseded
    case disconnected
    case timedOut
    case network(NetworkError)
    case storage(String)

    public var description: String {
        switch self {
        case .refused(let reason): "the update was refused locally: \(reason)"
        case .rejectedByPeer(let reason): "the peer rejected the update: \(reason)"
        case .superseded: "a concurrent update from the peer won; propose again"
        case .disconnected: "the peer is not connected, or the link closed before the update completed"
        case .timedOut: "the peer did not answer the update in time"
        case .network(let error): "network: \(error)"
        case .storage(let reason): "storage: \(reason)"
        }
    }
}

/// One participant's end of a channel over the network (Docs/spec/channels.md, "Wire"): the
/// update protocol's `ChannelMachine` driven over an authenticated, encrypted link to the one
/// counterparty (the L1's Noise XX transport bound to the participants' Ed25519 keys), with every
/// fully signed state persisted, synced, before anything that acknowledges it is sent, and a resync
/// on every connection so that a side that crashed catches up to the latest state and goes on.
public actor ChannelEndpoint {
    /// The wire's channel number on the link.
    public static let wireChannel: UInt8 = 1

    public let parameters: ChannelParameters
    public let chainID: String
    public let peer: PeerKey
    private let node: NetworkNode
    private let store: ChannelStateStore
    private let key: Ed25519.PrivateKey
    private var machine: ChannelMachine
    private var waiting: [UInt64: CheckedContinuation<SignedState, any Error>] = [:]
    private var loops: [Task<Void, Never>] = []
    private let logger = Logger(label: "aether.channel")

    /// An endpoint for `key`'s side of the channel: restores the latest state from `store` when it
    /// has one (else starts from `initial`), listens on `port` (0: any), dials `peerAddress` if given.
    public init(
        parameters: ChannelParameters, chainID: String, key: Ed25519.PrivateKey, initial: SignedState,
        store: ChannelStateStore, port: Int = 0, peerAddress: PeerAddress? = nil
    ) async throws {
        guard let index = parameters.index(of: key.publicKey) else { throw ChannelError.notAParticipant(key.publicKey) }
        let id = parameters.channelID(chainID: chainID)
        let latest = try store.load(id)?.latest ?? initial
        if try store.load(id) == nil { try store.save(parameters: parameters, latest: initial) }
        self.parameters = parameters
        self.chainID = chainID
        self.key = key
        self.store = store
        self.peer = parameters.participants[1 - index]
        self.machine = try ChannelMachine(parameters: parameters, chainID: chainID, key: key, initial: latest)
        var configuration = NetworkConfiguration(
            chainId: "aether-channel/\(id.hex.prefix(16))", validators: [peer],
            peers: peerAddress.map { [$0] } ?? [])
        configuration.port = port
        configuration.channels[Self.wireChannel] = ChannelPolicy(deduplicate: false, relay: false)
        configuration.rateLimit = RateLimit(
            messagesPerSecond: 1_000_000, messageBurst: 1_000_000, bytesPerSecond: 1e10, byteBurst: 1e10)
        configuration.redial = RedialPolicy(
            initialDelay: .milliseconds(50), maxDelay: .milliseconds(500), stableAfter: .seconds(1))
        self.node = try NetworkNode(configuration: configuration, identity: key)
    }

    /// Starts listening (returns the port) and handling the peer's messages.
    public func start() async throws -> Int {
        let port: Int
        do { port = try await node.start() } catch { throw EndpointError.network(error) }
        let node = self.node
        loops.append(Task { [weak self] in for await message in node.messages { await self?.received(message) } })
        loops.append(Task { [weak self] in for await event in node.events { await self?.event(event) } })
        return port
    }

    /// Stops the link (the state on disk stays).
    public func stop() async {
        for loop in loops { loop.cancel() }
        loops.removeAll()
        await node.stop()
        for (_, continuation) in waiting { continuation.resume(throwing: EndpointError.disconnected) }
        waiting.removeAll()
    }

    /// The latest fully signed state.
    public var current: SignedState { machine.current }

    /// Whether the link to the peer is up.
    public var isConnected: Bool { node.connectedPeers.contains(peer) }

    /// Proposes `state` (version current + 1) and returns it fully signed once the peer accepts.
    /// - Throws: `EndpointError`: at once when the peer is not connected; `.timedOut` after
    ///   `timeout` without an answer. A failed update leaves no pending proposal behind: if the peer
    ///   did accept it, the resync on the next connection brings the fully signed state.
    public func propose(_ state: ChannelState, timeout: Duration = .seconds(10)) async throws -> SignedState {
        guard isConnected else { throw EndpointError.disconnected }
        let version = state.version
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.abandon(version: version, because: .timedOut)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            waiting[version] = continuation
            perform(machine.on(.propose(state)))
        }
    }

    /// Fails the update waiting for `version` and drops our pending proposal.
    private func abandon(version: UInt64, because error: EndpointError) {
        guard let continuation = waiting.removeValue(forKey: version) else { return }
        dropPendingProposal()
        continuation.resume(throwing: error)
    }

    /// Restarts the update machine from the latest fully signed state, forgetting a proposal that
    /// may never be answered.
    private func dropPendingProposal() {
        guard machine.pending != nil,
            var fresh = try? ChannelMachine(
                parameters: parameters, chainID: chainID, key: key, initial: machine.current)
        else { return }
        fresh.rule = machine.rule
        machine = fresh
    }

    /// Moves `amount` from this side to the peer in the next state.
    public func pay(_ amount: UInt64) async throws -> SignedState {
        let index = machine.ourIndex
        var next = machine.current.state.next()
        guard next.allocation.balances[index] >= amount else {
            throw EndpointError.refused(
                .malformedAllocation("balance \(next.allocation.balances[index]) is below \(amount)"))
        }
        next.allocation.balances[index] -= amount
        next.allocation.balances[1 - index] += amount
        return try await propose(next)
    }

    // MARK: - Inbound

    private func event(_ event: PeerEvent) {
        switch event {
        case .connected(let key) where key == peer: send(.sync(machine.current))
        case .disconnected(let key, _) where key == peer:
            dropPendingProposal()
            for (_, continuation) in waiting { continuation.resume(throwing: EndpointError.disconnected) }
            waiting.removeAll()
        default: break
        }
    }

    private func received(_ message: InboundMessage) {
        guard message.peer == peer, message.channel == Self.wireChannel else { return }
        let decoded: WireMessage
        do { decoded = try Canonical.decode(WireMessage.self, from: message.payload) } catch {
            logger.warning("discarded a malformed message from the peer: \(error)")
            node.penalize(peer: peer, reason: "malformed channel message: \(error)")
            return
        }
        switch decoded {
        case .update(let update): perform(machine.on(.received(update)))
        case .sync(let theirs): resync(theirs)
        }
    }

    /// Adopts the peer's state when it is newer and fully signed; tells the peer ours when it is behind.
    private func resync(_ theirs: SignedState) {
        let ours = machine.current.state.version
        if theirs.state.version > ours {
            do {
                try theirs.verify(parameters: parameters, chainID: chainID)
                try store.save(parameters: parameters, latest: theirs)
                machine = try ChannelMachine(parameters: parameters, chainID: chainID, key: key, initial: theirs)
                logger.info("resynced from version \(ours) to \(theirs.state.version)")
            } catch {
                logger.warning("refused a resync state: \(error)")
                node.penalize(peer: peer, reason: "invalid resync state")
            }
        } else if theirs.state.version < ours {
            send(.sync(machine.current))
        }
    }

    /// Performs the machine's actions in order: persist each accepted state before any later send.
    private func perform(_ actions: [ChannelMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let message): send(.update(message))
            case .accepted(let signed):
                do { try store.save(parameters: parameters, latest: signed) } catch {
                    // Not persisted: acknowledge nothing further, and fail the update.
                    waiting.removeValue(forKey: signed.state.version)?.resume(
                        throwing: EndpointError.storage("\(error)"))
                    return
                }
                waiting.removeValue(forKey: signed.state.version)?.resume(returning: signed)
            case .proposalRejected(let state, let reason):
                waiting.removeValue(forKey: state.version)?.resume(throwing: EndpointError.rejectedByPeer(reason))
            case .ownProposalDropped(let state):
                waiting.removeValue(forKey: state.version)?.resume(throwing: EndpointError.superseded)
            case .refused(let state, let reason):
                waiting.removeValue(forKey: state.version)?.resume(throwing: EndpointError.refused(reason))
            case .discarded(_, let reason):
                logger.debug("discarded a peer message: \(reason)")
            }
        }
    }

    private func send(_ message: WireMessage) {
        do { try node.send(to: peer, channel: Self.wireChannel, payload: Canonical.encode(message)) } catch {
            logger.debug("could not send to the peer: \(error)")
            if case .update(.proposal(let state, _)) = message {
                abandon(version: state.version, because: .disconnected)
            }
        }
    }
}
