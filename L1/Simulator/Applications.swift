import Application
import Chain
import Consensus
import Primitives
import Storage

/// The application a simulated validator runs behind its consensus engine.
protocol SimulatedApplication {
    /// Fills in a leader's block (transactions and roots).
    mutating func build(_ template: BlockTemplate, instance: Int, random: inout SeededRandom) -> Block
    /// Executes a proposed block on its parent's state; true when every root matches. An epoch
    /// suffix block must be empty and leave the state as it is.
    mutating func check(_ block: Block, parent: BlockHeader, isEpochSuffix: Bool) -> Bool
    /// The block is final: returns the state root this validator computed for it.
    mutating func commit(_ block: Block) -> Hash
    /// Takes a client transaction into the mempool.
    mutating func submit(_ transaction: [UInt8], from source: String)
    /// Forgets what lives in memory (a crash): the mempool, not the store.
    mutating func restart()
}

/// The simplest deterministic application: a block carries random payloads and its state root
/// chains the parent's root with the block's transaction root.
struct HashChainApplication: SimulatedApplication {
    mutating func build(_ template: BlockTemplate, instance: Int, random: inout SeededRandom) -> Block {
        guard !template.isEpochSuffix else { return Self.suffix(template) }
        // The instance number goes into the payload, so Twins build different blocks for one view.
        var transactions = [Array("proposer-instance-\(instance)".utf8)]
        for _ in 0..<Int.random(in: 0...3, using: &random) { transactions.append(random.bytes(48)) }
        var header = template.header
        header.transactionRoot = MerkleTree.root(transactions)
        header.stateRoot = Self.stateRoot(parent: template.parent.stateRoot, transactionRoot: header.transactionRoot)
        return Block(header: header, transactions: transactions)
    }

    mutating func check(_ block: Block, parent: BlockHeader, isEpochSuffix: Bool) -> Bool {
        if isEpochSuffix { return Self.isUnchanged(block, parent: parent) }
        return block.transactions.count <= 64 && block.header.transactionRoot == MerkleTree.root(block.transactions)
            && block.header.stateRoot
                == Self.stateRoot(parent: parent.stateRoot, transactionRoot: block.header.transactionRoot)
    }

    mutating func commit(_ block: Block) -> Hash { block.header.stateRoot }
    mutating func submit(_ transaction: [UInt8], from source: String) {}
    mutating func restart() {}

    static func stateRoot(parent: Hash, transactionRoot: Hash) -> Hash {
        Hashing.sha256(Array("aether-sim-state".utf8) + parent.bytes + transactionRoot.bytes)
    }

    /// An epoch-suffix block: no transactions, the parent's state root, and the empty-list roots
    /// (both applications use the RFC 6962 root of no leaves, SHA-256 of nothing).
    static func suffix(_ template: BlockTemplate) -> Block {
        var header = template.header
        header.stateRoot = template.parent.stateRoot
        header.transactionRoot = MerkleTree.root([])
        header.receiptRoot = MerkleTree.root([])
        return Block(header: header, transactions: [])
    }

    static func isUnchanged(_ block: Block, parent: BlockHeader) -> Bool {
        block.transactions.isEmpty && block.header.stateRoot == parent.stateRoot
            && block.header.transactionRoot == MerkleTree.root([]) && block.header.receiptRoot == MerkleTree.root([])
    }
}

/// The real chain state machine with the bank module on an in-memory store, through the same
/// `ChainApplication` the node uses: leaders fill blocks from the mempool, validators execute every
/// block before voting, and the state root each validator computes at commit is compared.
struct BankApplication: SimulatedApplication {
    let store: MemoryStore
    var application: ChainApplication
    /// Parents of blocks this validator executed, for committing them.
    private var parents: [Hash: (header: BlockHeader, isSuffix: Bool)] = [:]

    static let fees = FeeSchedule(base: 100, perByte: 1, perStep: 10, perMemoryByte: 1)

    /// A validator's application at genesis; every validator starts from the same genesis root.
    init(chainId: String, genesis: ChainGenesis) throws {
        store = MemoryStore(columns: [StoreColumn.default] + SparseMerkleTree.defaultColumns)
        let chain = try ChainStateMachine.withBank(
            chainId: chainId, tree: SparseMerkleTree(store: store), fees: Self.fees)
        var batch = WriteBatch()
        let root = try chain.initGenesis(genesis, batch: &batch)
        try store.write(batch, sync: false)
        application = ChainApplication(chain: chain, committedRoot: root)
    }

    var committedRoot: Hash { application.committedRoot }

    mutating func build(_ template: BlockTemplate, instance: Int, random: inout SeededRandom) -> Block {
        var batch = WriteBatch()
        guard let block = try? application.build(template, stateBatch: &batch),
            (try? store.write(batch, sync: false)) != nil
        else {
            // The parent state is unreadable: propose an empty block on it (validators will judge).
            return Block(header: template.header, transactions: [])
        }
        parents[block.id] = (template.parent, template.isEpochSuffix)
        return block
    }

    mutating func check(_ block: Block, parent: BlockHeader, isEpochSuffix: Bool) -> Bool {
        guard case .accepted(let batch) = application.check(block, parent: parent, isEpochSuffix: isEpochSuffix),
            (try? store.write(batch, sync: false)) != nil
        else { return false }
        parents[block.id] = (parent, isEpochSuffix)
        return true
    }

    mutating func commit(_ block: Block) -> Hash {
        guard let (parent, isSuffix) = parents.removeValue(forKey: block.id) else { return block.header.stateRoot }
        var batch = WriteBatch()
        guard
            let (_, root) = try? application.commit(block, parent: parent, isEpochSuffix: isSuffix, stateBatch: &batch)
        else { return .zero }
        _ = try? store.write(batch, sync: false)
        return root
    }

    mutating func submit(_ transaction: [UInt8], from source: String) {
        _ = try? application.submit(transaction, from: MempoolSource(source))
    }

    mutating func restart() {
        application.reset()
        parents = [:]
    }
}

/// Clients of the simulated bank chain: funded accounts that send transfers with their own nonces.
struct SimulatedClients {
    private var keys: [Ed25519.PrivateKey]
    private var nonces: [UInt64]
    let chainId: String

    /// `count` clients with deterministic keys.
    init(count: Int, chainId: String) {
        keys = (0..<count).map { index in
            try! Ed25519.PrivateKey(seed: Hashing.sha256(Array("aether-sim-client-\(index)".utf8)).bytes)
        }
        nonces = Array(repeating: 0, count: count)
        self.chainId = chainId
    }

    /// The genesis that funds every client with AIC and SWR.
    func genesis() -> ChainGenesis {
        var bank = Bank.Genesis()
        for key in keys {
            let address = Address(publicKey: key.publicKey)
            bank.balances.append(Bank.Balance(address: address, denomination: .aic, amount: 1_000_000_000))
            bank.balances.append(Bank.Balance(address: address, denomination: .swr, amount: 1_000_000))
        }
        var genesis = ChainGenesis(chainId: chainId)
        genesis.set(Bank.moduleName, bank)
        return genesis
    }

    /// A signed transfer from a random client to another, with that client's next nonce.
    mutating func nextTransfer(using random: inout SeededRandom) -> [UInt8] {
        let sender = Int.random(in: 0..<keys.count, using: &random)
        let recipient = (sender + Int.random(in: 1..<max(keys.count, 2), using: &random)) % keys.count
        let amount = UInt64.random(in: 1...1_000, using: &random)
        let transaction = Transaction(
            chainId: chainId, sender: keys[sender].publicKey, nonce: nonces[sender], maxFee: 10_000,
            priorityFee: UInt64.random(in: 0...10, using: &random),
            messages: [Message(Bank.Transfer(to: Address(publicKey: keys[recipient].publicKey), amount, .aic))])
        nonces[sender] += 1
        return try! transaction.signed(by: keys[sender]).encoded
    }
}
