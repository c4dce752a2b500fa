import Chain
import Primitives
import Storage
import Testing

private let alice = TestAccount(1)
private let bob = TestAccount(2)
private let carol = TestAccount(3)

/// Alice and Bob hold AIC and SWR; Carol holds nothing.
private func fundedChain(fees: FeeSchedule = testFees) throws -> TestChain {
    try TestChain(fees: fees, balances: [(alice, 1_000_000, 500), (bob, 1_000_000, 0)])
}

@Suite("Execution")
struct ExecutionTests {
    // MARK: - Fees

    @Test("a transfer is charged exactly a + b·bytes + c·steps + d·mem + priority fee, and the fee is burned")
    func exactFee() throws {
        var chain = try fundedChain()
        let supplyBefore = try chain.supply(.aic)
        let transaction = alice.transfer(1_000, to: bob.address, nonce: 0, priorityFee: 7)
        let execution = try chain.execute([transaction])
        let receipt = try #require(execution.receipts.first)
        #expect(receipt.succeeded)
        // Debit: read + write of a 27-byte key ("bank/" + tag + address + denomination) and an
        // 8-byte value; credit: the same. 4 steps, 2 · 35 bytes.
        #expect(receipt.usage == ResourceUsage(steps: 4, memory: 70))
        let fee = 100 + UInt64(transaction.count) + 10 * 4 + 70 + 7
        #expect(receipt.feeCharged == fee)
        #expect(try chain.balance(alice) == 1_000_000 - 1_000 - fee)
        #expect(try chain.balance(bob) == 1_000_000 + 1_000)
        #expect(try chain.supply(.aic) == supplyBefore - fee)
        #expect(execution.feesBurned == fee)
        #expect(try chain.nonce(alice) == 1)
        #expect(receipt.events.map(\.kind) == ["transfer"])
        #expect(receipt.events.first?["amount"] == "1000")
        #expect(try chain.machine.checkInvariants(root: chain.root).isEmpty)
    }

    @Test("a failed transaction keeps its fee and nonce but loses its writes and events")
    func failedTransactionRollsBack() throws {
        var chain = try fundedChain()
        // The first message would succeed, the second overdraws SWR: both are undone.
        let transaction = alice.sign(
            nonce: 0,
            messages: [
                Message(Bank.Transfer(to: bob.address, 10, .aic)),
                Message(Bank.Transfer(to: bob.address, 501, .swr)),
            ])
        let receipt = try #require(try chain.execute([transaction]).receipts.first)
        let failure = try #require(receipt.failure)
        #expect(failure.codespace == Bank.moduleName)
        #expect(
            failure.code
                == BankError.insufficientFunds(account: alice.address, denomination: .swr, balance: 500, needed: 501)
                .code)
        #expect(failure.messageIndex == 1)
        #expect(receipt.events.isEmpty)
        // The first message read and wrote twice (4 steps), the second read once and failed: all charged.
        #expect(receipt.usage.steps == 5)
        #expect(receipt.feeCharged == 100 + UInt64(transaction.count) + 10 * receipt.usage.steps + receipt.usage.memory)
        #expect(try chain.balance(alice) == 1_000_000 - receipt.feeCharged)
        #expect(try chain.balance(bob) == 1_000_000)
        #expect(try chain.balance(alice, .swr) == 500)
        #expect(try chain.nonce(alice) == 1)
        #expect(try chain.machine.checkInvariants(root: chain.root).isEmpty)
    }

    @Test("running out of fee stops the messages and charges the whole max fee")
    func outOfFee() throws {
        var chain = try fundedChain()
        let probe = alice.transfer(1, to: bob.address, nonce: 0)
        // Room for one read (10) but not for the write that follows (10 + 35).
        let maxFee = 100 + UInt64(probe.count) + 15
        let transaction = alice.transfer(1, to: bob.address, nonce: 0, maxFee: maxFee)
        #expect(transaction.count == probe.count)
        let receipt = try #require(try chain.execute([transaction]).receipts.first)
        #expect(receipt.failure?.codespace == TransactionFailure.chainCodespace)
        #expect(receipt.failure?.code == TransactionFailure.Code.outOfFee)
        #expect(receipt.usage == ResourceUsage(steps: 1, memory: 0))
        #expect(receipt.feeCharged == maxFee)
        #expect(try chain.balance(alice) == 1_000_000 - maxFee)
        #expect(try chain.balance(bob) == 1_000_000)
    }

    @Test("a message no module handles fails the transaction with a clear reason")
    func unknownRoute() throws {
        var chain = try fundedChain()
        let unknownModule = alice.sign(nonce: 0, messages: [Message(module: "staking", kind: 1, body: [1])])
        let unknownKind = alice.sign(nonce: 1, messages: [Message(module: "bank", kind: 99, body: [])])
        let zeroAmount = alice.sign(nonce: 2, messages: [Message(Bank.Transfer(to: bob.address, 0, .aic))])
        let receipts = try chain.execute([unknownModule, unknownKind, zeroAmount]).receipts
        #expect(receipts.map { $0.failure?.code } == [2, 2, BankError.zeroAmount.code])
        #expect(receipts[0].failure?.message.contains("staking/1") == true)
        #expect(receipts[2].failure?.codespace == "bank")
        #expect(try chain.nonce(alice) == 3)
    }

    // MARK: - Signatures checked at admission

    @Test("only transactions the caller vouches for by id skip the signature check; any other id is verified")
    func vouchedSignatures() throws {
        let chain = try fundedChain()
        let honest = try SignedTransaction.decode(alice.transfer(5, to: bob.address, nonce: 0))
        let forged = SignedTransaction(
            transaction: honest.transaction, signature: try Ed25519.Signature([UInt8](repeating: 7, count: 64)))
        // Vouching for the honest transaction's id says nothing about the forgery: its id differs.
        #expect(throws: BlockExecutionError.invalidTransaction(index: 0, .invalidSignature)) {
            try chain.machine.execute(
                [forged.encoded], context: chain.nextContext, parentRoot: chain.root,
                isVerified: { $0 == honest.id })
        }
        var checked = 0
        let execution = try chain.machine.execute(
            [honest.encoded], context: chain.nextContext, parentRoot: chain.root,
            isVerified: {
                checked += 1
                return $0 == honest.id
            })
        #expect(checked == 1)
        #expect(execution.receipts.first?.succeeded == true)
        // Skipping the check changes nothing in the result.
        let verified = try chain.machine.execute([honest.encoded], context: chain.nextContext, parentRoot: chain.root)
        #expect(verified.stateRoot == execution.stateRoot && verified.receiptRoot == execution.receiptRoot)
    }

    @Test("memoized account states equal the tree's at their root and stay at that root")
    func memoizedAccounts() throws {
        var chain = try fundedChain()
        let memo = MemoizedAccountStates(chain.accounts, root: chain.root)
        let before = try chain.accounts.account(alice.address)
        #expect(try memo.account(alice.address) == before)
        #expect(try memo.account(carol.address) == AccountState(nonce: 0, feeBalance: 0))
        try chain.execute([alice.transfer(5, to: bob.address, nonce: 0)])
        // The chain moved on; the memo still answers for its own root.
        #expect(try memo.account(alice.address) == before)
        #expect(try chain.accounts.account(alice.address).nonce == 1)
    }

    // MARK: - Rejections

    @Test(
        "a block with a bad signature, another chain's id, a replayed or future nonce, or an unpayable fee is invalid")
    func invalidBlocks() throws {
        var chain = try fundedChain()
        let first = alice.transfer(5, to: bob.address, nonce: 0)
        try chain.execute([first])

        var forged = try SignedTransaction.decode(alice.transfer(5, to: bob.address, nonce: 1))
        forged = SignedTransaction(
            transaction: forged.transaction, signature: try Ed25519.Signature([UInt8](repeating: 7, count: 64)))
        let cases: [([UInt8], TransactionRejection)] = [
            (forged.encoded, .invalidSignature),
            (
                alice.sign(nonce: 1, messages: [], chainId: "aether-other"),
                .wrongChainID(expected: testChainID, actual: "aether-other")
            ),
            (first, .nonceMismatch(expected: 1, actual: 0)),  // the replay of an included transaction
            (alice.transfer(5, to: bob.address, nonce: 2), .nonceMismatch(expected: 1, actual: 2)),
            (carol.transfer(5, to: bob.address, nonce: 0), .insufficientFeeBalance(balance: 0, maxFee: 10_000)),
            (
                alice.transfer(5, to: bob.address, nonce: 1, maxFee: 10),
                .feeBelowMinimum(required: 100 + 170, maxFee: 10)
            ),
            ([1, 2, 3], .malformed(.malformed(.truncated(offset: 2, needed: 31)))),
        ]
        for (transaction, rejection) in cases {
            #expect(throws: BlockExecutionError.invalidTransaction(index: 1, rejection)) {
                try chain.machine.execute(
                    [bob.transfer(1, to: alice.address, nonce: 0), transaction], context: chain.nextContext,
                    parentRoot: chain.root)
            }
        }
        // The same transaction twice in one block: the second is a replay.
        let again = alice.transfer(1, to: bob.address, nonce: 1)
        #expect(throws: BlockExecutionError.invalidTransaction(index: 1, .nonceMismatch(expected: 2, actual: 1))) {
            try chain.machine.execute([again, again], context: chain.nextContext, parentRoot: chain.root)
        }
        var wrongContext = chain.nextContext
        wrongContext.chainId = "aether-other"
        #expect(throws: BlockExecutionError.wrongChainID(expected: testChainID, actual: "aether-other")) {
            try chain.machine.execute([], context: wrongContext, parentRoot: chain.root)
        }
    }

    @Test("a proposal leaves out what fails its checks, and executing it gives the same result")
    func proposal() throws {
        let chain = try fundedChain()
        let candidates = [
            alice.transfer(5, to: bob.address, nonce: 0),
            alice.transfer(5, to: bob.address, nonce: 0, priorityFee: 1),  // replay of nonce 0
            carol.transfer(5, to: bob.address, nonce: 0),  // cannot pay
            alice.transfer(5, to: carol.address, nonce: 1),
            bob.transfer(5, to: carol.address, nonce: 0),
        ]
        let proposal = try chain.machine.propose(candidates, context: chain.nextContext, parentRoot: chain.root)
        #expect(proposal.skipped.map(\.index) == [1, 2])
        #expect(proposal.execution.transactions == [candidates[0], candidates[3], candidates[4]])
        let replay = try chain.machine.execute(
            proposal.execution.transactions, context: chain.nextContext, parentRoot: chain.root)
        #expect(replay.stateRoot == proposal.execution.stateRoot)
        #expect(replay.receiptRoot == proposal.execution.receiptRoot)
        #expect(replay.transactionRoot == ChainStateMachine.transactionRoot(proposal.execution.transactions))
        #expect(
            replay.transactionRoot == MerkleTree.root(proposal.execution.transactions.map { Hashing.sha256($0).bytes }))
        #expect(replay.receiptRoot == MerkleTree.root(replay.receipts.map { Canonical.encode($0) }))
    }

    @Test("an empty block changes nothing and has the empty Merkle roots")
    func emptyBlock() throws {
        var chain = try fundedChain()
        let before = chain.root
        let execution = try chain.execute([])
        #expect(execution.stateRoot == before)
        #expect(execution.transactionRoot == Hashing.sha256([]))
        #expect(execution.receiptRoot == Hashing.sha256([]))
        #expect(execution.writeBatch.isEmpty)
    }

    @Test("a receipt survives a canonical round trip")
    func receiptEncoding() throws {
        var chain = try fundedChain()
        let receipts = try chain.execute([
            alice.transfer(5, to: bob.address, nonce: 0),
            alice.transfer(5_000, .swr, to: bob.address, nonce: 1),
        ]).receipts
        for receipt in receipts {
            #expect(try Canonical.decode(TransactionReceipt.self, from: Canonical.encode(receipt)) == receipt)
        }
    }

    // MARK: - Genesis and queries

    @Test("genesis rejects another chain, unknown or repeated modules, and bad module states")
    func genesisValidation() throws {
        let store = MemoryStore(columns: TestChain.columns)
        let machine = try ChainStateMachine.withBank(
            chainId: testChainID, tree: SparseMerkleTree(store: store), fees: testFees)
        var batch = WriteBatch()
        #expect(throws: GenesisError.wrongChainID(expected: testChainID, actual: "x")) {
            try machine.initGenesis(ChainGenesis(chainId: "x"), batch: &batch)
        }
        #expect(throws: GenesisError.unknownModule("staking")) {
            try machine.initGenesis(
                ChainGenesis(chainId: testChainID, modules: [ModuleGenesis(module: "staking", state: [])]),
                batch: &batch)
        }
        #expect(throws: GenesisError.duplicateModule("bank")) {
            let empty = Canonical.encode(Bank.Genesis())
            _ = try machine.initGenesis(
                ChainGenesis(
                    chainId: testChainID,
                    modules: [ModuleGenesis(module: "bank", state: empty), ModuleGenesis(module: "bank", state: empty)]),
                batch: &batch)
        }
        var duplicate = ChainGenesis(chainId: testChainID)
        duplicate.set(
            "bank",
            Bank.Genesis(balances: [
                Bank.Balance(address: alice.address, denomination: .aic, amount: 1),
                Bank.Balance(address: alice.address, denomination: .aic, amount: 2),
            ]))
        #expect(throws: GenesisError.self) { try machine.initGenesis(duplicate, batch: &batch) }
        var overflow = ChainGenesis(chainId: testChainID)
        overflow.set(
            "bank",
            Bank.Genesis(balances: [
                Bank.Balance(address: alice.address, denomination: .aic, amount: .max),
                Bank.Balance(address: bob.address, denomination: .aic, amount: 1),
            ]))
        #expect(throws: GenesisError.self) { try machine.initGenesis(overflow, batch: &batch) }
        #expect(
            try machine.initGenesis(ChainGenesis(chainId: testChainID), batch: &batch) == SparseMerkleTree.emptyRoot)
        #expect(throws: ChainConfigurationError.duplicateModule("accounts")) {
            try ChainStateMachine(
                chainId: testChainID, tree: SparseMerkleTree(store: store), modules: [Accounts(), Bank()], fees: .free,
                feeKeeper: Bank())
        }
        #expect(throws: ChainConfigurationError.feeKeeperNotRegistered("bank")) {
            try ChainStateMachine(
                chainId: testChainID, tree: SparseMerkleTree(store: store), modules: [], fees: .free, feeKeeper: Bank())
        }
    }

    @Test("query answers carry ICS-23 proofs that verify against the state root, and fail for other values")
    func queryProofs() throws {
        var chain = try fundedChain()
        try chain.execute([alice.transfer(5, to: bob.address, nonce: 0)])
        let machine = chain.machine
        let root = chain.root

        let balance = try machine.query(Bank.balanceQuery(bob.address, .aic), root: root)
        #expect(try Bank.decodeAmount(balance.value) == 1_000_005)
        let value = try #require(balance.value)
        let proof = try #require(balance.proof)
        try ICS23.verifyMembership(spec: .smt, root: root.bytes, proof: proof, key: balance.key, value: value)
        #expect(balance.key == Array("bank/".utf8) + Bank.Keeper.balanceKey(bob.address, .aic))
        #expect(throws: ICS23Error.self) {
            try ICS23.verifyMembership(spec: .smt, root: root.bytes, proof: proof, key: balance.key, value: value + [0])
        }
        #expect(throws: ICS23Error.self) {
            try ICS23.verifyMembership(
                spec: .smt, root: Hashing.sha256(root.bytes).bytes, proof: proof, key: balance.key, value: value)
        }

        // Carol has no balance: a non-existence proof.
        let absent = try machine.query(Bank.balanceQuery(carol.address, .swr), root: root)
        #expect(absent.value == nil)
        try ICS23.verifyNonMembership(spec: .smt, root: root.bytes, proof: try #require(absent.proof), key: absent.key)
        #expect(throws: ICS23Error.self) {
            try ICS23.verifyNonMembership(spec: .smt, root: root.bytes, proof: proof, key: balance.key)
        }

        let supply = try machine.query(Bank.supplyQuery(.swr), root: root)
        #expect(try Bank.decodeAmount(supply.value) == 500)
        try supply.verify()
        let nonce = try machine.query(Accounts.nonceQuery(alice.address), root: root)
        #expect(nonce.value == [1, 0, 0, 0, 0, 0, 0, 0])
        try nonce.verify()

        #expect(throws: QueryError.unknownModule("staking")) {
            try machine.query(ModuleQuery(module: "staking", path: "x", arguments: []), root: root)
        }
        #expect(throws: QueryError.unsupportedQuery(module: "bank", path: "owner")) {
            try machine.query(ModuleQuery(module: "bank", path: "owner", arguments: []), root: root)
        }
        #expect(throws: QueryError.self) {
            try machine.query(ModuleQuery(module: "bank", path: "balance", arguments: [1, 2]), root: root)
        }
        // The empty state has no ICS-23 proof: the zero root says everything is absent.
        let empty = try machine.query(Bank.supplyQuery(.aic), root: SparseMerkleTree.emptyRoot)
        #expect(empty.proof == nil && empty.value == nil)
        try empty.verify()
    }
}
