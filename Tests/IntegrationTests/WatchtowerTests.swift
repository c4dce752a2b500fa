import Chain
import ChannelAdjudicator
import ChannelCore
import Foundation
import Primitives
import RPC
import Testing

/// `aether watchtower` against a real validator process: a client's counterparty registers a stale
/// state while the client is away; the tower refutes, concludes and withdraws the client's balance.
@Suite("Watchtower on a localnet")
struct WatchtowerLocalnetTests {
    static let alice = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x61, count: 32))
    static let bob = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x62, count: 32))

    /// Signs `messages` as `key` with its next nonce and sends them; returns the transaction hash.
    static func send(_ net: LocalnetHarness, _ key: Ed25519.PrivateKey, _ messages: [Message]) throws -> String {
        var params = JSONObject()
        params["address"] = .string(Address(publicKey: key.publicKey).description)
        guard case .object(let account)? = net.call(0, "getAccount", params),
            let nonce = (account["nextNonce"] ?? account["nonce"])?.uint64Value,
            let chainId = net.status(0)?["chainId"]?.stringValue
        else { throw HarnessError("no account or chain id") }
        let transaction = Transaction(
            chainId: chainId, sender: key.publicKey, nonce: nonce, maxFee: 1_000_000, priorityFee: 0, messages: messages
        )
        var send = JSONObject()
        send["tx"] = .string(Hex.encode(try transaction.signed(by: key).encoded))
        guard case .object(let sent)? = net.call(0, "sendRawTx", send), let hash = sent["hash"]?.stringValue else {
            throw HarnessError(
                "the transaction was not accepted: \(String(describing: net.call(0, "sendRawTx", send)))")
        }
        return hash
    }

    static func committed(_ net: LocalnetHarness, _ hash: String) async throws {
        try await net.waitUntil("transaction \(hash) is committed", seconds: 30) {
            net.transaction(0, hash)?.status == "committed"
        }
        #expect(net.transaction(0, hash)?.succeeded == true, "transaction \(hash) failed")
    }

    static func record(_ net: LocalnetHarness, _ id: Hash) throws -> ChannelRecord {
        var params = JSONObject()
        params["key"] = .string(Hex.encode(Array("\(Adjudicator.moduleName)/".utf8) + [0x01] + id.bytes))
        guard case .object(let proof)? = net.call(0, "getProof", params) else { throw HarnessError("no proof") }
        guard proof["exists"]?.boolValue == true, let value = proof["value"]?.stringValue else { return .empty }
        return try Canonical.decode(ChannelRecord.self, from: try Hex.decode(value))
    }

    @Test("the tower refutes a stale registration, concludes after the window and withdraws the client's balance")
    func refutesOnLocalnet() async throws {
        let net = try LocalnetHarness(validators: 1, portBase: 28_900)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2)
        for key in [Self.alice, Self.bob] {
            try await Self.committed(
                net, try net.transfer(to: Address(publicKey: key.publicKey).description, amount: 10_000_000))
        }
        let chainId = try #require(net.status(0)?["chainId"]?.stringValue)
        let parameters = try ChannelParameters(
            participants: [Self.alice.publicKey, Self.bob.publicKey], challengeDuration: 30, nonce: 1, appID: .zero)
        let id = parameters.channelID(chainID: chainId)
        func signed(_ version: UInt64, _ balances: [UInt64]) -> SignedState {
            let state = ChannelState(channelID: id, version: version, allocation: Allocation(balances: balances))
            let bytes = state.signBytes(chainID: chainId)
            return SignedState(state: state, signatures: [Self.alice.sign(bytes), Self.bob.sign(bytes)])
        }
        try await Self.committed(
            net,
            try Self.send(net, Self.alice, [Message(Adjudicator.Deposit(channelID: id, participant: 0, amount: 600))]))
        try await Self.committed(
            net,
            try Self.send(net, Self.bob, [Message(Adjudicator.Deposit(channelID: id, participant: 1, amount: 400))]))

        // Alice hands her tower version 5 and goes offline; bob registers version 2. The window (30
        // blocks, 15 s) leaves the tower time to start even on a machine busy with other suites.
        let directory = net.root.appendingPathComponent("tower")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let register = Adjudicator.Register(parameters: parameters, signed: signed(5, [900, 100]))
        let file = "{\"client\": 0, \"register\": \"\(Hex.encode(Canonical.encode(register)))\"}"
        try file.write(to: directory.appendingPathComponent("alice.json"), atomically: true, encoding: .utf8)
        let stale = Adjudicator.Register(parameters: parameters, signed: signed(2, [100, 900]))
        try await Self.committed(net, try Self.send(net, Self.bob, [Message(stale)]))
        #expect(try Self.record(net, id).dispute?.state.version == 2)

        let tower = [
            "watchtower", "--channels", directory.path, "--once", "--key", "faucet",
            "--keystore", net.root.appendingPathComponent("faucet").path,
            "--password-file", net.root.appendingPathComponent("password").path,
            "--rpc", "http://127.0.0.1:\(net.rpcBase)",
        ]
        let first = try runProcess(net.aether, tower)
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("refute with version 5"), "\(first.standardOutput)")
        try await net.waitUntil("the refutation lands", seconds: 30) {
            (try? Self.record(net, id).dispute?.state.version) == 5
        }
        let timeout = try #require(try Self.record(net, id).dispute?.timeout)
        try await net.waitForHeight(timeout)
        let aliceAddress = Address(publicKey: Self.alice.publicKey).description
        let before = try #require(net.balance(0, of: aliceAddress))
        // Conclude, then withdraw: one pass each (the tower re-reads the chain every pass).
        for expected in ["conclude", "withdraw for participant 0"] {
            try await net.waitUntil("the tower sends \(expected)", seconds: 30) {
                guard let pass = try? runProcess(net.aether, tower), pass.status == 0 else { return false }
                return pass.standardOutput.contains(expected)
            }
        }
        try await net.waitUntil("alice is paid", seconds: 30) { net.balance(0, of: aliceAddress) == before + 900 }
        let final = try Self.record(net, id)
        #expect(final.payouts == [900, 100] && final.withdrawn == [true, false])
    }
}
