public import Consensus
public import Primitives

/// What to simulate: the validators, the faults, and for how long (simulated milliseconds).
public struct SimulationParameters: Sendable {
    /// The seed every random choice derives from; a failing run replays exactly from it.
    public var seed: UInt64
    /// Validators, equal stake.
    public var validators: Int
    /// Byzantine validators (the first `byzantine` keys), each run as two honest-looking instances
    /// sharing one key (Twins): together they equivocate. Must stay below a third of the set.
    public var byzantine: Int
    /// When true, the byzantine validators together hold the largest stake strictly below a third
    /// of the total (honest validators stake 100 each); when false, every validator stakes 100.
    public var maximizeByzantineStake = false
    /// Consensus parameters (shorter slots and timers than a live chain, so runs stay short).
    public var consensus: ConsensusConfiguration
    /// Global stabilisation time: before it the fault plan applies; after it the network is
    /// reliable, partitions have healed and crashed validators have restarted.
    public var stabilization: UInt64
    /// The whole run's length; liveness is judged on the time after stabilisation.
    public var duration: UInt64
    /// Faults to inject; a random plan is drawn from the seed when nil.
    public var faults: FaultPlan?
    /// The application every validator runs.
    public var application: ApplicationKind
    /// Stop as soon as some honest validator has finalized this height (benchmarks; nil: run the
    /// whole duration). Liveness is then judged on that height being reached.
    public var stopAtHeight: UInt64?
    /// Record a trace of events from this time on (nil: no trace), at most `traceLimit` lines.
    public var traceFrom: UInt64?
    public var traceLimit = 20_000

    /// A run with `validators` validators, `byzantine` of them Twins, seeded by `seed`.
    public init(seed: UInt64, validators: Int = 4, byzantine: Int = 0, application: ApplicationKind = .hashChain) {
        self.seed = seed
        self.validators = validators
        self.byzantine = byzantine
        var consensus = ConsensusConfiguration(chainId: "aether-sim")
        consensus.minimumBlockInterval = 200
        consensus.baseTimeout = 800
        consensus.maximumTimeout = 4_000
        consensus.epochLength = 16
        self.consensus = consensus
        self.stabilization = 3_000
        self.duration = 12_000
        self.faults = nil
        self.application = application
    }
}

/// The application the simulated validators run.
public enum ApplicationKind: String, Sendable, CaseIterable {
    /// Blocks of random payloads; the state root is a hash chain over them.
    case hashChain
    /// The chain state machine with the bank module: clients send transfers, leaders fill blocks
    /// from their mempools, every validator executes every block and state roots are compared.
    case bank
}

/// Faults injected before stabilisation.
public struct FaultPlan: Sendable {
    /// Message delay range before stabilisation (ms).
    public var delayBefore: ClosedRange<UInt64>
    /// Message delay range after it.
    public var delayAfter: ClosedRange<UInt64>
    /// Chance per message of being dropped before stabilisation, in thousandths.
    public var dropPermille: UInt64
    /// Chance per message of being delivered twice, in thousandths.
    public var duplicatePermille: UInt64
    /// Network partitions: during `start..<end`, messages between different groups are lost.
    public var partitions: [Partition]
    /// Crashes: the instance stops at `at` and restarts from its persisted state at `restart`.
    public var crashes: [Crash]

    /// A partition of the instances into groups for a time.
    public struct Partition: Sendable {
        public var start: UInt64
        public var end: UInt64
        public var groups: [[Int]]

        /// Messages between `groups` are lost from `start` until `end`.
        public init(start: UInt64, end: UInt64, groups: [[Int]]) {
            self.start = start
            self.end = end
            self.groups = groups
        }
    }

    /// One crash and restart.
    public struct Crash: Sendable {
        public var instance: Int
        public var at: UInt64
        public var restart: UInt64

        /// `instance` stops at `at` and restarts from its persisted state at `restart`.
        public init(instance: Int, at: UInt64, restart: UInt64) {
            self.instance = instance
            self.at = at
            self.restart = restart
        }
    }

    /// A plan from its parts.
    public init(
        delayBefore: ClosedRange<UInt64>, delayAfter: ClosedRange<UInt64>, dropPermille: UInt64,
        duplicatePermille: UInt64, partitions: [Partition], crashes: [Crash]
    ) {
        self.delayBefore = delayBefore
        self.delayAfter = delayAfter
        self.dropPermille = dropPermille
        self.duplicatePermille = duplicatePermille
        self.partitions = partitions
        self.crashes = crashes
    }

    /// A perfect network with a fixed delay (benchmarks use 0).
    public static func perfect(delay: UInt64) -> FaultPlan {
        FaultPlan(
            delayBefore: delay...delay, delayAfter: delay...delay, dropPermille: 0, duplicatePermille: 0,
            partitions: [], crashes: [])
    }

    /// A random plan for `instances` instances up to time `stabilization`, drawn from `random`.
    public static func random(instances: Int, stabilization: UInt64, using random: inout SeededRandom) -> FaultPlan {
        var partitions: [Partition] = []
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            let start = UInt64.random(in: 0..<stabilization, using: &random)
            let end = UInt64.random(in: start...stabilization, using: &random)
            let shuffled = Array(0..<instances).shuffled(using: &random)
            let cut = Int.random(in: 1..<max(instances, 2), using: &random)
            partitions.append(
                Partition(start: start, end: end, groups: [Array(shuffled[..<cut]), Array(shuffled[cut...])]))
        }
        var crashes: [Crash] = []
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            let at = UInt64.random(in: 0..<stabilization, using: &random)
            crashes.append(
                Crash(
                    instance: Int.random(in: 0..<instances, using: &random), at: at,
                    restart: UInt64.random(in: at...stabilization, using: &random)))
        }
        let slow = UInt64.random(in: 20...300, using: &random)
        return FaultPlan(
            delayBefore: 1...slow, delayAfter: 1...40, dropPermille: UInt64.random(in: 0...200, using: &random),
            duplicatePermille: UInt64.random(in: 0...50, using: &random), partitions: partitions, crashes: crashes)
    }
}

/// What a run found. `passed` is the verdict: no safety violation, liveness after stabilisation,
/// evidence for every equivocation an honest validator saw, and agreeing state roots.
public struct SimulationReport: Sendable {
    public var seed: UInt64
    public var validators: Int
    public var byzantine: Int
    /// Two different blocks finalized at one height, broken parent links, or bad evidence.
    public var safetyViolations: [String] = []
    /// Why the chain did not make progress after stabilisation, if it did not.
    public var livenessFailure: String?
    /// Honest validators that saw an equivocation and reported no evidence for it.
    public var missedEvidence: [String] = []
    /// Heights at which two honest validators computed different state roots.
    public var stateRootMismatches: [String] = []
    /// The lowest and highest finalized height among honest validators at the end.
    public var finalizedHeight: UInt64 = 0
    public var highestFinalizedHeight: UInt64 = 0
    /// Blocks finalized after stabilisation (by the slowest honest validator).
    public var finalizedAfterStabilization: UInt64 = 0
    /// The highest view an honest validator reached.
    public var views: UInt64 = 0
    /// Distinct equivocations (validator, view, kind) the Twins signed, and those reported.
    public var equivocations = 0
    public var evidenceReported = 0
    /// Each instance at the end: view, high QC view, last voted view, committed height (for debugging).
    public var instances: [String] = []
    /// The event trace, when asked for (`SimulationParameters.traceFrom`).
    public var trace: [String] = []
    /// Transactions in the finalized blocks.
    public var transactionsFinalized = 0
    public var messagesSent = 0
    public var messagesDropped = 0
    /// Signatures and VRF proofs checked by all instances.
    public var signaturesVerified = 0
    public var vrfVerifications = 0
    /// Signatures and VRF proofs made by all instances.
    public var signaturesMade = 0
    public var vrfProofs = 0

    /// Views per finalized block: 1 on a perfect run.
    public var viewsPerFinalizedBlock: Double {
        highestFinalizedHeight == 0 ? 0 : Double(views) / Double(highestFinalizedHeight)
    }

    /// True when every check held.
    public var passed: Bool {
        safetyViolations.isEmpty && livenessFailure == nil && missedEvidence.isEmpty && stateRootMismatches.isEmpty
    }

    /// One line for people: the verdict and the replay seed.
    public var summary: String {
        var parts = [
            passed ? "ok" : "FAILED", "seed \(seed)", "\(validators) validators (\(byzantine) byzantine)",
            "finalized \(finalizedHeight)…\(highestFinalizedHeight)", "views \(views)",
            "transactions \(transactionsFinalized)",
            "equivocations \(equivocations), evidence \(evidenceReported)",
        ]
        parts += safetyViolations.prefix(3).map { "SAFETY: \($0)" }
        if let livenessFailure { parts.append("LIVENESS: \(livenessFailure)") }
        parts += missedEvidence.prefix(3).map { "EVIDENCE: \($0)" }
        parts += stateRootMismatches.prefix(3).map { "STATE: \($0)" }
        if !passed { parts += instances }
        return parts.joined(separator: "; ")
    }
}

/// Runs validators over a simulated network and clock, injecting faults and checking safety and
/// liveness after every step (Docs/spec/consensus.md; the simulator is deterministic in its seed).
public struct Simulation {
    public let parameters: SimulationParameters
    let plan: FaultPlan
    let validatorSet: ValidatorSet
    let genesis: BlockHeader
    private var random: SeededRandom
    private var nodes: [SimulatedNode] = []
    private var queue = EventQueue<SimulatedEvent>()
    private var now: UInt64 = 0
    private var report: SimulationReport
    /// The block finalized at each height by the first honest validator to finalize it.
    private var finalized: [UInt64: Hash] = [:]
    private var stateRoots: [UInt64: Hash] = [:]
    /// Block ids each byzantine key signed per (kind, view): more than one is an equivocation.
    private var signed: [EquivocationKey: Set<Hash>] = [:]
    private var honestHeightAtStabilization: UInt64 = 0
    private var clients: SimulatedClients
    /// Milliseconds between client transactions (bank application).
    public var transactionInterval: UInt64 = 20

    /// A simulation ready to `run()`.
    public init(_ parameters: SimulationParameters) {
        precondition(parameters.validators >= 1 && parameters.byzantine >= 0)
        self.parameters = parameters
        var random = SeededRandom(seed: parameters.seed)
        let instances = parameters.validators + parameters.byzantine
        self.plan =
            parameters.faults ?? .random(instances: instances, stabilization: parameters.stabilization, using: &random)
        self.random = random
        var keys: [(Ed25519.PrivateKey, VRF.SecretKey)] = []
        for index in 0..<parameters.validators {
            let seed = Hashing.sha256(Array("aether-sim-key-\(index)".utf8)).bytes
            let vrfSeed = Hashing.sha256(Array("aether-sim-vrf-\(index)".utf8)).bytes
            keys.append((try! Ed25519.PrivateKey(seed: seed), try! VRF.SecretKey(seed: vrfSeed)))
        }
        // Byzantine keys are the first `byzantine` in canonical order; stakes follow that order.
        let ordered = keys.sorted { $0.0.publicKey < $1.0.publicKey }
        let stakes = Simulation.stakes(
            validators: parameters.validators, byzantine: parameters.byzantine,
            maximize: parameters.maximizeByzantineStake)
        let validators = ordered.enumerated().map {
            Validator(publicKey: $1.0.publicKey, vrfPublicKey: $1.1.publicKey, stake: stakes[$0])
        }
        self.validatorSet = try! ValidatorSet(validators)
        let chainId = parameters.consensus.chainId
        self.clients = SimulatedClients(count: 16, chainId: chainId)
        let makeApplication: () -> any SimulatedApplication
        var genesisRoot = Hash.zero
        switch parameters.application {
        case .hashChain:
            makeApplication = { HashChainApplication() }
        case .bank:
            let chainGenesis = clients.genesis()
            // The genesis is fixed and valid, so building it cannot fail.
            genesisRoot = try! BankApplication(chainId: chainId, genesis: chainGenesis).committedRoot
            makeApplication = { try! BankApplication(chainId: chainId, genesis: chainGenesis) }
        }
        var genesis = Simulation.genesisHeader(chainId: chainId, validators: validatorSet)
        genesis.stateRoot = genesisRoot
        self.genesis = genesis
        self.report = SimulationReport(
            seed: parameters.seed, validators: parameters.validators, byzantine: parameters.byzantine)
        // The byzantine keys are the first `byzantine` in canonical order; each gets a twin instance.
        let byKey = keys.sorted { $0.0.publicKey < $1.0.publicKey }
        for instance in 0..<instances {
            let keyIndex = instance < parameters.validators ? instance : instance - parameters.validators
            let (signer, vrf) = byKey[keyIndex]
            nodes.append(
                SimulatedNode(
                    instance: instance, keyIndex: keyIndex, byzantine: keyIndex < parameters.byzantine,
                    signer: signer, vrfKey: vrf, application: makeApplication(), genesis: genesis,
                    configuration: parameters.consensus, validators: validatorSet))
        }
    }

    /// Stakes in canonical key order: the byzantine validators first.
    static func stakes(validators: Int, byzantine: Int, maximize: Bool) -> [UInt64] {
        guard maximize, byzantine > 0 else { return Array(repeating: 100, count: validators) }
        // Byzantine total B with 3B < B + H, i.e. 2B < H, as large as possible: B = (H − 1) / 2.
        let honest = UInt64(validators - byzantine) * 100
        let total = (honest - 1) / 2
        var stakes = (0..<byzantine).map { _ in total / UInt64(byzantine) }
        stakes[0] += total % UInt64(byzantine)
        return stakes + Array(repeating: 100, count: validators - byzantine)
    }

    /// The genesis header of a simulated chain.
    static func genesisHeader(chainId: String, validators: ValidatorSet) -> BlockHeader {
        BlockHeader(
            chainId: chainId, epoch: 0, height: 0, view: 0, parentID: .zero, stateRoot: .zero, transactionRoot: .zero,
            receiptRoot: .zero, dataAvailabilityRoot: .zero, validatorSetHash: validators.hash,
            nextValidatorSetHash: validators.hash, proposer: validators.validators[0].publicKey,
            vrfProof: try! VRF.Proof([UInt8](repeating: 0, count: 80)), timestamp: 0,
            justify: QuorumCertificate(epoch: 0, view: 0, height: 0, blockID: .zero, signatures: []))
    }

    // MARK: - Running

    /// Runs to the end and returns what the checks found.
    public mutating func run() -> SimulationReport {
        for crash in plan.crashes where crash.instance < nodes.count {
            queue.push(.crash(crash.instance), at: crash.at)
            queue.push(.restart(crash.instance), at: max(crash.restart, crash.at))
        }
        queue.push(.stabilized, at: parameters.stabilization)
        for index in nodes.indices { queue.push(.start(index), at: 0) }
        if parameters.application == .bank { queue.push(.clientTransaction, at: transactionInterval) }
        while let (time, event) = queue.pop(), time <= parameters.duration {
            now = time
            handle(event)
            if let stop = parameters.stopAtHeight, UInt64(finalized.count) >= stop { break }
        }
        finish()
        return report
    }

    private var tracing: Bool {
        guard let from = parameters.traceFrom else { return false }
        return now >= from && report.trace.count < parameters.traceLimit
    }

    private mutating func note(_ line: String) {
        report.trace.append("\(now) \(line)")
    }

    private static func describe(_ message: ConsensusMessage) -> String {
        switch message {
        case .proposal(let p):
            "proposal e\(p.block.header.epoch) v\(p.block.header.view) h\(p.block.header.height) "
                + "justify v\(p.block.header.justify.view)"
                + (p.timeoutCertificate.map { " tc v\($0.view)" } ?? "")
        case .vote(let v): "vote e\(v.epoch) v\(v.view) h\(v.height) by \(v.voter)"
        case .timeout(let t): "timeout e\(t.epoch) v\(t.view) highQC v\(t.highQC.view) by \(t.voter)"
        case .blockRequest(let r): "block request \(r.blockID) ×\(r.count)"
        case .blockResponse(let blocks): "block response of \(blocks.count)"
        case .syncRequest(let r): "sync request from h\(r.fromHeight)"
        case .syncResponse(let r): "sync response of \(r.blocks.count) blocks"
        }
    }

    private mutating func handle(_ event: SimulatedEvent) {
        switch event {
        case .start(let index):
            guard nodes[index].alive else { return }
            step(index, .start(now: now))
        case .timer(let index, let incarnation, let timer):
            guard nodes[index].alive, nodes[index].incarnation == incarnation else { return }
            if tracing { note("#\(index) timer \(timer) (in view \(nodes[index].engine.view))") }
            step(index, .timerFired(timer, now: now))
        case .deliver(let index, let from, let message):
            guard nodes[index].alive else { return }
            deliver(message, to: index, from: from)
        case .crash(let index):
            if tracing { note("#\(index) crashes") }
            nodes[index].alive = false
        case .restart(let index):
            guard !nodes[index].alive else { return }
            if tracing { note("#\(index) restarts") }
            nodes[index].restart()
            step(index, .start(now: now))
            if let recovered = nodes[index].recoverPendingBlocks() {
                step(index, .received(.blockResponse(recovered), from: nodes[index].signer.publicKey, now: now))
            }
        case .stabilized:
            honestHeightAtStabilization = nodes.filter { !$0.byzantine }.map(\.committedHeight).max() ?? 0
        case .clientTransaction:
            // A client hands its transfer to every validator (gossip), each after a network delay.
            let transaction = clients.nextTransfer(using: &random)
            for index in nodes.indices {
                let delays = now >= parameters.stabilization ? plan.delayAfter : plan.delayBefore
                queue.push(.submit(index, transaction), at: now + UInt64.random(in: delays, using: &random))
            }
            queue.push(.clientTransaction, at: now + transactionInterval)
        case .submit(let index, let transaction):
            guard nodes[index].alive else { return }
            nodes[index].application.submit(transaction, from: "client")
        }
    }

    private mutating func deliver(_ message: ConsensusMessage, to index: Int, from sender: Int) {
        switch message {
        case .blockRequest(let request):
            answer(request, at: index, to: sender)
            return
        case .syncRequest(let request):
            answerSync(request, at: index, to: sender)
            return
        case .syncResponse(let response):
            applySync(response, at: index)
            return
        default:
            break
        }
        if let epoch = message.epoch, epoch != nodes[index].engine.epoch {
            // A later epoch: this validator is behind. Keep the message for when it catches up,
            // and ask the sender for the committed blocks it is missing.
            if epoch > nodes[index].engine.epoch {
                nodes[index].bufferFutureMessage(message, from: sender)
                requestSync(at: index, from: sender)
            }
            return
        }
        if !nodes[index].byzantine { noteDelivery(message, to: index) }
        if tracing { note("#\(index) <- #\(sender) \(Self.describe(message)) (in view \(nodes[index].engine.view))") }
        step(index, .received(message, from: nodes[sender].signer.publicKey, now: now))
    }

    /// Feeds one event to a node's engine and performs the actions, in order.
    private mutating func step(_ index: Int, _ event: ConsensusEvent) {
        let actions = nodes[index].engine.on(event)
        for action in actions { perform(action, at: index) }
    }

    private mutating func perform(_ action: ConsensusAction, at index: Int) {
        switch action {
        case .persist(let state):
            nodes[index].persisted = state
            if tracing { note("#\(index) persists voted \(state.lastVotedView) highQC v\(state.highQC.view)") }
        case .broadcast(let message):
            if tracing { note("#\(index) broadcasts \(Self.describe(message))") }
            noteSigned(message, by: index)
            for target in nodes.indices where target != index { send(message, from: index, to: target) }
        case .send(let message, let key):
            for target in nodes.indices where nodes[target].signer.publicKey == key && target != index {
                send(message, from: index, to: target)
            }
        case .scheduleTimer(let timer, let at):
            queue.push(.timer(index, nodes[index].incarnation, timer), at: max(at, now))
        case .buildBlock(let template):
            let block = nodes[index].application.build(template, instance: index, random: &random)
            nodes[index].pending[block.id] = block
            step(index, .blockBuilt(block, now: now))
        case .checkBlock(let block, let parent, let isEpochSuffix):
            let accepted = nodes[index].application.check(block, parent: parent, isEpochSuffix: isEpochSuffix)
            // Like the node, keep an accepted block durably before voting for it.
            if accepted { nodes[index].pending[block.id] = block }
            step(index, .blockChecked(block.id, accepted: accepted, now: now))
        case .commit(let blocks, let certificate, let epochState):
            if tracing {
                note("#\(index) commits h\(blocks.first?.header.height ?? 0)…h\(blocks.last?.header.height ?? 0)")
            }
            for block in blocks { finalize(block, at: index) }
            let floor = nodes[index].committedHeight
            nodes[index].pending = nodes[index].pending.filter { $0.value.header.height > floor }
            nodes[index].epochState = epochState
            if let last = blocks.last { nodes[index].directCertificates[last.id] = certificate }
            if certificate.committedBlockID != blocks.last?.id {
                report.safetyViolations.append(
                    "instance \(index): commit certificate does not name the committed block")
            }
        case .reportEvidence(let evidence):
            record(evidence, at: index)
        case .epochEnded(let base, let epochState):
            if tracing { note("#\(index) enters epoch \(epochState.epoch) on h\(base.height)") }
            startEngine(at: index, base: base, epochState: epochState)
        }
    }

    /// Replaces an instance's engine (a new epoch, or after catching up) and replays the messages
    /// it kept for that epoch.
    private mutating func startEngine(at index: Int, base: BlockHeader, epochState: EpochState) {
        nodes[index].epochState = epochState
        // Timers of the replaced engine must not fire into this one (views restart each epoch).
        nodes[index].incarnation += 1
        nodes[index].previousStatistics.add(nodes[index].engine.statistics)
        nodes[index].previousViews += nodes[index].engine.view
        nodes[index].engine = nodes[index].makeEngine(base: base, epochState: epochState)
        step(index, .start(now: now))
        for (message, sender) in nodes[index].takeBufferedMessages(epoch: epochState.epoch) {
            deliver(message, to: index, from: sender)
        }
    }

    // MARK: - Catching up across epochs

    private mutating func requestSync(at index: Int, from peer: Int) {
        if let last = nodes[index].lastSyncRequest, now < last + 300 { return }
        nodes[index].lastSyncRequest = now
        let request = SyncRequest(fromHeight: nodes[index].committedHeight + 1, count: BlockRequest.maximumCount)
        send(.syncRequest(request), from: index, to: peer)
    }

    /// Serves committed blocks up to the last one in range that has its own commit certificate.
    private mutating func answerSync(_ request: SyncRequest, at index: Int, to requester: Int) {
        let node = nodes[index]
        guard request.fromHeight >= 1, request.fromHeight <= node.committedHeight else { return }
        let start = Int(request.fromHeight - 1)
        let end = min(node.committed.count, start + Int(request.count))
        guard let last = (start..<end).last(where: { node.directCertificates[node.committed[$0].id] != nil }),
            let certificate = node.directCertificates[node.committed[last].id]
        else { return }
        send(
            .syncResponse(SyncResponse(blocks: Array(node.committed[start...last]), certificate: certificate)),
            from: index, to: requester)
    }

    /// Checks and commits blocks a peer committed, then restarts the engine on the new tip.
    private mutating func applySync(_ response: SyncResponse, at index: Int) {
        nodes[index].lastSyncRequest = nil
        let tip = nodes[index].committed.last?.header ?? genesis
        let set = validatorSet
        do {
            try ChainSync.verify(response, extending: tip, validators: { _ in set })
        } catch {
            if tracing { note("#\(index) refuses sync: \(error)") }
            return
        }
        var epochState = nodes[index].epochState
        var parent = tip
        for block in response.blocks {
            if block.header.epoch == epochState.epoch + 1 { epochState.close(on: parent) }
            let isSuffix = parent.height >= epochState.endingHeight
            guard nodes[index].application.check(block, parent: parent, isEpochSuffix: isSuffix),
                let output = vrfOutput(of: block.header)
            else {
                report.safetyViolations.append(
                    "instance \(index): a certified block at height \(block.header.height) fails its checks")
                return
            }
            epochState.recordCommitted(block.header, output: output)
            finalize(block, at: index)
            parent = block.header
        }
        if parent.height >= epochState.endingHeight { epochState.close(on: parent) }
        if let last = response.blocks.last { nodes[index].directCertificates[last.id] = response.certificate }
        if tracing { note("#\(index) synced to h\(parent.height), epoch \(epochState.epoch)") }
        startEngine(at: index, base: parent, epochState: epochState)
    }

    private func vrfOutput(of header: BlockHeader) -> [UInt8]? {
        guard let proposer = validatorSet.index(of: header.proposer), let key = validatorSet[proposer]?.vrfPublicKey
        else { return nil }
        let alpha = LeaderSchedule.vrfInput(chainId: header.chainId, epoch: header.epoch, view: header.view)
        return try? VRF.verify(alpha, proof: header.vrfProof, publicKey: key)
    }

    // MARK: - The network

    private mutating func send(_ message: ConsensusMessage, from sender: Int, to target: Int) {
        report.messagesSent += 1
        let stable = now >= parameters.stabilization
        if !stable {
            if isPartitioned(sender, target) || UInt64.random(in: 0..<1000, using: &random) < plan.dropPermille {
                report.messagesDropped += 1
                return
            }
        }
        let delays = stable ? plan.delayAfter : plan.delayBefore
        queue.push(.deliver(target, from: sender, message), at: now + UInt64.random(in: delays, using: &random))
        if !stable, UInt64.random(in: 0..<1000, using: &random) < plan.duplicatePermille {
            queue.push(.deliver(target, from: sender, message), at: now + UInt64.random(in: delays, using: &random))
        }
    }

    private func isPartitioned(_ a: Int, _ b: Int) -> Bool {
        plan.partitions.contains { partition in
            guard partition.start <= now, now < partition.end else { return false }
            let groupA = partition.groups.firstIndex { $0.contains(a) }
            let groupB = partition.groups.firstIndex { $0.contains(b) }
            return groupA != groupB
        }
    }

    /// Answers a block request from a peer with the blocks this instance holds.
    private mutating func answer(_ request: BlockRequest, at index: Int, to requester: Int) {
        var found: [CertifiedBlock] = []
        var cursor = request.blockID
        while found.count < Int(request.count), let block = nodes[index].block(cursor) {
            found.append(CertifiedBlock(block: block, certificate: nodes[index].engine.certificate(for: cursor)))
            if block.header.height <= 1 { break }
            cursor = block.header.parentID
        }
        guard !found.isEmpty else { return }
        send(.blockResponse(found.reversed()), from: index, to: requester)
    }

    // MARK: - Checks

    /// Records one block an instance finalized, checking it against every other honest instance.
    private mutating func finalize(_ block: Block, at index: Int) {
        let header = block.header
        let id = block.id
        let root = nodes[index].application.commit(block)
        let node = nodes[index]
        if !node.byzantine {
            if header.height != node.committedHeight + 1 || header.parentID != node.committedID {
                report.safetyViolations.append(
                    "instance \(index) committed height \(header.height) out of order at \(now) ms")
            }
            if let earlier = finalized[header.height], earlier != id {
                report.safetyViolations.append(
                    "height \(header.height): \(earlier) and \(id) both finalized (instance \(index), \(now) ms)")
            } else if finalized[header.height] == nil {
                finalized[header.height] = id
                report.transactionsFinalized += block.transactions.count
            }
            if let expected = stateRoots[header.height], expected != root {
                report.stateRootMismatches.append("height \(header.height) at instance \(index)")
            } else {
                stateRoots[header.height] = root
            }
        }
        nodes[index].commit(block)
    }

    private mutating func record(_ evidence: Evidence, at index: Int) {
        do {
            try evidence.verify()
        } catch {
            report.safetyViolations.append("instance \(index) reported evidence that does not verify: \(error)")
            return
        }
        guard let key = validatorSet.index(of: evidence.validator) else { return }
        if Int(key) >= parameters.byzantine {
            report.safetyViolations.append(
                "instance \(index) has evidence against honest validator \(key): \(evidence.kind) in view \(evidence.view)"
            )
        }
        nodes[index].evidence.insert(
            EquivocationKey(kind: evidence.kind, validator: Int(key), epoch: evidence.epoch, view: evidence.view))
    }

    /// Tracks what the Twins sign, to count equivocations.
    private mutating func noteSigned(_ message: ConsensusMessage, by index: Int) {
        guard nodes[index].byzantine, let key = equivocationKey(message) else { return }
        signed[key.key, default: []].insert(key.blockID)
    }

    /// Tracks what honest instances receive: two different blocks signed by one key for one view
    /// and kind must produce evidence (unless the instance restarts in between and forgets).
    private mutating func noteDelivery(_ message: ConsensusMessage, to index: Int) {
        guard let key = equivocationKey(message), key.key.validator < parameters.byzantine else { return }
        nodes[index].deliveries[key.key, default: []].insert(key.blockID)
    }

    private func equivocationKey(_ message: ConsensusMessage) -> (key: EquivocationKey, blockID: Hash)? {
        switch message {
        case .vote(let vote):
            return (
                EquivocationKey(kind: .vote, validator: Int(vote.voter), epoch: vote.epoch, view: vote.view),
                vote.blockID
            )
        case .proposal(let proposal):
            guard let proposer = validatorSet.index(of: proposal.block.header.proposer) else { return nil }
            return (
                EquivocationKey(
                    kind: .proposal, validator: Int(proposer), epoch: proposal.block.header.epoch,
                    view: proposal.block.header.view),
                proposal.block.id
            )
        default:
            return nil
        }
    }

    private mutating func finish() {
        let honest = nodes.filter { !$0.byzantine }
        report.finalizedHeight = honest.map(\.committedHeight).min() ?? 0
        report.highestFinalizedHeight = honest.map(\.committedHeight).max() ?? 0
        report.views = honest.map { $0.previousViews + $0.engine.view }.max() ?? 0
        report.finalizedAfterStabilization =
            report.finalizedHeight > honestHeightAtStabilization
            ? report.finalizedHeight - honestHeightAtStabilization : 0
        if let stop = parameters.stopAtHeight {
            if report.highestFinalizedHeight < stop {
                report.livenessFailure = "stopped at height \(report.highestFinalizedHeight) before reaching \(stop)"
            }
        } else if report.finalizedAfterStabilization < 2 {
            report.livenessFailure =
                "only \(report.finalizedAfterStabilization) blocks finalized by every honest validator "
                + "in \(parameters.duration - parameters.stabilization) ms after stabilisation "
                + "(heights \(honest.map(\.committedHeight)))"
        }
        report.equivocations = signed.values.filter { $0.count > 1 }.count
        var reported = Set<EquivocationKey>()
        for node in honest {
            reported.formUnion(node.evidence)
            for (key, blocks) in node.deliveries where blocks.count > 1 && !node.evidence.contains(key) {
                report.missedEvidence.append("instance \(node.instance) saw \(key) and reported nothing")
            }
        }
        report.evidenceReported = reported.count
        report.instances = nodes.map { node in
            let engine = node.engine
            return "instance \(node.instance)\(node.byzantine ? " (twin key)" : ""): view \(engine.view), "
                + "highQC \(engine.safety.highQC.view)/h\(engine.safety.highQC.height), voted \(engine.safety.lastVotedView), "
                + "committed h\(node.committedHeight)\(node.alive ? "" : ", down")"
        }
        for node in nodes {
            report.signaturesVerified +=
                node.engine.statistics.signaturesVerified + node.previousStatistics.signaturesVerified
            report.vrfVerifications += node.engine.statistics.vrfVerified + node.previousStatistics.vrfVerified
            report.signaturesMade += node.engine.statistics.signaturesMade + node.previousStatistics.signaturesMade
            report.vrfProofs += node.engine.statistics.proposalsMade + node.previousStatistics.proposalsMade
        }
    }
}

// MARK: - Instances and events

/// One equivocation: a validator signing two blocks of one kind in one view.
struct EquivocationKey: Hashable, Sendable, CustomStringConvertible {
    let kind: Evidence.Kind
    let validator: Int
    let epoch: UInt64
    let view: UInt64

    var description: String {
        "\(kind == .vote ? "votes" : "proposals") of validator \(validator) in epoch \(epoch) view \(view)"
    }
}

enum SimulatedEvent {
    case start(Int)
    case timer(Int, UInt64, ConsensusTimer)
    case deliver(Int, from: Int, ConsensusMessage)
    case crash(Int)
    case restart(Int)
    case stabilized
    case clientTransaction
    case submit(Int, [UInt8])
}

/// One validator instance: its engine and what it has durably stored.
struct SimulatedNode {
    let instance: Int
    let keyIndex: Int
    let byzantine: Bool
    let signer: Ed25519.PrivateKey
    let vrfKey: VRF.SecretKey
    let genesis: BlockHeader
    let genesisID: Hash
    let configuration: ConsensusConfiguration
    let validators: ValidatorSet
    var application: any SimulatedApplication
    var engine: ConsensusEngine
    var alive = true
    /// Bumped on restart, so timers of the previous life are ignored.
    var incarnation: UInt64 = 0
    /// Durable: the safety state, the committed chain, its certificates and the epoch state.
    var persisted: SafetyState?
    var committed: [Block] = []
    var committedIndex: [Hash: Int] = [:]
    var directCertificates: [Hash: CommitCertificate] = [:]
    var epochState: EpochState
    /// Uncommitted blocks this validator built or accepted (the node's pending-block store).
    var pending: [Hash: Block] = [:]
    /// Forgotten on restart (they live in memory).
    var deliveries: [EquivocationKey: Set<Hash>] = [:]
    var evidence: Set<EquivocationKey> = []
    var previousStatistics = ConsensusEngine.Statistics()
    /// Views of earlier engines (epochs), for the views-per-block figure.
    var previousViews: UInt64 = 0
    var futureMessages: [(ConsensusMessage, Int)] = []
    var lastSyncRequest: UInt64?

    init(
        instance: Int, keyIndex: Int, byzantine: Bool, signer: Ed25519.PrivateKey, vrfKey: VRF.SecretKey,
        application: any SimulatedApplication, genesis: BlockHeader, configuration: ConsensusConfiguration,
        validators: ValidatorSet
    ) {
        self.instance = instance
        self.keyIndex = keyIndex
        self.byzantine = byzantine
        self.signer = signer
        self.vrfKey = vrfKey
        self.application = application
        self.genesis = genesis
        self.genesisID = genesis.id
        self.configuration = configuration
        self.validators = validators
        self.epochState = EpochState(chainId: configuration.chainId, epochLength: configuration.epochLength)
        self.engine = ConsensusEngine(
            configuration: configuration, validators: validators, base: genesis, epochState: epochState,
            signer: signer, vrfKey: vrfKey)
    }

    var committedHeight: UInt64 { committed.last?.header.height ?? 0 }
    var committedID: Hash { committed.last?.id ?? genesisID }

    func block(_ id: Hash) -> Block? {
        if let position = committedIndex[id] { return committed[position] }
        return engine.block(id)
    }

    mutating func commit(_ block: Block) {
        committedIndex[block.id] = committed.count
        committed.append(block)
    }

    func makeEngine(base: BlockHeader, epochState: EpochState) -> ConsensusEngine {
        ConsensusEngine(
            configuration: configuration, validators: validators, base: base, epochState: epochState, signer: signer,
            vrfKey: vrfKey, restoring: persisted)
    }

    /// Keeps a message of a later epoch (bounded: the oldest are dropped).
    mutating func bufferFutureMessage(_ message: ConsensusMessage, from sender: Int) {
        futureMessages.append((message, sender))
        if futureMessages.count > 4_000 { futureMessages.removeFirst(futureMessages.count - 4_000) }
    }

    /// The kept messages of `epoch`; older ones are dropped, later ones kept.
    mutating func takeBufferedMessages(epoch: UInt64) -> [(ConsensusMessage, Int)] {
        let matching = futureMessages.filter { $0.0.epoch == epoch }
        futureMessages.removeAll { ($0.0.epoch ?? 0) <= epoch }
        return matching
    }

    /// The stored blocks from the committed tip up to the restored high QC, oldest first, the last
    /// with that QC: after every validator restarts, nobody else has them.
    func recoverPendingBlocks() -> [CertifiedBlock]? {
        let highQC = engine.safety.highQC
        guard highQC.epoch == engine.epoch, !highQC.isGenesis, highQC.blockID != committedID else { return nil }
        var chain: [Block] = []
        var cursor = highQC.blockID
        while cursor != committedID {
            guard let block = pending[cursor] else { return nil }
            chain.append(block)
            cursor = block.header.parentID
        }
        return chain.reversed().map { CertifiedBlock(block: $0, certificate: $0.id == highQC.blockID ? highQC : nil) }
    }

    /// A restart: a fresh engine from the persisted safety state, committed chain and epoch state.
    mutating func restart() {
        previousStatistics.add(engine.statistics)
        incarnation += 1
        alive = true
        deliveries = [:]
        evidence = []
        futureMessages = []
        lastSyncRequest = nil
        application.restart()
        engine = makeEngine(base: committed.last?.header ?? genesis, epochState: epochState)
    }
}
