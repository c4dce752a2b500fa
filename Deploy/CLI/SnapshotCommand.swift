import ArgumentParser
import Foundation
import Node
import Primitives

/// `aether node snapshot`: export the state at a height, import it into a new home
/// (Docs/spec/snapshot.md).
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Export and import L1 state snapshots.",
        subcommands: [Export.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the state at a committed height, with its proofs, to a snapshot file.",
            discussion: """
                Works while the node runs: the store is opened read-only, as it is at that moment. Prints the \
                block id at the height: an importer checks it against a trusted node's getBlock.
                """)
        @OptionGroup var home: NodeCommand.HomeOption
        @Option(help: "The height (default: the latest committed block).") var height: UInt64?
        @Option(help: "The snapshot file to write (written to a temporary file, then renamed).") var out: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let summary = try StateSnapshot.export(
                    home: home.nodeHome, height: height, to: URL(fileURLWithPath: out))
                var report = Self.report(summary)
                report.add("file", out)
                report.print(json: output.json)
            }
        }

        static func report(_ summary: StateSnapshot.Summary) -> Report {
            var report = Report()
            report.add("height", summary.height)
            report.add("blockId", summary.blockID.hex)
            report.add("stateRoot", summary.stateRoot.hex)
            report.add("epoch", summary.epoch)
            report.add("headers", summary.headers)
            report.add("leaves", summary.leaves)
            report.add("fileHash", summary.fileHash.hex)
            return report
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a snapshot file and make it the chain of an initialised home without chain data.",
            discussion: """
                --trust-hash is the id of the snapshot's block as a node you trust reports it (getBlock at the \
                snapshot height). Nothing is written unless every check passes. Then `aether node start` \
                syncs the blocks after the snapshot from peers.
                """)
        @OptionGroup var home: NodeCommand.HomeOption
        @Option(help: "The snapshot file.") var file: String
        @Option(help: "The trusted id of the snapshot's block (64 hex digits).") var trustHash: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let trusted = try Hash(hexArgument(trustHash, name: "trust-hash", count: 32))
                let summary = try StateSnapshot.import(
                    from: URL(fileURLWithPath: file), into: home.nodeHome, trustedBlockID: trusted)
                var report = Export.report(summary)
                report.add("home", home.nodeHome.url.path)
                report.print(json: output.json)
            }
        }
    }
}
