import ChainPeers
import Foundation
import Primitives
import Testing

/// Settlement from a live L1: a domain validator records a batch on a localnet of real validator
/// processes, validators attest it with their registered bridge keys, and `aether settle --source
/// http://…` carries it to a py-evm peer once, and only once it is attested.
@Suite("Settlement batches from the L1", .serialized)
struct SettlementSourceTests {
    static func secp256k1Key(_ index: Int) -> String {
        "0x" + String(repeating: "0", count: 62) + String(format: "%02x", index + 1)
    }

    static func write(_ text: String, _ name: String, in net: LocalnetHarness) throws -> String {
        let path = net.root.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `aether` and waits for the transaction it sent (its JSON answer's `hash`) to commit;
    /// returns whether it succeeded.
    static func send(_ net: LocalnetHarness, _ arguments: [String]) async throws -> Bool {
        let answer = try await Self.run(net, arguments)
        let hash = try #require(answer["hash"] as? String, "\(answer)")
        try await net.waitUntil("\(arguments.prefix(2).joined(separator: " ")) commits", seconds: 30) {
            net.transaction(0, hash)?.status == "committed"
        }
        return net.transaction(0, hash)?.succeeded == true
    }

    static func aether(_ net: LocalnetHarness, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await runProcessOffPool(net.aether, arguments)
        return (result.status, result.standardOutput + result.standardError)
    }

    /// Runs `aether` and parses its JSON answer; a failure throws with its output.
    static func run(_ net: LocalnetHarness, _ arguments: [String]) async throws -> [String: Any] {
        let result = try await runProcessOffPool(net.aether, arguments)
        guard result.status == 0 else {
            throw HarnessError(
                "aether \(arguments.prefix(2).joined(separator: " ")) failed: \(result.standardOutput) \(result.standardError)"
            )
        }
        return try result.json()
    }

    @Test("a batch recorded on the L1 settles on an EVM peer once its attestations reach a quorum, exactly once")
    func settleFromL1() async throws {
        let net = try LocalnetHarness(portBase: 29_100, epochSlots: 6)
        defer { net.shutDown() }
        try net.startAll()
        let peer = try await PeerProcess.start(script: "evm_rpc_shim.py", arguments: ["--chain-id", "31337"])
        defer { peer.stop() }
        try await net.waitForHeight(2)

        // Every validator registers bridge keys: secp256k1 0x…01–0x…04, Ed25519 seeds 0x…11–0x…14.
        var evmKeyFiles: [String] = []
        for index in 0..<4 {
            let evmFile = try Self.write(Self.secp256k1Key(index), "evm-\(index).key", in: net)
            let seed = "0x" + String(repeating: "0", count: 62) + String(format: "%02x", 0x11 + index)
            let solanaFile = try Self.write(seed, "solana-\(index).key", in: net)
            evmKeyFiles.append(evmFile)
            let registered = try await Self.send(
                net,
                ["settlement", "register-signer", "--evm-key-file", evmFile, "--solana-key-file", solanaFile]
                    + DomainDataTests.signer(net, index))
            #expect(registered, "validator \(index) registers its bridge keys")
        }
        // The contract's committee: the four EVM keys, weight 1 each, quorum 3 (the localnet's
        // stakes are equal, so three validators are also the L1's quorum).
        let relayerKey = try Self.write("0x" + String(repeating: "0", count: 62) + "0a", "relayer.key", in: net)
        let addresses = try (0..<4).map { index in
            try Secp256k1.PrivateKey([UInt8](repeating: 0, count: 31) + [UInt8(index + 1)]).publicKey.ethereumAddress
                .checksummed
        }
        let deployed = try await Self.run(
            net,
            [
                "settlement", "deploy", "--evm-rpc", peer.url, "--evm-chain-id", "31337", "--evm-key-file", relayerKey,
                "--bytecode",
                PeerProcess.root.appendingPathComponent("Bridge/Contracts/build/BatchSettlement.bin").path,
                "--threshold", "3", "--json",
            ] + addresses.flatMap { ["--member", "\($0):1"] })
        let contract = try #require(deployed["contract"] as? String)

        // Validators 1 and 2 serve app-1; once their set is in force, validator 1 records a batch.
        for index in [1, 2] {
            #expect(
                try await Self.send(
                    net, ["tx", "join-domain", "--domain", "app-1"] + DomainDataTests.signer(net, index)))
        }
        let payouts = try Self.write(
            """
            {"payouts": [
              {"kind": "evm", "recipient": "0x00000000000000000000000000000000000000b1", "asset": null, "amount": "1000"},
              {"kind": "evm", "recipient": "0x00000000000000000000000000000000000000b2", "asset": null, "amount": "2500"}
            ]}
            """, "payouts.json", in: net)
        let submit =
            ["settlement", "submit", "--domain", "app-1", "--payouts", payouts] + DomainDataTests.signer(net, 1)
        let deadline = Date().addingTimeInterval(90)
        var recorded = false
        while !recorded && Date() < deadline {
            recorded = try await Self.send(net, submit)  // refused until the domain's set is in force
            if !recorded { try await Task.sleep(for: .seconds(1)) }
        }
        #expect(recorded, "the batch is recorded within 90 s\n\(net.diagnostics())")

        let state = net.root.appendingPathComponent("relayer-state").path
        let settle = [
            "settle", "--source", "http://127.0.0.1:\(net.rpcBase)", "--evm-rpc", peer.url, "--evm-chain-id", "31337",
            "--evm-key-file", relayerKey, "--evm-contract", contract, "--state", state, "--deadline", "60",
        ]
        let attest = ["settlement", "attest", "--evm-deployment", "31337:\(contract)"]
        // Two of four attest: no quorum yet, so nothing is sent.
        for index in [0, 1] {
            let result = try await Self.aether(
                net, attest + ["--evm-key-file", evmKeyFiles[index]] + DomainDataTests.signer(net, index))
            #expect(result.status == 0, "\(result.output)")
        }
        try await Task.sleep(for: .seconds(3))
        let early = try await Self.aether(net, settle)
        #expect(early.status == 0 && early.output.contains("batch 1: waiting for attestations"), "\(early.output)")
        #expect(early.output.contains("0 of 0 settled"), "\(early.output)")

        // A relayer following the L1 settles the batch as soon as the third attestation reaches
        // the quorum.
        let log = net.root.appendingPathComponent("follow.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let follower = Process()
        follower.executableURL = net.aether
        follower.arguments = settle + ["--follow", "--interval", "0.5"]
        follower.standardOutput = try FileHandle(forWritingTo: log)
        follower.standardError = follower.standardOutput
        try follower.run()
        defer { if follower.isRunning { follower.terminate() } }
        try await net.waitUntil("the following relayer sees batch 1 waiting", seconds: 30) {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("batch 1: waiting for attestations")
        }
        let third = try await Self.aether(
            net, attest + ["--evm-key-file", evmKeyFiles[2]] + DomainDataTests.signer(net, 2))
        #expect(third.status == 0, "\(third.output)")
        var followed = ""
        try await net.waitUntil("the following relayer settles batch 1", seconds: 60) {
            followed = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return followed.contains("settled in block")
        }
        follower.terminate()
        follower.waitUntilExit()
        let settled = (status: Int32(0), output: followed)
        #expect(settled.output.contains(" by 0x"), "sent by the follower: \(settled.output)")
        // Again, from the same progress store (it names the transaction that landed) and from a
        // fresh one (it reads the contract first): nothing is sent twice.
        let line = try #require(settled.output.split(separator: "\n").first { $0.hasPrefix("batch 1 evm:") })
        let landed = try #require(line.split(separator: ",").first)  // "… settled in block N by 0x…"
        let again = try await Self.aether(net, settle)
        #expect(again.status == 0 && again.output.contains(landed), "\(again.output)")
        let fresh = try await Self.aether(
            net, settle.map { $0 == state ? net.root.appendingPathComponent("fresh-state").path : $0 })
        #expect(fresh.status == 0 && fresh.output.contains("(already on chain)"), "\(fresh.output)")
        // Validator 3 attests late: its signature is recorded, nothing more is sent.
        let late = try await Self.aether(
            net, attest + ["--evm-key-file", evmKeyFiles[3]] + DomainDataTests.signer(net, 3))
        #expect(late.status == 0, "\(late.output)")
    }
}
