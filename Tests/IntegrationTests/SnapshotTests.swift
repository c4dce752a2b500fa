import Foundation
import RPC
import Testing

/// State snapshots as an operator uses them: `aether node snapshot export` from a running validator,
/// `aether node snapshot import` into a validator whose data was wiped, then `aether node start`.
@Suite("State snapshots on a localnet of real validator processes", .serialized)
struct SnapshotLocalnetTests {
    /// The state root validator `index` reports at `height`.
    static func stateRoot(_ net: LocalnetHarness, _ index: Int, height: UInt64) -> String? {
        var params = JSONObject()
        params["height"] = JSONValue(height)
        return net.call(index, "getStateRoot", params)?.objectValue?["stateRoot"]?.stringValue
    }

    /// The error message of a failing `getBlock` at `height` on validator `index`.
    static func blockError(_ net: LocalnetHarness, _ index: Int, height: UInt64) -> String? {
        var params = JSONObject()
        params["height"] = JSONValue(height)
        do {
            _ = try net.client(index).call("getBlock", params)
            return nil
        } catch let RPCClientError.server(_, _, message) {
            return message
        } catch {
            return nil
        }
    }

    /// Validator 3 is down for a few epochs: with the localnet's downtime rule (5 missed slots in
    /// 10) it would be jailed and leave the validator set, and this test wants it back as a voting
    /// validator. The genesis is changed, before any node starts, so nobody is jailed.
    static func tolerateDowntime(_ net: LocalnetHarness) throws {
        let files =
            [net.root.appendingPathComponent("genesis.toml")]
            + (0..<net.count).map { net.home($0).appendingPathComponent("genesis.toml") }
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let patched = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                if line.hasPrefix("downtime_window_slots =") { return "downtime_window_slots = 1_000_000" }
                if line.hasPrefix("jail_threshold_slots =") { return "jail_threshold_slots = 1_000_000" }
                return String(line)
            }.joined(separator: "\n")
            guard patched.contains("jail_threshold_slots = 1_000_000") else {
                throw HarnessError("\(file.path) has no jail_threshold_slots to change")
            }
            try patched.write(to: file, atomically: true, encoding: .utf8)
        }
    }

    @Test("a wiped validator restored from a running validator's snapshot syncs, agrees and follows consensus")
    func restoreFromSnapshot() async throws {
        let net = try LocalnetHarness(portBase: 28_000, epochSlots: 10)
        defer { net.shutDown() }
        try Self.tolerateDowntime(net)
        try net.startAll()
        try await net.waitForHeight(3)
        let before = try net.transfer(to: LocalnetTests.address(31), amount: 900)
        try await net.waitUntil("the transfer is committed everywhere", seconds: 60) {
            (0..<4).allSatisfy { net.transaction($0, before)?.status == "committed" }
        }

        // Validator 3 stops and loses its data. (The snapshot is taken after it stopped, so it
        // starts on a block certified after its last vote: it has no safety state any more.)
        net.kill(3)
        let data = net.home(3).appendingPathComponent("data")
        try FileManager.default.removeItem(at: data)
        try await net.waitForHeight((net.height(0) ?? 0) + 2, on: [0, 1, 2])

        // Export from validator 0 while it runs.
        let file = net.root.appendingPathComponent("validator-0.snapshot")
        let exported = try runProcess(
            net.aether, ["node", "snapshot", "export", "--home", net.home(0).path, "--out", file.path, "--json"])
        try #require(exported.status == 0, "export failed: \(exported.standardError) \(exported.standardOutput)")
        let report = try exported.json()
        let height = try #require((report["height"] as? NSNumber)?.uint64Value)
        let exportedID = try #require(report["blockId"] as? String)
        // The operator takes the trust hash from another node's RPC.
        let trusted = try #require(net.blockID(1, height: height))
        #expect(trusted == exportedID)

        // A home with chain data is refused (validator 2, running).
        let refused = try runProcess(
            net.aether,
            ["node", "snapshot", "import", "--home", net.home(2).path, "--file", file.path, "--trust-hash", trusted])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("already holds chain data"), "\(refused.standardError)")

        // An untrusted block id is refused and leaves the home empty.
        let wrong = try #require(net.blockID(1, height: height - 1))
        let untrusted = try runProcess(
            net.aether,
            ["node", "snapshot", "import", "--home", net.home(3).path, "--file", file.path, "--trust-hash", wrong])
        #expect(untrusted.status != 0)
        #expect(untrusted.standardError.contains("not the trusted"), "\(untrusted.standardError)")
        #expect(!FileManager.default.fileExists(atPath: data.path))

        let imported = try runProcess(
            net.aether,
            [
                "node", "snapshot", "import", "--home", net.home(3).path, "--file", file.path, "--trust-hash", trusted,
                "--json",
            ])
        try #require(imported.status == 0, "import failed: \(imported.standardError) \(imported.standardOutput)")
        #expect((try imported.json()["height"] as? NSNumber)?.uint64Value == height)

        // Let the others move two epochs on (10-block epochs), so catching up crosses epochs
        // (ChainSync) into one whose validator set the state at the snapshot does not hold yet.
        try await net.waitForHeight(height + 25, on: [0, 1, 2])
        try net.start(3)
        let target = (net.height(0) ?? 0) + 3
        try await net.waitForHeight(target, on: [3], seconds: 120)
        LocalnetTests.expectAgreement(net, on: [0, 1, 2, 3], heights: height...target)
        for probe in [height, target] {
            let roots = (0..<4).map { Self.stateRoot(net, $0, height: probe) }
            #expect(roots.allSatisfy { $0 != nil && $0 == roots[0] }, "height \(probe): \(roots)")
        }
        // The state from before the snapshot is there; the blocks below it are not, and say why.
        #expect(net.balance(3, of: LocalnetTests.address(31)) == 900)
        let pruned = Self.blockError(net, 3, height: height - 1)
        #expect(
            pruned?.contains("pruned: this node starts from a snapshot at height \(height)") == true, "\(pruned ?? "-")"
        )
        #expect(net.blockID(3, height: 0) == net.blockID(0, height: 0))

        // It follows consensus: a transfer sent through it is committed everywhere.
        let after = try net.transfer(to: LocalnetTests.address(32), amount: 700, via: 3)
        try await net.waitUntil("the transfer through the restored validator is committed everywhere", seconds: 60) {
            (0..<4).allSatisfy { net.transaction($0, after)?.status == "committed" }
        }
        #expect(net.balance(3, of: LocalnetTests.address(32)) == 700)

        // Now in later epochs, the restored validator can hand its own tip on.
        let second = net.root.appendingPathComponent("validator-3.snapshot")
        let reExported = try runProcess(
            net.aether, ["node", "snapshot", "export", "--home", net.home(3).path, "--out", second.path, "--json"])
        #expect(reExported.status == 0, "\(reExported.standardError)")
        #expect(((try? reExported.json())?["height"] as? NSNumber)?.uint64Value ?? 0 >= target)
    }
}
