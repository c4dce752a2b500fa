import Chain
import Primitives
import Storage
import Testing

// MARK: - Keys and transactions

let testChainID = "aether-test"

/// The fee rule used by most tests: a = 100, b = 1 per byte, c = 10 per step, d = 1 per byte written.
let testFees = FeeSchedule(base: 100, perByte: 1, perStep: 10, perMemoryByte: 1)

/// A deterministic key: the seed is `index` repeated 32 times.
func testKey(_ index: UInt8) -> Ed25519.PrivateKey {
    // A 32-byte seed always makes a key.
    try! Ed25519.PrivateKey(seed: [UInt8](repeating: index, count: 32))
}

/// A signer with its address.
struct TestAccount {
    let key: Ed25519.PrivateKey
    var address: Address { Address(publicKey: key.publicKey) }

    init(_ index: UInt8) { key = testKey(index) }

    /// A signed transaction's encoding.
    func sign(
        nonce: UInt64,
        messages: [Message],
        maxFee: UInt64 = 10_000,
        priorityFee: UInt64 = 0,
        chainId: String = testChainID
    ) -> [UInt8] {
        let transaction = Transaction(
            chainId: chainId, sender: key.publicKey, nonce: nonce, maxFee: maxFee, priorityFee: priorityFee,
            messages: messages)
        // The key is the sender's, so signing cannot fail.
        return try! transaction.signed(by: key).encoded
    }

    /// A signed transfer's encoding.
    func transfer(
        _ amount: UInt64,
        _ denomination: Denomination = .aic,
        to recipient: Address,
        nonce: UInt64,
        maxFee: UInt64 = 10_000,
        priorityFee: UInt64 = 0
    ) -> [UInt8] {
        sign(
            nonce: nonce, messages: [Message(Bank.Transfer(to: recipient, amount, denomination))], maxFee: maxFee,
            priorityFee: priorityFee)
    }
}

// MARK: - A chain on a memory store

/// A chain with the bank module on a fresh `MemoryStore`, committing each block it executes.
struct TestChain {
    let store: MemoryStore
    let machine: ChainStateMachine
    private(set) var root: Hash
    private(set) var height: UInt64 = 0
    var proposer = TestAccount(200).address

    static let columns = [StoreColumn.default] + SparseMerkleTree.defaultColumns

    init(fees: FeeSchedule = testFees, genesis: ChainGenesis) throws {
        store = MemoryStore(columns: Self.columns)
        machine = try ChainStateMachine.withBank(
            chainId: testChainID, tree: SparseMerkleTree(store: store), fees: fees)
        var batch = WriteBatch()
        root = try machine.initGenesis(genesis, batch: &batch)
        try store.write(batch, sync: false)
    }

    /// A chain whose genesis gives each `(account, aic, swr)` those balances, with `rights`.
    init(
        fees: FeeSchedule = testFees,
        balances: [(TestAccount, UInt64, UInt64)],
        rights: [Bank.Authority] = []
    ) throws {
        var bank = Bank.Genesis(rights: rights)
        for (account, aic, swr) in balances {
            if aic > 0 { bank.balances.append(Bank.Balance(address: account.address, denomination: .aic, amount: aic)) }
            if swr > 0 { bank.balances.append(Bank.Balance(address: account.address, denomination: .swr, amount: swr)) }
        }
        var genesis = ChainGenesis(chainId: testChainID)
        genesis.set(Bank.moduleName, bank)
        try self.init(fees: fees, genesis: genesis)
    }

    /// The context of the next block.
    var nextContext: BlockContext {
        BlockContext(
            chainId: testChainID, height: height + 1, timestamp: 1_700_000_000_000 + height * 500, proposer: proposer)
    }

    /// Executes and commits a block of `transactions`.
    @discardableResult
    mutating func execute(_ transactions: [[UInt8]]) throws -> BlockExecution {
        let execution = try machine.execute(transactions, context: nextContext, parentRoot: root)
        try commit(execution)
        return execution
    }

    /// Writes an execution's batch and moves to its root.
    mutating func commit(_ execution: BlockExecution) throws {
        try store.write(execution.writeBatch, sync: false)
        root = execution.stateRoot
        height += 1
    }

    func balance(_ account: TestAccount, _ denomination: Denomination = .aic) throws -> UInt64 {
        try Bank.Keeper.balance(of: account.address, denomination, in: machine.state(at: root).module(Bank.moduleName))
    }

    func supply(_ denomination: Denomination) throws -> UInt64 {
        try Bank.Keeper.supply(of: denomination, in: machine.state(at: root).module(Bank.moduleName))
    }

    func nonce(_ account: TestAccount) throws -> UInt64 {
        try Accounts.nonce(of: account.address, in: machine.state(at: root).module(Accounts.moduleName))
    }

    var accounts: CommittedAccountState { machine.accounts(at: root) }
}

// MARK: - A dictionary account view for the mempool

/// Account states from a dictionary: nonce 0 and no balance for anyone not listed.
struct DictionaryAccounts: AccountStateView {
    var states: [Address: AccountState] = [:]

    func account(_ address: Address) throws(StateAccessError) -> AccountState {
        states[address] ?? AccountState(nonce: 0, feeBalance: 0)
    }
}

extension Array where Element == UInt8 {
    /// Bytes from hex in test literals.
    init(hexLiteral text: String) {
        // Test literals are valid hex.
        self = try! Hex.decode(text)
    }
}
