import Chain
import ChainConfiguration
import Consensus
import Primitives
import Staking
import Storage
import Testing

let testChainID = "aether-staking-test"

/// A deterministic Ed25519 key: the seed is `index` repeated 32 times.
func testKey(_ index: UInt8) -> Ed25519.PrivateKey {
    // A 32-byte seed always makes a key.
    try! Ed25519.PrivateKey(seed: [UInt8](repeating: index, count: 32))
}

/// An exact fraction in test literals.
func ratio(_ numerator: UInt64, _ denominator: UInt64) -> Ratio {
    // Test literals have non-zero denominators.
    try! Ratio(numerator, denominator)
}

/// An account that signs transactions.
struct TestAccount: Hashable {
    let index: UInt8
    var key: Ed25519.PrivateKey { testKey(index) }
    var address: Address { Address(publicKey: key.publicKey) }

    init(_ index: UInt8) { self.index = index }

    static func == (lhs: TestAccount, rhs: TestAccount) -> Bool { lhs.index == rhs.index }
    func hash(into hasher: inout Hasher) { hasher.combine(index) }
}

/// A genesis validator: its operator account, its consensus key (the VRF key is the next seed)
/// and its self-bond.
struct TestValidator {
    let operatorAccount: TestAccount
    let consensusIndex: UInt8
    let stake: UInt64
    var commission: Ratio = .zero

    var address: Address { operatorAccount.address }
    var consensusKey: Ed25519.PrivateKey { testKey(consensusIndex) }
    var vrfKey: Ed25519.PrivateKey { testKey(consensusIndex &+ 1) }
}

/// Parameters small enough to walk through epochs in a test.
func testParameters(
    epochSlots: UInt64 = 4, unbondingDelay: UInt64 = 2, reward: Staking.RewardRule = .fixed(0),
    maxValidators: UInt64 = 10, jailThreshold: UInt64 = 3, window: UInt64 = 8
) -> Staking.Parameters {
    Staking.Parameters(
        epochSlots: epochSlots, unbondingDelayEpochs: unbondingDelay, reward: reward, minCommission: .zero,
        maxCommission: ratio(1, 2), minSelfBond: 1_000, downtimeWindow: window, jailThreshold: jailThreshold,
        jailEpochs: 1, maxValidators: maxValidators, slashDouble: ratio(1, 20), leakDowntime: ratio(1, 100))
}

/// An L1 chain (accounts, bank, staking) on a memory store with free fees, committing each block.
///
/// Every block's context carries the epoch staking expects and, unless a test says otherwise, the
/// whole parent set as signers. After each block `checkInvariants` runs the modules' invariants
/// and checks that the SWR supply moved exactly by what staking minted minus what it burned.
struct StakingChain {
    let store: MemoryStore
    let machine: ChainStateMachine
    private(set) var root: Hash
    private(set) var height: UInt64 = 0
    private var nonces: [Address: UInt64] = [:]
    private var lastSupply: UInt64 = 0
    private var lastTotals = Staking.Totals()

    init(genesis: ChainGenesis) throws {
        store = MemoryStore(columns: [StoreColumn.default] + SparseMerkleTree.defaultColumns)
        machine = try Staking.l1StateMachine(chainId: testChainID, tree: SparseMerkleTree(store: store), fees: .free)
        var batch = WriteBatch()
        root = try machine.initGenesis(genesis, batch: &batch)
        try store.write(batch, sync: false)
        lastSupply = try supply()
        lastTotals = try totals()
        try checkInvariants()
    }

    /// A chain whose genesis bonds `validators` and funds `accounts` with SWR.
    init(
        parameters: Staking.Parameters = testParameters(), validators: [TestValidator], swr: [(TestAccount, UInt64)],
        aic: [(TestAccount, UInt64)] = []
    ) throws {
        var bank = Bank.Genesis()
        for (account, amount) in swr {
            bank.balances.append(Bank.Balance(address: account.address, denomination: .swr, amount: amount))
        }
        for (account, amount) in aic {
            bank.balances.append(Bank.Balance(address: account.address, denomination: .aic, amount: amount))
        }
        let staked = validators.reduce(0) { $0 + $1.stake }
        bank.balances.append(Bank.Balance(address: Staking.pool, denomination: .swr, amount: staked))
        let staking = Staking.Genesis.initial(
            parameters: parameters,
            validators: validators.enumerated().map { index, validator in
                Staking.InitialValidator(
                    operatorAddress: validator.address, name: "validator-\(index)",
                    publicKey: validator.consensusKey.publicKey, vrfPublicKey: validator.vrfKey.publicKey,
                    commission: validator.commission, stake: validator.stake)
            })
        var genesis = ChainGenesis(chainId: testChainID)
        genesis.set(Bank.moduleName, bank)
        genesis.set(Staking.moduleName, staking)
        try self.init(genesis: genesis)
    }

    // MARK: Blocks

    var reader: ModuleStateReader { machine.state(at: root).module(Staking.moduleName) }

    var progress: Staking.EpochProgress {
        get throws { try Staking.progress(in: reader) }
    }

    /// The epoch the next block is in.
    var nextEpoch: UInt64 {
        get throws {
            let progress = try progress
            return progress.closed ? progress.epoch + 1 : progress.epoch
        }
    }

    /// Executes and commits a block. `signers` nil: every member of the parent's set signed.
    @discardableResult
    mutating func block(
        _ transactions: [[UInt8]] = [], signers: [Ed25519.PublicKey]? = nil, epoch: UInt64? = nil
    ) throws -> BlockExecution {
        let parentSet = try Staking.epochValidators(try progress.epoch, in: reader)
        let parentSigners = height == 0 ? [] : signers ?? parentSet?.members.map(\.publicKey) ?? []
        let context = BlockContext(
            chainId: testChainID, height: height + 1, timestamp: 1_700_000_000_000 + height * 500,
            proposer: TestAccount(250).address, parentSigners: parentSigners, epoch: try epoch ?? nextEpoch)
        let execution = try machine.execute(transactions, context: context, parentRoot: root)
        try store.write(execution.writeBatch, sync: false)
        root = execution.stateRoot
        height += 1
        try checkInvariants()
        return execution
    }

    /// Runs blocks until the epoch `epoch` has started (its first block executed).
    mutating func advance(toEpoch epoch: UInt64, signers: [Ed25519.PublicKey]? = nil) throws {
        while try progress.epoch < epoch { try block(signers: signers) }
    }

    /// Runs blocks until the current epoch has closed.
    mutating func finishEpoch(signers: [Ed25519.PublicKey]? = nil) throws {
        while !(try progress.closed) { try block(signers: signers) }
    }

    /// A signed transaction of `account` with the next nonce.
    mutating func transaction(_ account: TestAccount, _ messages: [Message]) -> [UInt8] {
        let nonce = nonces[account.address, default: 0]
        nonces[account.address] = nonce + 1
        let transaction = Transaction(
            chainId: testChainID, sender: account.key.publicKey, nonce: nonce, maxFee: 0, priorityFee: 0,
            messages: messages)
        // The key is the sender's, so signing cannot fail.
        return try! transaction.signed(by: account.key).encoded
    }

    /// Sends one transaction in its own block; returns its receipt.
    @discardableResult
    mutating func send(_ account: TestAccount, _ message: Message, signers: [Ed25519.PublicKey]? = nil) throws
        -> TransactionReceipt
    {
        let execution = try block([transaction(account, [message])], signers: signers)
        return try #require(execution.receipts.first)
    }

    /// The staking failure code of sending `message` (nil on success).
    mutating func failure(_ account: TestAccount, _ message: Message) throws -> StakingFailure? {
        let receipt = try send(account, message)
        guard let failure = receipt.failure else { return nil }
        return StakingFailure(codespace: failure.codespace, code: failure.code, message: failure.message)
    }

    // MARK: Reading

    func validator(_ address: Address) throws -> Staking.Validator? { try Staking.validator(address, in: reader) }

    func set(_ epoch: UInt64) throws -> Staking.EpochValidators? { try Staking.epochValidators(epoch, in: reader) }

    func delegation(_ delegator: Address, _ validator: Address) throws -> Staking.Delegation? {
        try Staking.delegation(delegator, to: validator, in: reader)
    }

    func balance(_ address: Address, _ denomination: Denomination = .swr) throws -> UInt64 {
        try Bank.Keeper.balance(of: address, denomination, in: machine.state(at: root).module(Bank.moduleName))
    }

    func supply() throws -> UInt64 {
        try Bank.Keeper.supply(of: .swr, in: machine.state(at: root).module(Bank.moduleName))
    }

    func totals() throws -> Staking.Totals { try Staking.totals(in: reader) }

    /// The invariants of every module, and supply = last supply + minted − burned.
    /// - Throws: `InvariantBroken` naming the height and what broke.
    mutating func checkInvariants() throws {
        let violations = try machine.checkInvariants(root: root)
        guard violations.isEmpty else { throw InvariantBroken(message: "height \(height): \(violations)") }
        let supply = try supply()
        let totals = try totals()
        let minted = totals.minted - lastTotals.minted
        let burned = totals.burned - lastTotals.burned
        guard supply == lastSupply + minted - burned else {
            throw InvariantBroken(
                message: "height \(height): supply \(lastSupply) -> \(supply), minted \(minted), burned \(burned)")
        }
        lastSupply = supply
        lastTotals = totals
    }
}

/// A broken invariant found after a block.
struct InvariantBroken: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A failed message's code space, code and text.
struct StakingFailure: Equatable, CustomStringConvertible {
    let codespace: String
    let code: UInt32
    let message: String

    var description: String { "\(codespace)/\(code): \(message)" }

    /// True for the staking error `error`.
    func isStaking(_ error: StakingError) -> Bool { codespace == Staking.moduleName && code == error.code }
}

/// Two conflicting votes of `key` in `epoch` and `view` (an equivocation).
func doubleVote(
    _ key: Ed25519.PrivateKey, chainId: String = testChainID, epoch: UInt64, view: UInt64 = 7, height: UInt64 = 5,
    salt: UInt8 = 0
) -> Evidence {
    let first = Hashing.sha256([1, salt])
    let second = Hashing.sha256([2, salt])
    func reference(_ id: Hash) -> SignedBlockReference {
        SignedBlockReference(
            height: height, blockID: id,
            signature: key.sign(SignBytes.vote(chainId: chainId, epoch: epoch, height: height, view: view, blockID: id))
        )
    }
    return Evidence(
        kind: .vote, chainId: chainId, validator: key.publicKey, epoch: epoch, view: view, reference(first),
        reference(second))
}

/// The create-validator message for `validator` (proof signed with its consensus key).
func createMessage(_ validator: TestValidator, commission: Ratio = .zero, selfBond: UInt64? = nil) -> Message {
    Message(
        Staking.CreateValidator(
            name: "new-\(validator.consensusIndex)", signingKey: validator.consensusKey,
            vrfPublicKey: validator.vrfKey.publicKey, commission: commission, selfBond: selfBond ?? validator.stake,
            chainId: testChainID, operatorAddress: validator.address))
}
