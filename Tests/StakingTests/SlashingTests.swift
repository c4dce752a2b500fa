import Chain
import ChainConfiguration
import Consensus
import Primitives
import Staking
import Testing

@Suite("Staking slashing and downtime")
struct SlashingTests {
    @Test("double-sign evidence slashes bonded, unbonding and redelegated stake once, and tombstones")
    func doubleSign() throws {
        var chain = try threeValidatorChain(testParameters(unbondingDelay: 3))
        try chain.send(delegatorD, Message(Staking.Delegate(to: validatorA.address, 100_000)))
        try chain.send(delegatorD, Message(Staking.Undelegate(from: validatorA.address, 40_000)))  // epoch 0
        try chain.advance(toEpoch: 1)
        try chain.send(delegatorE, Message(Staking.Delegate(to: validatorA.address, 50_000)))
        try chain.send(
            delegatorE, Message(Staking.Redelegate(from: validatorA.address, to: validatorB.address, 20_000)))
        try chain.advance(toEpoch: 2)
        #expect(try chain.validator(validatorA.address)?.tokens == 190_000)
        let balanceBefore = try chain.balance(delegatorD.address)

        let supply = try chain.supply()
        let evidence = doubleVote(validatorA.consensusKey, epoch: 1)
        #expect(try chain.failure(delegatorD, Message(Staking.SubmitEvidence(evidence))) == nil)
        let slashed = try #require(try chain.validator(validatorA.address))
        #expect(slashed.tombstoned && slashed.jailed)
        #expect(slashed.tokens == 180_500)  // 190,000 − ⌊190,000 / 20⌋
        // The unbonding entry of epoch 0 was still counted in epoch 1: 40,000 − 2,000.
        #expect(try Staking.unbondingEntries(of: validatorA.address, in: chain.reader).map(\.amount) == [38_000])
        // The redelegation of epoch 1: 1,000 burned from E's locked shares at B.
        #expect(try chain.validator(validatorB.address)?.tokens == 219_000)
        let moved = try #require(try chain.delegation(delegatorE.address, validatorB.address))
        #expect(moved.shares == 19_000 && moved.incoming.first?.shares == 19_000)
        #expect(try chain.totals().burned == 12_500)
        #expect(try chain.supply() == supply - 12_500)

        // Once only: the same evidence, another equivocation, and new stake are all refused.
        #expect(
            try chain.failure(delegatorE, Message(Staking.SubmitEvidence(evidence)))?.isStaking(
                .evidenceAlreadyUsed(evidence.id)) == true)
        #expect(
            try chain.failure(
                delegatorE, Message(Staking.SubmitEvidence(doubleVote(validatorA.consensusKey, epoch: 2, salt: 1))))?
                .isStaking(.tombstoned(validatorA.address)) == true)
        #expect(
            try chain.failure(delegatorE, Message(Staking.Delegate(to: validatorA.address, 10)))?.isStaking(
                .tombstoned(validatorA.address)) == true)
        #expect(
            try chain.failure(validatorA.operatorAccount, Message(Staking.Unjail()))?.isStaking(
                .tombstoned(validatorA.address)) == true)
        #expect(try chain.totals().burned == 12_500)

        // Tombstoned validators never return to a set; delegators still get their (slashed) stake out
        // when epoch 3 closes.
        try chain.advance(toEpoch: 4)
        #expect(try chain.set(4)?.member(withKey: validatorA.consensusKey.publicKey) == nil)
        #expect(try chain.set(5)?.member(withKey: validatorA.consensusKey.publicKey) == nil)
        #expect(try chain.balance(delegatorD.address) == balanceBefore + 38_000)
    }

    @Test("evidence is refused when it is for another chain, too old, from the future, or not a member's")
    func evidenceRejections() throws {
        var chain = try threeValidatorChain(testParameters(unbondingDelay: 3))
        let created = try chain.send(newcomer.operatorAccount, createMessage(newcomer))
        #expect(created.succeeded, "\(String(describing: created.failure))")
        try chain.advance(toEpoch: 4)
        // The newcomer is in the sets from epoch 2 on (checked before the blocks below close epoch 4,
        // which prunes the set of epoch 2).
        #expect(try chain.set(2)?.member(withKey: newcomer.consensusKey.publicKey) != nil)
        let keyB = validatorB.consensusKey
        #expect(
            try chain.failure(
                delegatorD, Message(Staking.SubmitEvidence(doubleVote(keyB, chainId: "other-chain", epoch: 4))))?
                .isStaking(.evidenceWrongChain(expected: "", actual: "")) == true)
        let old = try chain.failure(delegatorD, Message(Staking.SubmitEvidence(doubleVote(keyB, epoch: 1))))
        #expect(old?.isStaking(.evidenceTooOld(epoch: 1, current: 4, maximumAge: 2)) == true)
        #expect(old?.message == "evidence from epoch 1 is too old in epoch 4 (at most 2 epochs back)")
        #expect(
            try chain.failure(delegatorD, Message(Staking.SubmitEvidence(doubleVote(keyB, epoch: 5))))?.isStaking(
                .evidenceFromFuture(epoch: 5, current: 4)) == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.SubmitEvidence(doubleVote(testKey(77), epoch: 4))))?
                .isStaking(
                    .unknownValidatorKey(testKey(77).publicKey)) == true)

        // A forged signature fails the stateless check.
        let honest = doubleVote(keyB, epoch: 4)
        let forged = Evidence(
            kind: .vote, chainId: testChainID, validator: keyB.publicKey, epoch: 4, view: 7, honest.first,
            SignedBlockReference(height: 5, blockID: Hashing.sha256([9]), signature: honest.second.signature))
        #expect(
            try chain.failure(delegatorD, Message(Staking.SubmitEvidence(forged)))?.isStaking(
                .invalidEvidence(.badSignature)) == true)
        #expect(try chain.totals().burned == 0)
    }

    @Test("a validator outside the infraction epoch's set cannot be slashed for it")
    func notInSet() throws {
        var chain = try threeValidatorChain(testParameters(unbondingDelay: 3))
        try chain.send(newcomer.operatorAccount, createMessage(newcomer))
        try chain.advance(toEpoch: 1)
        #expect(
            try chain.failure(delegatorD, Message(Staking.SubmitEvidence(doubleVote(newcomer.consensusKey, epoch: 1))))?
                .isStaking(.notInValidatorSet(key: newcomer.consensusKey.publicKey, epoch: 1)) == true)
    }

    @Test("domain evidence needs the domain's chain and an answerable member")
    func domainEvidence() throws {
        var chain = try threeValidatorChain()
        try chain.send(validatorB.operatorAccount, Message(Staking.JoinDomain("app-1")))
        let onDomain = doubleVote(validatorB.consensusKey, chainId: "app-1", epoch: 40)
        #expect(
            try chain.failure(delegatorD, Message(Staking.SubmitEvidence(onDomain, domain: "app-2")))?.isStaking(
                .evidenceWrongChain(expected: "app-2", actual: "app-1")) == true)
        let outsider = doubleVote(validatorC.consensusKey, chainId: "app-1", epoch: 40)
        #expect(
            try chain.failure(delegatorD, Message(Staking.SubmitEvidence(outsider, domain: "app-1")))?.isStaking(
                .notDomainMember(validator: validatorC.address, domain: "app-1")) == true)
        #expect(
            try chain.failure(delegatorD, Message(Staking.SubmitEvidence(onDomain, domain: testChainID)))?.isStaking(
                .invalidDomain(testChainID)) == true)
        try chain.send(validatorB.operatorAccount, Message(Staking.LeaveDomain("app-1")))
        // Left, but still answerable for the unbonding delay.
        #expect(try chain.failure(delegatorD, Message(Staking.SubmitEvidence(onDomain, domain: "app-1"))) == nil)
        let record = try #require(try chain.validator(validatorB.address))
        #expect(record.tombstoned && record.tokens == 190_000)
    }

    @Test("missed blocks jail at the threshold, leak λ per miss at the epoch's end, and unjail after the jail time")
    func downtime() throws {
        var parameters = testParameters(jailThreshold: 3, window: 8)
        parameters.jailEpochs = 2
        var chain = try threeValidatorChain(parameters)
        let withoutA = [validatorB.consensusKey.publicKey, validatorC.consensusKey.publicKey]
        // Heights 1–4 are epoch 0; height 1's parent is genesis (no certificate), so A misses 2, 3, 4.
        try chain.block(signers: withoutA)
        try chain.block(signers: withoutA)
        #expect(try chain.validator(validatorA.address)?.missedInWindow == 1)
        try chain.block(signers: withoutA)
        #expect(try chain.validator(validatorA.address)?.jailed == false)
        let supply = try chain.supply()
        let execution = try chain.block(signers: withoutA)
        let jailed = try #require(try chain.validator(validatorA.address))
        #expect(jailed.jailed && jailed.jailedUntilEpoch == 2)
        // Epoch 0 closed in the same block: the leak is ⌊100,000 × 3 × 1/100⌋.
        #expect(jailed.tokens == 97_000)
        #expect(try chain.supply() == supply - 3_000)
        #expect(execution.endBlockEvents.contains { $0.kind == "leak" && $0["burned"] == "3000" })
        #expect(execution.beginBlockEvents.contains { $0.kind == "jail" && $0["reason"] == "downtime" })
        #expect(try chain.set(2)?.member(withKey: validatorA.consensusKey.publicKey) == nil)

        // Jailed: no more misses are counted, and no unjail before epoch 2.
        try chain.block(signers: withoutA)
        #expect(try chain.validator(validatorA.address)?.missedInEpoch == 0)
        #expect(
            try chain.failure(validatorA.operatorAccount, Message(Staking.Unjail()))?.isStaking(
                .stillJailed(until: 2, current: 1)) == true)
        try chain.finishEpoch(signers: withoutA)
        #expect(try chain.set(3)?.member(withKey: validatorA.consensusKey.publicKey) == nil)
        try chain.advance(toEpoch: 2, signers: withoutA)
        #expect(try chain.failure(validatorA.operatorAccount, Message(Staking.Unjail())) == nil)
        try chain.finishEpoch()
        #expect(try chain.set(4)?.member(withKey: validatorA.consensusKey.publicKey)?.stake == 97_000)
    }

    @Test("misses are counted in tumbling windows")
    func windows() throws {
        var chain = try threeValidatorChain(testParameters(epochSlots: 100, jailThreshold: 3, window: 4))
        let withoutA = [validatorB.consensusKey.publicKey, validatorC.consensusKey.publicKey]
        try chain.block()  // height 1
        try chain.block(signers: withoutA)  // height 2: window 0
        try chain.block(signers: withoutA)  // height 3: window 0
        try chain.block(signers: withoutA)  // height 4: window 1 starts over
        try chain.block(signers: withoutA)  // height 5
        #expect(try chain.validator(validatorA.address)?.jailed == false)
        #expect(try chain.validator(validatorA.address)?.missedInWindow == 2)
        #expect(try chain.validator(validatorA.address)?.missedInEpoch == 4)
        try chain.block(signers: withoutA)  // height 6: the third miss of window 1
        #expect(try chain.validator(validatorA.address)?.jailed == true)
    }
}
