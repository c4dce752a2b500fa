import ChannelCore
import Primitives
import Testing

/// Two machines exchanging random updates over an in-order, randomly interleaved network,
/// including proposals that cross (both sides proposing the same version).
@Suite("Channel update properties")
struct ChannelPropertyTests {
    /// Rejects any update whose app data is `[13]`, so some proposals fail at the receiver.
    struct UnluckyRule: ChannelAppRule {
        func check(from current: ChannelState, to next: ChannelState, proposer: Int) throws(UpdateRejection) {
            if next.appData == [13] { throw .appRule("unlucky") }
        }
    }

    @Test(
        "funds are conserved and both sides agree on the latest fully signed state",
        arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func randomUpdates(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let fixture = ChannelFixture(seed: UInt8(truncatingIfNeeded: seed))
        var (alice, bob) = fixture.machines(aliceRule: UnluckyRule(), bobRule: UnluckyRule())
        var toBob: [ChannelMessage] = []
        var toAlice: [ChannelMessage] = []
        var concurrentTies = 0
        let total = fixture.initial.state.allocation.total

        func proposal(from machine: ChannelMachine, _ random: inout SeededRandom) -> ChannelState {
            var next = machine.current.state.next()
            let from = Int(random.next() % 2)
            let amount = random.next() % (next.allocation.balances[from] + 1)
            next.allocation.balances[from] -= amount
            next.allocation.balances[1 - from] += amount
            next.appData = [UInt8(random.next() % 16)]
            if random.next() % 10 == 0 { next.allocation.balances[0] += 1 }  // minted: refused
            return next
        }

        for step in 0..<400 {
            switch random.next() % 4 {
            case 0:
                let actions = alice.on(.propose(proposal(from: alice, &random)))
                toBob += sent(actions)
            case 1:
                let actions = bob.on(.propose(proposal(from: bob, &random)))
                toAlice += sent(actions)
            case 2:
                guard !toBob.isEmpty else { continue }
                let actions = bob.on(.received(toBob.removeFirst()))
                if case .ownProposalDropped = actions.first { concurrentTies += 1 }
                toAlice += sent(actions)
            default:
                guard !toAlice.isEmpty else { continue }
                let actions = alice.on(.received(toAlice.removeFirst()))
                if case .ownProposalDropped = actions.first { concurrentTies += 1 }
                toBob += sent(actions)
            }
            for machine in [alice, bob] {
                try machine.current.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
                #expect(machine.current.state.allocation.total == total, "seed \(seed), step \(step)")
            }
            let (low, high) = alice.current.state.version <= bob.current.state.version ? (alice, bob) : (bob, alice)
            #expect(high.current.state.version - low.current.state.version <= 1, "seed \(seed), step \(step)")
            if low.current.state.version == high.current.state.version {
                #expect(low.current == high.current, "seed \(seed), step \(step): two states of one version")
            }
        }
        // Deliver everything still in flight.
        while !toBob.isEmpty || !toAlice.isEmpty {
            if !toBob.isEmpty { toAlice += sent(bob.on(.received(toBob.removeFirst()))) }
            if !toAlice.isEmpty { toBob += sent(alice.on(.received(toAlice.removeFirst()))) }
        }
        #expect(alice.pending.isEmpty && bob.pending.isEmpty, "seed \(seed)")
        #expect(alice.current == bob.current, "seed \(seed)")
        #expect(alice.current.state.version > 10, "seed \(seed): too few updates to mean anything")
        #expect(concurrentTies > 0, "seed \(seed): no concurrent proposals were exercised")
    }

    @Test(
        "pipelined proposals delivered in random batches: one countersignature per batch, same guarantees",
        arguments: Array(UInt64(11)...UInt64(34)))
    func pipelinedBatches(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let fixture = ChannelFixture(seed: UInt8(truncatingIfNeeded: seed))
        let depth = Int(2 + random.next() % 7)
        var alice = try ChannelMachine(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.alice,
            initial: fixture.initial, rule: UnluckyRule(), maxInFlight: depth)
        var bob = try ChannelMachine(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.bob,
            initial: fixture.initial, rule: UnluckyRule(), maxInFlight: depth)
        var toBob: [ChannelMessage] = []
        var toAlice: [ChannelMessage] = []
        var (ties, rejected, accepted, countersigned) = (0, 0, 0, 0)
        let total = fixture.initial.state.allocation.total

        /// A payment from the machine's own side (so the peer's payment rule would accept it),
        /// sometimes unlucky (refused by the peer's rule).
        func proposal(from machine: ChannelMachine, _ random: inout SeededRandom) -> ChannelState {
            var next = machine.tip.next()
            let from = machine.ourIndex
            let amount = random.next() % (next.allocation.balances[from] / 4 + 1)
            next.allocation.balances[from] -= amount
            next.allocation.balances[1 - from] += amount
            next.appData = [UInt8(random.next() % 24)]
            return next
        }
        func take(_ queue: inout [ChannelMessage], _ random: inout SeededRandom) -> [ChannelMessage] {
            let count = min(queue.count, Int(1 + random.next() % 6))
            defer { queue.removeFirst(count) }
            return Array(queue.prefix(count))
        }
        func tally(_ actions: [ChannelMachine.Action]) {
            for action in actions {
                switch action {
                case .ownProposalDropped: ties += 1
                case .proposalRejected: rejected += 1
                case .accepted: accepted += 1
                case .send(.acceptance): countersigned += 1
                default: break
                }
            }
        }

        for step in 0..<600 {
            switch random.next() % 5 {
            case 0, 1:
                let burst = 1 + Int(random.next() % 4)
                for _ in 0..<burst {
                    if random.next() % 2 == 0 {
                        toBob += sent(alice.on(.propose(proposal(from: alice, &random))))
                    } else {
                        toAlice += sent(bob.on(.propose(proposal(from: bob, &random))))
                    }
                }
            case 2, 3:
                guard !toBob.isEmpty else { continue }
                let actions = bob.on(.receivedBatch(take(&toBob, &random)))
                tally(actions)
                toAlice += sent(actions)
            default:
                guard !toAlice.isEmpty else { continue }
                let actions = alice.on(.receivedBatch(take(&toAlice, &random)))
                tally(actions)
                toBob += sent(actions)
            }
            for machine in [alice, bob] {
                try machine.current.verify(parameters: fixture.parameters, chainID: ChannelFixture.chainID)
                #expect(machine.current.state.allocation.total == total, "seed \(seed), step \(step)")
                #expect(machine.pending.count <= depth)
            }
            if alice.current.state.version == bob.current.state.version {
                #expect(alice.current == bob.current, "seed \(seed), step \(step): two states of one version")
            }
        }
        while !toBob.isEmpty || !toAlice.isEmpty {
            if !toBob.isEmpty { toAlice += sent(bob.on(.receivedBatch(take(&toBob, &random)))) }
            if !toAlice.isEmpty { toBob += sent(alice.on(.receivedBatch(take(&toAlice, &random)))) }
        }
        #expect(alice.pending.isEmpty && bob.pending.isEmpty, "seed \(seed)")
        #expect(alice.current == bob.current, "seed \(seed)")
        #expect(alice.current.state.version > 50, "seed \(seed): too few updates to mean anything")
        #expect(ties > 0 && rejected > 0, "seed \(seed): ties \(ties), rejections \(rejected)")
        // Batching: fewer countersignatures than proposals accepted.
        #expect(UInt64(countersigned) < alice.current.state.version, "seed \(seed)")
    }
}
