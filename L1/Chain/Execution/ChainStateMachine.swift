public import Primitives
public import Storage

/// The chain's state machine: applies a block's transactions to a parent state root and returns
/// the new root, the receipts and the roots a block header commits to (Docs/spec/chain.md).
///
/// Pure and deterministic: the same parent root, block context and transaction bytes give the
/// same result bytes on every node. Nothing is written to the store: the result carries the
/// `WriteBatch` to commit. The batch only adds content-addressed tree entries, so a node may
/// write it as soon as it has executed a block (to execute a child before the block is final);
/// it never disturbs another root.
///
/// Per transaction, in block order:
/// 1. stateless checks: decoding and size, chain id, `maxFee ≥ a + b·bytes + priorityFee`,
///    signature; then account checks: nonce equals the account's next nonce, AIC balance covers
///    `maxFee` (failing any of these makes the block invalid: `TransactionRejection`);
/// 2. the nonce is incremented and `maxFee` moved to the fee escrow (both survive a failure of the
///    messages);
/// 3. the messages run in a transaction layer, metered; if one fails (or the meter runs out) the
///    layer's writes and events are dropped;
/// 4. the fee `a + b·bytes + c·steps + d·mem + priorityFee` (or `maxFee` when out of fee) is
///    burned from the escrow and the rest of `maxFee` returned to the sender.
public struct ChainStateMachine: Sendable {
    /// The chain id every transaction and block context must carry.
    public let chainId: String
    /// The state tree.
    public let tree: SparseMerkleTree
    /// The modules (accounts first) and their message routes.
    public let router: MessageRouter
    /// The fee parameters `a`, `b`, `c`, `d`.
    public let fees: FeeSchedule
    /// The module that holds AIC and burns fees.
    public let feeKeeper: any FeeKeeper
    /// The Ed25519 rule transaction signatures must satisfy (the genesis `tx_signatures`).
    public var signatureRule: SignatureRule = .cofactorless

    /// A state machine for `chainId` over `tree` with `modules` after the built-in `Accounts`.
    /// - Parameters:
    ///   - modules: the application modules, in the order their hooks and genesis run.
    ///   - feeKeeper: the module that holds AIC (a `Bank` among `modules`).
    /// - Throws: `ChainConfigurationError` for a bad chain id, module name or route, or a fee
    ///   keeper that is not registered.
    public init(
        chainId: String,
        tree: SparseMerkleTree,
        modules: [any ApplicationModule],
        fees: FeeSchedule,
        feeKeeper: any FeeKeeper
    ) throws(ChainConfigurationError) {
        guard !chainId.isEmpty, chainId.utf8.count <= Transaction.maxChainIDLength else {
            throw .invalidChainID(chainId)
        }
        let router = try MessageRouter(modules: [Accounts()] + modules)
        guard router.module(named: feeKeeper.name) != nil else { throw .feeKeeperNotRegistered(feeKeeper.name) }
        self.chainId = chainId
        self.tree = tree
        self.router = router
        self.fees = fees
        self.feeKeeper = feeKeeper
    }

    /// A chain with the bank as its only application module and fee keeper.
    public static func withBank(chainId: String, tree: SparseMerkleTree, fees: FeeSchedule)
        throws(ChainConfigurationError) -> ChainStateMachine
    {
        try ChainStateMachine(chainId: chainId, tree: tree, modules: [Bank()], fees: fees, feeKeeper: Bank())
    }

    // MARK: - Roots

    /// The transaction root: the RFC 6962 `MerkleTree` root over the transaction ids in block order
    /// (each leaf is the 32-byte id, as CometBFT does), so inclusion is provable from an id alone.
    public static func transactionRoot(_ encodedTransactions: [[UInt8]]) -> Hash {
        MerkleTree.root(encodedTransactions.map { TransactionID(encoded: $0).hash.bytes })
    }

    /// The receipt root: the `MerkleTree` root over the receipts' canonical encodings, in block order.
    public static func receiptRoot(_ receipts: [TransactionReceipt]) -> Hash {
        MerkleTree.root(receipts.map { Canonical.encode($0) })
    }

    // MARK: - Executing blocks

    /// Executes a block received from a proposer: every transaction must pass its checks.
    /// - Parameters:
    ///   - transactions: the block's signed transactions, as encoded in the block.
    ///   - context: the block's chain id, height, timestamp and proposer.
    ///   - parentRoot: the state root after the parent block (its nodes must be in the store).
    ///   - isVerified: whether a transaction's signature was already checked (by id); those are not
    ///     verified again. A node passes the ids its mempool verified at admission: the id hashes the
    ///     signature too, so a transaction with that id has that valid signature.
    /// - Throws: `BlockExecutionError.invalidTransaction` when a transaction fails a check (the block
    ///   is invalid), other cases when the context is wrong or the node's state cannot be read.
    public func execute(
        _ transactions: [[UInt8]], context: BlockContext, parentRoot: Hash,
        isVerified: (TransactionID) -> Bool = { _ in false }
    ) throws(BlockExecutionError) -> BlockExecution {
        try run(
            transactions, context: context, parentRoot: parentRoot, skipRejected: false, isVerified: isVerified
        ).execution
    }

    /// Builds a block from candidate transactions (mempool order): those that fail their checks
    /// against the parent state plus the earlier candidates are left out and listed as skipped.
    ///
    /// The result's `execution.transactions` is the block's transaction list, and `execute` of it on
    /// the same parent gives the same execution.
    /// `isVerified` is as for `execute`.
    public func propose(
        _ candidates: [[UInt8]], context: BlockContext, parentRoot: Hash,
        isVerified: (TransactionID) -> Bool = { _ in false }
    ) throws(BlockExecutionError) -> BlockProposal {
        try run(candidates, context: context, parentRoot: parentRoot, skipRejected: true, isVerified: isVerified)
    }

    private func run(
        _ transactions: [[UInt8]], context: BlockContext, parentRoot: Hash, skipRejected: Bool,
        isVerified: (TransactionID) -> Bool
    ) throws(BlockExecutionError) -> BlockProposal {
        guard context.chainId == chainId else { throw .wrongChainID(expected: chainId, actual: context.chainId) }
        let cache = StateCache(tree: tree, root: parentRoot)
        let beginEvents = try runHooks(context: context, cache: cache, phase: .beginBlock)

        var included: [[UInt8]] = []
        var receipts: [TransactionReceipt] = []
        var skipped: [SkippedTransaction] = []
        included.reserveCapacity(transactions.count)
        receipts.reserveCapacity(transactions.count)
        for (index, encoded) in transactions.enumerated() {
            let checked: CheckedTransaction
            do throws(CheckError) {
                checked = try check(encoded, in: cache, verifySignature: !isVerified(TransactionID(encoded: encoded)))
            } catch {
                switch error {
                case .rejected(let rejection):
                    guard skipRejected else { throw .invalidTransaction(index: index, rejection) }
                    skipped.append(
                        SkippedTransaction(index: index, id: TransactionID(encoded: encoded), reason: rejection))
                    continue
                case .fault(let fault):
                    throw .state(fault)
                }
            }
            receipts.append(try apply(checked, context: context, cache: cache))
            included.append(encoded)
        }

        let endEvents = try runHooks(context: context, cache: cache, phase: .endBlock)
        var batch = WriteBatch()
        let root: Hash
        do { root = try cache.commit(into: &batch) } catch { throw .state(error) }
        let execution = BlockExecution(
            context: context, parentStateRoot: parentRoot, stateRoot: root,
            transactionRoot: Self.transactionRoot(included), receiptRoot: Self.receiptRoot(receipts),
            transactions: included, receipts: receipts, beginBlockEvents: beginEvents, endBlockEvents: endEvents,
            writeBatch: batch)
        return BlockProposal(execution: execution, skipped: skipped)
    }

    // MARK: - One transaction

    private enum CheckError: Error {
        case rejected(TransactionRejection)
        case fault(StateAccessError)
    }

    /// The stateless and account checks, against the block's state so far.
    private func check(_ encoded: [UInt8], in cache: StateCache, verifySignature: Bool) throws(CheckError)
        -> CheckedTransaction
    {
        let checked: CheckedTransaction
        do {
            checked = try CheckedTransaction.check(
                encoded, chainId: chainId, fees: fees, verifySignature: verifySignature, rule: signatureRule)
        } catch {
            throw .rejected(error)
        }
        let account: AccountState
        do {
            account = AccountState(
                nonce: try Accounts.nonce(of: checked.sender, in: cache.store(for: Accounts.moduleName)),
                feeBalance: try feeKeeper.feeBalance(of: checked.sender, in: cache))
        } catch {
            throw .fault(error)
        }
        do { try checked.checkAccount(account) } catch { throw .rejected(error) }
        return checked
    }

    /// Applies a checked transaction: nonce, fee escrow, messages, fee settlement.
    private func apply(
        _ checked: CheckedTransaction, context: BlockContext, cache: StateCache
    ) throws(BlockExecutionError) -> TransactionReceipt {
        let transaction = checked.transaction
        do {
            try Accounts.incrementNonce(of: checked.sender, in: cache.store(for: Accounts.moduleName))
            try feeKeeper.escrowFee(transaction.maxFee, from: checked.sender, in: cache)
        } catch let error as StateAccessError {
            throw .state(error)
        } catch {
            throw .bookkeeping(transactionID: checked.id, reason: String(describing: error))
        }

        cache.beginTransaction(schedule: fees, budget: checked.meteringBudget)
        var failure: TransactionFailure? = nil
        messages: for (index, message) in transaction.messages.enumerated() {
            do throws(RoutingError) {
                let module = try router.check(message, index: index)
                let messageContext = MessageContext(
                    block: context, sender: checked.sender, transactionID: checked.id,
                    store: cache.store(for: module.name))
                do {
                    try module.handle(message, context: messageContext)
                } catch {
                    throw MessageRouter.classify(error, module: module.name, index: index)
                }
            } catch {
                switch error {
                case .failed(let reason):
                    failure = reason
                    break messages
                case .fault(let fault):
                    cache.discardTransaction()
                    throw .state(fault)
                }
            }
        }

        let usage: ResourceUsage
        let events: [Event]
        if failure == nil {
            (usage, events) = cache.commitTransaction()
        } else {
            usage = cache.discardTransaction()
            events = []
        }
        let isOutOfFee =
            failure?.codespace == TransactionFailure.chainCodespace && failure?.code == TransactionFailure.Code.outOfFee
        // Within the budget the metered fee cannot overflow: the meter checked the same sum.
        let fee =
            isOutOfFee
            ? transaction.maxFee
            : FeeSchedule.sum(
                FeeSchedule.sum(checked.intrinsicFee, fees.meteredFee(usage)), transaction.priorityFee)
                ?? transaction.maxFee
        let charged = min(fee, transaction.maxFee)
        do {
            try feeKeeper.settleFee(
                charged: charged, refund: transaction.maxFee - charged, to: checked.sender, in: cache)
        } catch let error as StateAccessError {
            throw .state(error)
        } catch {
            throw .bookkeeping(transactionID: checked.id, reason: String(describing: error))
        }
        return TransactionReceipt(
            transactionID: checked.id, failure: failure, feeCharged: charged, usage: usage, events: events)
    }

    // MARK: - Hooks

    private enum HookPhase: String {
        case beginBlock = "begin-block"
        case endBlock = "end-block"
    }

    private func runHooks(
        context: BlockContext, cache: StateCache, phase: HookPhase
    ) throws(BlockExecutionError) -> [Event] {
        for module in router.modules {
            let hookContext = BlockHookContext(block: context, store: cache.store(for: module.name))
            do {
                switch phase {
                case .beginBlock: try module.beginBlock(hookContext)
                case .endBlock: try module.endBlock(hookContext)
                }
            } catch let error as StateAccessError {
                throw .state(error)
            } catch {
                throw .hookFailed(module: module.name, phase: phase.rawValue, reason: String(describing: error))
            }
        }
        return cache.takeBlockEvents()
    }

    // MARK: - Reading state

    /// Account nonces and fee balances at `root`, for mempool admission.
    public func accounts(at root: Hash) -> CommittedAccountState {
        CommittedAccountState(reader: StateReader(tree: tree, root: root), feeKeeper: feeKeeper)
    }

    /// The chain's state at `root`.
    public func state(at root: Hash) -> StateReader { StateReader(tree: tree, root: root) }

    /// Every module's invariants at `root` (the root's nodes must be in the store).
    /// - Throws: when the state cannot be read.
    public func checkInvariants(root: Hash) throws -> [InvariantViolation] {
        let reader = state(at: root)
        var violations: [InvariantViolation] = []
        for module in router.modules { violations += try module.checkInvariants(reader.module(module.name)) }
        return violations
    }

    /// What the mempool needs to admit transactions for this chain.
    public var admissionRules: AdmissionRules {
        AdmissionRules(chainId: chainId, fees: fees, router: router, signatureRule: signatureRule)
    }
}

// MARK: - Results

/// The outcome of executing a block.
public struct BlockExecution: Sendable {
    /// The block's context.
    public let context: BlockContext
    /// The state root the block was applied to.
    public let parentStateRoot: Hash
    /// The state root after the block: the header's state root.
    public let stateRoot: Hash
    /// `ChainStateMachine.transactionRoot(transactions)`: the header's transaction root.
    public let transactionRoot: Hash
    /// `ChainStateMachine.receiptRoot(receipts)`: the header's receipt root.
    public let receiptRoot: Hash
    /// The block's transactions, as encoded in the block.
    public let transactions: [[UInt8]]
    /// One receipt per transaction, in order.
    public let receipts: [TransactionReceipt]
    /// Events of the begin-block hooks (not in the receipt root).
    public let beginBlockEvents: [Event]
    /// Events of the end-block hooks (not in the receipt root).
    public let endBlockEvents: [Event]
    /// The new tree nodes, values and keys; write it to make `stateRoot` readable.
    public let writeBatch: WriteBatch

    /// The AIC burned as fees in this block (saturating at `UInt64.max`).
    public var feesBurned: UInt64 {
        receipts.reduce(0) { total, receipt in
            let (sum, overflow) = total.addingReportingOverflow(receipt.feeCharged)
            return overflow ? .max : sum
        }
    }
}

/// A block built by `ChainStateMachine.propose`: its execution and the candidates left out.
public struct BlockProposal: Sendable {
    /// The execution of the included transactions.
    public let execution: BlockExecution
    /// Candidates that failed their checks, with why.
    public let skipped: [SkippedTransaction]
}

/// A candidate transaction a proposal left out.
public struct SkippedTransaction: Equatable, Sendable {
    /// Its position among the candidates.
    public let index: Int
    /// SHA-256 of its bytes.
    public let id: TransactionID
    /// The failed check.
    public let reason: TransactionRejection
}

/// Why a block could not be executed.
public enum BlockExecutionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The block context names another chain.
    case wrongChainID(expected: String, actual: String)
    /// The transaction at `index` fails a check: the block is invalid.
    case invalidTransaction(index: Int, TransactionRejection)
    /// The state could not be read or written (a node fault: do not vote, and look at the store).
    case state(StateAccessError)
    /// A module's begin- or end-block hook failed.
    case hookFailed(module: String, phase: String, reason: String)
    /// Nonce or fee bookkeeping failed after the checks passed (a bug in the fee keeper).
    case bookkeeping(transactionID: TransactionID, reason: String)

    public var description: String {
        switch self {
        case .wrongChainID(let expected, let actual): "block is for chain '\(actual)', this chain is '\(expected)'"
        case .invalidTransaction(let index, let rejection): "transaction \(index) is invalid: \(rejection)"
        case .state(let error): "\(error)"
        case .hookFailed(let module, let phase, let reason): "\(phase) hook of module \(module) failed: \(reason)"
        case .bookkeeping(let id, let reason): "fee or nonce bookkeeping of transaction \(id) failed: \(reason)"
        }
    }
}
