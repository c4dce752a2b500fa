import Chain
import ChannelAdjudicator
import ChannelCore
import Foundation
import Primitives
import RPC
import Testing

/// `aether channel` end to end against a real validator process: a provider process serves tokens
/// from a shell command; a payer opens a channel (funded on the L1), streams a metered session,
/// reads the channel's status and closes it; both are paid out on chain.
@Suite("aether channel on a localnet")
struct ChannelCLITests {
    static let payer = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x71, count: 32))
    static let provider = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x72, count: 32))

    @Test("open, stream 60 tokens paid one by one, status, close: the provider is paid 60 × price on chain")
    func openStreamClose() async throws {
        let net = try LocalnetHarness(validators: 1, portBase: 28_700)
        defer { net.shutDown() }
        try net.startAll()
        try await net.waitForHeight(2)
        let keystore = net.root.appendingPathComponent("channel-keys").path
        let password = net.root.appendingPathComponent("password").path
        for (name, key) in [("payer", Self.payer), ("provider", Self.provider)] {
            let imported = try await runOffPool(
                net.aether,
                ["keys", "import", name, "--keystore", keystore, "--password-file", password, "--kdf", "interactive"],
                input: Hex.encode(key.seed))
            #expect(imported.status == 0, "\(imported.standardError)")
            try await WatchtowerLocalnetTests.committed(
                net, try net.transfer(to: Address(publicKey: key.publicKey).description, amount: 10_000_000))
        }
        let rpc = "http://127.0.0.1:\(net.rpcBase)"
        func common(_ name: String, _ data: String) -> [String] {
            ["--key", name, "--keystore", keystore, "--password-file", password, "--data", data]
        }
        let payerData = net.root.appendingPathComponent("payer-channels").path
        let providerData = net.root.appendingPathComponent("provider-channels").path

        // The provider: tokens "w1 " … "w60 " from a shell command.
        let port = 28_650
        let provide = Process()
        provide.executableURL = net.aether
        provide.arguments =
            ["channel", "provide"] + common("provider", providerData) + [
                "--rpc", rpc, "--listen", "\(port)", "--minimum-price", "5",
                "--command", "i=1; while [ $i -le 60 ]; do printf 'w%s ' $i; i=$((i+1)); done",
            ]
        let providerLog = net.root.appendingPathComponent("provider.log")
        FileManager.default.createFile(atPath: providerLog.path, contents: nil)
        provide.standardOutput = try FileHandle(forWritingTo: providerLog)
        provide.standardError = provide.standardOutput
        try provide.run()
        defer {
            provide.terminate()
            provide.waitUntilExit()
        }
        try await Task.sleep(for: .milliseconds(500))
        let address = "\(Self.provider.publicKey)@127.0.0.1:\(port)"

        // A price below the provider's minimum is refused before anything is served.
        let opened = try await runOffPool(
            net.aether,
            ["channel", "open"] + common("payer", payerData) + [
                "--rpc", rpc, "--provider", address, "--deposit", "5000", "--challenge-blocks", "4",
            ])
        #expect(opened.status == 0, "\(opened.standardError) \(opened.standardOutput)")
        let channel = try #require(try opened.json()["channel"] as? String)

        let providerAccount = Address(publicKey: Self.provider.publicKey).description
        let providerBefore = try #require(net.balance(0, of: providerAccount))
        let cheap = try await runOffPool(
            net.aether,
            ["channel", "stream"] + common("payer", payerData) + ["--channel", channel, "--price", "1", "hello"])
        #expect(cheap.status != 0, "a price below the provider's minimum must be refused")

        let streamed = try await runOffPool(
            net.aether,
            ["channel", "stream"] + common("payer", payerData) + [
                "--channel", channel, "--price", "7", "--segment", "16", "--window", "4", "--max-tokens", "100",
                "tell me a story",
            ])
        #expect(streamed.status == 0, "\(streamed.standardError)")
        let expected = (1...60).map { "w\($0) " }.joined()
        #expect(streamed.standardOutput == expected)
        #expect(
            streamed.standardError.contains("60 tokens, 420 AIC base units to the provider"),
            "\(streamed.standardError)")

        let status = try await runOffPool(
            net.aether, ["channel", "status", "--data", payerData, "--channel", channel, "--rpc", rpc])
        #expect(status.status == 0, "\(status.standardError)")
        let listed = try #require(
            try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [[String: Any]])
        #expect(listed.first?["balances"] as? [Int] == [4_580, 420], "\(status.standardOutput)")
        #expect((listed.first?["onChain"] as? [String: Any])?["holdings"] as? [Int] == [5_000, 0])

        let closed = try await runOffPool(
            net.aether, ["channel", "close"] + common("payer", payerData) + ["--channel", channel, "--rpc", rpc])
        #expect(closed.status == 0, "\(closed.standardError)")
        let result = try closed.json()
        #expect(result["cooperative"] as? Bool == true, "\(closed.standardOutput)")
        #expect(result["payouts"] as? [Int] == [4_580, 420], "\(closed.standardOutput)")
        try await net.waitUntil("the provider is paid on chain", seconds: 30) {
            net.balance(0, of: providerAccount) == providerBefore + 420
        }
        let log = (try? String(contentsOf: providerLog, encoding: .utf8)) ?? ""
        #expect(log.contains("opened channel \(channel)"), "\(log)")
    }
}

/// `runProcess` on a thread of its own: a command can take seconds, and waiting for it on the
/// cooperative pool would hold one of the pool's two threads away from the IO suites.
func runOffPool(
    _ executable: URL, _ arguments: [String], input: String? = nil
) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try runProcess(executable, arguments, input: input) })
        }
    }
}
