import Foundation
import Testing

/// The `aether` command as a user runs it: real process, real files, exit codes and JSON.
@Suite("aether command line")
struct CLITests {
    let aether: URL
    let vectors: URL

    init() throws {
        aether = try BuiltProducts.executable("aether")
        vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Vectors")
    }

    func run(_ arguments: String..., environment: [String: String] = [:], input: String? = nil) throws -> ProcessResult
    {
        try runProcess(aether, arguments, environment: environment, input: input)
    }

    @Test("hashing utilities print known digests, as text and JSON")
    func hashes() throws {
        let keccak = try run("util", "keccak256", "--text", "hello", "--json")
        #expect(keccak.status == 0)
        #expect(
            try keccak.json()["keccak256"] as? String
                == "1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8")
        let sha = try run("util", "sha256", "0x616263")
        #expect(sha.standardOutput.contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        let bad = try run("util", "sha256", "0xabc")
        #expect(bad.status != 0)
        #expect(bad.standardError.contains("odd number of digits"))
        let both = try run("util", "sha256", "00", "--text", "x")
        #expect(both.status != 0)
        let root = try run("util", "merkle-root", "--json")
        #expect(
            try root.json()["root"] as? String == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("ics23-verify exits 0 for every vector and 1 with the reason for a broken one")
    func ics23() throws {
        for spec in ["iavl", "tendermint", "smt"] {
            let folder = vectors.appendingPathComponent("ics23/testdata/\(spec)")
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".json") {
                let result = try run("util", "ics23-verify", folder.appendingPathComponent(file).path, "--json")
                #expect(result.status == 0, "\(spec)/\(file): \(result.standardOutput) \(result.standardError)")
                #expect(try result.json()["valid"] as? Bool == true)
            }
        }
        // The same proof under another spec, a wrong root, and junk.
        let smtProof = vectors.appendingPathComponent("ics23/testdata/smt/exist_left.json").path
        let wrongSpec = try run("util", "ics23-verify", smtProof, "--spec", "iavl")
        #expect(wrongSpec.status == 1)
        #expect(!wrongSpec.standardError.isEmpty)

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("aether-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: smtProof))) as? [String: Any])
        object["root"] = String(repeating: "00", count: 32)
        let tampered = scratch.appendingPathComponent("tampered.json")
        try JSONSerialization.data(withJSONObject: object).write(to: tampered)
        let mismatch = try run("util", "ics23-verify", tampered.path, "--spec", "smt", "--json")
        #expect(mismatch.status == 1)
        #expect((try mismatch.json()["error"] as? String)?.isEmpty == false)
        let noSpec = try run("util", "ics23-verify", tampered.path)
        #expect(noSpec.status == 1)
        #expect(noSpec.standardError.contains("--spec"))
        let junk = scratch.appendingPathComponent("junk.json")
        try Data("{not json".utf8).write(to: junk)
        let junkResult = try run("util", "ics23-verify", junk.path, "--spec", "smt")
        #expect(junkResult.status == 1)
        #expect(junkResult.standardError.contains("not JSON"))
    }

    @Test("keys: create, list, sign, verify, recover, export; wrong password refused")
    func keys() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("aether-home-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["AETHER_HOME": home.path, "AETHER_PASSWORD": "test password"]
        func aether(_ arguments: String...) throws -> ProcessResult {
            try runProcess(self.aether, arguments, environment: environment)
        }

        let ed = try aether("keys", "new", "alice", "--kdf", "interactive", "--json")
        #expect(ed.status == 0, "\(ed.standardError)")
        let publicKey = try #require(try ed.json()["publicKey"] as? String)
        let eth = try aether("keys", "new", "bob", "--algorithm", "secp256k1", "--kdf", "interactive", "--json")
        let address = try #require(try eth.json()["address"] as? String)
        #expect(try aether("keys", "new", "alice", "--kdf", "interactive").status == 1)

        let list = try aether("keys", "list")
        #expect(list.standardOutput.contains("alice") && list.standardOutput.contains(address))

        let signed = try aether("util", "sign", "--key", "alice", "--text", "pay 5 AIC", "--json")
        let signature = try #require(try signed.json()["signature"] as? String)
        #expect(
            try aether("util", "verify", "--public-key", publicKey, "--signature", signature, "--text", "pay 5 AIC")
                .status == 0)
        let forged = try aether(
            "util", "verify", "--public-key", publicKey, "--signature", signature, "--text", "pay 6 AIC")
        #expect(forged.status == 1)
        #expect(forged.standardError.contains("not valid"))

        let ethSigned = try aether("util", "sign", "--algorithm", "secp256k1", "--key", "bob", "--text", "hi", "--json")
        let ethSignature = try #require(try ethSigned.json()["signature"] as? String)
        let recovered = try aether("util", "recover", "--signature", ethSignature, "--text", "hi", "--json")
        #expect(try recovered.json()["address"] as? String == address)

        let wrongAlgorithm = try aether("util", "sign", "--algorithm", "secp256k1", "--key", "alice", "--text", "x")
        #expect(wrongAlgorithm.status == 1)

        let wrong = try runProcess(
            self.aether, ["util", "sign", "--key", "alice", "--text", "x"],
            environment: ["AETHER_HOME": home.path, "AETHER_PASSWORD": "nope"])
        #expect(wrong.status == 1)
        #expect(wrong.standardError.contains("wrong password"))

        let exported = try aether("keys", "export", "alice", "--json")
        let secret = try #require(try exported.json()["secret"] as? String)
        #expect(secret.count == 64)
        let imported = try runProcess(
            self.aether, ["keys", "import", "alice2", "--kdf", "interactive", "--json"], environment: environment,
            input: secret + "\n")
        #expect(try imported.json()["publicKey"] as? String == publicKey)
    }

    @Test("VRF prove and verify reproduce RFC 9381 example 16")
    func vrf() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("aether-vrf-\(UUID().uuidString)")
        try Data("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n".utf8).write(to: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let proved = try run("util", "vrf", "prove", "--secret-file", scratch.path, "--text", "", "--json")
        #expect(proved.status == 0, "\(proved.standardError)")
        let json = try proved.json()
        let proof = try #require(json["proof"] as? String)
        #expect(
            proof.hasPrefix(
                "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805"
            ))
        let publicKey = try #require(json["publicKey"] as? String)
        let verified = try run(
            "util", "vrf", "verify", "--public-key", publicKey, "--proof", proof, "--text", "", "--json")
        #expect(try verified.json()["output"] as? String == json["output"] as? String)
        let wrongInput = try run("util", "vrf", "verify", "--public-key", publicKey, "--proof", proof, "--text", "x")
        #expect(wrongInput.status == 1)
    }

    @Test("the primitives benchmark runs end to end and reports every figure with its baseline")
    func benchmark() throws {
        let result = try run("bench", "primitives", "--quick", "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let json = try result.json()
        let rows = try #require(json["rows"] as? [[String: Any]])
        let names = rows.compactMap { $0["name"] as? String }
        for expected in [
            "SHA-256", "Keccak-256", "Ed25519 sign", "Ed25519 verify", "secp256k1 sign", "secp256k1 recover",
            "VRF prove", "VRF verify", "Merkle root", "SMT updates (memory", "SMT updates (RocksDB", "RocksDB batched",
        ] {
            #expect(names.contains { $0.hasPrefix(expected) }, "missing \(expected) in \(names)")
        }
        for row in rows {
            #expect((row["value"] as? Double ?? 0) > 0, "\(row)")
            #expect((row["baselineValue"] as? Double ?? 0) > 0, "\(row)")
        }
    }

    @Test("aether sim runs seeded schedules and reports zero safety violations")
    func simulation() throws {
        let result = try run("sim", "--seeds", "3", "--validators", "4", "--byzantine", "1", "--json")
        #expect(result.status == 0, "\(result.standardOutput) \(result.standardError)")
        let json = try result.json()
        #expect(json["runs"] as? Int == 3)
        #expect(json["failed"] as? Int == 0)
        #expect(json["safetyViolations"] as? Int == 0)
        #expect((json["lowestFinalizedHeight"] as? Int ?? 0) > 0)
        let refused = try run("sim", "--validators", "3", "--byzantine", "1")
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("byzantine"))
    }

    @Test("the consensus benchmark runs and compares with the crypto limit")
    func consensusBenchmark() throws {
        let result = try run("bench", "consensus", "--quick", "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try #require(try result.json()["rows"] as? [[String: Any]])
        #expect(rows.count == 4)
        for row in rows {
            #expect((row["value"] as? Double ?? 0) > 0, "\(row)")
            #expect((row["baselineValue"] as? Double ?? 0) > 0, "\(row)")
        }
    }

    @Test("the execution benchmark runs blocks of real transfers and compares with verifying their signatures")
    func executionBenchmark() throws {
        let result = try run("bench", "execution", "--quick", "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try #require(try result.json()["rows"] as? [[String: Any]])
        #expect(rows.count == 3)
        for row in rows {
            #expect((row["value"] as? Double ?? 0) > 0, "\(row)")
            #expect((row["baselineValue"] as? Double ?? 0) > 0, "\(row)")
        }
        let refused = try run("bench", "execution", "--transfers", "0")
        #expect(refused.status != 0 && refused.standardError.contains("--transfers"))
    }

    @Test("da encode prints the square of a file, and refuses reserved namespaces and missing files")
    func dataAvailabilityEncode() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("aether-da-\(UUID().uuidString)")
        try Data(repeating: 7, count: 100_000).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run("da", "encode", file.path, "--namespace", "00000000000000aa", "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let json = try result.json()
        // 100 000 bytes: 1 + ⌈(100 000 − 499) / 503⌉ = 199 shares, so a 15×15 square extended to 30×30.
        #expect(json["squareSize"] as? Int == 15)
        #expect(json["dataShares"] as? Int == 199)
        #expect(json["rowRoots"] as? Int == 30 && json["columnRoots"] as? Int == 30)
        #expect((json["dataRoot"] as? String)?.count == 64)
        let reserved = try run("da", "encode", file.path, "--namespace", "ffffffffffffffff")
        #expect(reserved.status == 1 && reserved.standardError.contains("reserved"))
        let missing = try run("da", "encode", file.path + ".missing")
        #expect(missing.status == 1 && missing.standardError.contains("cannot read"))
    }

    @Test("the data-availability benchmark runs and reports each figure")
    func dataAvailabilityBenchmark() throws {
        let result = try run("bench", "da", "--quick", "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try #require(try result.json()["rows"] as? [[String: Any]])
        let names = rows.compactMap { $0["name"] as? String }
        for expected in ["extend 16×16", "commit 16×16", "reconstruct 16×16", "sample proof", "bad-encoding proof"] {
            #expect(names.contains { $0.hasPrefix(expected) }, "missing \(expected) in \(names)")
        }
        for row in rows { #expect((row["value"] as? Double ?? 0) > 0, "\(row)") }
    }

    @Test("the channels benchmark runs and reports verified meter ticks and signed updates beside their baselines")
    func channelsBenchmark() throws {
        let result = try run("bench", "channels", "--quick", "--json", "--port-base", "28540")
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try #require(try result.json()["rows"] as? [[String: Any]])
        let names = rows.compactMap { $0["name"] as? String }
        #expect(names.contains { $0.hasPrefix("meter tick verified") }, "\(names)")
        #expect(names.contains { $0.hasPrefix("signed update, both sides") }, "\(names)")
        // The two-process half, with its own peer process.
        #expect(names.contains { $0.hasPrefix("signed updates/s between two processes") }, "\(names)")
        #expect(names.contains { $0.hasPrefix("tick round trip at") }, "\(names)")
        #expect(names.contains { $0.hasPrefix("meter ticks/s, 2 concurrent sessions") }, "\(names)")
        for row in rows {
            #expect((row["value"] as? Double ?? 0) > 0, "\(row)")
            // Rows measured beside a baseline carry its figure; latencies and wire rates stand alone.
            if let baseline = row["baseline"] as? String, !baseline.isEmpty {
                #expect((row["baselineValue"] as? Double ?? 0) > 0, "\(row)")
            }
        }
    }

    @Test("the settlement benchmark runs against the chain peers and meets its gas targets")
    func settlementBenchmark() throws {
        let result = try run("bench", "settlement", "--quick", "--json")
        #expect(result.status == 0, "\(result.standardError)")
        let rows = try #require(try result.json()["rows"] as? [[String: Any]])
        #expect(rows.count >= 9)
        for row in rows {
            #expect((row["value"] as? Double ?? 0) > 0, "\(row)")
            if row["target"] is String { #expect(row["meetsTarget"] as? Bool == true, "\(row)") }
        }
    }
}
