import ArgumentParser
import Benchmarks
import Foundation

/// `aether bench <suite>`: speed targets measured beside their baselines, in one run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark suite; each figure is printed beside its baseline and their ratio.",
        subcommands: [PrimitivesSuite.self, ConsensusSuite.self]
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
}
