import ChannelCore
import Primitives
import Testing

/// Sub- and virtual channels in the pure core: parent updates that lock and release a child
/// channel, checked by `ChildChannelRule` on the receiving side (ADR 0016).
@Suite("Child channels")
struct ChildChannelTests {
    static let chainID = ChannelFixture.chainID

    static func key(_ seed: UInt8) -> Ed25519.PrivateKey {
        try! Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))
    }

    static func parameters(_ a: Ed25519.PrivateKey, _ b: Ed25519.PrivateKey, nonce: UInt64) -> ChannelParameters {
        try! ChannelParameters(
            participants: [a.publicKey, b.publicKey], challengeDuration: 10, nonce: nonce, appID: .zero)
    }

    static func sign(_ state: ChannelState, _ keys: [Ed25519.PrivateKey]) -> SignedState {
        let bytes = state.signBytes(chainID: chainID)
        return SignedState(state: state, signatures: keys.map { $0.sign(bytes) })
    }

    /// Runs one update through both machines: `proposer` proposes, the other answers.
    static func update(
        _ state: ChannelState, from proposer: inout ChannelMachine, to receiver: inout ChannelMachine
    ) -> [ChannelMachine.Action] {
        let proposal = sent(proposer.on(.propose(state)))
        guard proposal.count == 1 else { return [] }
        let answer = receiver.on(.received(proposal[0]))
        for message in sent(answer) { _ = proposer.on(.received(message)) }
        return answer
    }

    @Test("a sub-channel is funded and settled by parent updates the other side checks against the signed child")
    func subChannelLifecycle() throws {
        let fixture = ChannelFixture(balances: [1_000, 1_000])
        let base = ChildChannelRule(parent: fixture.parameters, chainID: Self.chainID)
        var (alice, bob) = fixture.machines(aliceRule: base, bobRule: base)
        let childParameters = Self.parameters(fixture.alice, fixture.bob, nonce: 99)
        let childID = childParameters.channelID(chainID: Self.chainID)
        let child0 = fixture.signBoth(
            ChannelState(channelID: childID, version: 0, allocation: Allocation(balances: [300, 200])))

        // Bob has not seen the child's signed version 0: he refuses to lock funds for it.
        let map = try ChildChannels.indexMap(parent: fixture.parameters, child: childParameters)
        #expect(map == [0, 1])
        let funding = try ChildChannels.fund(alice.current.state, child: child0.state, indexMap: map)
        #expect(funding.allocation.balances == [700, 800])
        #expect(funding.allocation.locked == [SubAllocation(id: childID, amount: 500, indexMap: [0, 1])])
        let refused = Self.update(funding, from: &alice, to: &bob)
        guard case .send(.rejection(_, _, .appRule(let reason))) = refused.last else {
            Issue.record("expected an app-rule rejection, got \(refused)")
            return
        }
        #expect(reason.contains("unknown"))

        var aliceRule = base
        var bobRule = base
        try aliceRule.add(parameters: childParameters, signed: child0)
        try bobRule.add(parameters: childParameters, signed: child0)
        alice.rule = aliceRule
        bob.rule = bobRule
        let fund = try ChildChannels.fund(alice.current.state, child: child0.state, indexMap: map)
        #expect(acceptedStates(Self.update(fund, from: &alice, to: &bob)).count == 1)
        #expect(alice.current == bob.current)
        #expect(alice.current.state.allocation.total == 2_000)

        // Payments in the parent leave the locked child alone; one that touches it is refused.
        let payment = ChannelFixture.transfer(50, from: 0, after: alice.current.state)
        #expect(acceptedStates(Self.update(payment, from: &alice, to: &bob)).count == 1)
        var shrink = ChannelFixture.transfer(0, from: 0, after: alice.current.state)
        shrink.allocation.locked[0].amount -= 100
        shrink.allocation.balances[0] += 100
        guard case .send(.rejection) = Self.update(shrink, from: &alice, to: &bob).last else {
            Issue.record("a change to the locked child was accepted")
            return
        }

        // The child runs on its own (its own versions), then closes with a final state.
        var childAlice = try ChannelMachine(
            parameters: childParameters, chainID: Self.chainID, key: fixture.alice, initial: child0)
        var childBob = try ChannelMachine(
            parameters: childParameters, chainID: Self.chainID, key: fixture.bob, initial: child0)
        for _ in 0..<5 {
            let next = ChannelFixture.transfer(30, from: 1, after: childBob.current.state)
            #expect(acceptedStates(Self.update(next, from: &childBob, to: &childAlice)).count == 1)
        }
        var final = childAlice.current.state.next()
        final.isFinal = true
        #expect(acceptedStates(Self.update(final, from: &childAlice, to: &childBob)).count == 1)
        #expect(childAlice.current.state.allocation.balances == [450, 50])

        // Settling from a state that is not final is refused; from the final one it pays through the map.
        #expect(throws: UpdateRejection.self) {
            _ = try ChildChannels.settle(bob.current.state, child: child0.state)
        }
        try aliceRule.add(parameters: childParameters, signed: childAlice.current)
        try bobRule.add(parameters: childParameters, signed: childBob.current)
        alice.rule = aliceRule
        bob.rule = bobRule
        let settle = try ChildChannels.settle(bob.current.state, child: childBob.current.state)
        #expect(acceptedStates(Self.update(settle, from: &bob, to: &alice)).count == 1)
        #expect(alice.current == bob.current)
        #expect(alice.current.state.allocation.locked.isEmpty)
        let expected: [UInt64] = [1_100, 900]  // 700 − 50 + 450, 800 + 50 + 50
        #expect(alice.current.state.allocation.balances == expected)
    }

    @Test("a lock that takes the wrong shares, or settles a different outcome, is refused by the receiver")
    func wrongLocksRefused() throws {
        let fixture = ChannelFixture(balances: [1_000, 1_000])
        let childParameters = Self.parameters(fixture.alice, fixture.bob, nonce: 5)
        let child0 = fixture.signBoth(
            ChannelState(
                channelID: childParameters.channelID(chainID: Self.chainID), version: 0,
                allocation: Allocation(balances: [100, 100])))
        var rule = ChildChannelRule(parent: fixture.parameters, chainID: Self.chainID)
        try rule.add(parameters: childParameters, signed: child0)
        let current = fixture.initial.state
        // Right total, wrong shares: all 200 out of alice's balance.
        var skewed = try ChildChannels.fund(current, child: child0.state, indexMap: [0, 1])
        skewed.allocation.balances = [800, 1_000]
        #expect(throws: UpdateRejection.self) { try rule.check(from: current, to: skewed, proposer: 0) }
        // A swapped index map.
        let swapped = try ChildChannels.fund(current, child: child0.state, indexMap: [1, 0])
        #expect(throws: UpdateRejection.self) { try rule.check(from: current, to: swapped, proposer: 0) }
        // The right one passes.
        let right = try ChildChannels.fund(current, child: child0.state, indexMap: [0, 1])
        try rule.check(from: current, to: right, proposer: 0)
        // A forged child state is not added.
        let aliceTwice = fixture.alice.sign(child0.state.signBytes(chainID: Self.chainID))
        let forged = SignedState(state: child0.state, signatures: [aliceTwice, aliceTwice])
        #expect(throws: ChannelError.self) { try rule.add(parameters: childParameters, signed: forged) }
        // Settling a final state other than the one this side knows is refused.
        var final = child0.state.next()
        final.isFinal = true
        try rule.add(parameters: childParameters, signed: fixture.signBoth(final))
        var greedy = final
        greedy.allocation.balances = [200, 0]
        let wrongSettle = try ChildChannels.settle(right, child: greedy)
        #expect(throws: UpdateRejection.self) { try rule.check(from: right, to: wrongSettle, proposer: 0) }
        try rule.check(from: right, to: try ChildChannels.settle(right, child: final), proposer: 1)
    }

    @Test("a virtual channel maps its payer to itself and the other side to the hub in each ledger; the hub nets zero")
    func virtualChannelMaps() throws {
        let (a, hub, b) = (Self.key(1), Self.key(2), Self.key(3))
        let ledgerAH = Self.parameters(a, hub, nonce: 1)
        let ledgerHB = Self.parameters(hub, b, nonce: 2)
        let virtual = Self.parameters(a, b, nonce: 3)
        #expect(try ChildChannels.indexMap(parent: ledgerAH, child: virtual) == [0, 1])
        #expect(try ChildChannels.indexMap(parent: ledgerHB, child: virtual) == [0, 1])
        let stranger = Self.parameters(Self.key(8), Self.key(9), nonce: 4)
        #expect(throws: UpdateRejection.self) { _ = try ChildChannels.indexMap(parent: ledgerAH, child: stranger) }
        // The hub is participant 1 of A–H and participant 0 of H–B.
        let reversed = Self.parameters(b, a, nonce: 5)
        #expect(try ChildChannels.indexMap(parent: ledgerAH, child: reversed) == [1, 0])

        let v0 = ChannelState(
            channelID: virtual.channelID(chainID: Self.chainID), version: 0, allocation: Allocation(balances: [400, 0]))
        let ah = ChannelState(
            channelID: ledgerAH.channelID(chainID: Self.chainID), version: 3,
            allocation: Allocation(balances: [500, 500]))
        let hb = ChannelState(
            channelID: ledgerHB.channelID(chainID: Self.chainID), version: 8,
            allocation: Allocation(balances: [600, 50]))
        let lockedAH = try ChildChannels.fund(ah, child: v0, indexMap: [0, 1])
        let lockedHB = try ChildChannels.fund(hb, child: v0, indexMap: [0, 1])
        #expect(lockedAH.allocation.balances == [100, 500])  // A put in her 400
        #expect(lockedHB.allocation.balances == [200, 50])  // the hub fronted A's 400 to B's side
        // A pays B 250 in V; both ledgers settle from the same final V state.
        var final = v0.next()
        final.allocation.balances = [150, 250]
        final.isFinal = true
        let settledAH = try ChildChannels.settle(lockedAH, child: final)
        let settledHB = try ChildChannels.settle(lockedHB, child: final)
        #expect(settledAH.allocation.balances == [250, 750])
        #expect(settledHB.allocation.balances == [350, 300])
        // The hub: +250 in A–H, −250 in H–B.
        let hubBefore = ah.allocation.balances[1] + hb.allocation.balances[0]
        let hubAfter = settledAH.allocation.balances[1] + settledHB.allocation.balances[0]
        #expect(hubBefore == hubAfter)
    }
}
