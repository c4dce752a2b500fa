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

/// The messages a list of actions sends.
private func sent(_ actions: [ChannelMachine.Action]) -> [ChannelMessage] {
    actions.compactMap {
        if case .send(let message) = $0 { return message }
        return nil
    }
}
