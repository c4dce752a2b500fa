import ChannelCore
import ChannelMetering
import Primitives
import Testing

@Suite("Streaming meter")
struct MeterTests {
    static let sessionID = Hashing.sha256(Array("session".utf8))
    static let payerSeed = Hashing.sha256(Array("payer secret".utf8))
    static let policy = MeterOpenPolicy(minimumUnitPrice: 1, maximumCreditWindow: 16, maximumSegmentLength: 1_000)

    @Test("a provider accepts only openings its policy allows, proposed by the payer; plain payments only give")
    func openingsAndPayments() throws {
        let fixture = ChannelFixture()
        var (alice, bob) = fixture.machines(bobRule: MeterRule(acceptedUnits: 0...0, openPolicy: Self.policy))
        let payer = MeterPayer(
            terms: try MeterTerms(unitPrice: 2, segmentLength: 10, creditWindow: 4), seed: Self.payerSeed)
        func answer(_ state: ChannelState, from proposer: Ed25519.PrivateKey, to machine: inout ChannelMachine)
            -> ChannelMessage?
        {
            let signature = proposer.sign(state.signBytes(chainID: ChannelFixture.chainID))
            return sent(machine.on(.received(.proposal(state, signature: signature)))).first
        }
        func isRejection(_ message: ChannelMessage?, containing text: String) -> Bool {
            guard case .rejection(_, _, .appRule(let reason)) = message else { return false }
            return reason.contains(text)
        }
        // Terms beyond the policy: a price too low, a window too wide.
        for terms in [
            try MeterTerms(unitPrice: 0, segmentLength: 10, creditWindow: 4),
            try MeterTerms(unitPrice: 2, segmentLength: 10, creditWindow: 17),
        ] {
            let opening = try MeterUpdates.open(
                from: fixture.initial.state, sessionID: Self.sessionID, terms: terms, providerIndex: 1, escrow: 100,
                root: payer.root)
            #expect(isRejection(answer(opening, from: fixture.alice, to: &bob), containing: "the provider's"))
        }
        // An opening that names the proposer as provider (making the receiver pay) is refused.
        let backwards = try MeterUpdates.open(
            from: fixture.initial.state, sessionID: Self.sessionID, terms: payer.terms, providerIndex: 1, escrow: 100,
            root: payer.root)
        #expect(isRejection(answer(backwards, from: fixture.bob, to: &alice), containing: "payment may not"))
        // A side without a policy provides nothing.
        var (_, plainBob) = fixture.machines()
        let fine = try MeterUpdates.open(
            from: fixture.initial.state, sessionID: Self.sessionID, terms: payer.terms, providerIndex: 1, escrow: 100,
            root: payer.root)
        #expect(isRejection(answer(fine, from: fixture.alice, to: &plainBob), containing: "payment may not"))
        // A "payment" that takes from the receiver is refused; one that gives is signed.
        let take = ChannelFixture.transfer(5, from: 1, after: fixture.initial.state)
        #expect(isRejection(answer(take, from: fixture.alice, to: &bob), containing: "may not take"))
        let give = ChannelFixture.transfer(5, from: 0, after: fixture.initial.state)
        guard case .acceptance = answer(give, from: fixture.alice, to: &bob) else {
            Issue.record("a payment to the receiver was not accepted")
            return
        }
    }

    /// A provider and a payer with an opened session state (alice pays, bob provides).
    static func session(terms: MeterTerms, escrow: UInt64 = 500) throws -> (ChannelState, MeterPayer, MeterProvider) {
        let fixture = ChannelFixture()
        let payer = MeterPayer(terms: terms, seed: payerSeed)
        let opened = try MeterUpdates.open(
            from: fixture.initial.state, sessionID: sessionID, terms: terms, providerIndex: 1, escrow: escrow,
            root: payer.root)
        return (opened, payer, try MeterProvider(state: opened))
    }

    @Test("a payer that stops paying gets at most W more units", arguments: [UInt64(1), 2, 3, 4])
    func providerStopsWithinCreditWindow(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let window = UInt32(1 + random.next() % 8)
        let terms = try MeterTerms(unitPrice: 2, segmentLength: 1_000, creditWindow: window)
        var (_, payer, provider) = try Self.session(terms: terms)
        let stopAfter = random.next() % 200
        var served: UInt64 = 0
        while true {
            do {
                _ = try provider.serve()
            } catch {
                #expect(error == .creditWindowFull(unpaid: UInt64(window)))
                break
            }
            served += 1
            payer.unitReceived()
            if payer.paid < stopAfter { try provider.receive(try payer.pay()) }
            #expect(provider.unpaid <= UInt64(window), "seed \(seed)")
            #expect(served <= stopAfter + UInt64(window), "seed \(seed)")
        }
        #expect(
            served == stopAfter + UInt64(window),
            "seed \(seed): the provider stops exactly W units after the last payment")
        #expect(provider.paid == stopAfter)
    }

    @Test("the payer never pays for a unit it did not receive")
    func payerPaysOnlyForServedUnits() throws {
        let terms = try MeterTerms(unitPrice: 1, segmentLength: 10, creditWindow: 3)
        var (_, payer, provider) = try Self.session(terms: terms)
        #expect(throws: MeterError.unitNotServed(unit: 1)) { try payer.pay() }
        _ = try provider.serve()
        payer.unitReceived()
        try provider.receive(try payer.pay())
        #expect(throws: MeterError.unitNotServed(unit: 2)) { try payer.pay() }
        #expect(payer.paid == payer.received)
    }

    @Test("the provider refuses payment for an unserved unit, a forged preimage and a replay")
    func providerRefusesBadPayments() throws {
        let terms = try MeterTerms(unitPrice: 1, segmentLength: 10, creditWindow: 3)
        var (_, payer, provider) = try Self.session(terms: terms)
        let stranger = HashChain(seed: Hashing.sha256([9]), length: 10)
        #expect(throws: MeterError.unitNotServed(unit: 1)) { try provider.receive(try stranger.preimage(forUnit: 1)) }
        _ = try provider.serve()
        _ = try provider.serve()
        payer.unitReceived()
        payer.unitReceived()
        #expect(throws: MeterError.forgedPreimage(unit: 1)) { try provider.receive(try stranger.preimage(forUnit: 1)) }
        let first = try payer.pay()
        try provider.receive(first)
        #expect(throws: MeterError.replayedPreimage(unit: 1)) { try provider.receive(first) }
        #expect(provider.paid == 1)
        try provider.receive(try payer.pay())
        #expect(provider.paid == 2 && provider.unpaid == 0)
    }

    @Test("a session streams through checkpoints every K units and closes; funds are conserved")
    func checkpointsThroughTheChannel() throws {
        let fixture = ChannelFixture()
        let terms = try MeterTerms(unitPrice: 3, segmentLength: 4, creditWindow: 2)
        var (alice, bob) = fixture.machines(bobRule: MeterRule(acceptedUnits: 0...0, openPolicy: Self.policy))
        var payer = MeterPayer(terms: terms, seed: Self.payerSeed)

        // Open: one signed update locks the escrow and commits the first root.
        let opened = try MeterUpdates.open(
            from: alice.current.state, sessionID: Self.sessionID, terms: terms, providerIndex: 1, escrow: 100,
            root: payer.root)
        try Self.exchange(opened, from: &alice, to: &bob)
        var provider = try MeterProvider(state: bob.current.state)

        // Stream 10 units: checkpoints after units 4 and 8, proposed by the payer.
        while payer.paid < 10 {
            _ = try provider.serve()
            payer.unitReceived()
            try provider.receive(try payer.pay())
            if payer.checkpointDue {
                #expect(provider.checkpointDue)
                // The next unit is served (within W) but cannot be paid until the checkpoint.
                _ = try provider.serve()
                payer.unitReceived()
                #expect(throws: MeterError.checkpointDue) { try payer.pay() }
                bob.rule = provider.rule
                try Self.exchange(try payer.checkpoint(from: alice.current.state), from: &alice, to: &bob)
                try payer.checkpointAccepted(alice.current.state)
                try provider.checkpointAccepted(bob.current.state)
                try provider.receive(try payer.pay())
            }
        }
        #expect(bob.current.state.allocation.balances == [900, 1_024])
        #expect(bob.current.state.allocation.subAllocation(id: Self.sessionID)?.amount == 76)

        // A checkpoint settling more units than were verified is refused by the provider's rule…
        bob.rule = provider.rule
        let greedy = try MeterUpdates.checkpoint(from: bob.current.state, units: 3, nextRoot: .zero)
        let greedyProposal = sent(alice.on(.propose(greedy)))
        let answer = sent(bob.on(.received(greedyProposal[0])))
        guard case .rejection(_, _, .appRule) = answer.first else {
            Issue.record("expected an app-rule rejection, got \(answer)")
            return
        }
        _ = alice.on(.received(answer[0]))
        // …and a provider proposing to take unpaid units is refused by the payer's rule.
        alice.rule = payer.rule
        let grab = try MeterUpdates.checkpoint(from: alice.current.state, units: 4, nextRoot: .zero)
        let grabAnswer = sent(alice.on(.received(sent(bob.on(.propose(grab)))[0])))
        guard case .rejection(_, _, .appRule) = grabAnswer.first else {
            Issue.record("expected an app-rule rejection, got \(grabAnswer)")
            return
        }
        _ = bob.on(.received(grabAnswer[0]))

        // Close: the last 2 paid units are settled, the rest of the escrow goes back, final.
        bob.rule = provider.rule
        try Self.exchange(try payer.close(from: alice.current.state), from: &alice, to: &bob)
        let final = bob.current.state
        #expect(final.isFinal)
        #expect(final.allocation.balances == [970, 1_030])
        #expect(final.allocation.locked.isEmpty)
        #expect(final.allocation.total == 2_000)
        #expect(alice.current == bob.current)
    }

    @Test("with T set, a checkpoint settles the paid units once T ms have passed, before the segment is full")
    func timeBasedCheckpoints() throws {
        let fixture = ChannelFixture()
        let terms = try MeterTerms(unitPrice: 2, segmentLength: 100, creditWindow: 4)
        var (alice, bob) = fixture.machines(bobRule: MeterRule(acceptedUnits: 0...0, openPolicy: Self.policy))
        var payer = MeterPayer(terms: terms, seed: Self.payerSeed)
        payer.checkpointInterval = 250
        let opened = try MeterUpdates.open(
            from: alice.current.state, sessionID: Self.sessionID, terms: terms, providerIndex: 1, escrow: 400,
            root: payer.root)
        try Self.exchange(opened, from: &alice, to: &bob)
        var provider = try MeterProvider(state: bob.current.state)
        // A unit every 40 ms: the checkpoint falls due 250 ms after the first unpaid-unsettled unit.
        var now: UInt64 = 1_000
        var checkpoints: [UInt64] = []
        while payer.paid < 20 {
            _ = try provider.serve()
            payer.unitReceived()
            if payer.isCheckpointDue(now: now) {
                #expect(throws: MeterError.checkpointDue) { try payer.pay(now: now) }
                bob.rule = provider.rule
                try Self.exchange(try payer.checkpoint(from: alice.current.state), from: &alice, to: &bob)
                try payer.checkpointAccepted(alice.current.state)
                try provider.checkpointAccepted(bob.current.state)
                checkpoints.append(payer.settled)
            }
            try provider.receive(try payer.pay(now: now))
            now += 40
        }
        // Paid at 1000, 1040, …, 1240: due at 1280 with 7 units paid; then every 7 units again.
        #expect(checkpoints == [7, 14])
        #expect(bob.current.state.allocation.balances[1] == 1_000 + 14 * 2)
        // Units 15–20 were paid from 1560 ms on: at 1800 ms not due yet, at 1810 ms due.
        #expect(!payer.isCheckpointDue(now: now) && payer.isCheckpointDue(now: now + 10))
        // Without T nothing is due before K.
        var plain = MeterPayer(terms: terms, seed: Self.payerSeed)
        plain.unitReceived()
        _ = try plain.pay(now: 0)
        #expect(!plain.isCheckpointDue(now: 1_000_000))
    }

    /// Proposes `state` on `proposer` and delivers the messages both ways; fails unless accepted.
    static func exchange(_ state: ChannelState, from proposer: inout ChannelMachine, to receiver: inout ChannelMachine)
        throws
    {
        let proposal = sent(proposer.on(.propose(state)))
        try #require(proposal.count == 1, "proposal refused")
        let answer = sent(receiver.on(.received(proposal[0])))
        try #require(answer.count == 1)
        let done = proposer.on(.received(answer[0]))
        try #require(acceptedStates(done).map(\.state) == [state], "not accepted: \(answer)")
    }
}
