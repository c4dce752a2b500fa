import ArgumentParser
import DataAvailability
import Foundation
import Primitives

/// `aether da`: domain block data: encode it, post it to the L1, sample it and rebuild it.
struct DACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "da",
        abstract: "Data availability: encode, post, sample and reconstruct domain block data.",
        subcommands: [Encode.self, Post.self, Sample.self, Reconstruct.self]
    )

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encode a file as one block's data and print the square size and data root.",
            discussion: """
                The file becomes one blob under --namespace, split into 512-byte shares, laid out in the \
                smallest k×k square, extended with the 2D Reed–Solomon code to 2k×2k and committed with \
                namespaced Merkle trees (Docs/spec/data-availability.md). k is at most 127, so a block holds \
                at most about 8.1 MB of data.
                """)
        @Argument(help: "The file to encode ('-' for standard input).") var file: String
        @Option(help: "The blob's namespace: 8 bytes as 16 hex digits.") var namespace = "0000000000000001"
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let namespace = try DataAvailability.Namespace(
                    bytes: hexArgument(self.namespace, name: "namespace", count: Namespace.byteCount))
                let data = try readInput(file)
                let square = try DataSquare(blobs: [Blob(namespace: namespace, data: data)])
                let committed = try CommittedSquare(ExtendedSquare.extend(square))
                var out = Report()
                out.add("bytes", data.count)
                out.add("namespace", namespace.description)
                out.add("squareSize", square.width)
                out.add("extendedSize", committed.square.width)
                out.add("dataShares", ShareFormat.sharesNeeded(forBlobOf: data.count))
                out.add("shares", square.shareCount)
                out.add("extendedShares", committed.square.width * committed.square.width)
                out.add("dataRoot", committed.header.dataRoot.hex)
                out.add("rowRoots", committed.header.rowRoots.count)
                out.add("columnRoots", committed.header.columnRoots.count)
                out.print(json: output.json)
            }
        }
    }
}
