import ChannelCore
import Primitives
import Testing

@Suite("Channel update protocol")
struct ChannelMachineTests {
    @Test("propose, sign, accept: both sides end on the same fully signed state")
    func happyPath() throws {
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines()
        let next = ChannelFixture.transfer(10, from: 0, after: fixture.initial.state)
        let proposal = sent(alice.on(.propose(next)))
        #expect(proposal.count == 1)
        let bobActions = bob.on(.received(proposal[0]))
        #expect(acceptedStates(bobActions).map(\.state) == [next])
        // The accepted state comes before the acceptance is sent: persist first, then answer.
        guard case .accepted = bobActions.first, case .send(.acceptance) = bobActions.last else {
            Issue.record("expected accepted then send, got \(bobActions)")
            return
        }
        let aliceActions = alice.on(.received(sent(bobActions)[0]))
        #expect(acceptedStates(aliceActions).count == 1)
        #expect(alice.current == bob.current)
        #expect(alice.pending.isEmpty)
        try alice.current.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
    }

    @Test("a proposal that mints funds is rejected with the reason, and the proposer learns it")
    func rejectsUnconservedFunds() {
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines()
        var minted = fixture.initial.state.next()
        minted.allocation.balances[1] += 5
        // Alice's own machine refuses to propose it.
        #expect(alice.on(.propose(minted)) == [.refused(minted, .fundsNotConserved(before: 2_000, after: 2_005))])
        // A hand-signed one sent to Bob is rejected.
        let signature = fixture.alice.sign(minted.signBytes(chainID: ChannelFixture.chainID))
        let answer = sent(bob.on(.received(.proposal(minted, signature: signature))))
        #expect(
            answer == [
                .rejection(
                    channelID: fixture.channelID, version: 1, reason: .fundsNotConserved(before: 2_000, after: 2_005))
            ])
        #expect(bob.current == fixture.initial)
    }

    @Test("a version that skips ahead is rejected; the proposer's pending proposal is cleared")
    func rejectsWrongVersion() {
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines()
        var skipped = ChannelFixture.transfer(1, from: 0, after: fixture.initial.state)
        skipped.version = 5
        #expect(alice.on(.propose(skipped)) == [.refused(skipped, .versionNotNext(expected: 1, actual: 5))])
        let signature = fixture.alice.sign(skipped.signBytes(chainID: ChannelFixture.chainID))
        let answer = sent(bob.on(.received(.proposal(skipped, signature: signature))))
        #expect(
            answer == [
                .rejection(channelID: fixture.channelID, version: 5, reason: .versionNotNext(expected: 1, actual: 5))
            ])

        let good = ChannelFixture.transfer(1, from: 0, after: fixture.initial.state)
        _ = alice.on(.propose(good))
        let rejection = ChannelMessage.rejection(channelID: fixture.channelID, version: 1, reason: .appRule("no"))
        #expect(alice.on(.received(rejection)) == [.proposalRejected(good, .appRule("no"))])
        #expect(alice.pending.isEmpty)
    }

    @Test("the app rule hook can refuse an update the invariants allow")
    func appRuleRefuses() {
        struct NoPaymentsToBob: ChannelAppRule {
            func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection) {
                if next.allocation.balances[1] > current.allocation.balances[1] {
                    throw .appRule("bob may not receive")
                }
            }
        }
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines(bobRule: NoPaymentsToBob())
        let proposal = sent(alice.on(.propose(ChannelFixture.transfer(1, from: 0, after: fixture.initial.state))))
        #expect(
            sent(bob.on(.received(proposal[0]))) == [
                .rejection(channelID: fixture.channelID, version: 1, reason: .appRule("bob may not receive"))
            ])
    }

    @Test("forged, replayed and foreign messages are discarded without changing state")
    func discardsBadMessages() {
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines()
        let next = ChannelFixture.transfer(3, from: 0, after: fixture.initial.state)
        let mallory = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 99, count: 32))
        let forged = ChannelMessage.proposal(
            next, signature: mallory.sign(next.signBytes(chainID: ChannelFixture.chainID)))
        #expect(bob.on(.received(forged)) == [.discarded(forged, .invalidSignature)])

        let proposal = sent(alice.on(.propose(next)))[0]
        let acceptance = sent(bob.on(.received(proposal)))[0]
        _ = alice.on(.received(acceptance))
        // Replays of the same proposal and acceptance are stale now.
        #expect(
            bob.on(.received(proposal)) == [
                .send(
                    .rejection(
                        channelID: fixture.channelID, version: 1, reason: .versionNotNext(expected: 2, actual: 1)))
            ])
        #expect(alice.on(.received(acceptance)) == [.discarded(acceptance, .unknownProposal(version: 1))])

        let foreign = ChannelMessage.acceptance(channelID: .zero, version: 2, signature: fixture.initial.signatures[0])
        #expect(alice.on(.received(foreign)) == [.discarded(foreign, .wrongChannel)])

        // An acceptance with a bad signature does not complete a pending proposal.
        let second = ChannelFixture.transfer(1, from: 0, after: alice.current.state)
        _ = alice.on(.propose(second))
        let badAcceptance = ChannelMessage.acceptance(
            channelID: fixture.channelID, version: 2,
            signature: mallory.sign(second.signBytes(chainID: ChannelFixture.chainID)))
        #expect(alice.on(.received(badAcceptance)) == [.discarded(badAcceptance, .invalidSignature)])
        #expect(alice.current.state.version == 1)
    }

    @Test("only one proposal at a time")
    func oneProposalAtATime() {
        let fixture = ChannelFixture()
        var (alice, _) = fixture.machines()
        let first = ChannelFixture.transfer(1, from: 0, after: fixture.initial.state)
        _ = alice.on(.propose(first))
        #expect(alice.on(.propose(first)) == [.refused(first, .proposalPending)])
    }

    @Test("concurrent proposals of the same version: the lower proposer key wins on both sides")
    func concurrentProposals() {
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines()
        let aliceWins = fixture.alice.publicKey < fixture.bob.publicKey
        let fromAlice = ChannelFixture.transfer(10, from: 0, after: fixture.initial.state)
        let fromBob = ChannelFixture.transfer(20, from: 1, after: fixture.initial.state)
        let aliceProposal = sent(alice.on(.propose(fromAlice)))[0]
        let bobProposal = sent(bob.on(.propose(fromBob)))[0]
        // Both proposals cross on the wire.
        let aliceActions = alice.on(.received(bobProposal))
        let bobActions = bob.on(.received(aliceProposal))
        let (loserActions, winnerActions) = aliceWins ? (bobActions, aliceActions) : (aliceActions, bobActions)
        #expect(winnerActions.isEmpty)
        #expect(loserActions.first == .ownProposalDropped(aliceWins ? fromBob : fromAlice))
        // The loser's acceptance completes the winner's proposal.
        let acceptance = sent(loserActions)
        #expect(acceptance.count == 1)
        if aliceWins { _ = alice.on(.received(acceptance[0])) } else { _ = bob.on(.received(acceptance[0])) }
        #expect(alice.current == bob.current)
        #expect(alice.current.state == (aliceWins ? fromAlice : fromBob))
        #expect(alice.pending.isEmpty && bob.pending.isEmpty)
    }

    @Test("a final state closes the channel: nothing may follow it")
    func finalStateIsImmutable() throws {
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines()
        var final = ChannelFixture.transfer(100, from: 0, after: fixture.initial.state)
        final.isFinal = true
        let proposal = sent(alice.on(.propose(final)))[0]
        _ = alice.on(.received(sent(bob.on(.received(proposal)))[0]))
        #expect(alice.current.state.isFinal && bob.current.state.isFinal)
        let after = ChannelFixture.transfer(1, from: 1, after: final)
        #expect(bob.on(.propose(after)) == [.refused(after, .channelFinal)])
        let signature = fixture.alice.sign(after.signBytes(chainID: ChannelFixture.chainID))
        #expect(
            sent(bob.on(.received(.proposal(after, signature: signature)))) == [
                .rejection(channelID: fixture.channelID, version: 2, reason: .channelFinal)
            ])
    }

    @Test("a machine refuses a key that is not a participant and an initial state that does not verify")
    func refusesBadSetup() {
        let fixture = ChannelFixture()
        let mallory = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 99, count: 32))
        #expect(throws: ChannelError.notAParticipant(mallory.publicKey)) {
            try ChannelMachine(
                parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: mallory, initial: fixture.initial)
        }
        let unsigned = SignedState(state: fixture.initial.state, signatures: [])
        #expect(throws: ChannelError.missingSignatures(expected: 2, actual: 0)) {
            try ChannelMachine(
                parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.alice, initial: unsigned)
        }
    }
}
