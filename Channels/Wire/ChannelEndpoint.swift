public import ChannelCore
import Dispatch
internal import Logging
public import NetworkCore
public import PeerNetwork
public import Primitives
import Synchronization

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
/// counterparty (the L1's Noise XX transport bound to the participants' Ed25519 keys).
///
/// - Updates are pipelined: `propose` and `pay` may be called concurrently, up to `maxInFlight`
///   unanswered proposals, each building on the previous one.
/// - Inbound messages are handled in batches (everything that arrived while the last batch was
///   being handled), so one countersignature answers many proposals under load.
/// - Group commit: the latest fully signed state of a batch is written to RocksDB and synced, off
///   the actor, before anything that acknowledges it is sent and before any update waiting for it
///   completes. A crash at any point leaves on disk every state either side was told about.
/// - A resync on every connection, and whenever the peer answers a proposal we no longer hold,
///   brings a side that crashed or gave up up to the latest state.
public actor ChannelEndpoint {
    public let parameters: ChannelParameters
    public let chainID: String
    public let peer: PeerKey
    /// `parameters.channelID(chainID:)`.
    public let channelID: Hash
    /// The links this endpoint's messages travel on (shared with other channels, or its own).
    public let network: ChannelNetwork
    /// True when the endpoint made its network itself (and stops it when it stops).
    private let ownsNetwork: Bool
    private let store: ChannelStateStore
    private let key: Ed25519.PrivateKey
    var machine: ChannelMachine
    private var waiting: [UInt64: Waiter] = [:]
    private var loops: [Task<Void, Never>] = []
    private let inbox = ChannelInbox()
    /// Actions waiting for the state before them to reach the disk, in order.
    private var outbox: [ChannelMachine.Action] = []
    private var flushing = false
    /// Callers waiting for fewer than `maxInFlight` pending proposals.
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    /// The latest fully signed state on disk: the only one a sync may show the peer.
    private var persisted: SignedState
    /// Set when a write failed: the endpoint acknowledges nothing more.
    private var storageFailure: String?
    private let disk = DispatchQueue(label: "aether.channel.disk")
    let logger = Logger(label: "aether.channel")
    /// The metering session on this channel, if any (`ChannelEndpoint+Metering.swift`).
    var metering: MeteringSession?
    /// What this side serves as a metering provider, if it does.
    var providerPolicy: ProviderPolicy?
    /// Told of every fully signed state once it is on disk.
    var stateObserver: (@Sendable (SignedState) -> Void)?
    /// Told of the metering session's progress.
    var meterObserver: (@Sendable (MeterProgress) -> Void)?
    /// The provider's serving task, waiting for payment.
    var servingWaiter: CheckedContinuation<Void, Never>?
    /// The virtual-channel hub this endpoint's ledger belongs to, if it is a hub's
    /// (`ChannelEndpoint+Children.swift`).
    var hub: VirtualHub?
    /// A virtual channel's lock proposal held for its match at the hub, and its deadline.
    var heldLock: (childID: Hash, version: UInt64, deadline: ContinuousClock.Instant)?
    /// Everything that arrived from the peer since the held lock proposal (that proposal first).
    var held: [WireMessage] = []
    /// The virtual channel whose held lock the hub just matched: handled without asking again.
    var matchedLock: Hash?

    private struct Waiter {
        let continuation: CheckedContinuation<SignedState, any Error>
        let deadline: ContinuousClock.Instant
    }

    /// An endpoint for `key`'s side of the channel on `network` (shared with the key's other
    /// channels): restores the latest state from `store` when it has one (else starts from
    /// `initial`, and stores it), and lets up to `maxInFlight` proposals wait for answers at once.
    /// Call `start()` to attach it to the network.
    public init(
        parameters: ChannelParameters, chainID: String, key: Ed25519.PrivateKey, initial: SignedState,
        store: ChannelStateStore, network: ChannelNetwork, maxInFlight: Int = 1024
    ) throws {
        try self.init(
            parameters: parameters, chainID: chainID, key: key, initial: initial, store: store, network: network,
            ownsNetwork: false, maxInFlight: maxInFlight)
    }

    /// An endpoint with a network of its own: listens on `port` (0: any), dials `peerAddress` if
    /// given, and accepts only the other participant.
    public init(
        parameters: ChannelParameters, chainID: String, key: Ed25519.PrivateKey, initial: SignedState,
        store: ChannelStateStore, port: Int = 0, peerAddress: PeerAddress? = nil, maxInFlight: Int = 1024
    ) throws {
        guard let index = parameters.index(of: key.publicKey) else { throw ChannelError.notAParticipant(key.publicKey) }
        let network = try ChannelNetwork(
            key: key, chainID: chainID, port: port, peers: peerAddress.map { [$0] } ?? [],
            allowed: [parameters.participants[1 - index]])
        try self.init(
            parameters: parameters, chainID: chainID, key: key, initial: initial, store: store, network: network,
            ownsNetwork: true, maxInFlight: maxInFlight)
    }

    private init(
        parameters: ChannelParameters, chainID: String, key: Ed25519.PrivateKey, initial: SignedState,
        store: ChannelStateStore, network: ChannelNetwork, ownsNetwork: Bool, maxInFlight: Int
    ) throws {
        guard let index = parameters.index(of: key.publicKey) else { throw ChannelError.notAParticipant(key.publicKey) }
        let id = parameters.channelID(chainID: chainID)
        let stored = try store.load(id)
        if stored == nil { try store.save(parameters: parameters, latest: initial) }
        self.parameters = parameters
        self.chainID = chainID
        self.channelID = id
        self.key = key
        self.store = store
        self.peer = parameters.participants[1 - index]
        self.network = network
        self.ownsNetwork = ownsNetwork
        self.machine = try ChannelMachine(
            parameters: parameters, chainID: chainID, key: key, initial: stored?.latest ?? initial,
            maxInFlight: maxInFlight)
        self.persisted = stored?.latest ?? initial
    }

    /// Attaches to the network (starting it when it is the endpoint's own: returns its port, else
    /// 0) and begins handling the peer's messages.
    public func start() async throws -> Int {
        var port = 0
        if ownsNetwork {
            do { port = try await network.start() } catch let error as NetworkError {
                throw EndpointError.network(error)
            }
        }
        network.attach(self, channel: channelID, peer: peer, inbox: inbox)
        if network.isConnected(peer) { send(.sync(persisted)) }
        loops.append(
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(50))
                    await self?.expireUpdates()
                    await self?.expireHeldLock()
                    await self?.meterTimer()
                }
            })
        return port
    }

    /// Detaches from the network (stopping it when it is the endpoint's own); the state on disk stays.
    public func stop() async {
        for loop in loops { loop.cancel() }
        loops.removeAll()
        network.detach(channel: channelID)
        if ownsNetwork { await network.stop() }
        failAllWaiting(.disconnected)
    }

    /// The latest fully signed state.
    public var current: SignedState { machine.current }

    /// The state the next update builds on (the newest pending proposal, else `current`).
    public var tip: ChannelState { machine.tip }

    /// Our participant index.
    public var ourIndex: Int { machine.ourIndex }

    /// How long `propose` and `pay` wait for the peer's answer when not told otherwise.
    public private(set) var updateTimeout: Duration = .seconds(10)

    /// Sets how long updates wait for the peer by default (a slow or loaded peer needs more).
    public func setUpdateTimeout(_ timeout: Duration) { updateTimeout = timeout }

    /// Whether the link to the peer is up.
    public var isConnected: Bool { network.isConnected(peer) }

    /// Proposes `state` (version `tip` + 1) and returns it fully signed once the peer accepts it
    /// (or a later state that includes it) and it is on disk.
    /// - Throws: `EndpointError`: at once when the peer is not connected or too many proposals
    ///   wait; `.timedOut` after `timeout` (default `updateTimeout`) without an answer, which also
    ///   abandons every proposal still pending (if the peer did accept one, the next resync brings
    ///   the fully signed state).
    public func propose(_ state: ChannelState, timeout: Duration? = nil) async throws -> SignedState {
        if let storageFailure { throw EndpointError.storage(storageFailure) }
        guard isConnected else { throw EndpointError.disconnected }
        // One call per version: a second proposal of a version already waiting is refused.
        guard waiting[state.version] == nil else { throw EndpointError.refused(.proposalPending) }
        let deadline = ContinuousClock.now + (timeout ?? updateTimeout)
        return try await withCheckedThrowingContinuation { continuation in
            waiting[state.version] = Waiter(continuation: continuation, deadline: deadline)
            perform(machine.on(.propose(state)))
        }
    }

    /// Moves `amount` from this side to the peer in the next state; waits for room when
    /// `maxInFlight` proposals are already waiting.
    public func pay(_ amount: UInt64, timeout: Duration? = nil) async throws -> SignedState {
        while machine.pending.count >= machine.maxInFlight {
            if let storageFailure { throw EndpointError.storage(storageFailure) }
            guard isConnected else { throw EndpointError.disconnected }
            await withCheckedContinuation { slotWaiters.append($0) }
        }
        let index = machine.ourIndex
        var next = machine.tip.next()
        guard next.allocation.balances[index] >= amount else {
            throw EndpointError.refused(
                .malformedAllocation("balance \(next.allocation.balances[index]) is below \(amount)"))
        }
        next.allocation.balances[index] -= amount
        next.allocation.balances[1 - index] += amount
        return try await propose(next, timeout: timeout)
    }

    /// Reports every fully signed state to `observer` once it is on disk (called on the actor).
    public func observeStates(_ observer: @escaping @Sendable (SignedState) -> Void) {
        stateObserver = observer
    }

    /// Replaces the rule applied to the peer's proposals.
    func setRule(_ rule: any ChannelAppRule) {
        if var children = machine.rule as? ChildChannelRule {
            children.inner = rule
            machine.rule = children
        } else {
            machine.rule = rule
        }
    }

    /// Proposes `state` with nobody waiting for the answer (the meter's checkpoints: the answer
    /// arrives through `stateSettled`, a refusal through `settlementFailed`).
    func proposeWithoutWaiting(_ state: ChannelState) {
        guard storageFailure == nil, isConnected else {
            settlementFailed(state)
            return
        }
        perform(machine.on(.propose(state)))
    }

    // MARK: - Waiting updates

    /// Fails every waiting update whose deadline passed, and with them every later one (they build
    /// on it), dropping the pending proposals.
    private func expireUpdates() {
        let now = ContinuousClock.now
        guard waiting.values.contains(where: { $0.deadline <= now }) else { return }
        abandonPending()
        failAllWaiting(.timedOut)
    }

    private func abandonPending() {
        for state in machine.abandonPending() { settlementFailed(state) }
    }

    private func failAllWaiting(_ error: EndpointError) {
        let all = waiting
        waiting.removeAll()
        for version in all.keys.sorted() { all[version]?.continuation.resume(throwing: error) }
        releaseSlots()
    }

    /// Lets callers waiting for room re-check it.
    private func releaseSlots() {
        guard !slotWaiters.isEmpty else { return }
        // As many as there is room for (all when the link is down: they fail), oldest first.
        let room = isConnected ? max(0, machine.maxInFlight - machine.pending.count) : slotWaiters.count
        let released = slotWaiters.prefix(room)
        slotWaiters.removeFirst(released.count)
        for waiter in released { waiter.resume() }
    }

    /// Completes every waiting update up to `signed`'s version with it.
    private func complete(through signed: SignedState) {
        let done = waiting.keys.filter { $0 <= signed.state.version }
        for version in done.sorted() { waiting.removeValue(forKey: version)?.continuation.resume(returning: signed) }
        releaseSlots()
    }

    func fail(version: UInt64, _ error: EndpointError) {
        waiting.removeValue(forKey: version)?.continuation.resume(throwing: error)
        releaseSlots()
    }

    // MARK: - Inbound

    func peerEvent(_ event: PeerEvent) {
        switch event {
        case .connected(let key) where key == peer: send(.sync(persisted))
        case .disconnected(let key, _) where key == peer:
            dropHeldLock()
            abandonPending()
            failAllWaiting(.disconnected)
        default: break
        }
    }

    /// Handles everything that arrived since the last drain: update messages go to the machine in
    /// runs, so one countersignature answers a run of proposals.
    func drain() { process(inbox.takeAll()) }

    /// Handles `messages` in order; while a virtual channel's lock is held at the hub, keeps them
    /// (in order) for when it is released.
    func process(_ messages: [WireMessage]) {
        var updates: [ChannelMessage] = []
        for message in messages {
            if heldLock != nil {
                held.append(message)
                continue
            }
            switch message {
            case .update(let update):
                if holdsForHub(update, after: updates) {
                    flushUpdates(&updates)
                    held = [message]
                } else {
                    updates.append(update)
                }
            case .child(let parameters, let signed):
                flushUpdates(&updates)
                receiveChild(parameters, signed)
            case .sync(let theirs):
                flushUpdates(&updates)
                resync(theirs)
            case .meter(let meterMessage):
                flushUpdates(&updates)
                handle(meterMessage)
            case .open, .opened, .openRefused:
                break  // the network handles openings
            }
        }
        flushUpdates(&updates)
    }

    func flushUpdates(_ updates: inout [ChannelMessage]) {
        guard !updates.isEmpty else { return }
        perform(machine.on(.receivedBatch(updates)))
        updates.removeAll(keepingCapacity: true)
    }

    /// Adopts the peer's state when it is newer and fully signed; tells the peer ours when it is behind.
    private func resync(_ theirs: SignedState) {
        let ours = machine.current.state.version
        if theirs.state.version > ours {
            let dropped = machine.pending
            do {
                try machine.adopt(theirs)
            } catch {
                logger.warning("refused a resync state: \(error)")
                network.penalize(peer: peer, reason: "invalid resync state")
                return
            }
            logger.info("resynced from version \(ours) to \(theirs.state.version)")
            // Proposals of ours up to the adopted state complete with it when it is one of them
            // (the peer accepted it and we missed the answer); every other one is superseded.
            let included = dropped.contains { $0.state == theirs.state }
            for proposal in dropped where !included || proposal.state.version > theirs.state.version {
                fail(version: proposal.state.version, .superseded)
                settlementFailed(proposal.state)
            }
            if !included { failAllWaiting(.superseded) }
            perform([.accepted(theirs)])
        } else if theirs.state.version < persisted.state.version {
            send(.sync(persisted))
        }
    }

    // MARK: - Outbound, with group commit

    /// Performs the machine's actions in order. Actions after an `.accepted` state wait until
    /// that state (or a later one) is on disk; a run of them shares one synced write.
    private func perform(_ actions: [ChannelMachine.Action]) {
        for action in actions {
            if outbox.isEmpty, !flushing, !action.isAccepted {
                performNow(action)
            } else {
                outbox.append(action)
            }
        }
        if !outbox.isEmpty, !flushing {
            flushing = true
            Task { await self.flush() }
        }
    }

    private func flush() async {
        while !outbox.isEmpty {
            let run = outbox
            outbox.removeAll(keepingCapacity: true)
            if let latest = run.lastAccepted {
                let failure = await persist(latest)
                if failure == nil, latest.state.version > persisted.state.version { persisted = latest }
                if let failure {
                    storageFailure = failure
                    logger.error("could not persist channel state \(latest.state.version): \(failure); stopping")
                    abandonPending()
                    failAllWaiting(.storage(failure))
                    outbox.removeAll()
                    flushing = false
                    network.detach(channel: channelID)
                    return
                }
            }
            for action in run { performNow(action) }
        }
        flushing = false
    }

    /// Writes `state` off the actor (a synced RocksDB write); nil on success, else the error.
    private func persist(_ state: SignedState) async -> String? {
        let store = self.store
        let parameters = self.parameters
        return await withCheckedContinuation { continuation in
            disk.async {
                do {
                    try store.save(parameters: parameters, latest: state)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: "\(error)")
                }
            }
        }
    }

    private func performNow(_ action: ChannelMachine.Action) {
        switch action {
        case .send(let message): send(.update(message))
        case .accepted(let signed):
            complete(through: signed)
            stateObserver?(signed)
            stateSettled(signed)
        case .proposalRejected(let state, let reason):
            fail(version: state.version, .rejectedByPeer(reason))
            settlementFailed(state)
        case .ownProposalDropped(let state):
            fail(version: state.version, .superseded)
            settlementFailed(state)
        case .refused(let state, let reason):
            fail(version: state.version, .refused(reason))
            settlementFailed(state)
        case .discarded(let message, let reason):
            logger.debug("discarded a peer message: \(reason)")
            // An answer to a proposal we gave up on: the peer may hold a newer fully signed
            // state than ours; a sync makes it send it.
            if case .acceptance(_, let version, _) = message, version > machine.current.state.version {
                send(.sync(persisted))
            }
        }
    }

    /// Sends a message on the link; meter messages need no ordering with the disk.
    func send(_ message: WireMessage) {
        do { try network.send(message, channel: channelID, to: peer) } catch {
            logger.debug("could not send to the peer: \(error)")
            if case .update(.proposal) = message {
                abandonPending()
                failAllWaiting(.disconnected)
            }
        }
    }
}

extension ChannelMachine.Action {
    var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }
}

extension [ChannelMachine.Action] {
    var lastAccepted: SignedState? {
        for action in reversed() {
            if case .accepted(let signed) = action { return signed }
        }
        return nil
    }
}
