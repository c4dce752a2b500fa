import Chain
import ChainConfiguration
import Consensus
import Primitives
import Staking
import Testing

let validatorA = TestValidator(operatorAccount: TestAccount(1), consensusIndex: 101, stake: 100_000)
let validatorB = TestValidator(operatorAccount: TestAccount(2), consensusIndex: 103, stake: 200_000)
let validatorC = TestValidator(operatorAccount: TestAccount(3), consensusIndex: 105, stake: 400_000)
let delegatorD = TestAccount(10)
let delegatorE = TestAccount(11)
let newcomer = TestValidator(operatorAccount: TestAccount(20), consensusIndex: 121, stake: 50_000)
let squatter = TestAccount(21)

/// Three validators (100k, 200k, 400k) and funded delegators and newcomers.
func threeValidatorChain(_ parameters: Staking.Parameters = testParameters()) throws -> StakingChain {
    try StakingChain(
        parameters: parameters, validators: [validatorA, validatorB, validatorC],
        swr: [
            (delegatorD, 1_000_000), (delegatorE, 1_000_000), (newcomer.operatorAccount, 500_000), (squatter, 100_000),
            (validatorA.operatorAccount, 100_000),
        ])
}

@Suite("Staking messages")
struct MessageTests {
    @Test("create validator bonds the self-bond into the pool; each rejection says why")
    func createValidator() throws {
        var chain = try threeValidatorChain()
        let poolBefore = try chain.balance(Staking.pool)
        #expect(try chain.failure(newcomer.operatorAccount, createMessage(newcomer, commission: ratio(1, 10))) == nil)
        let record = try #require(try chain.validator(newcomer.address))
        #expect(record.tokens == 50_000 && record.shares == 50_000)
        #expect(record.commission == ratio(1, 10))
        #expect(record.publicKey == newcomer.consensusKey.publicKey)
        #expect(try chain.balance(newcomer.address) == 450_000)
        #expect(try chain.balance(Staking.pool) == poolBefore + 50_000)
        #expect(try chain.delegation(newcomer.address, newcomer.address)?.shares == 50_000)
        #expect(try Staking.validatorList(in: chain.reader).contains(newcomer.address))

        let existing = try chain.failure(newcomer.operatorAccount, createMessage(newcomer))
        #expect(existing?.isStaking(.validatorExists(newcomer.address)) == true, "\(String(describing: existing))")
        #expect(existing?.message == "account \(newcomer.address) already operates a validator")

        // The squatter holds A's consensus key here only to show that the key, not the signer, is checked.
        let stolenKey = TestValidator(
            operatorAccount: squatter, consensusIndex: validatorA.consensusIndex, stake: 5_000)
        #expect(
            try chain.failure(squatter, createMessage(stolenKey))?.isStaking(
                .keyInUse(validatorA.consensusKey.publicKey)) == true)

        let fresh = TestValidator(operatorAccount: squatter, consensusIndex: 131, stake: 5_000)
        #expect(
            try chain.failure(squatter, createMessage(fresh, commission: ratio(3, 5)))?.isStaking(
                .commissionOutOfBounds(commission: .one, minimum: .zero, maximum: .one)) == true)
        #expect(
            try chain.failure(squatter, createMessage(fresh, selfBond: 999))?.isStaking(
                .selfBondTooSmall(amount: 999, minimum: 1_000)) == true)
        #expect(
            try chain.failure(squatter, createMessage(fresh, selfBond: 10_000_000))?.isStaking(.bank("")) == true)

        // A proof made for another operator does not register the key for the squatter.
        let replayed = Staking.CreateValidator(
            name: "copy", signingKey: fresh.consensusKey, vrfPublicKey: fresh.vrfKey.publicKey, commission: .zero,
            selfBond: 5_000, chainId: testChainID, operatorAddress: delegatorD.address)
        #expect(try chain.failure(squatter, Message(replayed))?.isStaking(.invalidPossessionProof) == true)

        let unnamed = Staking.CreateValidator(
            name: "", signingKey: fresh.consensusKey, vrfPublicKey: fresh.vrfKey.publicKey, commission: .zero,
            selfBond: 5_000, chainId: testChainID, operatorAddress: squatter.address)
        #expect(try chain.failure(squatter, Message(unnamed))?.isStaking(.invalidName) == true)
        #expect(try chain.validator(squatter.address) == nil)
    }

    @Test("delegate buys shares at the current price; undelegate pays out only when the delay has passed")
    func delegateAndUndelegate() throws {
        var chain = try threeValidatorChain()
        #expect(try chain.failure(delegatorD, Message(Staking.Delegate(to: validatorA.address, 50_000))) == nil)
        #expect(try chain.delegation(delegatorD.address, validatorA.address)?.shares == 50_000)
        #expect(try chain.validator(validatorA.address)?.tokens == 150_000)
        #expect(try chain.balance(delegatorD.address) == 950_000)

        let epoch = try chain.progress.epoch
        #expect(try chain.failure(delegatorD, Message(Staking.Undelegate(from: validatorA.address, 20_000))) == nil)
        #expect(try chain.validator(validatorA.address)?.tokens == 130_000)
        let entries = try Staking.unbondingEntries(of: validatorA.address, in: chain.reader)
        #expect(
            entries == [
                Staking.UnbondingEntry(
                    delegator: delegatorD.address, amount: 20_000, creationEpoch: epoch, maturityEpoch: epoch + 2)
            ])
        // Still in the pool until epoch + 2 closes.
        try chain.advance(toEpoch: epoch + 2)
        try chain.block()
        #expect(try chain.balance(delegatorD.address) == 950_000)
        try chain.finishEpoch()
        #expect(try chain.balance(delegatorD.address) == 970_000)
        #expect(try Staking.unbondingEntries(of: validatorA.address, in: chain.reader).isEmpty)

        let tooMuch = try chain.failure(delegatorD, Message(Staking.Undelegate(from: validatorA.address, 30_001)))
        #expect(tooMuch?.isStaking(.insufficientDelegation(available: 30_000, requested: 30_001)) == true)
        #expect(tooMuch?.message == "the delegation's unlocked value is 30000, less than 30001")
        #expect(
            try chain.failure(delegatorE, Message(Staking.Undelegate(from: validatorA.address, 1)))?.isStaking(
                .insufficientDelegation(available: 0, requested: 1)) == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.Delegate(to: delegatorE.address, 1)))?.isStaking(
                .unknownValidator(delegatorE.address)) == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.Delegate(to: validatorA.address, 0)))?.isStaking(.zeroAmount)
                == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.Delegate(to: validatorA.address, 5_000_000)))?.isStaking(
                .bank("")) == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.Bond(10)))?.isStaking(.unknownValidator(delegatorD.address))
                == true)
    }

    @Test("unbonding entries are capped per delegator and validator; one epoch's unbonds merge")
    func entryLimit() throws {
        var parameters = testParameters(unbondingDelay: 3)
        parameters.maxEntries = 1
        var chain = try threeValidatorChain(parameters)
        try chain.send(delegatorD, Message(Staking.Delegate(to: validatorB.address, 10_000)))
        #expect(try chain.failure(delegatorD, Message(Staking.Undelegate(from: validatorB.address, 1_000))) == nil)
        #expect(try chain.failure(delegatorD, Message(Staking.Undelegate(from: validatorB.address, 1_000))) == nil)
        #expect(try Staking.unbondingEntries(of: validatorB.address, in: chain.reader).map(\.amount) == [2_000])
        try chain.advance(toEpoch: try chain.progress.epoch + 1)
        #expect(
            try chain.failure(delegatorD, Message(Staking.Undelegate(from: validatorB.address, 1_000)))?.isStaking(
                .tooManyEntries(maximum: 1)) == true)
    }

    @Test("bond and unbond move the operator's self-bond; below the minimum the validator is jailed")
    func selfBond() throws {
        var chain = try threeValidatorChain()
        let operatorA = validatorA.operatorAccount
        #expect(try chain.failure(operatorA, Message(Staking.Bond(5_000))) == nil)
        #expect(try chain.validator(validatorA.address)?.tokens == 105_000)
        #expect(try chain.failure(operatorA, Message(Staking.Unbond(104_500))) == nil)
        let jailed = try #require(try chain.validator(validatorA.address))
        #expect(jailed.jailed && !jailed.tombstoned)
        #expect(
            try chain.failure(operatorA, Message(Staking.Unjail()))?.isStaking(
                .selfBondBelowMinimum(selfBond: 500, minimum: 1_000)) == true)
        try chain.send(operatorA, Message(Staking.Bond(500)))
        #expect(try chain.failure(operatorA, Message(Staking.Unjail())) == nil)
        #expect(try chain.validator(validatorA.address)?.jailed == false)
        #expect(
            try chain.failure(operatorA, Message(Staking.Unjail()))?.isStaking(.notJailed(validatorA.address)) == true)
    }

    @Test("redelegation moves stake at once, locks it at the destination, and forbids hopping on")
    func redelegate() throws {
        var chain = try threeValidatorChain()
        try chain.send(delegatorD, Message(Staking.Delegate(to: validatorA.address, 60_000)))
        let epoch = try chain.progress.epoch
        let pool = try chain.balance(Staking.pool)
        #expect(
            try chain.failure(
                delegatorD, Message(Staking.Redelegate(from: validatorA.address, to: validatorB.address, 30_000)))
                == nil)
        #expect(try chain.balance(Staking.pool) == pool)
        #expect(try chain.validator(validatorA.address)?.tokens == 130_000)
        #expect(try chain.validator(validatorB.address)?.tokens == 230_000)
        let moved = try #require(try chain.delegation(delegatorD.address, validatorB.address))
        #expect(moved.shares == 30_000 && moved.availableShares == 0)
        #expect(
            moved.incoming == [
                Staking.IncomingRedelegation(
                    source: validatorA.address, shares: 30_000, creationEpoch: epoch, maturityEpoch: epoch + 2)
            ])

        // No hopping on, and no unbonding of the locked stake, until the redelegation matures.
        #expect(
            try chain.failure(
                delegatorD, Message(Staking.Redelegate(from: validatorB.address, to: validatorC.address, 10_000)))?
                .isStaking(.insufficientDelegation(available: 0, requested: 10_000)) == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.Undelegate(from: validatorB.address, 1)))?.isStaking(
                .insufficientDelegation(available: 0, requested: 1)) == true)
        #expect(
            try chain.failure(
                delegatorD, Message(Staking.Redelegate(from: validatorA.address, to: validatorA.address, 1)))?
                .isStaking(.sameValidator) == true)
        // New stake delegated directly is not locked.
        try chain.send(delegatorD, Message(Staking.Delegate(to: validatorB.address, 1_000)))
        #expect(try chain.failure(delegatorD, Message(Staking.Undelegate(from: validatorB.address, 1_000))) == nil)

        try chain.advance(toEpoch: epoch + 2)
        try chain.finishEpoch()
        let unlocked = try #require(try chain.delegation(delegatorD.address, validatorB.address))
        #expect(unlocked.incoming.isEmpty && unlocked.availableShares == 30_000)
        #expect(try Staking.redelegations(from: validatorA.address, in: chain.reader).isEmpty)
        #expect(
            try chain.failure(
                delegatorD, Message(Staking.Redelegate(from: validatorB.address, to: validatorC.address, 30_000)))
                == nil)
        #expect(try chain.delegation(delegatorD.address, validatorB.address) == nil)
    }

    @Test("domains: join, leave, the recorded set and stake, and each rejection")
    func domains() throws {
        var chain = try threeValidatorChain()
        let operatorB = validatorB.operatorAccount
        #expect(try chain.failure(operatorB, Message(Staking.JoinDomain("app-1"))) == nil)
        #expect(try chain.failure(validatorC.operatorAccount, Message(Staking.JoinDomain("app-1"))) == nil)
        #expect(
            try chain.failure(operatorB, Message(Staking.JoinDomain("app-1")))?.isStaking(
                .alreadyDomainMember(validator: validatorB.address, domain: "app-1")) == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.JoinDomain("app-1")))?.isStaking(
                .unknownValidator(delegatorD.address)) == true)
        #expect(
            try chain.failure(operatorB, Message(Staking.JoinDomain("bad id!")))?.isStaking(.invalidDomain("")) == true)
        #expect(
            try chain.failure(operatorB, Message(Staking.JoinDomain(testChainID)))?.isStaking(.invalidDomain(""))
                == true)
        #expect(try Staking.domainList(in: chain.reader) == ["app-1"])
        #expect(
            try Staking.domainMembers("app-1", in: chain.reader).map(\.operatorAddress).sorted()
                == [validatorB.address, validatorC.address].sorted())

        let epoch = try chain.progress.epoch
        try chain.finishEpoch()
        let set = try #require(try Staking.domainValidatorSet("app-1", epoch: epoch + 2, in: chain.reader))
        #expect(set.totalStake == 600_000)
        #expect(
            Set(set.validators.map(\.publicKey)) == [
                validatorB.consensusKey.publicKey, validatorC.consensusKey.publicKey,
            ])
        // The set is provable with the chain's query.
        let proven = try chain.machine.query(Staking.domainSetQuery("app-1", epoch: epoch + 2), root: chain.root)
        try proven.verify()
        let decoded = try Canonical.decode(Staking.EpochValidators.self, from: try #require(proven.value))
        #expect(try decoded.validatorSet() == set)

        #expect(try chain.failure(operatorB, Message(Staking.LeaveDomain("app-1"))) == nil)
        #expect(
            try chain.failure(operatorB, Message(Staking.LeaveDomain("app-1")))?.isStaking(
                .notDomainMember(validator: validatorB.address, domain: "app-1")) == true)
        #expect(
            try chain.failure(validatorA.operatorAccount, Message(Staking.LeaveDomain("app-1")))?.isStaking(
                .notDomainMember(validator: validatorA.address, domain: "app-1")) == true)
        let next = try chain.progress.epoch
        try chain.finishEpoch()
        let after = try #require(try Staking.domainValidatorSet("app-1", epoch: next + 2, in: chain.reader))
        #expect(after.validators.map(\.publicKey) == [validatorC.consensusKey.publicKey])
        // B stays on record (answerable) until the unbonding delay has passed, then is dropped.
        #expect(
            try Staking.domainMembers("app-1", in: chain.reader).contains { $0.operatorAddress == validatorB.address })
        try chain.advance(toEpoch: next + 2)
        #expect(
            try !Staking.domainMembers("app-1", in: chain.reader).contains { $0.operatorAddress == validatorB.address })
    }

    @Test("the bank refuses transfers and mints into the staking pool")
    func poolIsBlocked() throws {
        var chain = try threeValidatorChain()
        let receipt = try chain.send(delegatorD, Message(Bank.Transfer(to: Staking.pool, 10, .swr)))
        #expect(receipt.failure?.codespace == Bank.moduleName)
        #expect(receipt.failure?.code == BankError.blockedRecipient(Staking.pool).code)
    }

    @Test("unknown message kinds and malformed bodies fail with clear codes")
    func malformed() throws {
        var chain = try threeValidatorChain()
        let unknown = try chain.send(delegatorD, Message(module: Staking.moduleName, kind: 99, body: []))
        #expect(unknown.failure?.codespace == TransactionFailure.chainCodespace)
        let garbage = try chain.send(delegatorD, Message(module: Staking.moduleName, kind: 4, body: [1, 2, 3]))
        #expect(garbage.failure?.code == TransactionFailure.Code.malformedMessage)
    }
}
