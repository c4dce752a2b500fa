import Primitives
import RocksDBStorage
import Storage
import Testing

/// The canonical compact root of a set of (path, value hash) pairs, written from the definition
/// independently of the tree's update code: empty → zeros; one leaf → the leaf; otherwise split on
/// the next path bit.
private func referenceRoot(_ leaves: [(path: Hash, valueHash: Hash)], depth: Int = 0) -> Hash {
    if leaves.isEmpty { return .zero }
    if leaves.count == 1 {
        return Hashing.sha256([0] + leaves[0].path.bytes + leaves[0].valueHash.bytes)
    }
    let left = leaves.filter { !$0.path.bit(at: depth) }
    let right = leaves.filter { $0.path.bit(at: depth) }
    return Hashing.sha256(
        [1] + referenceRoot(left, depth: depth + 1).bytes + referenceRoot(right, depth: depth + 1).bytes)
}

private func referenceRoot(_ contents: [[UInt8]: [UInt8]]) -> Hash {
    referenceRoot(contents.map { (SparseMerkleTree.path(of: $0.key), Hashing.sha256($0.value)) })
}

private let columns = [StoreColumn.default] + SparseMerkleTree.defaultColumns

@Suite("Sparse Merkle tree")
struct SparseMerkleTreeTests {
    @Test("roots match the definition after random inserts, overwrites and deletes", arguments: StoreKind.allCases)
    func randomUpdates(kind: StoreKind) throws {
        try withStore(kind, columns: columns) { store in
            let tree = SparseMerkleTree(store: store)
            let seed: UInt64 = 0x5EED
            var generator = SeededRandom(seed: seed)
            var model: [[UInt8]: [UInt8]] = [:]
            var root = SparseMerkleTree.emptyRoot
            let keys = (0..<300).map { _ in generator.bytes(Int.random(in: 1...40, using: &generator)) }
            for round in 0..<40 {
                var changes: [(key: [UInt8], value: [UInt8]?)] = []
                for _ in 0..<Int.random(in: 1...30, using: &generator) {
                    let key = keys.randomElement(using: &generator)!
                    let value: [UInt8]? = Int.random(in: 0..<4, using: &generator) == 0 ? nil : generator.bytes(8)
                    changes.append((key, value))
                    model[key] = value
                }
                root = try tree.update(root: root, changes: changes)
                #expect(root == referenceRoot(model), "seed \(seed), round \(round)")
            }
            for key in keys {
                #expect(try tree.get(key, root: root) == model[key], "seed \(seed)")
            }
            // Deleting everything returns to the empty root.
            root = try tree.update(root: root, changes: keys.map { ($0, nil) })
            #expect(root == SparseMerkleTree.emptyRoot)
        }
    }

    @Test("a key is written when its leaf is new, not when a present leaf is updated", arguments: StoreKind.allCases)
    func keysWrittenOnce(kind: StoreKind) throws {
        try withStore(kind, columns: columns) { store in
            let tree = SparseMerkleTree(store: store)
            var generator = SeededRandom(seed: 0x4E7)
            let keys = (0..<120).map { _ in generator.bytes(Int.random(in: 1...24, using: &generator)) }
            var model: [[UInt8]: [UInt8]] = [:]
            var root = SparseMerkleTree.emptyRoot
            for round in 0..<30 {
                var changes: [(key: [UInt8], value: [UInt8]?)] = []
                var roundModel = model
                for _ in 0..<Int.random(in: 1...40, using: &generator) {
                    let key = keys.randomElement(using: &generator)!
                    let value: [UInt8]? = Int.random(in: 0..<4, using: &generator) == 0 ? nil : generator.bytes(6)
                    changes.append((key, value))
                    roundModel[key] = value
                }
                // New leaves: keys absent before the round and present after it.
                let expectedKeys = Set(roundModel.keys.filter { model[$0] == nil })
                var batch = WriteBatch()
                root = try tree.update(root: root, changes: changes, batch: &batch)
                let writtenKeys = batch.operations.compactMap { operation -> [UInt8]? in
                    guard case .put(let column, _, let value) = operation, column == tree.keyColumn else { return nil }
                    return value
                }
                #expect(writtenKeys.count == expectedKeys.count, "round \(round)")
                #expect(Set(writtenKeys) == expectedKeys, "round \(round)")
                try store.write(batch, sync: false)
                model = roundModel
                #expect(root == referenceRoot(model), "round \(round)")
                var walked: [[UInt8]: [UInt8]] = [:]
                try tree.forEachLeaf(root: root) { key, value in
                    walked[key] = value
                    return true
                }
                #expect(walked == model, "round \(round)")
            }
        }
    }

    @Test("the root depends only on the contents, not the order or batching of updates")
    func orderIndependence() throws {
        var generator = SeededRandom(seed: 77)
        let pairs = (0..<200).map { _ in (key: generator.bytes(32), value: generator.bytes(16)) }
        let oneBatch = try SparseMerkleTree(store: MemoryStore(columns: columns))
            .update(root: .zero, changes: pairs.map { ($0.key, Optional($0.value)) })
        for trial in 0..<5 {
            let tree = SparseMerkleTree(store: MemoryStore(columns: columns))
            var root = SparseMerkleTree.emptyRoot
            var shuffled = pairs.shuffled(using: &generator)
            while !shuffled.isEmpty {
                let take = min(shuffled.count, Int.random(in: 1...37, using: &generator))
                root = try tree.update(root: root, changes: shuffled.prefix(take).map { ($0.key, Optional($0.value)) })
                shuffled.removeFirst(take)
            }
            #expect(root == oneBatch, "trial \(trial)")
        }
    }

    @Test("old roots stay readable after later updates")
    func history() throws {
        let tree = SparseMerkleTree(store: MemoryStore(columns: columns))
        let first = try tree.update(root: .zero, changes: [(bytes("a"), bytes("1")), (bytes("b"), bytes("2"))])
        let second = try tree.update(root: first, changes: [(bytes("a"), bytes("3")), (bytes("b"), nil)])
        #expect(try tree.get(bytes("a"), root: first) == bytes("1"))
        #expect(try tree.get(bytes("b"), root: first) == bytes("2"))
        #expect(try tree.get(bytes("a"), root: second) == bytes("3"))
        #expect(try tree.get(bytes("b"), root: second) == nil)
    }

    @Test("ICS-23 proofs from the tree verify with the ICS-23 SMT spec", arguments: StoreKind.allCases)
    func proofs(kind: StoreKind) throws {
        try withStore(kind, columns: columns) { store in
            let tree = SparseMerkleTree(store: store)
            var generator = SeededRandom(seed: 23)
            var contents: [[UInt8]: [UInt8]] = [:]
            for _ in 0..<150 {
                contents[generator.bytes(Int.random(in: 1...24, using: &generator))] = generator.bytes(12)
            }
            let root = try tree.update(root: .zero, changes: contents.map { ($0.key, Optional($0.value)) })
            let rootBytes = root.bytes
            for (key, value) in contents {
                let (provenValue, proof) = try tree.proveExistence(key, root: root)
                #expect(provenValue == value)
                try ICS23.verifyMembership(spec: .smt, root: rootBytes, proof: proof, key: key, value: value)
                #expect(throws: ICS23Error.self) {
                    try ICS23.verifyMembership(spec: .smt, root: rootBytes, proof: proof, key: key, value: value + [0])
                }
                #expect(throws: ICS23Error.self) {
                    try ICS23.verifyNonMembership(spec: .smt, root: rootBytes, proof: proof, key: key)
                }
                #expect(throws: SparseMerkleTreeError.keyPresent) { try tree.proveNonExistence(key, root: root) }
                // The encoded proof round-trips through protobuf.
                #expect(try ICS23.CommitmentProof(protobuf: proof.protobufEncoded()) == proof)
            }
            for _ in 0..<150 {
                let absent = generator.bytes(Int.random(in: 1...24, using: &generator))
                guard contents[absent] == nil else { continue }
                let proof = try tree.proveNonExistence(absent, root: root)
                try ICS23.verifyNonMembership(spec: .smt, root: rootBytes, proof: proof, key: absent)
                #expect(throws: ICS23Error.self) {
                    try ICS23.verifyNonMembership(
                        spec: .smt, root: Hashing.sha256(rootBytes).bytes, proof: proof, key: absent)
                }
                #expect(throws: SparseMerkleTreeError.keyAbsent) { try tree.proveExistence(absent, root: root) }
            }
        }
    }

    @Test("non-existence proofs at the edges and in tiny trees")
    func edgeProofs() throws {
        let tree = SparseMerkleTree(store: MemoryStore(columns: columns))
        #expect(throws: SparseMerkleTreeError.emptyTree) { try tree.proveNonExistence(bytes("x"), root: .zero) }
        let single = try tree.update(root: .zero, changes: [(bytes("only"), bytes("v"))])
        for probe in ["a", "b", "c", "d", "e", "zz"].map(bytes) {
            let proof = try tree.proveNonExistence(probe, root: single)
            try ICS23.verifyNonMembership(spec: .smt, root: single.bytes, proof: proof, key: probe)
        }
        let (value, proof) = try tree.proveExistence(bytes("only"), root: single)
        #expect(value == bytes("v"))
        try ICS23.verifyMembership(spec: .smt, root: single.bytes, proof: proof, key: bytes("only"), value: bytes("v"))
    }

    @Test("the tree survives closing and reopening a RocksDB store")
    func persistence() throws {
        try withTemporaryDirectory { directory in
            var root = SparseMerkleTree.emptyRoot
            do {
                let store = try RocksDBStore(path: directory + "/db", columns: columns)
                root = try SparseMerkleTree(store: store).update(
                    root: root, changes: (0..<100).map { (bytes("key \($0)"), bytes("value \($0)")) }, sync: true)
                store.close()
            }
            let reopened = try RocksDBStore(path: directory + "/db", columns: columns)
            defer { reopened.close() }
            let tree = SparseMerkleTree(store: reopened)
            for index in 0..<100 { #expect(try tree.get(bytes("key \(index)"), root: root) == bytes("value \(index)")) }
        }
    }

    @Test("a missing or malformed node is reported as corruption, not a crash")
    func corruption() throws {
        let store = MemoryStore(columns: columns)
        let tree = SparseMerkleTree(store: store)
        let root = try tree.update(root: .zero, changes: [(bytes("a"), bytes("1")), (bytes("b"), bytes("2"))])
        #expect(throws: StoreError.self) { try tree.get(bytes("a"), root: Hashing.sha256(bytes("nowhere"))) }
        try store.put(root.bytes, [7, 7, 7], column: SparseMerkleTree.defaultColumns[0])
        #expect(throws: StoreError.self) { try tree.get(bytes("a"), root: root) }
    }

    @Test("a cached tree gives the same roots, values and proofs, and stays within its capacity")
    func cachedTree() throws {
        let plain = SparseMerkleTree(store: MemoryStore(columns: columns))
        let cache = SparseMerkleNodeCache(capacity: 64, maximumValueBytes: 12)
        let cached = SparseMerkleTree(store: MemoryStore(columns: columns), cache: cache)
        var generator = SeededRandom(seed: 0xCAC4E)
        let keys = (0..<120).map { _ in generator.bytes(20) }
        var roots = (plain: SparseMerkleTree.emptyRoot, cached: SparseMerkleTree.emptyRoot)
        var model: [[UInt8]: [UInt8]] = [:]
        for round in 0..<25 {
            var changes: [(key: [UInt8], value: [UInt8]?)] = []
            for _ in 0..<12 {
                let key = keys.randomElement(using: &generator)!
                // Values of 8 and 16 bytes: the cache keeps the short ones only.
                let value: [UInt8]? =
                    Int.random(in: 0..<5, using: &generator) == 0
                    ? nil : generator.bytes(Bool.random(using: &generator) ? 8 : 16)
                changes.append((key, value))
                model[key] = value
            }
            roots.plain = try plain.update(root: roots.plain, changes: changes)
            roots.cached = try cached.update(root: roots.cached, changes: changes)
            #expect(roots.cached == roots.plain, "round \(round)")
            for key in keys.prefix(30) {
                #expect(try cached.get(key, root: roots.cached) == model[key], "round \(round)")
            }
        }
        for key in keys.prefix(20) {
            if model[key] == nil {
                #expect(
                    try cached.proveNonExistence(key, root: roots.cached)
                        == plain.proveNonExistence(key, root: roots.plain))
            } else {
                #expect(
                    try cached.proveExistence(key, root: roots.cached).proof
                        == plain.proveExistence(key, root: roots.plain).proof)
            }
        }
        let statistics = cache.statistics
        #expect(statistics.hits > 0)
        #expect(statistics.misses > 0)
        #expect(statistics.nodes <= 64 && statistics.values <= 64)
    }

    @Test("a cached tree still reports a node missing from the store")
    func cachedCorruption() throws {
        let store = MemoryStore(columns: columns)
        let tree = SparseMerkleTree(store: store, cache: SparseMerkleNodeCache())
        _ = try tree.update(root: .zero, changes: [(bytes("a"), bytes("1")), (bytes("b"), bytes("2"))])
        #expect(throws: StoreError.self) { try tree.get(bytes("a"), root: Hashing.sha256(bytes("nowhere"))) }
    }
}
