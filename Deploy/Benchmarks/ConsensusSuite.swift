import Consensus
import Foundation
import Primitives
import Simulator

#if canImport(Glibc)
    import Glibc
#endif

/// `aether bench consensus`: the consensus engine in the simulator with zero network delay, so the
/// figures are the engine's own cost: finalized blocks per second, CPU per finalized block, and the
/// share of it spent verifying signatures. All validators run in this one process, so CPU per
/// block is the sum over all of them.
///
/// The baseline for throughput is the crypto limit measured in the same run: the time the
/// signature and VRF work of those blocks takes alone, at this machine's measured per-operation
/// cost. A ratio near 1 means the engine adds little beyond the cryptography it must do.
public struct ConsensusBenchmark: Sendable {
    /// Validator counts and blocks to finalize at each.
    public struct Configuration: Sendable {
        public var runs: [(validators: Int, blocks: UInt64)] = [(4, 400), (16, 150), (64, 25), (100, 15)]
        public var repeats = 3

        /// The full benchmark.
        public init() {}

        /// A smoke run: small counts, one repeat.
        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.runs = [(4, 20), (16, 5)]
            configuration.repeats = 1
            return configuration
        }
    }

    let configuration: Configuration

    /// A benchmark with `configuration`.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Runs each validator count and reports its rows as they complete.
    public func run(progress: (BenchmarkRow) -> Void = { _ in }) throws -> BenchmarkReport {
        let costs = CryptoCosts.measure()
        var rows: [BenchmarkRow] = []
        for (validators, blocks) in configuration.runs {
            var wall: [Double] = []
            var cpu: [Double] = []
            var report: SimulationReport?
            for _ in 0..<configuration.repeats {
                var parameters = SimulationParameters(seed: 1, validators: validators)
                parameters.faults = .perfect(delay: 0)
                parameters.consensus.minimumBlockInterval = 0
                parameters.consensus.maximumClockDrift = .max / 4
                parameters.stopAtHeight = blocks
                parameters.duration = .max / 2
                var simulation = Simulation(parameters)
                let cpuStart = processCPUTime()
                let wallTime = Stopwatch.time { report = simulation.run() }
                cpu.append(processCPUTime() - cpuStart)
                wall.append(wallTime)
            }
            guard let report, report.passed else {
                throw BenchmarkError("the \(validators)-validator run failed: \(report?.summary ?? "no report")")
            }
            let finalized = Double(report.highestFinalizedHeight)
            let cpuPerBlock = median(cpu) / finalized
            let verification = Double(report.signaturesVerified) * costs.verify / finalized
            let allCrypto =
                verification + Double(report.vrfVerifications) * costs.vrfVerify / finalized
                + Double(report.signaturesMade) * costs.sign / finalized + Double(report.vrfProofs) * costs.vrfProve
                / finalized
            let throughput = BenchmarkRow(
                name: "finalized blocks/s, \(validators) validators", value: finalized / median(wall), unit: "blocks/s",
                baselineName: "crypto limit: the same signatures and VRF proofs alone", baselineValue: 1 / allCrypto,
                higherIsBetter: true, target: nil, minimumRatio: nil)
            let perBlock = BenchmarkRow(
                name: "CPU per finalized block, \(validators) validators (all of them)", value: cpuPerBlock * 1000,
                unit: "ms",
                baselineName:
                    "of which Ed25519 verification (\(report.signaturesVerified / max(Int(finalized), 1))/block)",
                baselineValue: verification * 1000, higherIsBetter: false, target: nil, minimumRatio: nil)
            for row in [throughput, perBlock] {
                rows.append(row)
                progress(row)
            }
        }
        return BenchmarkReport(
            suite: "consensus", machine: machineDescription(), repeats: configuration.repeats, rows: rows)
    }
}

/// This machine's cost of each cryptographic operation the engine performs, measured now.
struct CryptoCosts {
    var sign: Double
    var verify: Double
    var vrfProve: Double
    var vrfVerify: Double

    static func measure() -> CryptoCosts {
        let key = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 3, count: 32))
        let vrfKey = try! VRF.SecretKey(seed: [UInt8](repeating: 4, count: 32))
        let message = [UInt8](repeating: 1, count: 80)
        let signature = key.sign(message)
        let proof = try! VRF.prove(message, secretKey: vrfKey)
        let stopwatch = Stopwatch(repeats: 5)
        var ok = true
        let sign = stopwatch.measure { for _ in 0..<500 { ok = ok && key.sign(message) == signature } } / 500
        let verify =
            stopwatch.measure {
                for _ in 0..<500 { ok = ok && key.publicKey.isValidSignature(signature, for: message) }
            } / 500
        let prove =
            stopwatch.measure { for _ in 0..<50 { ok = ok && (try? VRF.prove(message, secretKey: vrfKey)) == proof } }
            / 50
        let vrfVerify =
            stopwatch.measure {
                for _ in 0..<50 {
                    ok = ok && (try? VRF.verify(message, proof: proof, publicKey: vrfKey.publicKey)) != nil
                }
            } / 50
        precondition(ok, "benchmark signatures must verify")
        return CryptoCosts(sign: sign, verify: verify, vrfProve: prove, vrfVerify: vrfVerify)
    }
}

/// CPU seconds used by this process so far.
func processCPUTime() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
