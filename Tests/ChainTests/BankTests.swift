import Chain
import Primitives
import Storage
import Testing

private let minter = TestAccount(10)
private let burner = TestAccount(11)
private let holder = TestAccount(12)
private let outsider = TestAccount(13)

private func bankChain(swrOf holderSWR: UInt64 = 1_000) throws -> TestChain {
    try TestChain(
        fees: .free,
        balances: [(minter, 1_000_000, 0), (burner, 1_000_000, 300), (holder, 1_000_000, holderSWR)],
        rights: [
            Bank.Authority(address: minter.address, denomination: .swr, rights: .mint),
            Bank.Authority(address: burner.address, denomination: .swr, rights: .burn),
            Bank.Authority(address: burner.address, denomination: .aic, rights: .all),
        ])
}

/// The bank failure code of the only receipt of a one-transaction block (nil on success).
private func failureCode(_ chain: inout TestChain, _ transaction: [UInt8]) throws -> UInt32? {
    let receipt = try #require(try chain.execute([transaction]).receipts.first)
    if let failure = receipt.failure { #expect(failure.codespace == Bank.moduleName) }
    return receipt.failure?.code
}

@Suite("Bank")
struct BankTests {
    @Test("transfers move funds; overdrafts fail with insufficient funds and change nothing")
    func transfers() throws {
        var chain = try bankChain()
        #expect(try failureCode(&chain, holder.transfer(400, .swr, to: outsider.address, nonce: 0)) == nil)
        #expect(try chain.balance(holder, .swr) == 600)
        #expect(try chain.balance(outsider, .swr) == 400)

        let overdraft = holder.transfer(601, .swr, to: outsider.address, nonce: 1)
        #expect(
            try failureCode(&chain, overdraft)
                == BankError.insufficientFunds(account: holder.address, denomination: .swr, balance: 600, needed: 601)
                .code)
        #expect(try chain.balance(holder, .swr) == 600)
        #expect(try chain.balance(outsider, .swr) == 400)

        // Sending to oneself is allowed and changes nothing; sending everything deletes the entry.
        #expect(try failureCode(&chain, holder.transfer(600, .swr, to: holder.address, nonce: 2)) == nil)
        #expect(try chain.balance(holder, .swr) == 600)
        #expect(try failureCode(&chain, holder.transfer(600, .swr, to: outsider.address, nonce: 3)) == nil)
        #expect(try chain.balance(holder, .swr) == 0)
        let reader = chain.machine.state(at: chain.root).module(Bank.moduleName)
        #expect(try reader.get(Bank.Keeper.balanceKey(holder.address, .swr)) == nil)
        #expect(try chain.supply(.swr) == 1_300)
        #expect(try chain.machine.checkInvariants(root: chain.root).isEmpty)
    }

    @Test("only accounts with the right may mint or burn, and the supply follows")
    func mintAndBurnRights() throws {
        var chain = try bankChain()
        let mint = { (account: TestAccount, nonce: UInt64, amount: UInt64) in
            account.sign(nonce: nonce, messages: [Message(Bank.Mint(to: outsider.address, amount, .swr))])
        }
        let burn = { (account: TestAccount, nonce: UInt64, amount: UInt64, denomination: Denomination) in
            account.sign(nonce: nonce, messages: [Message(Bank.Burn(amount, denomination))])
        }
        #expect(try failureCode(&chain, mint(minter, 0, 50)) == nil)
        #expect(try chain.balance(outsider, .swr) == 50)
        #expect(try chain.supply(.swr) == 1_350)

        let noMint = BankError.noMintRight(account: burner.address, denomination: .swr).code
        #expect(try failureCode(&chain, mint(burner, 0, 1)) == noMint)  // burner may burn SWR, not mint it
        #expect(try failureCode(&chain, mint(holder, 0, 1)) == noMint)

        #expect(try failureCode(&chain, burn(burner, 1, 100, .swr)) == nil)
        #expect(try chain.balance(burner, .swr) == 200)
        #expect(try chain.supply(.swr) == 1_250)
        let noBurn = BankError.noBurnRight(account: minter.address, denomination: .swr).code
        #expect(try failureCode(&chain, burn(minter, 1, 1, .swr)) == noBurn)
        #expect(
            try failureCode(&chain, burn(burner, 2, 201, .swr))
                == BankError.insufficientFunds(account: burner.address, denomination: .swr, balance: 200, needed: 201)
                .code)
        // Rights are per denomination: the burner's AIC rights include minting.
        #expect(
            try failureCode(&chain, burner.sign(nonce: 3, messages: [Message(Bank.Mint(to: holder.address, 5, .aic))]))
                == nil)
        #expect(try chain.balance(holder) == 1_000_005)
        #expect(try chain.machine.checkInvariants(root: chain.root).isEmpty)
    }

    @Test("amounts that would overflow are errors, never traps")
    func overflow() throws {
        // The SWR supply sits 5 below the maximum.
        var chain = try bankChain(swrOf: UInt64.max - 5 - 300)
        #expect(try chain.supply(.swr) == UInt64.max - 5)
        let tooMuch = minter.sign(nonce: 0, messages: [Message(Bank.Mint(to: holder.address, 6, .swr))])
        #expect(
            try failureCode(&chain, tooMuch) == BankError.supplyOverflow(denomination: .swr, supply: 0, amount: 0).code)
        #expect(try chain.supply(.swr) == UInt64.max - 5)
        let exact = minter.sign(nonce: 1, messages: [Message(Bank.Mint(to: holder.address, 5, .swr))])
        #expect(try failureCode(&chain, exact) == nil)
        #expect(try chain.supply(.swr) == UInt64.max)
        #expect(try chain.machine.checkInvariants(root: chain.root).isEmpty)

        // A credit that would overflow a balance (unreachable while the supply invariant holds, so
        // the state is forced here) is refused by the keeper.
        let cache = StateCache(tree: chain.machine.tree, root: chain.root)
        let store = cache.store(for: Bank.moduleName)
        try store.set(Bank.Keeper.balanceKey(outsider.address, .aic), [UInt8](repeating: 0xff, count: 8))
        #expect(
            throws: BankError.balanceOverflow(account: outsider.address, denomination: .aic, balance: .max, amount: 1)
        ) {
            try Bank.Keeper.send(1, of: .aic, from: holder.address, to: outsider.address, in: store)
        }
    }

    @Test("a mint up to the supply limit inside a transaction cannot overflow the fee settlement")
    func mintNextToTheFeeEscrow() throws {
        // The fee stays in escrow (part of the supply) while messages run, so a mint that would
        // leave no room for the refund fails cleanly instead of breaking the block.
        var chain = try TestChain(
            balances: [(burner, UInt64.max - 1_000, 0)],
            rights: [Bank.Authority(address: burner.address, denomination: .aic, rights: .mint)])
        let tooMuch = burner.sign(nonce: 0, messages: [Message(Bank.Mint(to: holder.address, 1_001, .aic))])
        let overflow = BankError.supplyOverflow(denomination: .aic, supply: 0, amount: 0).code
        #expect(try failureCode(&chain, tooMuch) == overflow)
        #expect(try chain.nonce(burner) == 1)
        let supply = try chain.supply(.aic)
        let exact = burner.sign(
            nonce: 1, messages: [Message(Bank.Mint(to: holder.address, UInt64.max - supply, .aic))])
        #expect(try failureCode(&chain, exact) == nil)
        #expect(try chain.supply(.aic) < UInt64.max)  // the fee of the mint was burned after it
        #expect(try chain.machine.checkInvariants(root: chain.root).isEmpty)
    }

    @Test("the fee escrow cannot receive transfers or mints")
    func escrowIsBlocked() throws {
        var chain = try bankChain()
        let blocked = BankError.blockedRecipient(Bank.feeEscrow).code
        #expect(try failureCode(&chain, holder.transfer(1, to: Bank.feeEscrow, nonce: 0)) == blocked)
        let mint = minter.sign(nonce: 0, messages: [Message(Bank.Mint(to: Bank.feeEscrow, 1, .swr))])
        #expect(try failureCode(&chain, mint) == blocked)
        #expect(try chain.machine.checkInvariants(root: chain.root).isEmpty)
    }

    @Test("a broken supply is reported by the invariant check")
    func invariantCatchesBrokenSupply() throws {
        let chain = try bankChain()
        let cache = StateCache(tree: chain.machine.tree, root: chain.root)
        try cache.store(for: Bank.moduleName).set(
            Bank.Keeper.balanceKey(outsider.address, .swr), [1, 0, 0, 0, 0, 0, 0, 0])
        var batch = WriteBatch()
        let broken = try cache.commit(into: &batch)
        try chain.store.write(batch, sync: false)
        let violations = try chain.machine.checkInvariants(root: broken)
        #expect(violations.map(\.invariant) == ["supply"])
        #expect(violations.first?.message == "swr balances sum to 1301 but the supply is 1300")
    }

    @Test("the genesis rejects repeated, empty and malformed entries")
    func genesisValidation() throws {
        let bank = Bank()
        let cache = StateCache(tree: SparseMerkleTree(store: MemoryStore(columns: TestChain.columns)), root: .zero)
        let store = cache.store(for: Bank.moduleName)
        let zero = Bank.Genesis(balances: [Bank.Balance(address: holder.address, denomination: .aic, amount: 0)])
        #expect(throws: BankError.emptyGenesisEntry(account: holder.address, denomination: .aic)) {
            try bank.initGenesis(Canonical.encode(zero), store: store)
        }
        let repeated = Bank.Genesis(rights: [
            Bank.Authority(address: holder.address, denomination: .aic, rights: .mint),
            Bank.Authority(address: holder.address, denomination: .aic, rights: .burn),
        ])
        #expect(throws: BankError.duplicateGenesisEntry(account: holder.address, denomination: .aic)) {
            try bank.initGenesis(Canonical.encode(repeated), store: store)
        }
        var badRights = Canonical.encode(
            Bank.Genesis(rights: [Bank.Authority(address: holder.address, denomination: .aic, rights: .mint)]))
        badRights[badRights.count - 1] = 4
        #expect(throws: CodecError.self) { try bank.initGenesis(badRights, store: store) }
    }
}
