import Application
public import Chain
public import ChainConfiguration
public import Consensus
public import Foundation
public import Logging
public import PeerNetwork
public import Primitives
import RPC
import RocksDBStorage
import Staking
import Storage

/// A running L1 validator: the consensus engine of the current epoch, the chain state machine, the
/// RocksDB-backed chain store, the encrypted validator network and the JSON-RPC server, driven by
/// one actor so every engine event is handled in order (Docs/spec/node.md).
///
/// The engine stays pure; this actor only performs its actions: persisting the safety state
/// before anything is signed, sending messages, firing timers, executing and committing blocks.
public actor ValidatorNode {
    /// What identifies the validator: its signing key, its VRF key and its operator account.
    public struct Identity: Sendable {
        public let signer: Ed25519.PrivateKey
        public let vrfKey: VRF.SecretKey
        public let operatorKey: Ed25519.PrivateKey

        /// An identity from its keys.
        public init(signer: Ed25519.PrivateKey, vrfKey: VRF.SecretKey, operatorKey: Ed25519.PrivateKey) {
            self.signer = signer
            self.vrfKey = vrfKey
            self.operatorKey = operatorKey
        }
    }

    /// Channels of the validator network.
    enum Channel: UInt8 {
        /// Proposals, votes and timeouts: gossip, de-duplicated.
        case consensus = 1
        /// Transactions in batches (`TransactionBatch`): gossip, de-duplicated.
        case transactions = 2
        /// Block and sync requests and their answers: a request repeated with the same bytes is
        /// legitimate (the peer may have the block now), so this channel is not de-duplicated.
        case sync = 3
        /// Domain block data (`DomainDataMessage`): squares gossiped or answering a request, and
        /// requests for missing ones; de-duplicated (requests carry a nonce).
        case domainData = 4

        /// The channel a consensus message travels on.
        static func of(_ message: ConsensusMessage) -> Channel {
            switch message {
            case .proposal, .vote, .timeout: .consensus
            case .blockRequest, .blockResponse, .syncRequest, .syncResponse: .sync
            }
        }
    }

    let genesis: Genesis
    let configuration: NodeConfiguration
    let identity: Identity
    let logger: Logger
    let rocks: RocksDBStore
    let chainStore: ChainStore
    /// The domain block data this node holds (shared with the listener and RPC tasks).
    let domainData: DomainDataStore
    let genesisHeader: BlockHeader
    let consensusConfiguration: ConsensusConfiguration
    let network: NetworkNode
    let metrics: NodeMetrics
    var rpc: RPCServer?

    var application: ChainApplication
    var engine: ConsensusEngine
    var epochState: EpochState
    /// The last committed block.
    var committed: BlockHeader
    /// Incremented whenever the engine is replaced, so timers of the old one are ignored.
    var generation: UInt64 = 0
    var timers: [Task<Void, Never>] = []
    var listeners: [Task<Void, Never>] = []
    var futureMessages: [(ConsensusMessage, Ed25519.PublicKey)] = []
    var lastSyncRequest: UInt64 = 0
    /// Parents of executed, uncommitted blocks (their state is the parent's plus theirs), and
    /// whether the block itself is in the store already (`ChainStore.savePending`).
    var executedParents: [Hash: (parent: BlockHeader, isSuffix: Bool, stored: Bool)] = [:]
    /// When each uncommitted block was first seen, for the finality-latency metric.
    var firstSeen: [Hash: ContinuousClock.Instant] = [:]
    var lastCommitAt: ContinuousClock.Instant?
    /// The height of the newest block built or accepted (final or not).
    var newestHeight: UInt64 = 0
    var validatorSets: [UInt64: ValidatorSet] = [:]
    /// The height at which this node last reported each equivocating validator.
    var evidenceReported: [Ed25519.PublicKey: UInt64] = [:]
    var stopped = false
    /// Transactions whose signatures this node verified lately (shared with the listener tasks).
    let signatures: SignatureCache
    /// When this node last asked its peers for each missing domain data square.
    var dataRequests: [Hash: ContinuousClock.Instant] = [:]
    /// Transactions admitted from this node's clients, waiting to be gossiped in one batch.
    var gossipBuffer = TransactionGossip()
    /// What the node has done, for `getStatus`.
    var counters = Counters()

    struct Counters: Sendable {
        var transactionsCommitted = 0
        var evidenceSubmitted = 0
        var syncs = 0
        var rejectedMessages = 0
        /// Gossiped transaction batches dropped because the verification queue was full.
        var droppedTransactionBatches = 0
        /// From first seeing the last committed block (its proposal) to committing it.
        var lastFinalityMilliseconds: UInt64?
    }

    // MARK: - Opening

    /// Opens (or creates) the node in `home`: the store under `configuration.dataDirectory`, the
    /// genesis state on first start, the engine restored from the write-ahead state after a restart.
    /// - Throws: `NodeError` with what is wrong (store, genesis, keys, network configuration).
    public init(
        home: URL, genesis: Genesis, configuration: NodeConfiguration, identity: Identity,
        logger: Logger = Logger(label: "aether.node")
    ) throws(NodeError) {
        self.genesis = genesis
        self.configuration = configuration
        self.identity = identity
        self.logger = logger
        self.metrics = NodeMetrics()
        let dataPath = home.appendingPathComponent(configuration.dataDirectory).path
        do { rocks = try RocksDBStore(path: dataPath, columns: ChainStore.columns) } catch {
            throw .store("cannot open \(dataPath): \(error)")
        }
        chainStore = ChainStore(store: rocks)
        domainData = DomainDataStore(store: rocks)
        consensusConfiguration = genesis.consensusConfiguration()
        signatures = SignatureCache(rule: genesis.chain.transactionSignatures)
        let chain: ChainStateMachine
        do {
            chain = try genesis.stateMachine(tree: SparseMerkleTree(store: rocks, cache: SparseMerkleNodeCache()))
        } catch {
            throw .genesis("the genesis does not make a chain: \(error)")
        }
        let initialSet: ValidatorSet
        do { initialSet = try genesis.initialValidatorSet() } catch { throw .genesis("\(error)") }
        do {
            if let tip = try chainStore.tip(), let stored = try chainStore.genesis() {
                genesisHeader = stored
                committed = tip.header
                epochState = tip.epochState
            } else {
                var batch = WriteBatch()
                let root = try chain.initGenesis(genesis.chainGenesis(), batch: &batch)
                genesisHeader = Self.genesisHeader(genesis: genesis, stateRoot: root, validators: initialSet)
                epochState = EpochState(chainId: genesis.chain.chainId, epochLength: consensusConfiguration.epochLength)
                committed = genesisHeader
                try chainStore.initialize(genesis: genesisHeader, epochState: epochState, stateBatch: batch)
            }
        } catch {
            throw .store("cannot initialise the chain: \(error)")
        }
        guard
            Self.genesisHeader(genesis: genesis, stateRoot: genesisHeader.stateRoot, validators: initialSet).id
                == genesisHeader.id
        else { throw .genesis("genesis.toml does not match the genesis this node's store was created with") }
        validatorSets[0] = initialSet
        validatorSets[1] = initialSet
        application = ChainApplication(chain: chain, committedRoot: committed.stateRoot)
        application.isVerifiedElsewhere = { [signatures] in signatures.contains($0) }
        application.isIncludable = { [domainData] pending in
            Self.committedDataRoots(pending.signed).allSatisfy(domainData.contains)
        }
        application.defaultValidatorKeys = initialSet.validators.map(\.publicKey)
        let set: ValidatorSet
        set = try Self.validatorSet(
            epoch: epochState.epoch, chain: chain, root: committed.stateRoot, cache: [0: initialSet, 1: initialSet])
        validatorSets[epochState.epoch] = set
        application.validatorKeys[epochState.epoch] = set.validators.map(\.publicKey)
        let safety = try? chainStore.safety()
        engine = ConsensusEngine(
            configuration: consensusConfiguration, validators: set, base: committed, epochState: epochState,
            signer: identity.signer, vrfKey: identity.vrfKey, restoring: safety)

        var networkConfiguration = NetworkConfiguration(
            chainId: genesis.chain.chainId, validators: Set(set.validators.map(\.publicKey)))
        networkConfiguration.host = configuration.p2pHost
        networkConfiguration.port = configuration.p2pPort
        networkConfiguration.fullNodes = Set(configuration.fullNodes)
        networkConfiguration.peers = configuration.peers.map { PeerAddress(host: $0.host, port: $0.port, key: $0.key) }
        networkConfiguration.channels[Channel.sync.rawValue] = ChannelPolicy(deduplicate: false)
        do {
            network = try NetworkNode(configuration: networkConfiguration, identity: identity.signer, logger: logger)
        } catch {
            throw .network("\(error)")
        }
    }

    /// The genesis block header every validator derives from `genesis.toml` and the genesis state.
    static func genesisHeader(genesis: Genesis, stateRoot: Hash, validators: ValidatorSet) -> BlockHeader {
        BlockHeader(
            chainId: genesis.chain.chainId, epoch: 0, height: 0, view: 0, parentID: .zero, stateRoot: stateRoot,
            transactionRoot: ChainStateMachine.transactionRoot([]), receiptRoot: ChainStateMachine.receiptRoot([]),
            dataAvailabilityRoot: .zero, validatorSetHash: validators.hash, nextValidatorSetHash: validators.hash,
            proposer: validators.validators[0].publicKey, vrfProof: try! VRF.Proof([UInt8](repeating: 0, count: 80)),
            timestamp: genesis.chain.genesisTimeMilliseconds,
            justify: QuorumCertificate(epoch: 0, view: 0, height: 0, blockID: .zero, signatures: []))
    }

    /// The validator set of `epoch` as the staking state at `root` records it.
    static func validatorSet(epoch: UInt64, chain: ChainStateMachine, root: Hash, cache: [UInt64: ValidatorSet])
        throws(NodeError) -> ValidatorSet
    {
        if let known = cache[epoch] { return known }
        let stored: ValidatorSet?
        do { stored = try chain.validatorSet(epoch: epoch, root: root) } catch {
            throw .store("cannot read the validator set of epoch \(epoch): \(error)")
        }
        guard let stored else { throw .store("the state has no validator set for epoch \(epoch)") }
        return stored
    }
}

/// Why a node could not start or went on.
public enum NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case store(String)
    case genesis(String)
    case network(String)
    case rpc(String)
    case keys(String)
    case process(String)

    public var description: String {
        switch self {
        case .store(let message): "storage: \(message)"
        case .genesis(let message): "genesis: \(message)"
        case .network(let message): "network: \(message)"
        case .rpc(let message): "RPC: \(message)"
        case .keys(let message): "keys: \(message)"
        case .process(let message): "process: \(message)"
        }
    }
}
