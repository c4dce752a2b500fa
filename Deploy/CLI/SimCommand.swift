import ArgumentParser
import Foundation
import Simulator

/// `aether sim`: runs seeded consensus schedules with faults and Twins and reports the checks.
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run seeded consensus simulations with network faults, crashes and equivocating Twins.",
        discussion: """
            Each seed draws delays, drops, duplicates, partitions and crashes before stabilisation, then \
            checks safety (no two blocks finalized at one height), liveness after stabilisation, evidence \
            for every equivocation an honest validator saw, and agreeing state roots. A failing seed \
            replays exactly with --start-seed SEED --seeds 1. Exits 1 when any run fails.
            """)

    @Option(help: "Number of seeded runs.") var seeds = 100
    @Option(help: "The first seed.") var startSeed: UInt64 = 1
    @Option(help: "Validators (equal stake).") var validators = 4
    @Option(help: "Byzantine validators, each run as two Twins instances (keep below a third).") var byzantine = 0
    @Flag(help: "Give the byzantine validators the largest stake strictly below a third (default: equal stakes).")
    var maximizeByzantineStake = false
    @Option(help: "Simulated milliseconds per run.") var duration: UInt64 = 12_000
    @Option(help: "Stabilisation time: faults stop here (ms).") var stabilization: UInt64 = 3_000
    @Option(help: "Application: hashChain (payload hash chain) or bank (the chain state machine with transfers).")
    var application: ApplicationArgument = .hashChain

    enum ApplicationArgument: String, ExpressibleByArgument, CaseIterable {
        case hashChain
        case bank

        var kind: ApplicationKind { self == .bank ? .bank : .hashChain }
    }
    @Option(help: "Print a trace of every event from this simulated time on (ms); use with --seeds 1.")
    var trace: UInt64?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors(json: output.json) {
            guard validators >= 1, byzantine >= 0, 3 * byzantine < validators else {
                throw CommandFailure("need at least one validator and byzantine < validators / 3")
            }
            var failures: [SimulationReport] = []
            var totalViews: UInt64 = 0
            var totalFinalized: UInt64 = 0
            var lowest = UInt64.max
            var equivocations = 0
            var evidence = 0
            var safetyViolations = 0
            var transactions = 0
            for offset in 0..<UInt64(seeds) {
                var parameters = SimulationParameters(
                    seed: startSeed + offset, validators: validators, byzantine: byzantine,
                    application: application.kind)
                parameters.duration = duration
                parameters.stabilization = stabilization
                parameters.traceFrom = trace
                parameters.maximizeByzantineStake = maximizeByzantineStake
                var simulation = Simulation(parameters)
                let report = simulation.run()
                for line in report.trace { print(line) }
                totalViews += report.views
                totalFinalized += report.highestFinalizedHeight
                lowest = min(lowest, report.finalizedHeight)
                equivocations += report.equivocations
                evidence += report.evidenceReported
                safetyViolations += report.safetyViolations.count
                transactions += report.transactionsFinalized
                if !report.passed {
                    failures.append(report)
                    if !output.json { print(report.summary) }
                }
            }
            var out = Report()
            out.add("runs", seeds)
            out.add("validators", validators)
            out.add("byzantine", byzantine)
            out.add("failed", failures.count)
            out.add("failedSeeds", failures.map { Int($0.seed) })
            out.add("safetyViolations", safetyViolations)
            out.add("lowestFinalizedHeight", seeds == 0 ? 0 : Int(lowest))
            out.add("meanFinalizedHeight", seeds == 0 ? 0.0 : Double(totalFinalized) / Double(seeds))
            out.add("viewsPerFinalizedBlock", totalFinalized == 0 ? 0.0 : Double(totalViews) / Double(totalFinalized))
            out.add("equivocations", equivocations)
            out.add("evidenceReported", evidence)
            out.add("transactionsFinalized", transactions)
            out.print(json: output.json)
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }
}
