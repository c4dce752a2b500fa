import Chain
import DataAvailabilityModule
import Foundation
import Node
import Primitives
import RPC
import Testing

/// Domain block data on a localnet of real validator processes: posted through one validator,
/// held by all, sampled and rebuilt through others with `aether da`, and the availability rule.
@Suite("Domain data on a localnet", .serialized)
struct DomainDataTests {
    /// The CLI arguments that sign with validator `index`'s operator key through its own RPC.
    static func signer(_ net: LocalnetHarness, _ index: Int) -> [String] {
        [
            "--key", "operator", "--keystore", net.home(index).appendingPathComponent("keys").path,
            "--password-file", net.home(index).appendingPathComponent("password").path,
            "--rpc", "http://127.0.0.1:\(net.rpcBase + index)",
        ]
    }

    static func run(_ net: LocalnetHarness, _ arguments: [String]) throws -> [String: Any] {
        let result = try runProcess(net.aether, arguments)
        guard result.status == 0 else {
            throw HarnessError(
                "aether \(arguments.prefix(2).joined(separator: " ")) failed: \(result.standardOutput) \(result.standardError)"
            )
        }
        return try result.json()
    }

    /// The JSON-RPC error code of a call (nil when it succeeds).
    static func errorCode(_ net: LocalnetHarness, _ index: Int, _ method: String, _ params: JSONObject) -> Int? {
        do {
            _ = try net.client(index).call(method, params)
            return nil
        } catch {
            if case .server(_, let code, _)? = error as? RPCClientError { return code }
            return 0
        }
    }

    /// Posts `file` for app-1 at the first height from `from` where one of the members (validators
    /// 1 and 2) is the proposer: only the domain's proposer for a height may post it.
    static func postUntilLanded(_ net: LocalnetHarness, file: URL, from first: UInt64) async throws -> (
        height: UInt64, root: String, by: Int
    ) {
        let deadline = Date().addingTimeInterval(60)
        var height = first
        while Date() < deadline {
            for index in [1, 2] {
                let answer = try Self.run(
                    net,
                    ["da", "post", file.path, "--domain", "app-1", "--height", "\(height)"] + Self.signer(net, index))
                let root = try #require(answer["dataRoot"] as? String)
                let transaction = try #require(answer["transaction"] as? [String: Any])
                let hash = try #require(transaction["hash"] as? String)
                try await net.waitUntil("the post is committed", seconds: 20) {
                    net.transaction(index, hash)?.status == "committed"
                }
                if net.transaction(index, hash)?.succeeded == true { return (height, root, index) }
            }
            height += 1
            try await Task.sleep(for: .milliseconds(500))
        }
        throw HarnessError("no post landed within 60 s\n\(net.diagnostics())")
    }

    @Test("posted data is held by every validator, sampled and rebuilt elsewhere; unheld data is never committed")
    func postSampleReconstruct() async throws {
        let net = try LocalnetHarness(portBase: 28_200, epochSlots: 6)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2)

        // Validators 1 and 2 serve app-1; their set is in force two epochs after they join.
        for index in [1, 2] {
            let joined = try Self.run(net, ["tx", "join-domain", "--domain", "app-1"] + Self.signer(net, index))
            let hash = try #require(joined["hash"] as? String)
            try await net.waitUntil("validator \(index) joins app-1", seconds: 30) {
                net.transaction(0, hash)?.succeeded == true
            }
        }
        var generator = SeededRandom(seed: 0xDA7A)
        let data = generator.bytes(20_000)
        let file = net.root.appendingPathComponent("block.bin")
        try Data(data).write(to: file)

        let post = try await Self.postUntilLanded(net, file: file, from: 1)
        // Every validator holds the data (gossiped), and reports the commitment.
        var params = JSONObject()
        params["domain"] = .string("app-1")
        params["height"] = JSONValue(post.height)
        for index in 0..<4 {
            guard case .object(let commitment)? = net.call(index, "getDomainCommitment", params) else {
                Issue.record("validator \(index) has no commitment")
                continue
            }
            #expect(commitment["dataRoot"]?.stringValue == post.root)
            #expect(commitment["held"] == .bool(true), "validator \(index)")
        }

        // A light client samples through validator 3; a reader rebuilds the data through validator 0.
        let block = ["--domain", "app-1", "--height", "\(post.height)"]
        let sampled = try Self.run(
            net,
            [
                "da", "sample", "--rpc", "http://127.0.0.1:\(net.rpcBase + 3)", "--samples", "24", "--seed", "7",
                "--json",
            ]
                + block)
        #expect(sampled["samples"] as? Int == 24)
        #expect(abs((sampled["confidence"] as? Double ?? 0) - (1 - pow(0.75, 24))) < 1e-9)
        let rebuilt = net.root.appendingPathComponent("rebuilt.bin")
        _ = try Self.run(
            net,
            ["da", "reconstruct", "--rpc", "http://127.0.0.1:\(net.rpcBase)", "--out", rebuilt.path, "--json"] + block)
        #expect(try [UInt8](Data(contentsOf: rebuilt)) == data)

        // Bad requests get clear errors.
        var outside = params
        outside["row"] = JSONValue(UInt64(999))
        outside["column"] = JSONValue(UInt64(0))
        #expect(Self.errorCode(net, 0, "getShare", outside) == -32602)
        var unknown = params
        unknown["height"] = JSONValue(UInt64(999_999))
        #expect(Self.errorCode(net, 0, "getDomainCommitment", unknown) == -32004)
        var badDomain = params
        badDomain["domain"] = .string("bad id!")
        #expect(Self.errorCode(net, 0, "getRowRoots", badDomain) == -32602)
        var short = JSONObject()
        short["square"] = .string("00ff")
        short["width"] = JSONValue(UInt64(1))
        #expect(Self.errorCode(net, 0, "submitDomainData", short) == -32602)

        // A validator that was down when data was posted fetches it from its peers once it is back.
        net.kill(3)
        let second = net.root.appendingPathComponent("second.bin")
        try Data(generator.bytes(3_000)).write(to: second)
        let later = try await Self.postUntilLanded(net, file: second, from: post.height + 1)
        try net.start(3)
        var laterParams = params
        laterParams["height"] = JSONValue(later.height)
        try await net.waitUntil("the restarted validator holds the data posted while it was down", seconds: 60) {
            guard case .object(let commitment)? = net.call(3, "getDomainCommitment", laterParams) else { return false }
            return commitment["held"] == .bool(true) && commitment["dataRoot"]?.stringValue == later.root
        }

        // The availability rule: a commitment to data no validator holds is never built into a block.
        let home = NodeHome(net.home(post.by))
        let configuration = try home.configuration()
        let password = try #require(try home.passwordFromFile(configuration))
        let operatorKey = try home.identity(configuration: configuration, password: password).operatorKey
        guard
            case .object(let account)? = net.call(
                post.by, "getAccount",
                {
                    var object = JSONObject()
                    object["address"] = .string(Address(publicKey: operatorKey.publicKey).description)
                    return object
                }()), let nonce = (account["nextNonce"] ?? account["nonce"])?.uint64Value
        else { throw HarnessError("no account for the poster") }
        let unheld = DataAvailabilityModule.PostCommitment(
            domain: "app-1", height: post.height + 1_000, dataRoot: Hashing.sha256([1, 2, 3]), originalWidth: 1)
        let chainId = try #require(net.status(0)?["chainId"]?.stringValue)
        let transaction = Transaction(
            chainId: chainId, sender: operatorKey.publicKey, nonce: nonce, maxFee: 1_000_000, priorityFee: 0,
            messages: [Message(unheld)])
        var send = JSONObject()
        send["tx"] = .string(Hex.encode(try transaction.signed(by: operatorKey).encoded))
        guard case .object(let sent)? = net.call(post.by, "sendRawTx", send), let hash = sent["hash"]?.stringValue
        else {
            throw HarnessError("the unheld commitment was not accepted into the mempool")
        }
        let start = try #require(net.height(0))
        try await net.waitForHeight(start + 6)
        #expect(net.transaction(post.by, hash)?.status == "pending")
    }
}
