public import Primitives

/// Parameters of the protocol (Docs/spec/consensus.md §5).
public struct ConsensusConfiguration: Hashable, Sendable {
    /// The chain this engine runs.
    public var chainId: String
    /// The target slot: a leader proposes no sooner than this after its parent's timestamp.
    public var minimumBlockInterval: UInt64 = 500
    /// The view timer after a view that ended with a QC (ms).
    public var baseTimeout: UInt64 = 1_500
    /// Each consecutive timeout multiplies the timer by this many percent.
    public var timeoutBackoffPercent: UInt64 = 150
    /// The longest the view timer grows (ms).
    public var maximumTimeout: UInt64 = 30_000
    /// Heights per epoch: the validator set can change, and the leader seed changes, only between epochs.
    public var epochLength: UInt64 = 100
    /// Proposals whose encoding is larger are refused.
    public var maximumBlockBytes: Int = 4 << 20
    /// How far a proposal's timestamp may be ahead of the receiver's clock (ms).
    public var maximumClockDrift: UInt64 = 5_000
    /// How many views back votes and proposals are remembered to catch equivocation.
    public var evidenceWindow: UInt64 = 256

    /// The defaults for `chainId`.
    public init(chainId: String) { self.chainId = chainId }
}

/// What a validator must not forget across a crash: it signs nothing that contradicts it.
public struct SafetyState: Hashable, Sendable {
    /// The epoch these views belong to (views restart every epoch).
    public var epoch: UInt64
    /// The highest view it voted or timed out in; it never signs a vote at or below it again.
    public var lastVotedView: UInt64
    /// Its highest quorum certificate (its lock).
    public var highQC: QuorumCertificate
    /// The last view it proposed in: a leader that restarts must not propose a second block.
    public var lastProposedView: UInt64

    /// A safety state from its parts.
    public init(epoch: UInt64, lastVotedView: UInt64, highQC: QuorumCertificate, lastProposedView: UInt64 = 0) {
        self.epoch = epoch
        self.lastVotedView = lastVotedView
        self.highQC = highQC
        self.lastProposedView = lastProposedView
    }
}

extension SafetyState: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(lastVotedView)
        encoder.write(highQC)
        encoder.write(lastProposedView)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        lastVotedView = try decoder.read(UInt64.self)
        highQC = try decoder.read(QuorumCertificate.self)
        lastProposedView = try decoder.read(UInt64.self)
    }
}

/// Timers the engine asks its driver to fire.
public enum ConsensusTimer: Hashable, Sendable {
    /// The view's timeout.
    case view(UInt64)
    /// The moment the leader of a view may propose (the slot boundary).
    case propose(UInt64)
}

/// What a leader's application fills in to make a block: everything consensus decides is fixed.
public struct BlockTemplate: Hashable, Sendable {
    /// The header with consensus fields set; the application sets the roots and transactions.
    public let header: BlockHeader
    /// The parent's header (the state to build on).
    public let parent: BlockHeader
    /// The block extends the epoch's ending block: it must carry no transactions and leave the
    /// state as it is (its roots are the parent's state root and the empty roots).
    public let isEpochSuffix: Bool
}

/// An input to the engine. Every event carries the time as milliseconds since the Unix epoch.
public enum ConsensusEvent: Sendable {
    /// Start: schedule the first timers (and propose if leader of the first view).
    case start(now: UInt64)
    /// A timer the engine scheduled has fired.
    case timerFired(ConsensusTimer, now: UInt64)
    /// A message arrived from the validator with this key (the network authenticates senders).
    case received(ConsensusMessage, from: Ed25519.PublicKey, now: UInt64)
    /// The application built the block asked for by `buildBlock`.
    case blockBuilt(Block, now: UInt64)
    /// The application executed a block asked for by `checkBlock`.
    case blockChecked(Hash, accepted: Bool, now: UInt64)
}

/// An output of the engine, performed in order by the driver.
public enum ConsensusAction: Sendable {
    /// Write this state durably before performing any later action.
    case persist(SafetyState)
    /// Send to every other validator.
    case broadcast(ConsensusMessage)
    /// Send to one validator.
    case send(ConsensusMessage, to: Ed25519.PublicKey)
    /// Fire `timer` at time `at` (replacing nothing: stale timers are ignored by the engine).
    case scheduleTimer(ConsensusTimer, at: UInt64)
    /// Build a block from this template and answer with `blockBuilt`.
    case buildBlock(BlockTemplate)
    /// Execute `block` on `parent`'s state and answer with `blockChecked` (an epoch-suffix block
    /// must be empty and leave the state unchanged).
    case checkBlock(Block, parent: BlockHeader, isEpochSuffix: Bool)
    /// These blocks are final, oldest first; `epochState` is what to persist with them.
    case commit([Block], certificate: CommitCertificate, epochState: EpochState)
    /// The epoch is over: its last committed block is `base`. This engine does nothing more; start
    /// an engine for `epochState.epoch` on `base` with that epoch's validator set.
    case epochEnded(base: BlockHeader, epochState: EpochState)
    /// A validator equivocated.
    case reportEvidence(Evidence)
}

/// The consensus state machine of one validator (Docs/spec/consensus.md).
///
/// Pure: `on(_:)` turns an event into actions. No clock, no IO; the driver performs the actions and
/// feeds back the events they cause.
public struct ConsensusEngine: Sendable {
    public let configuration: ConsensusConfiguration
    public let schedule: LeaderSchedule
    /// The epoch this engine runs; it ends when the epoch's ending block is committed.
    public let epoch: UInt64
    /// This validator's index, or nil for an observer that never signs.
    public let index: ValidatorIndex?
    private let signer: Ed25519.PrivateKey?
    private let vrfKey: VRF.SecretKey?
    /// The committed block the engine started from, and the signature-less certificate it counts as.
    private let base: BlockHeader
    private let genesisID: Hash
    private var validators: ValidatorSet { schedule.validators }
    private var chainId: String { configuration.chainId }

    // MARK: State

    /// The view this validator is in.
    public private(set) var view: UInt64 = 1
    /// The persisted safety state.
    public private(set) var safety: SafetyState
    /// The last committed block.
    public private(set) var committed: BlockHeader
    public private(set) var committedID: Hash
    /// The epoch, its start and the seeds, as of the last commit.
    public private(set) var epochState: EpochState
    /// True once the epoch is over: the engine ignores every event.
    public private(set) var finished = false

    private var blocks: [Hash: BlockNode] = [:]
    private var certificates: [Hash: QuorumCertificate] = [:]
    private var votes: [UInt64: ViewVotes] = [:]
    private var timeouts: [UInt64: ViewTimeouts] = [:]
    private var proposals: [UInt64: [ValidatorIndex: SignedBlockReference]] = [:]
    private var reportedEvidence: Set<Hash> = []
    /// TC(view − 1) when the current view was entered through a timeout.
    private var enteredThrough: TimeoutCertificate?
    private var consecutiveTimeouts: UInt64 = 0
    private var timedOutView: UInt64 = 0
    /// Proposals waiting for a missing parent, by the parent's id.
    private var waitingForParent: [Hash: [(Proposal, Ed25519.PublicKey)]] = [:]
    /// Proposals for views not entered yet.
    private var early: [UInt64: [(Proposal, Ed25519.PublicKey)]] = [:]
    /// Blocks being fetched, with the view they were asked for in (asked again in a later view).
    private var fetching: [Hash: UInt64] = [:]
    /// Signatures already verified, so a QC made of known votes is not verified twice.
    private var verifiedVotes: [UInt64: [ValidatorIndex: (Hash, Ed25519.Signature)]] = [:]
    private var now: UInt64 = 0
    private var actions: [ConsensusAction] = []

    /// What the engine counts, for benchmarks and metrics.
    public private(set) var statistics = Statistics()

    /// Counters of the work done.
    public struct Statistics: Hashable, Sendable {
        public var signaturesVerified = 0
        public var signaturesSkipped = 0
        public var vrfVerified = 0
        public var signaturesMade = 0
        public var votesCast = 0
        public var timeoutsSent = 0
        public var proposalsMade = 0

        /// Empty counters.
        public init() {}

        /// Adds another engine's counters (a validator's earlier lives).
        public mutating func add(_ other: Statistics) {
            signaturesVerified += other.signaturesVerified
            signaturesSkipped += other.signaturesSkipped
            vrfVerified += other.vrfVerified
            signaturesMade += other.signaturesMade
            votesCast += other.votesCast
            timeoutsSent += other.timeoutsSent
            proposalsMade += other.proposalsMade
        }
    }

    /// An engine for the validator holding `signer` (nil: an observer) in the epoch of `epochState`.
    /// - Parameters:
    ///   - validators: the validator set of that epoch.
    ///   - base: the last committed block (the chain's genesis at the start, the previous epoch's
    ///     last block when an epoch begins, or the committed tip after a restart).
    ///   - restoring: the last persisted safety state, after a restart (ignored if it belongs to
    ///     another epoch: views restart each epoch).
    public init(
        configuration: ConsensusConfiguration,
        validators: ValidatorSet,
        base: BlockHeader,
        epochState: EpochState,
        signer: Ed25519.PrivateKey?,
        vrfKey: VRF.SecretKey?,
        restoring: SafetyState? = nil
    ) {
        self.configuration = configuration
        self.schedule = LeaderSchedule(chainId: configuration.chainId, validators: validators)
        self.epoch = epochState.epoch
        self.signer = signer
        self.vrfKey = vrfKey
        self.index = signer.flatMap { validators.index(of: $0.publicKey) }
        self.base = base
        self.genesisID = base.id
        self.epochState = epochState
        let genesisQC = QuorumCertificate.genesis(base, epoch: epochState.epoch)
        if let restoring, restoring.epoch == epochState.epoch {
            self.safety = restoring
        } else {
            self.safety = SafetyState(epoch: epochState.epoch, lastVotedView: 0, highQC: genesisQC)
        }
        self.committed = base
        self.committedID = genesisID
        self.blocks[genesisID] = BlockNode(block: Block(header: base, transactions: []), checked: true)
        self.certificates[genesisID] = genesisQC
        self.view = max(safety.highQC.view + 1, 1)
    }

    /// A block this engine holds (uncommitted, or the committed tip), for answering peers.
    public func block(_ id: Hash) -> Block? { blocks[id]?.block }

    /// The certificate this engine holds for a block, if any.
    public func certificate(for id: Hash) -> QuorumCertificate? { certificates[id] }

    // MARK: - Events

    /// Handles one event and returns the actions to perform, in order.
    public mutating func on(_ event: ConsensusEvent) -> [ConsensusAction] {
        actions = []
        guard !finished else { return [] }
        switch event {
        case .start(let time):
            now = time
            enterView(view, through: nil)
        case .timerFired(let timer, let time):
            now = time
            switch timer {
            case .view(let timedOut): localTimeout(timedOut)
            case .propose(let proposeView): proposeIfLeader(proposeView)
            }
        case .received(let message, let sender, let time):
            now = time
            receive(message, from: sender)
        case .blockBuilt(let block, let time):
            now = time
            finishProposal(block)
        case .blockChecked(let id, let accepted, let time):
            now = time
            blockChecked(id, accepted: accepted)
        }
        return actions
    }

    // MARK: - Views and the pacemaker

    private mutating func enterView(
        _ newView: UInt64, through certificate: TimeoutCertificate?, afterTimeout: Bool = false
    ) {
        view = newView
        enteredThrough = certificate
        // The timer backs off while views keep ending without a QC, and resets after one that did not.
        if certificate == nil && !afterTimeout { consecutiveTimeouts = 0 } else { consecutiveTimeouts += 1 }
        actions.append(.scheduleTimer(.view(newView), at: now + timeoutDuration))
        if let pending = early.removeValue(forKey: newView) {
            for (proposal, sender) in pending { receiveProposal(proposal, from: sender) }
        }
        for old in early.keys where old < newView { early[old] = nil }
        scheduleProposal()
    }

    /// The view timer: the base, backed off by consecutive timeouts, capped.
    private var timeoutDuration: UInt64 {
        var duration = configuration.baseTimeout
        for _ in 0..<min(consecutiveTimeouts, 64) {
            duration = duration * configuration.timeoutBackoffPercent / 100
            if duration >= configuration.maximumTimeout { return configuration.maximumTimeout }
        }
        return min(duration, configuration.maximumTimeout)
    }

    private mutating func advance(toQC qc: QuorumCertificate) {
        if qc.view + 1 > view { enterView(qc.view + 1, through: nil) }
    }

    private mutating func localTimeout(_ timedOut: UInt64) {
        guard timedOut == view, let index, let signer else { return }
        if timedOutView < timedOut {
            timedOutView = timedOut
            safety.lastVotedView = max(safety.lastVotedView, timedOut)
            actions.append(.persist(safety))
        }
        // Requests lost to drops are asked again, or this validator could wait forever for a block.
        if blocks[safety.highQC.blockID] == nil {
            fetch(
                safety.highQC.blockID,
                count: UInt32(clamping: max(safety.highQC.height, committed.height + 1) - committed.height), from: nil)
        }
        for missing in waitingForParent.keys { fetch(missing, count: 1, from: nil) }
        // Re-broadcast on every firing: a timeout lost to a drop must be sent again for a TC to form.
        let message = SignBytes.timeout(chainId: chainId, epoch: epoch, view: timedOut, highQCView: safety.highQC.view)
        let timeout = Timeout(
            epoch: epoch, view: timedOut, highQC: safety.highQC, voter: index, signature: signer.sign(message))
        statistics.timeoutsSent += 1
        statistics.signaturesMade += 1
        actions.append(.broadcast(.timeout(timeout)))
        actions.append(.scheduleTimer(.view(timedOut), at: now + timeoutDuration))
        addTimeout(timeout, verified: true)
    }

    // MARK: - Leadership

    /// The leader of `view` for a proposal justified by `justify` (and `certificate` after a timeout),
    /// or nil when the seed it needs is not known yet.
    private func leader(view: UInt64, height: UInt64, viaTimeout: Bool) -> ValidatorIndex? {
        if viaTimeout { return schedule.roundRobinLeader(view: view) }
        guard let seed = epochState.seed(epoch: epoch) else { return nil }
        return schedule.weightedLeader(view: view, seed: seed)
    }

    /// How this validator could justify a proposal in the current view: `false` for the happy path
    /// (its high QC is from the previous view), `true` through `TC(view − 1)`, nil when it cannot.
    private var proposalPath: Bool? {
        if safety.highQC.view + 1 == view { return false }
        if let tc = enteredThrough, tc.view + 1 == view { return true }
        return nil
    }

    private mutating func scheduleProposal() {
        guard !finished, let index, safety.lastProposedView < view, let viaTimeout = proposalPath,
            let parent = blocks[safety.highQC.blockID]?.block.header
        else { return }
        guard leader(view: view, height: parent.height + 1, viaTimeout: viaTimeout) == index else { return }
        let at = max(now, parent.timestamp + configuration.minimumBlockInterval)
        if at <= now {
            proposeIfLeader(view)
        } else {
            actions.append(.scheduleTimer(.propose(view), at: at))
        }
    }

    private mutating func proposeIfLeader(_ proposeView: UInt64) {
        guard proposeView == view, safety.lastProposedView < view, let index, let signer, let vrfKey,
            let viaTimeout = proposalPath, let parent = blocks[safety.highQC.blockID]?.block.header
        else { return }
        let height = parent.height + 1
        guard leader(view: view, height: height, viaTimeout: viaTimeout) == index else { return }
        let alpha = LeaderSchedule.vrfInput(chainId: chainId, epoch: epoch, view: view)
        guard let proof = try? VRF.prove(alpha, secretKey: vrfKey) else { return }
        let justify = fullestCertificate(safety.highQC)
        let header = BlockHeader(
            chainId: chainId, epoch: epoch, height: height, view: view, parentID: safety.highQC.blockID,
            stateRoot: .zero,
            transactionRoot: .zero, receiptRoot: .zero, dataAvailabilityRoot: .zero,
            validatorSetHash: validators.hash, nextValidatorSetHash: validators.hash, proposer: signer.publicKey,
            vrfProof: proof, timestamp: max(now, parent.timestamp + 1), justify: justify)
        actions.append(
            .buildBlock(
                BlockTemplate(header: header, parent: parent, isEpochSuffix: parent.height >= epochState.endingHeight)))
    }

    /// `qc` with every verified vote for its block in its view, including those that arrived after
    /// the quorum formed. A proposal's justification is also the record of who voted (staking's
    /// downtime tracking reads it as the block's `parentSigners`): one that stopped at the first
    /// quorum would count the slowest honest voter absent in every block, and jail it, although its
    /// vote arrived in time. The leader proposes a slot after the parent, so late votes are in by then.
    private func fullestCertificate(_ qc: QuorumCertificate) -> QuorumCertificate {
        guard qc.epoch == epoch, let round = votes[qc.view] else { return qc }
        let signers = round.byVoter.filter { $0.value.blockID == qc.blockID }
        guard signers.count > qc.signatures.count else { return qc }
        return QuorumCertificate(
            epoch: qc.epoch, view: qc.view, height: qc.height, blockID: qc.blockID,
            signatures: signers.sorted { $0.key < $1.key }.map {
                SignerSignature(index: $0.key, signature: $0.value.signature)
            })
    }

    private mutating func finishProposal(_ block: Block) {
        guard let signer, index != nil, block.header.view == view, safety.lastProposedView < view,
            block.header.proposer == signer.publicKey,
            block.header.justify.view == safety.highQC.view, block.header.justify.blockID == safety.highQC.blockID,
            block.header.parentID == safety.highQC.blockID,
            let parent = blocks[block.header.parentID]?.block.header, block.header.height == parent.height + 1
        else { return }
        let id = block.id
        let header = block.header
        let signature = signer.sign(
            SignBytes.proposal(chainId: chainId, epoch: epoch, height: header.height, view: header.view, blockID: id))
        // Persist before the proposal leaves: after a restart this validator proposes nothing more here.
        safety.lastProposedView = header.view
        actions.append(.persist(safety))
        let viaTimeout = header.justify.view + 1 != header.view
        let proposal = Proposal(
            block: block, timeoutCertificate: viaTimeout ? enteredThrough : nil, signature: signature)
        statistics.proposalsMade += 1
        statistics.signaturesMade += 1
        actions.append(.broadcast(.proposal(proposal)))
        // Our own block, accepted by our application already; our own proof needs no verifying.
        let output = header.vrfProof.unverifiedOutput
        blocks[id] = BlockNode(block: block, checked: true, vrfOutput: output, proposal: proposal)
        tryVote(id)
    }

    // MARK: - Messages

    private mutating func receive(_ message: ConsensusMessage, from sender: Ed25519.PublicKey) {
        switch message {
        case .proposal(let proposal): receiveProposal(proposal, from: sender)
        case .vote(let vote): receiveVote(vote)
        case .timeout(let timeout): receiveTimeout(timeout)
        case .blockResponse(let certified): receiveBlocks(certified)
        case .blockRequest, .syncRequest, .syncResponse:
            break  // the driver answers and applies these: it holds the committed chain
        }
    }

    private mutating func receiveProposal(_ proposal: Proposal, from sender: Ed25519.PublicKey) {
        let block = proposal.block
        let header = block.header
        guard header.chainId == chainId, header.epoch == epoch, header.view > 0,
            header.view + configuration.evidenceWindow >= view,
            let proposer = validators.index(of: header.proposer)
        else { return }
        guard block.encodedSize <= configuration.maximumBlockBytes else { return }
        let id = block.id
        guard proposal.isSignedByProposer(id: id) else { return }
        statistics.signaturesVerified += 1
        recordProposal(
            view: header.view, proposer: proposer,
            SignedBlockReference(height: header.height, blockID: id, signature: proposal.signature))
        guard header.height > committed.height else { return }

        // Certificates first: they move this validator forward even if the block is refused.
        guard header.justify.epoch == epoch, verify(header.justify) else { return }
        addCertificate(header.justify)
        if let tc = proposal.timeoutCertificate {
            guard tc.epoch == epoch, tc.view + 1 == header.view, verify(tc) else { return }
            addTimeoutCertificate(tc)
        }
        guard !finished else { return }
        if header.view > view {
            early[header.view, default: []].append((proposal, sender))
            return
        }
        guard header.view == view else { return }
        guard let parent = blocks[header.parentID]?.block.header else {
            // A parent at the committed height that is not the committed block conflicts with it.
            guard header.height > committed.height + 1 else { return }
            waitingForParent[header.parentID, default: []].append((proposal, sender))
            fetch(header.parentID, count: UInt32(clamping: header.height - 1 - committed.height), from: sender)
            return
        }
        guard header.height == parent.height + 1, header.justify.blockID == header.parentID,
            // A QC's view is its block's view; the base may also be justified by the epoch's
            // signature-less certificate (a restarted engine's base is its committed tip).
            header.justify.view == parent.view || (header.parentID == genesisID && header.justify.isGenesis),
            header.timestamp > parent.timestamp,
            header.timestamp <= now + configuration.maximumClockDrift,
            header.validatorSetHash == validators.hash
        else { return }
        let isSuffix = parent.height >= epochState.endingHeight
        guard !isSuffix || block.transactions.isEmpty else { return }
        let viaTimeout = header.justify.view + 1 != header.view
        if viaTimeout {
            guard let tc = proposal.timeoutCertificate, tc.view + 1 == header.view else { return }
        }
        guard leader(view: header.view, height: header.height, viaTimeout: viaTimeout) == proposer else { return }
        guard let output = vrfOutput(of: header, proposer: proposer) else { return }
        if blocks[id] == nil {
            blocks[id] = BlockNode(block: block, checked: false, vrfOutput: output, proposal: proposal)
            actions.append(.checkBlock(block, parent: parent, isEpochSuffix: isSuffix))
        } else if blocks[id]?.proposal == nil {
            blocks[id]?.proposal = proposal
            tryVote(id)
        }
    }

    private mutating func vrfOutput(of header: BlockHeader, proposer: ValidatorIndex) -> [UInt8]? {
        guard let key = validators[proposer]?.vrfPublicKey else { return nil }
        statistics.vrfVerified += 1
        let alpha = LeaderSchedule.vrfInput(chainId: chainId, epoch: header.epoch, view: header.view)
        return try? VRF.verify(alpha, proof: header.vrfProof, publicKey: key)
    }

    private mutating func blockChecked(_ id: Hash, accepted: Bool) {
        guard blocks[id] != nil else { return }
        guard accepted else {
            blocks[id] = nil
            return
        }
        blocks[id]?.checked = true
        tryVote(id)
        // A certificate may have arrived before the block was checked.
        if let qc = certificates[id] { tryCommit(through: qc) }
    }

    /// Votes for block `id` if every voting rule holds (§3).
    private mutating func tryVote(_ id: Hash) {
        // Only blocks that came in a proposal (with its leader checks) get a vote, never fetched ones.
        guard !finished, let index, let signer, let node = blocks[id], node.checked, let proposal = node.proposal
        else { return }
        let header = node.block.header
        guard header.view == view, header.view > safety.lastVotedView else { return }
        let happy = header.justify.view + 1 == header.view
        if !happy {
            guard let tc = proposal.timeoutCertificate, tc.view + 1 == header.view,
                header.justify.view >= tc.maxHighQCView
            else { return }
        }
        safety.lastVotedView = header.view
        actions.append(.persist(safety))
        let signature = signer.sign(
            SignBytes.vote(chainId: chainId, epoch: epoch, height: header.height, view: header.view, blockID: id))
        let vote = Vote(
            epoch: epoch, view: header.view, height: header.height, blockID: id, voter: index, signature: signature)
        statistics.votesCast += 1
        statistics.signaturesMade += 1
        actions.append(.broadcast(.vote(vote)))
        addVote(vote, verified: true)
    }

    private mutating func receiveVote(_ vote: Vote) {
        guard vote.epoch == epoch, vote.view + configuration.evidenceWindow >= view else { return }
        if let known = votes[vote.view]?.byVoter[vote.voter] {
            guard known.blockID != vote.blockID else { return }  // a duplicate
        }
        guard vote.isValid(chainId: chainId, validators: validators) else { return }
        statistics.signaturesVerified += 1
        addVote(vote, verified: true)
    }

    private mutating func addVote(_ vote: Vote, verified: Bool) {
        guard let validator = validators[vote.voter] else { return }
        var round = votes[vote.view] ?? ViewVotes()
        if let earlier = round.byVoter[vote.voter] {
            if earlier.blockID != vote.blockID {
                report(
                    Evidence(
                        kind: .vote, chainId: chainId, validator: validator.publicKey, epoch: epoch, view: vote.view,
                        SignedBlockReference(
                            height: earlier.height, blockID: earlier.blockID, signature: earlier.signature),
                        SignedBlockReference(height: vote.height, blockID: vote.blockID, signature: vote.signature)))
            }
            return
        }
        round.byVoter[vote.voter] = VoteRecord(blockID: vote.blockID, height: vote.height, signature: vote.signature)
        round.stake[vote.blockID, default: 0] += validator.stake
        votes[vote.view] = round
        verifiedVotes[vote.view, default: [:]][vote.voter] = (vote.blockID, vote.signature)
        guard certificates[vote.blockID] == nil, validators.isQuorum(round.stake[vote.blockID] ?? 0) else { return }
        let signers = round.byVoter.filter { $0.value.blockID == vote.blockID }.sorted { $0.key < $1.key }
        let qc = QuorumCertificate(
            epoch: epoch, view: vote.view, height: vote.height, blockID: vote.blockID,
            signatures: signers.map { SignerSignature(index: $0.key, signature: $0.value.signature) })
        addCertificate(qc)
    }

    private mutating func receiveTimeout(_ timeout: Timeout) {
        guard timeout.epoch == epoch else { return }
        guard timeout.view >= view, timeouts[timeout.view]?.byVoter[timeout.voter] == nil else {
            // An old view's timeout may still carry a higher QC than ours.
            if timeout.highQC.view > safety.highQC.view, verify(timeout.highQC) { addCertificate(timeout.highQC) }
            return
        }
        guard timeout.isValid(chainId: chainId, validators: validators), verify(timeout.highQC) else { return }
        statistics.signaturesVerified += 1
        addCertificate(timeout.highQC)
        addTimeout(timeout, verified: true)
    }

    private mutating func addTimeout(_ timeout: Timeout, verified: Bool) {
        guard let validator = validators[timeout.voter], timeout.view >= view else { return }
        var round = timeouts[timeout.view] ?? ViewTimeouts()
        guard round.byVoter[timeout.voter] == nil else { return }
        round.byVoter[timeout.voter] = timeout
        round.stake += validator.stake
        timeouts[timeout.view] = round
        // Amplify: more than a third gave up on this view, so it cannot get a QC; join them.
        if timeout.view >= view, timedOutView < timeout.view, validators.exceedsOneThird(round.stake) {
            if timeout.view > view { enterView(timeout.view, through: nil, afterTimeout: true) }
            localTimeout(timeout.view)
        }
        guard let current = timeouts[timeout.view], validators.isQuorum(current.stake), current.certificate == nil
        else { return }
        let entries = current.byVoter.sorted { $0.key < $1.key }
        let highQC = entries.map(\.value.highQC).max { $0.view < $1.view }!
        let tc = TimeoutCertificate(
            epoch: epoch, view: timeout.view,
            signatures: entries.map {
                TimeoutSignature(index: $0.key, highQCView: $0.value.highQC.view, signature: $0.value.signature)
            },
            highQC: highQC)
        timeouts[timeout.view]?.certificate = tc
        addTimeoutCertificate(tc)
    }

    private mutating func addTimeoutCertificate(_ tc: TimeoutCertificate) {
        addCertificate(tc.highQC)
        if tc.view + 1 > view { enterView(tc.view + 1, through: tc) }
    }

    /// Records a verified QC: raises the high QC, advances the view, applies the commit rule.
    private mutating func addCertificate(_ qc: QuorumCertificate) {
        if certificates[qc.blockID] == nil { certificates[qc.blockID] = qc }
        if qc.view > safety.highQC.view {
            safety.highQC = qc
            if blocks[qc.blockID] == nil, !qc.isGenesis {
                fetch(
                    qc.blockID, count: UInt32(clamping: max(qc.height, committed.height + 1) - committed.height),
                    from: nil)
            }
        }
        advance(toQC: qc)
        tryCommit(through: qc)
    }

    // MARK: - Commit

    /// The two-chain rule: a QC for `B'` whose parent `B` is one view earlier commits `B`.
    private mutating func tryCommit(through qc: QuorumCertificate) {
        guard !finished, let child = blocks[qc.blockID]?.block.header, let parentNode = blocks[child.parentID],
            parentNode.block.header.view + 1 == child.view,
            parentNode.block.header.height > committed.height
        else { return }
        // Collect the uncommitted chain from the parent down to the committed tip.
        var chain: [Block] = []
        var cursor = child.parentID
        while cursor != committedID {
            guard let node = blocks[cursor], node.block.header.height > committed.height else { return }
            chain.append(node.block)
            cursor = node.block.header.parentID
        }
        chain.reverse()
        // An epoch's chain ends at its ending block: empty suffix blocks committed with it are
        // not part of the chain (they only carried the certificate), so every validator closes
        // the epoch on the same block whatever suffix blocks its commit happened to include.
        let ending = epochState.endingHeight
        var path = [child]
        if let cut = chain.firstIndex(where: { $0.header.height > ending }) {
            path = chain[cut...].map(\.header) + [child]
            chain.removeSubrange(cut...)
        }
        for block in chain {
            if let output = blocks[block.id]?.vrfOutput ?? vrfOutputForCommitted(block.header) {
                epochState.recordCommitted(block.header, output: output)
            }
        }
        guard let last = chain.last else { return }
        let certificate = CommitCertificate(path: path, certificate: qc)
        committed = last.header
        committedID = committed.id
        let closes = committed.height >= ending
        if closes { epochState.close(on: committed) }
        actions.append(.commit(chain, certificate: certificate, epochState: epochState))
        if closes {
            finished = true
            actions.append(.epochEnded(base: committed, epochState: epochState))
            return
        }
        prune()
        scheduleProposal()
    }

    private mutating func vrfOutputForCommitted(_ header: BlockHeader) -> [UInt8]? {
        validators.index(of: header.proposer).flatMap { vrfOutput(of: header, proposer: $0) }
    }

    private mutating func prune() {
        let floor = committed.height
        blocks = blocks.filter { $0.value.block.header.height >= floor }
        // Votes and proposals stay for the evidence window; certificates no longer need them.
        let evidenceFloor = view > configuration.evidenceWindow ? view - configuration.evidenceWindow : 0
        votes = votes.filter { $0.key >= evidenceFloor }
        verifiedVotes = verifiedVotes.filter { $0.key >= committed.view }
        timeouts = timeouts.filter { $0.key + 2 >= view }
        proposals = proposals.filter { $0.key >= evidenceFloor }
        certificates = certificates.filter { blocks[$0.key] != nil || $0.value.height >= floor }
    }

    // MARK: - Block sync

    private mutating func fetch(_ id: Hash, count: UInt32, from peer: Ed25519.PublicKey?) {
        if let askedIn = fetching[id], askedIn >= view { return }
        fetching[id] = view
        let request = ConsensusMessage.blockRequest(BlockRequest(blockID: id, count: count))
        if let peer { actions.append(.send(request, to: peer)) } else { actions.append(.broadcast(request)) }
    }

    private mutating func receiveBlocks(_ certified: [CertifiedBlock]) {
        // Oldest first: each block's justify certifies its parent; the last may carry its own QC.
        for entry in certified {
            let block = entry.block
            let header = block.header
            let id = block.id
            fetching[id] = nil
            guard !finished, header.chainId == chainId, header.epoch == epoch, blocks[id] == nil,
                header.height > committed.height,
                let parent = blocks[header.parentID]?.block.header, header.height == parent.height + 1,
                header.justify.blockID == header.parentID, verify(header.justify),
                let proposer = validators.index(of: header.proposer),
                let output = vrfOutput(of: header, proposer: proposer)
            else { continue }
            blocks[id] = BlockNode(block: block, checked: false, vrfOutput: output)
            addCertificate(header.justify)
            actions.append(.checkBlock(block, parent: parent, isEpochSuffix: parent.height >= epochState.endingHeight))
            if let qc = entry.certificate, qc.blockID == id, verify(qc) { addCertificate(qc) }
            if let waiting = waitingForParent.removeValue(forKey: id) {
                for (proposal, sender) in waiting { receiveProposal(proposal, from: sender) }
            }
        }
        // Blocks that arrived late can complete a two-chain, and the high QC's block a proposal.
        for entry in certified {
            if let qc = certificates[entry.block.id] { tryCommit(through: qc) }
        }
        scheduleProposal()
        // Still missing the oldest block's ancestors: ask again further back.
        if let oldest = certified.first?.block.header, blocks[oldest.parentID] == nil,
            oldest.height > committed.height + 1
        {
            fetch(oldest.parentID, count: UInt32(clamping: oldest.height - 1 - committed.height), from: nil)
        }
    }

    // MARK: - Verification with caching

    private mutating func verify(_ qc: QuorumCertificate) -> Bool {
        if qc.isGenesis {
            // After a restart the base is the committed tip, not the epoch's first block: a peer's
            // signature-less certificate then names a block already committed, stale but harmless.
            return qc.blockID == genesisID || (qc.epoch == epoch && committed.height >= epochState.startHeight)
        }
        if certificates[qc.blockID] == qc { return true }
        let known = verifiedVotes[qc.view] ?? [:]
        guard qc.epoch == epoch else { return false }
        let message = SignBytes.vote(
            chainId: chainId, epoch: epoch, height: qc.height, view: qc.view, blockID: qc.blockID)
        var verifiedNow = 0
        var skipped = 0
        do {
            try QuorumCertificate.verifyQuorum(qc.signatures, validators: validators) { key, signature in
                if let index = validators.index(of: key), let seen = known[index], seen.0 == qc.blockID,
                    seen.1 == signature
                {
                    skipped += 1
                    return true
                }
                verifiedNow += 1
                return key.isValidSignature(signature, for: message)
            }
        } catch {
            return false
        }
        statistics.signaturesVerified += verifiedNow
        statistics.signaturesSkipped += skipped
        return qc.view > 0
    }

    private mutating func verify(_ tc: TimeoutCertificate) -> Bool {
        if timeouts[tc.view]?.certificate == tc { return true }
        do {
            try tc.verify(chainId: chainId, validators: validators, genesisID: genesisID)
        } catch {
            return false
        }
        statistics.signaturesVerified += tc.signatures.count + tc.highQC.signatures.count
        return true
    }

    // MARK: - Evidence

    private mutating func recordProposal(view: UInt64, proposer: ValidatorIndex, _ reference: SignedBlockReference) {
        if let earlier = proposals[view]?[proposer] {
            if earlier.blockID != reference.blockID, let key = validators[proposer]?.publicKey {
                report(
                    Evidence(
                        kind: .proposal, chainId: chainId, validator: key, epoch: epoch, view: view, earlier, reference)
                )
            }
            return
        }
        proposals[view, default: [:]][proposer] = reference
    }

    private mutating func report(_ evidence: Evidence) {
        guard reportedEvidence.insert(evidence.id).inserted else { return }
        actions.append(.reportEvidence(evidence))
    }
}

// MARK: - Bookkeeping types

private struct BlockNode: Sendable {
    var block: Block
    /// Accepted by the application (executed without error).
    var checked: Bool
    var vrfOutput: [UInt8]?
    var proposal: Proposal?
}

private struct VoteRecord: Sendable {
    let blockID: Hash
    let height: UInt64
    let signature: Ed25519.Signature
}

private struct ViewVotes: Sendable {
    var byVoter: [ValidatorIndex: VoteRecord] = [:]
    var stake: [Hash: UInt64] = [:]
}

private struct ViewTimeouts: Sendable {
    var byVoter: [ValidatorIndex: Timeout] = [:]
    var stake: UInt64 = 0
    var certificate: TimeoutCertificate?
}
