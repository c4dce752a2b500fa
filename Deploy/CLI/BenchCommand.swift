import ArgumentParser
import Benchmarks
import Foundation
import Node

/// `aether bench <suite>`: speed targets measured beside their baselines, in one run.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark suite; each figure is printed beside its baseline and their ratio.",
        subcommands: [
            PrimitivesSuite.self, ConsensusSuite.self, ExecutionSuite.self, LocalnetSuite.self,
            DataAvailabilitySuite.self, SettlementSuite.self, ChannelsSuite.self, ChannelsPeer.self,
            ChannelsEndpoint.self,
        ]
    )

    struct PrimitivesSuite: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "primitives",
            abstract: "Hashes, signatures, VRF, Merkle trees, the sparse Merkle tree and RocksDB writes.")
        @Flag(help: "Small sizes and few repeats: checks the suite runs; the figures mean little.") var quick = false
        @Option(help: "Directory for the benchmark's temporary databases.") var workDirectory: String?
        @Option(
            name: .customLong("only"), parsing: .upToNextOption,
            help: "Run only these groups: hashing ed25519 secp256k1 vrf merkle smt rocksdb.")
        var groups: [String] = []
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let directory = URL(fileURLWithPath: workDirectory ?? NSTemporaryDirectory())
                    .appendingPathComponent("aether-bench-\(ProcessInfo.processInfo.processIdentifier)")
                defer { try? FileManager.default.removeItem(at: directory) }
                var configuration = quick ? PrimitivesBenchmark.Configuration.quick : .init()
                configuration.groups = Set(groups)
                let benchmark = PrimitivesBenchmark(configuration: configuration, workDirectory: directory)
                let report = try benchmark.run { row in
                    if !output.json {
                        FileHandle.standardError.write(Data("  measured \(row.name)\n".utf8))
                    }
                }
                print(output.json ? report.json() : report.table())
            }
        }
    }

    struct ConsensusSuite: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consensus",
            abstract: "The consensus engine in the simulator with zero delay: 4, 16, 64 and 100 validators.")
        @Flag(help: "Small counts, one repeat: checks the suite runs.") var quick = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let benchmark = ConsensusBenchmark(configuration: quick ? .quick : .init())
                let report = try benchmark.run { row in
                    if !output.json { FileHandle.standardError.write(Data("  measured \(row.name)\n".utf8)) }
                }
                print(output.json ? report.json() : report.table())
            }
        }
    }

    struct ExecutionSuite: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "execution",
            abstract: "L1 block execution on one core: checking, building and writing blocks of signed transfers.",
            discussion: """
                The localnet's genesis with every L1 module funds 512 senders; blocks of 2,500 transfers run against \
                RocksDB behind the node's node cache, signatures taken as verified (as after mempool admission). \
                The baseline is verifying the same transfers' Ed25519 signatures. Build with -c release.
                """)
        @Flag(help: "Small blocks, few of them: checks the suite runs.") var quick = false
        @Option(help: "Transfers per block.") var transfers: Int?
        @Option(help: "Directory for the benchmark's store (removed afterwards).") var workDirectory: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                var configuration = quick ? ExecutionBenchmark.Configuration.quick : .init()
                if let transfers {
                    guard transfers > 0 else { throw ValidationError("--transfers must be positive") }
                    configuration.transfersPerBlock = transfers
                }
                let directory = URL(fileURLWithPath: workDirectory ?? NSTemporaryDirectory())
                    .appendingPathComponent("aether-bench-execution-\(ProcessInfo.processInfo.processIdentifier)")
                let report = try ExecutionBenchmark(configuration: configuration, workDirectory: directory).run { row in
                    if !output.json { FileHandle.standardError.write(Data("  measured \(row.name)\n".utf8)) }
                }
                print(output.json ? report.json() : report.table())
            }
        }
    }

    struct DataAvailabilitySuite: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "da",
            abstract: "The data-availability square on one core: extend, commit, reconstruct, sample and fraud proofs.",
            discussion: """
                Squares of 64×64 and 127×127 shares of 512 bytes, beside ISA-L's raw encoder, one SHA-256 pass \
                over the extended square and, when Python can import zfec (e.g. from .build/zfec-venv), zfec. \
                Build with -c release: a debug build measures the debug build.
                """)
        @Flag(help: "8×8 and 16×16 squares, three repeats: checks the suite runs.") var quick = false
        @Option(help: "Python interpreter with zfec for the peer row (found automatically if omitted).")
        var python: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                var configuration = quick ? DataAvailabilityBenchmark.Configuration.quick : .init()
                configuration.python = python
                let report = try DataAvailabilityBenchmark(configuration: configuration).run { row in
                    if !output.json { FileHandle.standardError.write(Data("  measured \(row.name)\n".utf8)) }
                }
                print(output.json ? report.json() : report.table())
            }
        }
    }

    struct ChannelsSuite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "channels",
            abstract: "The streaming meter and signed channel updates: on one core, and between two processes.",
            discussion: """
                In this process: verifies a hash chain of 2^20 reveals per run, bare and through the provider's \
                serve-and-verify step, beside OpenSSL's SHA-256 of 32 bytes called directly; and runs signed \
                channel updates between two state machines beside libsodium's signatures alone. Then starts \
                `aether bench channels-peer` and measures over loopback: pipelined signed updates per second \
                and their latency, one update at a time, meter ticks per second and the tick round trip flat \
                out and paced, and concurrent sessions on one provider. Build with -c release: a debug build \
                measures the debug build.
                """)
        @Flag(help: "Small sizes, few repeats: checks the suite runs.") var quick = false
        @Flag(help: "Only the in-process figures.") var inProcess = false
        @Option(help: "First loopback port of the wire figures (one per session).") var portBase = 28_600
        @Option(help: "Directory for the endpoints' stores (removed afterwards).") var workDirectory: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors(json: output.json) {
                let json = output.json
                let benchmark = ChannelsBenchmark(configuration: quick ? .quick : .init())
                var report = try benchmark.run { row in
                    if !json { FileHandle.standardError.write(Data("  measured \(row.name)\n".utf8)) }
                }
                if !inProcess {
                    let directory = URL(fileURLWithPath: workDirectory ?? NSTemporaryDirectory())
                        .appendingPathComponent("aether-bench-channels-\(ProcessInfo.processInfo.processIdentifier)")
                    defer { try? FileManager.default.removeItem(at: directory) }
                    var configuration = quick ? ChannelWireBenchmark.Configuration.quick : .init()
                    configuration.portBase = portBase
                    let wire = ChannelWireBenchmark(
                        configuration: configuration, executable: LocalnetProcesses.currentExecutable(),
                        workDirectory: directory)
                    report.rows += try await wire.run { row in
                        if !json { FileHandle.standardError.write(Data("  measured \(row.name)\n".utf8)) }
                    }
                }
                print(json ? report.json() : report.table())
            }
        }
    }

    struct ChannelsEndpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "channels-endpoint",
            abstract:
                "One side of a bench channel in its own process, for the crash tests (commands on standard input).",
            shouldDisplay: false)
        @Flag var provider = false
        @Option var index = 0
        @Option var port: Int
        @Option var workDirectory: String

        func run() async throws {
            try await ChannelEndpointDriver.run(
                provider: provider, index: index, port: port, workDirectory: URL(fileURLWithPath: workDirectory))
        }
    }

    struct ChannelsPeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "channels-peer",
            abstract: "The payer side of `aether bench channels`, started by it (commands on standard input).",
            shouldDisplay: false)
        @Option var portBase: Int
        @Option var sessions: Int
        @Option var workDirectory: String

        func run() async throws {
            try await ChannelWirePeer.run(
                portBase: portBase, sessions: sessions, workDirectory: URL(fileURLWithPath: workDirectory))
        }
    }

    struct LocalnetSuite: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "localnet",
            abstract: "A localnet of validator processes under signed transfers sent from this process.",
            discussion: """
                Reports sustained finalized transfers per second, send-to-finality latency p50/p95/p99, CPU and \
                peak RSS per validator, and this machine's Ed25519 verification capacity measured in the same \
                run. Build with -c release: a debug build measures the debug build.
                """)
        @Option(help: "Validators.") var validators = 4
        @Option(help: "Seconds measured, after the warm-up.") var duration: Double = 60
        @Option(help: "Seconds of load before measuring.") var warmup: Double = 10
        @Option(help: "Transfers offered per second.") var rate = 6_000
        @Option(help: "Funded sender accounts the load is spread over.") var senders = 512
        @Option(name: .customLong("slot-ms"), help: "The genesis slot_ms: the shortest interval between blocks.")
        var slotMilliseconds: UInt64 = 250
        @Option(help: "P2P port of validator 0 (validator i uses it + i); RPC uses --rpc-port.") var p2pPort = 29_000
        @Option(help: "RPC port of validator 0.") var rpcPort = 29_100
        @Option(help: "Directory for the validators' homes (removed afterwards).") var workDirectory: String?
        @Flag(help: "Keep the validators' homes and node.log files afterwards.") var keepHomes = false
        @Flag(help: "A few seconds at a low rate: checks the suite runs.") var quick = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            guard (1...16).contains(validators) else { throw ValidationError("--validators must be 1…16") }
            guard duration > 0, warmup >= 0, rate > 0, senders > 0 else {
                throw ValidationError("--duration, --rate and --senders must be positive")
            }
            try reportingErrors(json: output.json) {
                var configuration = quick ? LocalnetBenchmark.Configuration.quick : .init()
                configuration.validators = validators
                if !quick {
                    configuration.duration = duration
                    configuration.warmup = warmup
                    configuration.rate = rate
                    configuration.senders = senders
                }
                configuration.p2pPort = p2pPort
                configuration.rpcPort = rpcPort
                configuration.keepHomes = keepHomes
                configuration.slotMilliseconds = slotMilliseconds
                let directory = URL(fileURLWithPath: workDirectory ?? NSTemporaryDirectory())
                    .appendingPathComponent("aether-bench-localnet-\(ProcessInfo.processInfo.processIdentifier)")
                let benchmark = LocalnetBenchmark(
                    configuration: configuration, executable: LocalnetProcesses.currentExecutable(),
                    workDirectory: directory)
                let json = output.json
                let report = try benchmark.run { line in
                    if !json { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
                }
                print(json ? report.json() : report.table())
            }
        }
    }

    struct SettlementSuite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "settlement",
            abstract: "Settlement on the local chain peers: gas per root and claim, Solana cost, batches per minute.",
            discussion: """
                Starts the py-evm and LiteSVM peers of Tests/Peers (run `make peers` first) and measures gas to \
                record a batch root with a 3-of-4 and a 67-of-100 committee, gas per claim, Solana transactions \
                and fees per 100 payouts, batches settled per minute and RPC round trips per batch. Run from the \
                source checkout.
                """)
        @Flag(help: "Few batches, one repeat: checks the suite runs.") var quick = false
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors(json: output.json) {
                let json = output.json
                let report = try await SettlementBenchmark(configuration: quick ? .quick : .init()).run { line in
                    if !json { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
                }
                print(json ? report.json() : report.table())
            }
        }
    }
}
