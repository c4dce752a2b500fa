import Chain
import ChainConfiguration
import Consensus
import Primitives
import Staking
import Testing

@Suite("Staking epochs and rewards")
struct EpochTests {
    @Test("the validator set changes only at epoch boundaries, fixed a whole epoch ahead")
    func setChangesOnlyAtBoundaries() throws {
        var chain = try threeValidatorChain(testParameters(maxValidators: 3))
        let genesisSet = try #require(try chain.set(0))
        #expect(try chain.set(1) == genesisSet)
        #expect(try chain.set(2) == nil)
        #expect(
            Set(genesisSet.members.map(\.operatorAddress)) == [
                validatorA.address, validatorB.address, validatorC.address,
            ])

        // Epoch 0: a new validator with the largest stake, and A overtakes C by one unit.
        try chain.send(newcomer.operatorAccount, createMessage(newcomer, selfBond: 500_000))
        try chain.send(delegatorD, Message(Staking.Delegate(to: validatorA.address, 300_001)))
        #expect(try chain.set(0) == genesisSet && chain.set(1) == genesisSet && chain.set(2) == nil)
        try chain.finishEpoch()
        let second = try #require(try chain.set(2))
        #expect(try chain.set(0) == genesisSet && chain.set(1) == genesisSet)
        #expect(
            second.members.sorted { $0.stake > $1.stake }.map(\.operatorAddress)
                == [newcomer.address, validatorA.address, validatorC.address])
        #expect(second.members.map(\.stake).sorted() == [400_000, 400_001, 500_000])

        // Through epoch 1 the sets of epochs 1 and 2 stay as they are, whatever happens to stakes.
        try chain.block()
        try chain.send(delegatorD, Message(Staking.Undelegate(from: validatorA.address, 300_001)))
        #expect(try chain.progress.epoch == 1)
        #expect(try chain.set(1) == genesisSet && chain.set(2) == second && chain.set(3) == nil)
        try chain.finishEpoch()
        let third = try #require(try chain.set(3))
        #expect(
            Set(third.members.map(\.operatorAddress)) == [newcomer.address, validatorC.address, validatorB.address])

        // What the node feeds the consensus engine.
        let consensusSet = try #require(try chain.machine.validatorSet(epoch: 2, root: chain.root))
        #expect(consensusSet == (try second.validatorSet()))
        #expect(consensusSet.totalStake == 1_300_001)
        #expect(try chain.machine.validatorSet(epoch: 9, root: chain.root) == nil)
    }

    @Test("a block whose epoch differs from staking's count is refused")
    func epochMismatch() throws {
        var chain = try threeValidatorChain()
        #expect(throws: BlockExecutionError.self) { try chain.block(epoch: 1) }
        try chain.block(epoch: 0)
        try chain.finishEpoch()
        #expect(throws: BlockExecutionError.self) { try chain.block(epoch: 0) }
        try chain.block(epoch: 1)
    }

    @Test("fixed rewards: floor per validator, commission floored, remainder not minted (golden values)")
    func fixedRewardGolden() throws {
        var a = validatorA
        a.commission = ratio(1, 10)
        var c = validatorC
        c.commission = ratio(1, 3)
        var chain = try StakingChain(
            parameters: testParameters(reward: .fixed(1_000)), validators: [a, validatorB, c], swr: [])
        let supply = try chain.supply()
        try chain.finishEpoch()
        // R = 1,000 over stakes 100k/200k/400k of 700k: 142 + 285 + 571 = 998; 2 are not minted.
        #expect(try chain.totals().minted == 998)
        #expect(try chain.supply() == supply + 998)
        #expect(try chain.balance(validatorA.address) == 14)  // ⌊142 × 1/10⌋
        #expect(try chain.validator(validatorA.address)?.tokens == 100_128)
        #expect(try chain.balance(validatorB.address) == 0)
        #expect(try chain.validator(validatorB.address)?.tokens == 200_285)
        #expect(try chain.balance(validatorC.address) == 190)  // ⌊571 / 3⌋
        #expect(try chain.validator(validatorC.address)?.tokens == 400_381)
    }

    @Test("inflation rewards are a floored fraction of the supply, split by the epoch's set stakes")
    func inflationRewardGolden() throws {
        var a = validatorA
        a.commission = ratio(1, 10)
        var c = validatorC
        c.commission = ratio(1, 3)
        var chain = try StakingChain(
            parameters: testParameters(reward: .inflation(ratio(1, 1_000))), validators: [a, validatorB, c], swr: [])
        try chain.finishEpoch()
        // Supply 700,000 → R = 700: 100 / 200 / 400, commission 10 and 133.
        #expect(try chain.totals().minted == 700)
        #expect(try chain.balance(validatorA.address) == 10)
        #expect(try chain.validator(validatorA.address)?.tokens == 100_090)
        #expect(try chain.validator(validatorB.address)?.tokens == 200_200)
        #expect(try chain.balance(validatorC.address) == 133)
        #expect(try chain.validator(validatorC.address)?.tokens == 400_267)
        try chain.advance(toEpoch: 1)
        try chain.finishEpoch()
        // Supply 700,700 → R = 700 again, split by the stakes fixed in the set of epoch 1 (genesis).
        #expect(try chain.totals().minted == 1_400)
        #expect(try chain.validator(validatorB.address)?.tokens == 200_400)
    }

    @Test("delegators share rewards through the share price; leaving rounds against the leaver")
    func rewardsCompound() throws {
        var chain = try StakingChain(
            parameters: testParameters(reward: .fixed(3_000)), validators: [validatorA], swr: [(delegatorD, 100_000)])
        try chain.send(delegatorD, Message(Staking.Delegate(to: validatorA.address, 50_000)))
        try chain.finishEpoch()
        // The set of epoch 0 has A alone: all 3,000 go to A's tokens (commission 0).
        let record = try #require(try chain.validator(validatorA.address))
        #expect(record.tokens == 153_000 && record.shares == 150_000)
        #expect(record.value(ofShares: 50_000) == 51_000)
        try chain.send(delegatorD, Message(Staking.Undelegate(from: validatorA.address, 51_000)))
        #expect(try chain.delegation(delegatorD.address, validatorA.address) == nil)
        // ⌈51,000 × 150,000 / 153,000⌉ = 50,000 shares left with exactly 51,000 tokens.
        #expect(try chain.validator(validatorA.address)?.tokens == 102_000)
        #expect(try chain.validator(validatorA.address)?.shares == 100_000)
    }

    @Test("jailed validators earn nothing for the epoch")
    func jailedEarnNothing() throws {
        var chain = try StakingChain(
            parameters: testParameters(reward: .fixed(700)), validators: [validatorA, validatorB, validatorC], swr: [])
        try chain.send(validatorA.operatorAccount, Message(Staking.Unbond(99_500)))  // jailed: self-bond too low
        try chain.finishEpoch()
        #expect(try chain.totals().minted == 600)  // B 200 + C 400; A's 100 is not minted
    }
}
