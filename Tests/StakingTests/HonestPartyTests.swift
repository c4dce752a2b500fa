import Chain
import ChannelAdjudicator
import ChannelCore
import ChannelWatchtower
import Primitives
import Staking
import Testing

/// The honest party's guarantee end to end: random pipelined updates between an honest alice and
/// an adversarial bob, cut at a random crash point (messages in flight are lost, alice keeps what
/// her disk holds), then bob stops answering and registers the stale state best for him. Alice's
/// watchtower, handed her latest state, refutes, concludes and withdraws. Alice never ends with
/// less than her balance in her latest fully signed state, short of payments she herself proposed;
/// the adjudicator's invariants hold after every block (`StakingChain` checks them).
@Suite("Channels: the honest party never loses funds")
struct HonestPartyTests {
    typealias Channel = AdjudicatorTests.Channel

    @Test("random updates, a crash point, a stale registration by the other side (24 seeds)")
    func staleRegistrations() async throws {
        var refuted = 0
        for seed in UInt64(1)...24 {
            if try staleRegistrationAfterCrash(seed: seed) { refuted += 1 }
            // Each seed is CPU-bound: let the IO suites sharing the cooperative pool run between them.
            await Task.yield()
        }
        #expect(refuted >= 6, "only \(refuted) of 24 runs made the watchtower refute a stale state")
    }

    /// One run; true when bob's registration was stale and the tower refuted it.
    func staleRegistrationAfterCrash(seed: UInt64) throws -> Bool {
        var random = SeededRandom(seed: seed)
        var chain = try AdjudicatorTests.chain()
        let channel = Channel(nonce: 900 + seed, challenge: 3 + random.next() % 4)
        let alice = AdjudicatorTests.alice
        let bob = AdjudicatorTests.bob
        for (account, participant) in [(alice, UInt8(0)), (bob, UInt8(1))] {
            let deposit = Message(Adjudicator.Deposit(channelID: channel.id, participant: participant, amount: 500))
            #expect(try chain.send(account, deposit).failure == nil)
        }
        let initial = channel.signed(channel.state(0, [500, 500]))
        let depth = Int(1 + random.next() % 6)
        var ours = try ChannelMachine(
            parameters: channel.parameters, chainID: testChainID, key: alice.key, initial: initial, maxInFlight: depth)
        var theirs = try ChannelMachine(
            parameters: channel.parameters, chainID: testChainID, key: bob.key, initial: initial, maxInFlight: depth)
        var toBob: [ChannelMessage] = []
        var toAlice: [ChannelMessage] = []
        // Every fully signed state bob ever held: what he can register.
        var bobsStates: [SignedState] = [initial]

        func payment(_ machine: ChannelMachine) -> ChannelState {
            var next = machine.tip.next()
            let from = machine.ourIndex
            let amount = random.next() % (next.allocation.balances[from] / 3 + 1)
            next.allocation.balances[from] -= amount
            next.allocation.balances[1 - from] += amount
            return next
        }
        let steps = 20 + Int(random.next() % 200)
        for _ in 0..<steps {
            switch random.next() % 4 {
            case 0: toBob += sent(ours.on(.propose(payment(ours))))
            case 1: toAlice += sent(theirs.on(.propose(payment(theirs))))
            case 2 where !toBob.isEmpty:
                let count = min(toBob.count, Int(1 + random.next() % 4))
                toAlice += sent(theirs.on(.receivedBatch(Array(toBob.prefix(count)))))
                toBob.removeFirst(count)
                bobsStates.append(theirs.current)
            case 3 where !toAlice.isEmpty:
                let count = min(toAlice.count, Int(1 + random.next() % 4))
                toBob += sent(ours.on(.receivedBatch(Array(toAlice.prefix(count)))))
                toAlice.removeFirst(count)
            default: break
            }
        }
        // The crash point: whatever is in flight is lost. Alice's latest is what her disk holds.
        let latest = ours.current
        let floor = ([latest.state] + ours.pending.map(\.state)).map { $0.allocation.balances[0] }.min()!
        let stale = bobsStates.max { $0.state.allocation.balances[1] < $1.state.allocation.balances[1] }!
        let before = try AdjudicatorTests.aic(chain, alice)
        #expect(
            try chain.send(bob, Message(Adjudicator.Register(parameters: channel.parameters, signed: stale))).failure
                == nil)

        var tower = Watchtower(chainID: testChainID)
        try tower.watch(parameters: channel.parameters, client: 0, latest: latest)
        _ = try WatchtowerTests.drive(tower, channel.id, &chain, as: AdjudicatorTests.keeper)
        let timeout = try #require(try AdjudicatorTests.record(chain, channel.id).dispute).timeout
        while chain.height + 1 < timeout { try chain.block() }
        _ = try WatchtowerTests.drive(tower, channel.id, &chain, as: AdjudicatorTests.keeper)
        let record = try AdjudicatorTests.record(chain, channel.id)
        #expect(record.withdrawn[0], "seed \(seed): alice's payout was not withdrawn")
        let received = try AdjudicatorTests.aic(chain, alice) - before
        #expect(
            received >= floor,
            "seed \(seed): alice got \(received), her latest state gives her \(latest.state.allocation.balances[0])")
        // The registered state is the newest either side holds, never older than alice's.
        #expect(try #require(record.dispute).state.version >= latest.state.version)
        return stale.state.version < latest.state.version
    }
}

/// The same guarantee for a virtual channel `V = (A, B)` through a hub (ADR 0016), with the hub and
/// B colluding: random ledger histories around the lock, a random history in `V`, then the
/// adversary registers a stale `A–H` state, the `V` state worst for A and the `H–B` ledger at random
/// blocks, front-running every block and trying to conclude both ledgers as early as it can. A's
/// watchtower watches only `A–H` and `V`. A is paid exactly her balance in her latest `A–H` state
/// plus her balance in her latest `V` state.
@Suite("Channels: the honest party of a virtual channel never loses funds")
struct VirtualHonestPartyTests {
    typealias Channel = ChildChannelAdjudicatorTests.Channel
    static let (alice, hub, bob, keeper) = (
        ChildChannelAdjudicatorTests.alice, ChildChannelAdjudicatorTests.hub, ChildChannelAdjudicatorTests.bob,
        ChildChannelAdjudicatorTests.keeper
    )

    @Test("random histories, a colluding hub and B, stale registrations at random blocks (16 seeds)")
    func collusion() async throws {
        for seed in UInt64(1)...16 {
            try run(seed: seed)
            await Task.yield()
        }
    }

    /// Random payments after `start` in a two-party channel: every fully signed state, oldest first.
    static func payments(
        _ channel: Channel, from start: ChannelState, count: Int, _ random: inout SeededRandom
    ) -> [ChannelState] {
        var states = [start]
        for _ in 0..<count {
            var next = states[states.count - 1].next()
            let from = Int(random.next() % 2)
            let amount = random.next() % (next.allocation.balances[from] / 2 + 1)
            next.allocation.balances[from] -= amount
            next.allocation.balances[1 - from] += amount
            states.append(next)
        }
        return states
    }

    func run(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var chain = try ChildChannelAdjudicatorTests.chain()
        let ah = Channel(Self.alice, Self.hub, nonce: 2_000 + seed, challenge: 2 + random.next() % 4)
        let hb = Channel(Self.hub, Self.bob, nonce: 3_000 + seed, challenge: 2 + random.next() % 4)
        let v = Channel(Self.alice, Self.bob, nonce: 4_000 + seed, challenge: 2 + random.next() % 4)
        try ah.deposit(&chain, [500, 500])
        try hb.deposit(&chain, [500, 500])
        let before = try chain.balance(Self.alice.address, .aic)

        // Ledger histories up to the lock, the lock of V's version 0, and payments after it.
        var ahStates = Self.payments(ah, from: ah.state(0, [500, 500]), count: Int(random.next() % 6), &random)
        var hbStates = Self.payments(hb, from: hb.state(0, [500, 500]), count: Int(random.next() % 6), &random)
        let (ahTip, hbTip) = (ahStates[ahStates.count - 1], hbStates[hbStates.count - 1])
        let x = random.next() % (min(ahTip.allocation.balances[0], hbTip.allocation.balances[0]) + 1)
        let y = random.next() % (min(ahTip.allocation.balances[1], hbTip.allocation.balances[1]) + 1)
        let v0 = v.state(0, [x, y])
        ahStates += Self.payments(
            ah, from: try ChildChannels.fund(ahTip, child: v0, indexMap: [0, 1]), count: Int(random.next() % 4),
            &random)
        hbStates += Self.payments(
            hb, from: try ChildChannels.fund(hbTip, child: v0, indexMap: [0, 1]), count: Int(random.next() % 4),
            &random)
        let vStates = Self.payments(v, from: v0, count: Int(random.next() % 30), &random)
        let (ahLatest, vLatest) = (ahStates[ahStates.count - 1], vStates[vStates.count - 1])
        let owed = ahLatest.allocation.balances[0] + vLatest.allocation.balances[0]

        // The adversary's schedule, and A's watchtower.
        let staleAH = ahStates[Int(random.next() % UInt64(ahStates.count))]
        let worstV = vStates.min { $0.allocation.balances[0] < $1.allocation.balances[0] }!
        let (atAH, atV, atHB) = (random.next() % 4, random.next() % 6, random.next() % 6)
        var tower = Watchtower(chainID: testChainID)
        try tower.watch(parameters: ah.parameters, client: 0, latest: ah.signed(ahLatest))
        try tower.watch(parameters: v.parameters, client: 0, latest: v.signed(vLatest), child: true)

        for round in UInt64(0)..<80 {
            var adversary: [Message] = []
            if round == atAH { adversary.append(ah.register(staleAH)) }
            if round == atV { adversary.append(v.registerChild(worstV)) }
            if round == atHB { adversary.append(hb.register(hbStates[hbStates.count - 1])) }
            adversary += [ah.id, hb.id].map { Message(Adjudicator.Conclude(channelID: $0)) }

            let state = chain.machine.state(at: chain.root).module(Adjudicator.moduleName)
            let record = try Adjudicator.record(ah.id, in: state)
            let child = try Adjudicator.childRecord(v.id, in: state)
            let height = chain.height + 1
            var actions = tower.actions(
                channelID: ah.id, record: record, height: height, children: child.map { [v.id: $0] } ?? [:])
            for action in tower.childActions(channelID: v.id, record: child, height: height)
            where !actions.contains(action) {
                actions.append(action)
            }
            let defense = actions.map(Self.message)
            // The adversary goes first in every block.
            var transactions = adversary.map { chain.transaction(Self.bob, [$0]) }
            transactions += defense.map { chain.transaction(Self.keeper, [$0]) }
            try chain.block(transactions)
            if try Adjudicator.record(ah.id, in: chain.machine.state(at: chain.root).module(Adjudicator.moduleName))
                .withdrawn[0]
            {
                break
            }
        }
        let record = try Adjudicator.record(
            ah.id, in: chain.machine.state(at: chain.root).module(Adjudicator.moduleName))
        #expect(record.withdrawn[0], "seed \(seed): alice's payout was not withdrawn")
        let received = try chain.balance(Self.alice.address, .aic) - before
        #expect(received == owed, "seed \(seed): alice got \(received), her latest states give her \(owed)")
    }

    static func message(_ action: Watchtower.Action) -> Message {
        switch action {
        case .register(let parameters, let signed):
            Message(Adjudicator.Register(parameters: parameters, signed: signed))
        case .registerChild(let parameters, let signed):
            Message(Adjudicator.RegisterChild(parameters: parameters, signed: signed))
        case .progress(let channelID, let preimage, let units):
            Message(Adjudicator.ProgressMeter(channelID: channelID, preimage: preimage, units: units))
        case .conclude(let channelID): Message(Adjudicator.Conclude(channelID: channelID))
        case .withdraw(let channelID, let participant):
            Message(Adjudicator.Withdraw(channelID: channelID, participant: participant))
        }
    }
}

/// The messages a list of actions sends.
private func sent(_ actions: [ChannelMachine.Action]) -> [ChannelMessage] {
    actions.compactMap {
        if case .send(let message) = $0 { return message }
        return nil
    }
}
