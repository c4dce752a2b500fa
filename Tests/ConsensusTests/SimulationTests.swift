import Consensus
import Primitives
import Simulator
import Testing

/// Seeded schedules: each draws delays, drops, duplicates, partitions and crashes before
/// stabilisation; the simulator checks safety after every commit, evidence for every equivocation
/// an honest validator received, agreeing state roots, and progress after stabilisation. A failing
/// case prints its seed; `aether sim --start-seed SEED --seeds 1 ...` replays it exactly.
@Suite("Consensus in simulation")
struct SimulationTests {
    @Test("a perfect network finalizes a block per view")
    func perfectNetwork() async {
        var parameters = SimulationParameters(seed: 1, validators: 4)
        parameters.faults = .perfect(delay: 10)
        let report = await simulate(parameters)
        #expect(report.passed, "\(report.summary)")
        #expect(report.finalizedHeight > 50, "\(report.summary)")
        // One extra view or two per epoch: the suffix block that commits the ending block.
        #expect(report.viewsPerFinalizedBlock < 1.2, "\(report.summary)")
    }

    @Test("a run replays exactly from its seed")
    func determinism() async {
        let parameters = SimulationParameters(seed: 77, validators: 4, byzantine: 1)
        var first = Simulation(parameters)
        var second = Simulation(parameters)
        let a = first.run()
        let b = second.run()
        #expect(a.summary == b.summary)
        #expect(a.messagesSent == b.messagesSent && a.messagesDropped == b.messagesDropped)
        #expect(a.signaturesVerified == b.signaturesVerified)
    }

    @Test(
        "every validator crashes at once and restarts: the chain goes on from what they persisted",
        arguments: 0..<12)
    func everyoneRestarts(seed: UInt64) async {
        // Crash moments spread over a block interval, so some land while a block is certified but
        // not committed: then only the validators' stored pending blocks hold it.
        var parameters = SimulationParameters(seed: 9 + seed, validators: 4)
        let at = 2_000 + seed * 47
        parameters.faults = FaultPlan(
            delayBefore: 5...30, delayAfter: 5...30, dropPermille: 0, duplicatePermille: 0, partitions: [],
            crashes: (0..<4).map { .init(instance: $0, at: at + UInt64($0) * 3, restart: at + 400) })
        let report = await simulate(parameters)
        #expect(report.passed, "\(report.summary)")
        #expect(report.finalizedHeight > 20, "\(report.summary)")
    }

    @Test("a third of the validators crashed and a partition: safe throughout, live after healing")
    func heavyFaults() async {
        var parameters = SimulationParameters(seed: 5, validators: 7, byzantine: 2)
        parameters.faults = FaultPlan(
            delayBefore: 5...400, delayAfter: 5...40, dropPermille: 300, duplicatePermille: 100,
            partitions: [.init(start: 200, end: 2_500, groups: [[0, 1, 2, 7], [3, 4, 5, 6, 8]])],
            crashes: [
                .init(instance: 3, at: 500, restart: 2_800), .init(instance: 4, at: 900, restart: 2_900),
            ])
        let report = await simulate(parameters)
        #expect(report.passed, "\(report.summary)")
        #expect(report.equivocations > 0, "the Twins should have equivocated: \(report.summary)")
    }
}

@Suite("Consensus under random faults")
struct FaultTests {
    @Test("4 honest validators", arguments: 0..<100)
    func honest(seed: UInt64) async {
        let report = await simulate(SimulationParameters(seed: 10_000 + seed, validators: 4))
        #expect(report.passed, "\(report.summary)")
    }

    @Test("4 validators, 1 Twins equivocator", arguments: 0..<100)
    func oneTwin(seed: UInt64) async {
        let report = await simulate(SimulationParameters(seed: 20_000 + seed, validators: 4, byzantine: 1))
        #expect(report.passed, "\(report.summary)")
    }

    @Test("7 validators, 2 Twins equivocators", arguments: 0..<40)
    func twoTwins(seed: UInt64) async {
        let report = await simulate(SimulationParameters(seed: 30_000 + seed, validators: 7, byzantine: 2))
        #expect(report.passed, "\(report.summary)")
    }

    @Test("4 validators, 1 Twins equivocator holding 149 of 449 stake (33.2%)", arguments: 0..<30)
    func maximalTwin(seed: UInt64) async {
        var parameters = SimulationParameters(seed: 60_000 + seed, validators: 4, byzantine: 1)
        parameters.maximizeByzantineStake = true
        let report = await simulate(parameters)
        #expect(report.passed, "\(report.summary)")
    }

    @Test("10 validators, 3 Twins equivocators (30% of stake)", arguments: 0..<20)
    func threeTwins(seed: UInt64) async {
        let report = await simulate(SimulationParameters(seed: 40_000 + seed, validators: 10, byzantine: 3))
        #expect(report.passed, "\(report.summary)")
    }
}

@Suite("Consensus running the bank chain")
struct BankSimulationTests {
    @Test("every validator executes every block and computes the same state roots", arguments: 0..<8)
    func bank(seed: UInt64) async {
        let report = await simulate(
            SimulationParameters(
                seed: 50_000 + seed, validators: 4, byzantine: seed % 2 == 0 ? 0 : 1, application: .bank))
        #expect(report.passed, "\(report.summary)")
        #expect(report.finalizedHeight > 5, "\(report.summary)")
        // Clients send a transfer every 20 ms; most of them land in finalized blocks.
        #expect(report.transactionsFinalized > 100, "\(report.summary)")
    }
}
