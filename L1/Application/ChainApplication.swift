public import Chain
public import Consensus
public import Primitives
public import Storage

/// The chain state machine behind a consensus engine: what a validator's driver does for
/// `buildBlock`, `checkBlock` and `commit` (Docs/architecture.md, "How a block is made").
///
/// Pure: it reads and writes the state tree through the `KeyValueStore` it is given and keeps the
/// executions of uncommitted blocks in memory. The node and the simulator both drive it.
public struct ChainApplication: Sendable {
    /// The chain state machine (modules, fees).
    public let chain: ChainStateMachine
    /// Transactions waiting to be included.
    public var mempool: Mempool
    /// The state root of the last committed block.
    public private(set) var committedRoot: Hash
    /// The most transactions and bytes a built block carries.
    public var blockLimits: (count: Int, bytes: Int) = (5_000, 2_000_000)
    /// The signing keys of each epoch's validators by index, for the `parentSigners` of a block
    /// (liveness tracking). Epochs missing here use `defaultValidatorKeys`.
    public var validatorKeys: [UInt64: [Ed25519.PublicKey]] = [:]
    /// The keys used for epochs not in `validatorKeys` (a chain whose set never changes).
    public var defaultValidatorKeys: [Ed25519.PublicKey] = []

    /// Tells whether a transaction's signature was verified already outside the mempool (the node's
    /// signature cache); such signatures are not verified again when a block is executed.
    public var isVerifiedElsewhere: (@Sendable (TransactionID) -> Bool)?

    /// Whether a pooled transaction may go into a block this validator builds now (nil: all may).
    /// The node uses it to leave out domain commitments whose data it does not hold.
    public var isIncludable: (@Sendable (PendingTransaction) -> Bool)?

    /// A block built or checked here and not committed yet: its execution and its parent.
    private struct PendingExecution: Sendable {
        let execution: BlockExecution
        let parentID: Hash
    }

    /// Executions of blocks built or checked but not committed yet, by block id.
    private var executions: [Hash: PendingExecution] = [:]

    /// Account states at `committedRoot`, read once each for mempool admission.
    private var committedAccounts: MemoizedAccountStates?

    /// The memoized account states at `committedRoot`.
    private mutating func accountsAtCommittedRoot() -> MemoizedAccountStates {
        if let memo = committedAccounts, memo.root == committedRoot { return memo }
        let memo = MemoizedAccountStates(chain.accounts(at: committedRoot), root: committedRoot)
        committedAccounts = memo
        return memo
    }

    /// An application on `chain`, whose state is at `committedRoot`.
    public init(
        chain: ChainStateMachine,
        committedRoot: Hash,
        mempool: Mempool? = nil
    ) {
        self.chain = chain
        self.committedRoot = committedRoot
        self.mempool = mempool ?? Mempool(rules: chain.admissionRules)
    }

    /// The execution context of a block.
    public func context(_ header: BlockHeader) -> BlockContext {
        let keys = header.justify.isGenesis ? [] : validatorKeys[header.justify.epoch] ?? defaultValidatorKeys
        let signers = header.justify.signatures.compactMap {
            Int($0.index) < keys.count ? keys[Int($0.index)] : nil
        }
        return BlockContext(
            chainId: header.chainId, height: header.height, timestamp: header.timestamp,
            proposer: Address(publicKey: header.proposer), parentSigners: signers, epoch: header.epoch)
    }

    // MARK: - Consensus actions

    /// Fills a leader's template from the mempool. The state changes go into `stateBatch` (write
    /// them before proposing: the next block may build on this one).
    /// - Throws: `BlockExecutionError` when the parent's state cannot be read.
    public mutating func build(_ template: BlockTemplate, stateBatch: inout WriteBatch) throws(BlockExecutionError)
        -> Block
    {
        var header = template.header
        if template.isEpochSuffix {
            header.stateRoot = template.parent.stateRoot
            header.transactionRoot = ChainStateMachine.transactionRoot([])
            header.receiptRoot = ChainStateMachine.receiptRoot([])
            return Block(header: header, transactions: [])
        }
        var reaped = mempool.reap(
            maxBytes: blockLimits.bytes, maxCount: blockLimits.count, included: transactions(above: template.parent))
        if let isIncludable { reaped.removeAll { !isIncludable($0) } }
        let candidates = reaped.map(\.encoded)
        // Every candidate came from the mempool, which verified its signature at admission.
        let proposal = try chain.propose(
            candidates, context: context(header), parentRoot: template.parent.stateRoot, isVerified: verifiedCheck())
        let execution = proposal.execution
        for skipped in proposal.skipped { mempool.remove(skipped.id) }
        header.stateRoot = execution.stateRoot
        header.transactionRoot = execution.transactionRoot
        header.receiptRoot = execution.receiptRoot
        let block = Block(header: header, transactions: execution.transactions)
        executions[block.id] = PendingExecution(execution: execution, parentID: header.parentID)
        stateBatch = execution.writeBatch
        return block
    }

    /// The ids of the transactions in `tip` and its ancestors down to the committed block: those
    /// executed here and not committed yet (a block built on `tip` must not carry them again).
    func transactions(above tip: BlockHeader) -> Set<TransactionID> {
        var ids: Set<TransactionID> = []
        var cursor = tip.id
        var steps = 0
        while let pending = executions[cursor], steps < executions.count {
            for receipt in pending.execution.receipts { ids.insert(receipt.transactionID) }
            cursor = pending.parentID
            steps += 1
        }
        return ids
    }

    /// Executes a proposed block on its parent's state; the verdict and, when accepted, the state
    /// changes to write.
    public mutating func check(_ block: Block, parent: BlockHeader, isEpochSuffix: Bool) -> CheckResult {
        let header = block.header
        if isEpochSuffix {
            let unchanged =
                block.transactions.isEmpty && header.stateRoot == parent.stateRoot
                && header.transactionRoot == ChainStateMachine.transactionRoot([])
                && header.receiptRoot == ChainStateMachine.receiptRoot([])
            return unchanged ? .accepted(WriteBatch()) : .refused("an epoch-suffix block must be empty")
        }
        let execution: BlockExecution
        do {
            execution = try chain.execute(
                block.transactions, context: context(header), parentRoot: parent.stateRoot, isVerified: verifiedCheck())
        } catch {
            return .refused("\(error)")
        }
        guard execution.stateRoot == header.stateRoot else { return .refused("state root differs") }
        guard execution.transactionRoot == header.transactionRoot else { return .refused("transaction root differs") }
        guard execution.receiptRoot == header.receiptRoot else { return .refused("receipt root differs") }
        executions[block.id] = PendingExecution(execution: execution, parentID: header.parentID)
        return .accepted(execution.writeBatch)
    }

    /// A committed block: returns its receipts and the state root this validator computed, and
    /// prunes the mempool. A block never checked here (caught up from peers) is executed now.
    /// - Throws: `BlockExecutionError` when a committed block cannot be executed here, which means
    ///   this validator's state differs from the chain's.
    public mutating func commit(_ block: Block, parent: BlockHeader, isEpochSuffix: Bool, stateBatch: inout WriteBatch)
        throws(BlockExecutionError) -> (receipts: [TransactionReceipt], stateRoot: Hash)
    {
        let id = block.id
        var execution = executions.removeValue(forKey: id)?.execution
        if execution == nil && !isEpochSuffix {
            let executed = try chain.execute(
                block.transactions, context: context(block.header), parentRoot: parent.stateRoot,
                isVerified: verifiedCheck())
            stateBatch = executed.writeBatch
            execution = executed
        }
        let receipts = execution?.receipts ?? []
        let root = execution?.stateRoot ?? parent.stateRoot
        committedRoot = root
        _ = try? mempool.update(committed: block.transactions, accounts: accountsAtCommittedRoot())
        // Executions of blocks at or below this height can no longer commit.
        executions = executions.filter { _, value in value.execution.context.height > block.header.height }
        return (receipts, root)
    }

    /// Which signatures block execution may skip: those of transactions this validator's mempool
    /// admitted (verified then) and those verified elsewhere.
    private func verifiedCheck() -> (TransactionID) -> Bool {
        let admitted = mempool
        let elsewhere = isVerifiedElsewhere
        return { id in admitted.contains(id) || elsewhere?(id) == true }
    }

    /// Offers a transaction from `source` to the mempool.
    /// - Throws: `MempoolRejection` with the reason it was refused.
    @discardableResult
    public mutating func submit(_ transaction: [UInt8], from source: MempoolSource) throws(MempoolRejection)
        -> MempoolAdmission
    {
        try mempool.add(transaction, from: source, accounts: accountsAtCommittedRoot())
    }

    /// Offers a transaction whose signature was verified already to the mempool.
    /// - Throws: `MempoolRejection` with the reason it was refused.
    @discardableResult
    public mutating func submit(_ transaction: VerifiedTransaction, from source: MempoolSource)
        throws(MempoolRejection) -> MempoolAdmission
    {
        try mempool.add(transaction, from: source, accounts: accountsAtCommittedRoot())
    }

    /// Forgets uncommitted executions and pending transactions (a restart).
    public mutating func reset() {
        executions = [:]
        mempool = Mempool(rules: chain.admissionRules)
    }

    /// The outcome of checking a block.
    public enum CheckResult: Sendable {
        /// Execution matched the header; write these state changes.
        case accepted(WriteBatch)
        /// The block is invalid, for this reason.
        case refused(String)

        /// True when accepted.
        public var isAccepted: Bool {
            if case .accepted = self { return true }
            return false
        }
    }
}
