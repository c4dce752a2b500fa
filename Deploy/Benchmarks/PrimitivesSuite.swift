public import Foundation
import Primitives
import RocksDBStorage
import Storage

/// `aether bench primitives`: the chain kit's primitives against the C code they stand on.
///
/// Each figure is measured beside its baseline in the same run (interleaved, median of repeats):
/// the C library called directly for the wrappers (target: under 5% cost, a ratio ≥ 0.95),
/// OpenSSL's SHA3-256 for our Keccak-256 (the same permutation; target ≥ 0.8), and the raw SHA-256
/// of the same messages for the Merkle root (target ≥ 0.8).
public struct PrimitivesBenchmark: Sendable {
    /// Sizes and repeats.
    public struct Configuration: Sendable {
        /// Bytes hashed per throughput run.
        public var hashBytes = 16 << 20
        /// Signatures per run.
        public var signatures = 2_000
        /// VRF proofs per run.
        public var vrfProofs = 400
        /// Leaves of the Merkle root.
        public var merkleLeaves = 1 << 20
        /// Keys in the sparse Merkle tree before the timed batches, and updates per batch.
        public var smtPreload = 100_000
        public var smtBatch = 1_000
        /// Key-value pairs per RocksDB batch, and batches per run.
        public var rocksBatch = 1_000
        public var rocksBatches = 50
        /// Repeats per figure.
        public var repeats = 7
        /// Groups to run (all when empty): hashing, ed25519, secp256k1, vrf, merkle, smt, rocksdb.
        public var groups: Set<String> = []

        /// The full benchmark.
        public init() {}

        /// A smoke run: small sizes, three repeats (for tests; the figures are not meaningful).
        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.hashBytes = 1 << 16
            configuration.signatures = 20
            configuration.vrfProofs = 5
            configuration.merkleLeaves = 1_000
            configuration.smtPreload = 1_000
            configuration.smtBatch = 100
            configuration.rocksBatch = 100
            configuration.rocksBatches = 2
            configuration.repeats = 3
            return configuration
        }
    }

    let configuration: Configuration
    let workDirectory: URL

    /// A benchmark that keeps its temporary databases under `workDirectory`.
    public init(configuration: Configuration = .init(), workDirectory: URL) {
        self.configuration = configuration
        self.workDirectory = workDirectory
    }

    /// Runs every measurement, reporting each row to `progress` as it completes.
    public func run(progress: (BenchmarkRow) -> Void = { _ in }) throws -> BenchmarkReport {
        Baselines.sodiumInit()
        let stopwatch = Stopwatch(repeats: configuration.repeats)
        var rows: [BenchmarkRow] = []
        func record(_ row: BenchmarkRow) {
            rows.append(row)
            progress(row)
        }
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)

        let all: [(String, (Stopwatch) throws -> [BenchmarkRow])] = [
            ("hashing", hashing), ("ed25519", ed25519), ("ed25519-batch", ed25519Batch), ("secp256k1", secp256k1),
            ("vrf", vrf), ("merkle", merkle),
            ("smt", sparseMerkleTree), ("rocksdb", rocksDB),
        ]
        let unknown = configuration.groups.subtracting(all.map(\.0))
        guard unknown.isEmpty else {
            throw BenchmarkError("unknown group(s) \(unknown.sorted()); the groups are \(all.map(\.0))")
        }
        for (name, measure) in all where configuration.groups.isEmpty || configuration.groups.contains(name) {
            try measure(stopwatch).forEach(record)
        }
        return BenchmarkReport(
            suite: "primitives", machine: machineDescription(), repeats: configuration.repeats, rows: rows)
    }

    // MARK: - Hashing

    func hashing(_ stopwatch: Stopwatch) -> [BenchmarkRow] {
        var generator = SeededRandom(seed: 1)
        let data = generator.bytes(configuration.hashBytes)
        let megabytes = Double(data.count) / 1e6
        var sink: UInt8 = 0
        let digest = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        defer { digest.deallocate() }

        let sha = data.withUnsafeBytes { buffer in
            stopwatch.compare(
                { sink ^= Hashing.sha256(buffer)[0] },
                { Baselines.opensslSHA256(buffer.baseAddress!, buffer.count, into: digest) })
        }
        let keccak = data.withUnsafeBytes { buffer in
            stopwatch.compare(
                { sink ^= Hashing.keccak256(buffer)[0] }, { Baselines.opensslSHA3_256(buffer, into: digest) })
        }
        // Short inputs: 64-byte messages (two hashes, an address, a Merkle node).
        let shortCount = max(configuration.hashBytes / 64, 1)
        let shortKeccak = data.withUnsafeBytes { buffer in
            stopwatch.compare(
                {
                    for index in 0..<shortCount {
                        sink ^=
                            Hashing.keccak256(UnsafeRawBufferPointer(rebasing: buffer[index * 64..<index * 64 + 64]))[0]
                    }
                },
                {
                    for index in 0..<shortCount {
                        Baselines.opensslSHA3_256(
                            UnsafeRawBufferPointer(rebasing: buffer[index * 64..<index * 64 + 64]), into: digest)
                    }
                })
        }
        _ = sink
        return [
            BenchmarkRow(
                name: "SHA-256 (swift-crypto)", value: megabytes / sha.ours, unit: "MB/s",
                baselineName: "OpenSSL SHA256_Update, C", baselineValue: megabytes / sha.baseline, higherIsBetter: true,
                target: "≥ 0.95", minimumRatio: 0.95),
            BenchmarkRow(
                name: "Keccak-256 (ours)", value: megabytes / keccak.ours, unit: "MB/s",
                baselineName: "OpenSSL SHA3-256, asm", baselineValue: megabytes / keccak.baseline, higherIsBetter: true,
                target: "≥ 0.8", minimumRatio: 0.8),
            BenchmarkRow(
                name: "Keccak-256, 64-byte inputs", value: Double(shortCount) / shortKeccak.ours, unit: "hashes/s",
                baselineName: "OpenSSL SHA3-256 EVP_Digest", baselineValue: Double(shortCount) / shortKeccak.baseline,
                higherIsBetter: true, target: nil, minimumRatio: nil),
        ]
    }

    // MARK: - Signatures

    func ed25519(_ stopwatch: Stopwatch) -> [BenchmarkRow] {
        let count = configuration.signatures
        let seed = [UInt8](repeating: 42, count: 32)
        let key = try! Ed25519.PrivateKey(seed: seed)
        let raw = Baselines.sodiumKeyPair(seed: seed)
        let message = [UInt8](repeating: 0xab, count: 64)
        let signature = key.sign(message)
        var valid = true
        let signatureBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        defer { signatureBuffer.deallocate() }

        let sign = stopwatch.compare(
            { for _ in 0..<count { valid = valid && key.sign(message).bytes[0] == signature.bytes[0] } },
            {
                for _ in 0..<count {
                    Baselines.sodiumSign(message, message.count, secretKey: raw.secretKey, into: signatureBuffer)
                }
            })
        let verify = stopwatch.compare(
            { for _ in 0..<count { valid = valid && key.publicKey.isValidSignature(signature, for: message) } },
            {
                for _ in 0..<count {
                    valid =
                        valid
                        && Baselines.sodiumVerify(signature.bytes, message, message.count, publicKey: raw.publicKey)
                }
            })
        precondition(valid, "Ed25519 benchmark signatures must verify")
        return [
            rate("Ed25519 sign", count, sign, baseline: "libsodium crypto_sign_detached"),
            rate("Ed25519 verify", count, verify, baseline: "libsodium crypto_sign_verify_detached"),
        ]
    }

    /// The cofactored rule of ADR 0018, one at a time and in batches, against libsodium verifying
    /// the same signatures one by one: signatures of 64 keys on 150-byte messages, as transfers.
    func ed25519Batch(_ stopwatch: Stopwatch) -> [BenchmarkRow] {
        let keys = (0..<64).map { try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8($0), count: 32)) }
        let raw = keys.map { $0.publicKey.bytes }
        var rows: [BenchmarkRow] = []
        for size in [1, 4, 8, 16, 64, 256, 1_024] {
            let items = (0..<size).map { index in
                let message = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 150)
                let key = keys[index % keys.count]
                return Ed25519Cofactored.Item(publicKey: key.publicKey, signature: key.sign(message), message: message)
            }
            let rounds = max(1, configuration.signatures / size)
            var valid = true
            let times = stopwatch.compare(
                {
                    for _ in 0..<rounds {
                        valid =
                            valid
                            && (size == 1 ? Ed25519Cofactored.verify(items[0]) : Ed25519Cofactored.verifyAll(items))
                    }
                },
                {
                    for _ in 0..<rounds {
                        for (index, item) in items.enumerated() {
                            valid =
                                valid
                                && Baselines.sodiumVerify(
                                    item.signature.bytes, item.message, item.message.count,
                                    publicKey: raw[index % raw.count])
                        }
                    }
                })
            precondition(valid, "Ed25519 batch benchmark signatures must verify")
            rows.append(
                BenchmarkRow(
                    name: size == 1 ? "Ed25519 verify, cofactored (ours)" : "Ed25519 batch verify, \(size) signatures",
                    value: Double(rounds * size) / times.ours, unit: "sigs/s",
                    baselineName: "libsodium crypto_sign_verify_detached, one by one",
                    baselineValue: Double(rounds * size) / times.baseline, higherIsBetter: true, target: nil,
                    minimumRatio: nil))
        }
        return rows
    }

    func secp256k1(_ stopwatch: Stopwatch) -> [BenchmarkRow] {
        let count = configuration.signatures
        let secret = [UInt8](repeating: 0x11, count: 32)
        let key = try! Secp256k1.PrivateKey(secret)
        let digest = Hashing.keccak256([1, 2, 3])
        let signature = key.sign(hash: digest)
        let context = Baselines.secp256k1Context()
        defer { Baselines.secp256k1Destroy(context) }
        let compact = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        let publicKey = UnsafeMutablePointer<UInt8>.allocate(capacity: 65)
        defer {
            compact.deallocate()
            publicKey.deallocate()
        }
        var ok = true
        let digestBytes = digest.bytes

        let sign = stopwatch.compare(
            { for _ in 0..<count { ok = ok && key.sign(hash: digest).recoveryId == signature.recoveryId } },
            {
                for _ in 0..<count {
                    _ = Baselines.secp256k1Sign(context, hash: digestBytes, secret: secret, into: compact)
                }
            })
        let recover = stopwatch.compare(
            { for _ in 0..<count { ok = ok && (try? signature.recoverPublicKey(from: digest)) == key.publicKey } },
            {
                for _ in 0..<count {
                    ok =
                        ok
                        && Baselines.secp256k1Recover(
                            context, compact: signature.compact, recoveryId: Int32(signature.recoveryId),
                            hash: digestBytes,
                            into: publicKey)
                }
            })
        precondition(ok, "secp256k1 benchmark signatures must recover")
        return [
            rate("secp256k1 sign (recoverable)", count, sign, baseline: "libsecp256k1 sign_recoverable"),
            rate("secp256k1 recover", count, recover, baseline: "libsecp256k1 ecdsa_recover"),
        ]
    }

    func vrf(_ stopwatch: Stopwatch) throws -> [BenchmarkRow] {
        let count = configuration.vrfProofs
        let key = try VRF.SecretKey(seed: [UInt8](repeating: 9, count: 32))
        let seed = key.seed
        let publicKey = key.publicKey.bytes
        // The raw baseline does one try-and-increment round; pick an input that needs only one, and
        // check that both produce the same proof.
        var alpha: [UInt8] = []
        var rawProof = [UInt8](repeating: 0, count: 80)
        for candidate in 0..<64 {
            alpha = Array("aether-bench-\(candidate)".utf8)
            if Baselines.sodiumVRFProve(
                seed: seed, publicKey: publicKey, alpha: alpha, alphaCount: alpha.count, proof: &rawProof)
            {
                break
            }
        }
        let proof = try VRF.prove(alpha, secretKey: key)
        precondition(proof.bytes == rawProof, "the raw libsodium VRF baseline must agree with VRF.prove")
        var ok = true
        let prove = try stopwatch.compare(
            {
                for _ in 0..<count {
                    let fresh = try VRF.prove(alpha, secretKey: key)
                    ok = ok && fresh == proof
                }
            },
            {
                for _ in 0..<count {
                    ok =
                        ok
                        && Baselines.sodiumVRFProve(
                            seed: seed, publicKey: publicKey, alpha: alpha, alphaCount: alpha.count, proof: &rawProof)
                }
            })
        let verify = try stopwatch.compare(
            {
                for _ in 0..<count {
                    let beta = try VRF.verify(alpha, proof: proof, publicKey: key.publicKey)
                    ok = ok && beta.count == 64
                }
            },
            {
                for _ in 0..<count {
                    ok =
                        ok
                        && Baselines.sodiumVRFVerify(
                            publicKey: publicKey, alpha: alpha, alphaCount: alpha.count, proof: proof.bytes)
                }
            })
        precondition(ok, "VRF benchmark proofs must verify")
        return [
            rate("VRF prove (RFC 9381)", count, prove, baseline: "same steps, libsodium called directly"),
            rate("VRF verify (RFC 9381)", count, verify, baseline: "same steps, libsodium called directly"),
        ]
    }

    // MARK: - Merkle trees

    func merkle(_ stopwatch: Stopwatch) -> [BenchmarkRow] {
        let count = configuration.merkleLeaves
        var generator = SeededRandom(seed: 2)
        let flat = generator.bytes(count * 32)
        let leaves = (0..<count).map { Array(flat[$0 * 32..<$0 * 32 + 32]) }
        var root = Hash.zero
        let rawRoot = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        defer { rawRoot.deallocate() }
        let times = stopwatch.compare(
            { root = MerkleTree.root(leaves) }, { Self.rawMerkleRoot(leaves, into: rawRoot) })
        precondition(root.bytes == Array(UnsafeBufferPointer(start: rawRoot, count: 32)), "Merkle baseline must agree")
        return [
            BenchmarkRow(
                name: "Merkle root, \(count) leaves of 32 B", value: times.ours * 1000, unit: "ms",
                baselineName: "OpenSSL SHA-256 of the same messages, C", baselineValue: times.baseline * 1000,
                higherIsBetter: false, target: "≥ 0.8", minimumRatio: 0.8)
        ]
    }

    /// The same tree as `MerkleTree.root` with OpenSSL's SHA-256 called directly: the hashing limit
    /// for this tree shape. It reads the leaves from the same arrays, so both pay the same memory
    /// traffic and the ratio measures the tree code alone.
    static func rawMerkleRoot(_ leaves: [[UInt8]], into root: UnsafeMutablePointer<UInt8>) {
        let count = leaves.count
        let level = UnsafeMutablePointer<UInt8>.allocate(capacity: count * 32)
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: 65)
        defer {
            level.deallocate()
            block.deallocate()
        }
        block[0] = 0x00
        for (index, leaf) in leaves.enumerated() {
            leaf.withUnsafeBytes { _ = memcpy(block + 1, $0.baseAddress!, 32) }
            Baselines.opensslSHA256(block, 33, into: level + index * 32)
        }
        var width = count
        block[0] = 0x01
        while width > 1 {
            var next = 0
            var index = 0
            while index + 1 < width {
                memcpy(block + 1, level + index * 32, 64)
                Baselines.opensslSHA256(block, 65, into: level + next * 32)
                next += 1
                index += 2
            }
            if index < width {
                memmove(level + next * 32, level + index * 32, 32)
                next += 1
            }
            width = next
        }
        memcpy(root, level, 32)
    }

    func sparseMerkleTree(_ stopwatch: Stopwatch) throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        let columns = [StoreColumn.default] + SparseMerkleTree.defaultColumns
        let rocksPath = workDirectory.appendingPathComponent("smt-rocksdb").path
        try? FileManager.default.removeItem(atPath: rocksPath)
        let stores: [(String, any KeyValueStore)] = [
            ("memory", MemoryStore(columns: columns)),
            ("RocksDB", try RocksDBStore(path: rocksPath, columns: columns)),
        ]
        for (label, store) in stores {
            let tree = SparseMerkleTree(store: store)
            var generator = SeededRandom(seed: 3)
            var root = SparseMerkleTree.emptyRoot
            let preload = (0..<configuration.smtPreload).map { _ in
                (key: generator.bytes(32), value: Optional(generator.bytes(32)))
            }
            root = try tree.update(root: root, changes: preload)
            var nodesWritten = 0
            var batches = 0
            let updateTime = try stopwatch.measure {
                let changes = (0..<configuration.smtBatch).map { _ in
                    (key: generator.bytes(32), value: Optional(generator.bytes(32)))
                }
                var batch = WriteBatch()
                root = try tree.update(root: root, changes: changes, batch: &batch)
                try store.write(batch, sync: false)
                nodesWritten += batch.count - changes.count
                batches += 1
            }
            // The hashing limit: SHA-256 of as many 65-byte node preimages as one batch writes.
            let nodesPerBatch = max(nodesWritten / max(batches, 1), 1)
            let block = [UInt8](repeating: 1, count: 65)
            let digest = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
            defer { digest.deallocate() }
            let hashTime = stopwatch.measure {
                for _ in 0..<nodesPerBatch { Baselines.opensslSHA256(block, 65, into: digest) }
            }
            let updates = Double(configuration.smtBatch)
            rows.append(
                BenchmarkRow(
                    name:
                        "SMT updates (\(label), \(configuration.smtPreload) keys, batches of \(configuration.smtBatch))",
                    value: updates / updateTime, unit: "updates/s",
                    baselineName: "hashing limit: SHA-256 of the \(nodesPerBatch) nodes a batch writes",
                    baselineValue: updates / hashTime, higherIsBetter: true, target: nil, minimumRatio: nil))
        }
        return rows
    }

    // MARK: - RocksDB

    func rocksDB(_ stopwatch: Stopwatch) throws -> [BenchmarkRow] {
        let oursPath = workDirectory.appendingPathComponent("rocks-ours").path
        let rawPath = workDirectory.appendingPathComponent("rocks-raw").path
        try? FileManager.default.removeItem(atPath: oursPath)
        try? FileManager.default.removeItem(atPath: rawPath)
        let store = try RocksDBStore(path: oursPath, columns: [.default])
        guard let raw = Baselines.RawRocksDB(path: rawPath) else {
            throw BenchmarkError("cannot open the raw RocksDB baseline at \(rawPath)")
        }
        let perBatch = configuration.rocksBatch
        let batches = configuration.rocksBatches
        var generator = SeededRandom(seed: 4)
        let keys = generator.bytes(perBatch * batches * 32)
        let values = generator.bytes(perBatch * batches * 100)
        var round = 0
        var failures = 0
        let times = try stopwatch.compare(
            {
                for batchIndex in 0..<batches {
                    var batch = WriteBatch()
                    for item in 0..<perBatch {
                        let index = batchIndex * perBatch + item
                        var key = Array(keys[index * 32..<index * 32 + 32])
                        key[0] = UInt8(truncatingIfNeeded: round)
                        batch.put(key, Array(values[index * 100..<index * 100 + 100]))
                    }
                    try store.write(batch, sync: false)
                }
                round += 1
            },
            {
                keys.withUnsafeBufferPointer { keyBuffer in
                    values.withUnsafeBufferPointer { valueBuffer in
                        for batchIndex in 0..<batches
                        where !raw.writeBatch(
                            keys: keyBuffer.baseAddress! + batchIndex * perBatch * 32, keyLength: 32,
                            values: valueBuffer.baseAddress! + batchIndex * perBatch * 100, valueLength: 100,
                            count: perBatch)
                        {
                            failures += 1
                        }
                    }
                }
            })
        guard failures == 0 else { throw BenchmarkError("the raw RocksDB baseline failed to write") }
        let writes = Double(perBatch * batches)
        return [
            BenchmarkRow(
                name: "RocksDB batched writes (\(perBatch)/batch, 32 B keys, 100 B values)", value: writes / times.ours,
                unit: "writes/s", baselineName: "RocksDB C API rocksdb_write", baselineValue: writes / times.baseline,
                higherIsBetter: true, target: "≥ 0.95", minimumRatio: 0.95)
        ]
    }

    private func rate(_ name: String, _ count: Int, _ times: (ours: Double, baseline: Double), baseline: String)
        -> BenchmarkRow
    {
        BenchmarkRow(
            name: name, value: Double(count) / times.ours, unit: "ops/s", baselineName: baseline,
            baselineValue: Double(count) / times.baseline, higherIsBetter: true, target: "≥ 0.95", minimumRatio: 0.95)
    }
}

/// A benchmark could not run.
public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
