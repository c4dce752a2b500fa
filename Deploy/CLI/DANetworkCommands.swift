import ArgumentParser
import Chain
import DataAvailability
import DataAvailabilityModule
import Foundation
import Primitives
import RPC

/// A node's JSON-RPC as a `ShareSource`: the light client checks everything it answers against the
/// data root, so the node is trusted for nothing but being there.
struct RPCShareSource: ShareSource {
    /// The node's address (a client per call: `RPCClient` is not shareable across tasks).
    let url: String
    let domain: String
    let height: UInt64

    var client: RPCClient { get throws { try RPCClient(url: url) } }

    func params(_ extra: [String: JSONValue] = [:]) -> JSONObject {
        var params = JSONObject()
        params["domain"] = .string(domain)
        params["height"] = JSONValue(height)
        for (key, value) in extra { params[key] = value }
        return params
    }

    /// The data root the L1 recorded for the block (as the node reports it).
    func commitment() throws -> (dataRoot: Hash, width: Int) {
        guard case .object(let object) = try client.call("getDomainCommitment", params()),
            let rootText = object["dataRoot"]?.stringValue, let width = object["width"]?.uint64Value
        else { throw CommandFailure("the node's getDomainCommitment answer has no dataRoot and width") }
        return (try Hash(hex: rootText), Int(width))
    }

    func header() async throws -> DataAvailabilityHeader {
        guard case .object(let object) = try client.call("getRowRoots", params()),
            let encoded = object["encoded"]?.stringValue
        else { throw CommandFailure("the node's getRowRoots answer has no encoded header") }
        return try Canonical.decode(DataAvailabilityHeader.self, from: try Hex.decode(encoded))
    }

    func share(row: Int, column: Int) async throws -> ShareProof {
        let answer: JSONValue
        do {
            answer = try client.call(
                "getShare", params(["row": JSONValue(UInt64(row)), "column": JSONValue(UInt64(column))]))
        } catch {
            throw DataAvailabilityError.shareUnavailable(row: row, column: column)
        }
        guard case .object(let object) = answer, let encoded = object["proof"]?.stringValue else {
            throw DataAvailabilityError.invalidSample(row: row, column: column, reason: "the answer has no proof")
        }
        do { return try Canonical.decode(ShareProof.self, from: try Hex.decode(encoded)) } catch {
            throw DataAvailabilityError.invalidSample(row: row, column: column, reason: "undecodable proof: \(error)")
        }
    }
}

/// Where a DA command finds a domain block: `--rpc`, `--domain`, `--height`.
struct DomainBlockOptions: ParsableArguments {
    @OptionGroup var rpc: RPCOptions
    @Option(help: "The domain (its chain id).") var domain: String
    @Option(help: "The domain block's height.") var height: UInt64

    func source() throws -> RPCShareSource {
        guard DataAvailabilityModule.isDomainID(domain) else {
            throw CommandFailure("\"\(domain)\" is not a domain id")
        }
        _ = try rpc.client()
        return RPCShareSource(url: rpc.rpc, domain: domain, height: height)
    }
}

extension DACommand {
    /// `aether da post`: hand a domain block's data to a node and record its commitment on the L1.
    struct Post: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Post a file as a domain block's data: the node stores and gossips the square, and the "
                + "signer (the domain's proposer for the height) records its data root on the L1.")
        @Argument(help: "The file holding the block's data ('-' for standard input).") var file: String
        @Option(help: "The domain (its chain id).") var domain: String
        @Option(help: "The domain block's height.") var height: UInt64
        @Option(help: "The blob's namespace: 16 hex digits.") var namespace = "0000000000000001"
        @OptionGroup var signer: TxCommand.Signer

        func run() throws {
            try reportingErrors(json: true) {
                let namespace = try DataAvailability.Namespace(
                    bytes: hexArgument(self.namespace, name: "namespace", count: Namespace.byteCount))
                let square = try DataSquare(blobs: [Blob(namespace: namespace, data: try readInput(file))])
                var params = JSONObject()
                params["square"] = .string(Hex.encode(square.bytes))
                params["width"] = JSONValue(UInt64(square.width))
                guard case .object(let stored) = try signer.rpc.client().call("submitDomainData", params),
                    let rootText = stored["dataRoot"]?.stringValue
                else { throw CommandFailure("the node did not report the data root") }
                let post = DataAvailabilityModule.PostCommitment(
                    domain: domain, height: height, dataRoot: try Hash(hex: rootText),
                    originalWidth: UInt16(square.width))
                let sent = try signer.send([Message(post)])
                printResult(
                    JSONValue(object: [
                        "dataRoot": .string(rootText), "width": JSONValue(UInt64(square.width)), "transaction": sent,
                    ]))
            }
        }
    }

    /// `aether da sample`: the light client's availability check over JSON-RPC.
    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sample random shares of a domain block from a node and report the confidence that its "
                + "data is available.")
        @OptionGroup var block: DomainBlockOptions
        @Option(help: "How many distinct shares to sample.") var samples = 16
        @Option(help: "Seed of the coordinate choice (default: random).") var seed: UInt64?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors(json: output.json) {
                let source = try block.source()
                let (dataRoot, _) = try source.commitment()
                var generator = SeededRandom(seed: seed ?? UInt64.random(in: 0...UInt64.max))
                let report = try await SamplingClient(dataRoot: dataRoot).sample(
                    from: source, count: samples, using: &generator)
                var out = Report()
                out.add("domain", block.domain)
                out.add("height", block.height)
                out.add("dataRoot", dataRoot.hex)
                out.add("extendedWidth", report.width)
                out.add("samples", report.coordinates.count)
                out.add("confidence", report.confidence)
                out.print(json: output.json)
            }
        }
    }

    /// `aether da reconstruct`: fetch enough verified shares to rebuild a domain block's data.
    struct Reconstruct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild a domain block's data from a node's shares, check it against the data root and "
                + "write one namespace's data to a file.")
        @OptionGroup var block: DomainBlockOptions
        @Option(help: "Where to write the data.") var out: String
        @Option(help: "The namespace to write: 16 hex digits.") var namespace = "0000000000000001"
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors(json: output.json) {
                let namespace = try DataAvailability.Namespace(
                    bytes: hexArgument(self.namespace, name: "namespace", count: Namespace.byteCount))
                let source = try block.source()
                let (dataRoot, k) = try source.commitment()
                let header = try await source.header()
                try header.verify(dataRoot: dataRoot)
                // Row by row, k verified shares each (any k of the 2k do): rows decode, then columns.
                var partial = try PartialSquare(originalWidth: k)
                var fetched = 0
                for row in 0..<k {
                    var have = 0
                    for column in 0..<2 * k where have < k {
                        guard let sample = try? await source.share(row: row, column: column),
                            (try? sample.verify(header: header)) != nil
                        else { continue }
                        try partial.insert(sample.share, row: row, column: column)
                        have += 1
                        fetched += 1
                    }
                    guard have == k else {
                        throw CommandFailure("row \(row): only \(have) of the \(k) shares needed could be fetched")
                    }
                }
                let square = try partial.reconstruct(dataRoot: dataRoot)
                let data = try square.square.original().blobs().filter { $0.namespace == namespace }
                    .flatMap(\.data)
                try Data(data).write(to: URL(fileURLWithPath: out))
                var report = Report()
                report.add("dataRoot", dataRoot.hex)
                report.add("sharesFetched", fetched)
                report.add("namespace", namespace.description)
                report.add("bytes", data.count)
                report.add("out", out)
                report.print(json: output.json)
            }
        }
    }
}
