import Chain
import Primitives
import Storage
import Testing

private let senders = (1...8).map { TestAccount(UInt8($0)) }
private let sink = TestAccount(99).address

/// The admission rules of a bank chain with the test fees.
private let rules: AdmissionRules = {
    let store = MemoryStore(columns: TestChain.columns)
    // A valid chain id and the bank module always make a state machine.
    return try! ChainStateMachine.withBank(chainId: testChainID, tree: SparseMerkleTree(store: store), fees: testFees)
        .admissionRules
}()

/// Every sender at nonce 0 with 1,000,000 AIC.
private let richAccounts = DictionaryAccounts(
    states: Dictionary(
        uniqueKeysWithValues: senders.map { ($0.address, AccountState(nonce: 0, feeBalance: 1_000_000)) }))

private func transfer(_ sender: Int, nonce: UInt64, tip: UInt64 = 0, maxFee: UInt64 = 10_000, amount: UInt64 = 1)
    -> [UInt8]
{
    senders[sender].transfer(amount, to: sink, nonce: nonce, maxFee: maxFee, priorityFee: tip)
}

private func ids(_ pending: [PendingTransaction]) -> [TransactionID] { pending.map(\.id) }
private func id(_ encoded: [UInt8]) -> TransactionID { TransactionID(encoded: encoded) }

@Suite("Mempool")
struct MempoolTests {
    @Test("reap orders by priority fee, ties by arrival, and never puts a sender's nonce n+1 before n")
    func ordering() throws {
        var pool = Mempool(rules: rules)
        let low = transfer(0, nonce: 0, tip: 5)
        let high = transfer(1, nonce: 0, tip: 50)
        let middle = transfer(2, nonce: 0, tip: 20)
        let tie = transfer(3, nonce: 0, tip: 20)
        // Sender 4: a cheap nonce 0 in front of an expensive nonce 1.
        let cheapFirst = transfer(4, nonce: 0, tip: 1)
        let richSecond = transfer(4, nonce: 1, tip: 100)
        for encoded in [low, high, middle, tie, richSecond, cheapFirst] {
            try pool.add(encoded, from: .local, accounts: richAccounts)
        }
        #expect(pool.count == 6)
        #expect(
            ids(pool.reap(maxBytes: .max, maxCount: .max))
                == [high, middle, tie, low, cheapFirst, richSecond].map(id))
        #expect(ids(pool.reap(maxBytes: .max, maxCount: 2)) == [high, middle].map(id))
        // Byte limit: room for two transactions of this size.
        #expect(ids(pool.reap(maxBytes: 2 * high.count + 1, maxCount: .max)) == [high, middle].map(id))
    }

    @Test("transactions verified off the mempool's thread get the same rules and keep their order")
    func verifiedAdmission() async throws {
        let good = (0..<40).map { transfer($0 % senders.count, nonce: UInt64($0 / senders.count), tip: 3) }
        var forged = try SignedTransaction.decode(transfer(0, nonce: 9, tip: 4))
        forged = SignedTransaction(
            transaction: forged.transaction, signature: try SignedTransaction.decode(good[0]).signature)
        let input = good[..<20] + [forged.encoded, [0xFF, 0x01]] + good[20...]
        let results = await VerifiedTransaction.verify(Array(input), lanes: 3)
        #expect(results.count == input.count)
        #expect(throws: MempoolRejection.invalidSignature) { try results[20].get() }
        #expect {
            try results[21].get()
        } throws: { error in
            if case .malformed = error as? MempoolRejection { return true }
            return false
        }
        var pool = Mempool(rules: rules)
        var plain = Mempool(rules: rules)
        for (result, encoded) in zip(results, input) {
            guard let verified = try? result.get() else { continue }
            #expect(verified.encoded == encoded && verified.id == id(encoded))
            try pool.add(verified, from: .local, accounts: richAccounts)
            try plain.add(encoded, from: .local, accounts: richAccounts)
        }
        #expect(pool.count == good.count)
        #expect(ids(pool.reap(maxBytes: .max, maxCount: .max)) == ids(plain.reap(maxBytes: .max, maxCount: .max)))
        // The stateful rules still apply: a replay and a duplicate are refused.
        let replay = try VerifiedTransaction(transfer(0, nonce: 0, tip: 3))
        #expect(throws: MempoolRejection.alreadyKnown(replay.id)) {
            try pool.add(replay, from: .local, accounts: richAccounts)
        }
        var advanced = richAccounts
        advanced.states[senders[1].address] = AccountState(nonce: 3, feeBalance: 1_000_000)
        let stale = try VerifiedTransaction(transfer(1, nonce: 2, tip: 9))
        var fresh = Mempool(rules: rules)
        #expect(throws: MempoolRejection.nonceTooLow(accountNonce: 3, nonce: 2)) {
            try fresh.add(stale, from: .local, accounts: advanced)
        }
    }

    @Test("reap leaves out what the uncommitted ancestors carry and resumes each sender after it")
    func reapExcludingAncestors() throws {
        var pool = Mempool(rules: rules)
        let first = (0..<3).map { transfer(0, nonce: $0, tip: 9) }
        let other = transfer(1, nonce: 0, tip: 5)
        for encoded in first + [other] { try pool.add(encoded, from: .local, accounts: richAccounts) }
        // The parent carries sender 0's nonces 0 and 1: the next block starts at its nonce 2.
        let included: Set = [id(first[0]), id(first[1])]
        #expect(ids(pool.reap(maxBytes: .max, maxCount: .max, included: included)) == [first[2], other].map(id))
        // The quota counts only what the block takes.
        #expect(ids(pool.reap(maxBytes: .max, maxCount: 1, included: included)) == [id(first[2])])
        // Everything included: nothing left; the pool itself is unchanged (the commit prunes it).
        #expect(pool.reap(maxBytes: .max, maxCount: .max, included: Set((first + [other]).map(id))).isEmpty)
        #expect(pool.count == 4)
        // An id the pool does not hold changes nothing.
        #expect(
            ids(pool.reap(maxBytes: .max, maxCount: .max, included: [id(transfer(5, nonce: 0))]))
                == ids(pool.reap(maxBytes: .max, maxCount: .max)))
    }

    @Test("under the cofactored rule each lane checks its transactions as one batch, and the verdicts are the same")
    func batchVerification() async throws {
        let good = (0..<60).map { transfer($0 % senders.count, nonce: UInt64($0 / senders.count), tip: 2) }
        var input = good
        // Forged: a signature from another transaction; malformed bytes; a known-valid id is not checked again.
        let donor = try SignedTransaction.decode(good[1])
        let victim = try SignedTransaction.decode(good[7])
        input[7] = SignedTransaction(transaction: victim.transaction, signature: donor.signature).encoded
        input[30] = [0xFF, 0x02]
        for lanes in [1, 2, 3] {
            let batched = await VerifiedTransaction.verify(input, lanes: lanes, rule: .cofactored)
            let single = await VerifiedTransaction.verify(input, lanes: lanes)
            #expect(batched.count == input.count)
            for index in input.indices {
                #expect((try? batched[index].get().id) == (try? single[index].get().id), "transaction \(index)")
            }
            #expect(throws: MempoolRejection.invalidSignature) { try batched[7].get() }
            #expect((try? batched[30].get()) == nil)
        }
        // An id reported as verified elsewhere is trusted, as in the single path.
        let trusted = await VerifiedTransaction.verify(
            [input[7]], lanes: 1, isKnownValid: { _ in true }, rule: .cofactored)
        #expect((try? trusted[0].get()) != nil)
    }

    @Test("a nonce gap holds back a sender's later transactions until it is filled")
    func nonceGap() throws {
        var pool = Mempool(rules: rules)
        try pool.add(transfer(0, nonce: 0), from: .local, accounts: richAccounts)
        try pool.add(transfer(0, nonce: 2, tip: 9), from: .local, accounts: richAccounts)
        #expect(ids(pool.reap(maxBytes: .max, maxCount: .max)) == [id(transfer(0, nonce: 0))])
        try pool.add(transfer(0, nonce: 1), from: .local, accounts: richAccounts)
        #expect(
            ids(pool.reap(maxBytes: .max, maxCount: .max))
                == [transfer(0, nonce: 0), transfer(0, nonce: 1), transfer(0, nonce: 2, tip: 9)].map(id))

        // Nothing runs when the account's next nonce is missing.
        var gapped = Mempool(rules: rules)
        try gapped.add(transfer(1, nonce: 3), from: .local, accounts: richAccounts)
        #expect(gapped.reap(maxBytes: .max, maxCount: .max).isEmpty)
        #expect(throws: MempoolRejection.nonceTooFarAhead(accountNonce: 0, nonce: 64, maxAhead: 64)) {
            try gapped.add(transfer(1, nonce: 64), from: .local, accounts: richAccounts)
        }
    }

    @Test("admission refuses bad signatures, other chains, replays, low fees, unpayable fees and invalid messages")
    func rejections() throws {
        var pool = Mempool(configuration: MempoolConfiguration(minimumPriorityFee: 2), rules: rules)
        var accounts = richAccounts
        accounts.states[senders[0].address] = AccountState(nonce: 5, feeBalance: 25_000)
        accounts.states[senders[1].address] = AccountState(nonce: 0, feeBalance: 9_999)

        let good = transfer(0, nonce: 5, tip: 2)
        var forged = try SignedTransaction.decode(transfer(0, nonce: 5, tip: 3))
        forged = SignedTransaction(
            transaction: forged.transaction, signature: try SignedTransaction.decode(good).signature)
        let cases: [([UInt8], MempoolRejection)] = [
            (forged.encoded, .invalidSignature),
            (
                senders[0].sign(nonce: 5, messages: [], priorityFee: 2, chainId: "aether-other"),
                .wrongChainID(expected: testChainID, actual: "aether-other")
            ),
            (transfer(0, nonce: 4, tip: 2), .nonceTooLow(accountNonce: 5, nonce: 4)),
            (transfer(0, nonce: 5, tip: 1), .priorityFeeBelowMinimum(minimum: 2, offered: 1)),
            (transfer(0, nonce: 5, tip: 2, maxFee: 100), .feeBelowMinimum(required: 100 + 170 + 2, maxFee: 100)),
            (transfer(1, nonce: 0, tip: 2), .insufficientFeeBalance(balance: 9_999, required: 10_000)),
            (
                senders[0].sign(nonce: 5, messages: [Message(module: "staking", kind: 1, body: [])], priorityFee: 2),
                .invalidMessage(
                    TransactionFailure(
                        codespace: "chain", code: 2, messageIndex: 0,
                        message: "no module handles messages of route staking/1"))
            ),
            (
                senders[0].sign(nonce: 5, messages: [Message(Bank.Transfer(to: sink, 0, .aic))], priorityFee: 2),
                .invalidMessage(
                    TransactionFailure(
                        codespace: "bank", code: 1, messageIndex: 0, message: "the amount must be positive"))
            ),
            (Array(good.dropLast()), .malformed(.malformed(.truncated(offset: 106, needed: 1)))),
        ]
        for (encoded, rejection) in cases {
            #expect(throws: rejection) { try pool.add(encoded, from: .local, accounts: accounts) }
        }
        #expect(pool.count == 0)

        try pool.add(good, from: .local, accounts: accounts)
        #expect(throws: MempoolRejection.alreadyKnown(id(good))) {
            try pool.add(good, from: .local, accounts: accounts)
        }
        try pool.add(transfer(0, nonce: 6, tip: 2), from: .local, accounts: accounts)
        // The balance covers two max fees of 10,000 but not a third.
        #expect(throws: MempoolRejection.insufficientFeeBalance(balance: 25_000, required: 30_000)) {
            try pool.add(transfer(0, nonce: 7, tip: 2), from: .local, accounts: accounts)
        }
    }

    @Test("a replacement needs a 10% higher priority fee (at least +1) and no lower max fee")
    func replaceByFee() throws {
        var pool = Mempool(rules: rules)
        let original = transfer(0, nonce: 0, tip: 100, maxFee: 10_000)
        try pool.add(original, from: .local, accounts: richAccounts)
        #expect(
            throws: MempoolRejection.replacementUnderpriced(
                existing: id(original), minimumPriorityFee: 110, minimumMaxFee: 10_000)
        ) {
            try pool.add(transfer(0, nonce: 0, tip: 109, maxFee: 10_000), from: .local, accounts: richAccounts)
        }
        #expect(throws: MempoolRejection.self) {
            try pool.add(transfer(0, nonce: 0, tip: 200, maxFee: 9_999), from: .local, accounts: richAccounts)
        }
        let replacement = transfer(0, nonce: 0, tip: 110, maxFee: 10_000)
        let admission = try pool.add(replacement, from: .local, accounts: richAccounts)
        #expect(admission.replaced == id(original))
        #expect(!pool.contains(id(original)) && pool.contains(id(replacement)) && pool.count == 1)

        // From a zero priority fee the bump is one base unit; 10% rounds up (11 → 13).
        let free = transfer(1, nonce: 0, tip: 0)
        try pool.add(free, from: .local, accounts: richAccounts)
        #expect(throws: MempoolRejection.self) {
            try pool.add(transfer(1, nonce: 0, tip: 0, amount: 2), from: .local, accounts: richAccounts)
        }
        try pool.add(transfer(1, nonce: 0, tip: 1), from: .local, accounts: richAccounts)
        try pool.add(transfer(1, nonce: 0, tip: 11), from: .local, accounts: richAccounts)
        #expect(throws: MempoolRejection.self) {
            try pool.add(transfer(1, nonce: 0, tip: 12), from: .local, accounts: richAccounts)
        }
        try pool.add(transfer(1, nonce: 0, tip: 13), from: .local, accounts: richAccounts)
        #expect(pool.pending(from: senders[1].address).map(\.priorityFee) == [13])
    }

    @Test("when full, the lowest-ranked last-nonce transaction is evicted, or the newcomer refused")
    func capsAndEviction() throws {
        var pool = Mempool(configuration: MempoolConfiguration(maxTransactions: 4), rules: rules)
        let a0 = transfer(0, nonce: 0, tip: 9)
        let a1 = transfer(0, nonce: 1, tip: 1)  // the cheapest, and sender 0's last nonce
        let b0 = transfer(1, nonce: 0, tip: 3)
        let c0 = transfer(2, nonce: 0, tip: 5)
        for encoded in [a0, a1, b0, c0] { try pool.add(encoded, from: .local, accounts: richAccounts) }

        let d0 = transfer(3, nonce: 0, tip: 4)
        #expect(try pool.add(d0, from: .local, accounts: richAccounts).evicted == [id(a1)])
        #expect(try pool.add(transfer(4, nonce: 0, tip: 6), from: .local, accounts: richAccounts).evicted == [id(b0)])
        // Not above the lowest (4): refused, nothing evicted.
        #expect(throws: MempoolRejection.mempoolFull) {
            try pool.add(transfer(5, nonce: 0, tip: 4), from: .local, accounts: richAccounts)
        }
        #expect(pool.count == 4)
        #expect(
            Set(ids(pool.reap(maxBytes: .max, maxCount: .max)))
                == Set([a0, c0, d0, transfer(4, nonce: 0, tip: 6)].map(id)))

        // The byte cap works the same way: room for two transactions.
        var small = Mempool(configuration: MempoolConfiguration(maxBytes: 2 * a0.count), rules: rules)
        try small.add(transfer(0, nonce: 0, tip: 1), from: .local, accounts: richAccounts)
        try small.add(transfer(1, nonce: 0, tip: 2), from: .local, accounts: richAccounts)
        let evicting = try small.add(transfer(2, nonce: 0, tip: 3), from: .local, accounts: richAccounts)
        #expect(evicting.evicted == [id(transfer(0, nonce: 0, tip: 1))])
        #expect(small.totalBytes == 2 * a0.count)
    }

    @Test("each source is limited in pending transactions")
    func sourceQuota() throws {
        var pool = Mempool(configuration: MempoolConfiguration(maxTransactionsPerSource: 2), rules: rules)
        let peer = MempoolSource("peer-1")
        try pool.add(transfer(0, nonce: 0), from: peer, accounts: richAccounts)
        try pool.add(transfer(1, nonce: 0), from: peer, accounts: richAccounts)
        #expect(throws: MempoolRejection.sourceQuotaExceeded(source: peer, limit: 2)) {
            try pool.add(transfer(2, nonce: 0), from: peer, accounts: richAccounts)
        }
        try pool.add(transfer(2, nonce: 0), from: MempoolSource("peer-2"), accounts: richAccounts)
        // A replacement from the same source takes the old one's place in the quota.
        try pool.add(transfer(0, nonce: 0, tip: 1), from: peer, accounts: richAccounts)
        #expect(pool.count(from: peer) == 2)
        pool.remove(id(transfer(1, nonce: 0)))
        #expect(pool.count(from: peer) == 1)
        try pool.add(transfer(3, nonce: 0), from: peer, accounts: richAccounts)
    }

    @Test("after a committed block, included and stale transactions leave and the rest is reaped next")
    func reapAfterUpdate() throws {
        var chain = try TestChain(balances: senders.prefix(3).map { ($0, 100_000, 0) })
        var pool = Mempool(rules: chain.machine.admissionRules)
        var accounts = chain.accounts
        for nonce in 0..<3 as Range<UInt64> {
            try pool.add(transfer(0, nonce: nonce, tip: 10), from: .local, accounts: accounts)
        }
        try pool.add(transfer(1, nonce: 0, tip: 5), from: .local, accounts: accounts)
        let conflicting = transfer(2, nonce: 0, tip: 1)
        try pool.add(conflicting, from: .local, accounts: accounts)
        #expect(pool.count == 5)

        // The first block takes three transactions; another node's transaction uses sender 2's nonce 0.
        let reaped = pool.reap(maxBytes: .max, maxCount: 3).map(\.encoded)
        #expect(
            reaped == [transfer(0, nonce: 0, tip: 10), transfer(0, nonce: 1, tip: 10), transfer(0, nonce: 2, tip: 10)])
        let otherNode = transfer(2, nonce: 0, tip: 1, amount: 7)
        let execution = try chain.execute(reaped + [otherNode])
        #expect(execution.receipts.allSatisfy { $0.succeeded })
        accounts = chain.accounts
        let update = try pool.update(committed: execution.transactions, accounts: accounts)
        #expect(Set(update.committed) == Set(reaped.map(id)))
        #expect(update.stale == [id(conflicting)])
        #expect(ids(pool.reap(maxBytes: .max, maxCount: .max)) == [id(transfer(1, nonce: 0, tip: 5))])

        // A replay of an included transaction is refused now.
        #expect(throws: MempoolRejection.nonceTooLow(accountNonce: 3, nonce: 0)) {
            try pool.add(reaped[0], from: .local, accounts: accounts)
        }
        let second = try chain.execute(pool.reap(maxBytes: .max, maxCount: .max).map(\.encoded))
        try pool.update(committed: second.transactions, accounts: chain.accounts)
        #expect(pool.count == 0 && pool.totalBytes == 0)
    }

    @Test("a sender whose balance no longer covers its pending max fees loses them after the block")
    func staleByBalance() throws {
        var chain = try TestChain(balances: [(senders[0], 30_000, 0), (senders[1], 30_000, 0)])
        var pool = Mempool(rules: chain.machine.admissionRules)
        try pool.add(transfer(0, nonce: 0), from: .local, accounts: chain.accounts)
        try pool.add(transfer(0, nonce: 1), from: .local, accounts: chain.accounts)
        // Elsewhere, sender 0 sends most of its AIC away: what is left is below one max fee.
        let drain = transfer(0, nonce: 0, tip: 1, amount: 20_000)
        let execution = try chain.execute([drain])
        #expect(execution.receipts.first?.succeeded == true)
        #expect(try chain.balance(senders[0]) < 10_000)
        let update = try pool.update(committed: execution.transactions, accounts: chain.accounts)
        #expect(update.committed.isEmpty)
        #expect(update.stale.count == 2)
        #expect(pool.count == 0)
    }
}
