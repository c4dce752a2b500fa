import Primitives
import RocksDBStorage
import Storage
import Testing

private let columns = [StoreColumn.default] + SparseMerkleTree.defaultColumns

/// Every leaf a walk yields, in the order it yields them.
private func walk(_ tree: SparseMerkleTree, root: Hash) throws -> [(key: [UInt8], value: [UInt8])] {
    var leaves: [(key: [UInt8], value: [UInt8])] = []
    try tree.forEachLeaf(root: root) { key, value in
        leaves.append((key, value))
        return true
    }
    return leaves
}

/// A tree with `count` random keys (1 to 40 bytes) and values, written in one update.
private func filledTree(
    _ store: any KeyValueStore, count: Int, seed: UInt64
) throws -> (tree: SparseMerkleTree, root: Hash, model: [[UInt8]: [UInt8]]) {
    let tree = SparseMerkleTree(store: store)
    var generator = SeededRandom(seed: seed)
    var model: [[UInt8]: [UInt8]] = [:]
    for _ in 0..<count {
        model[generator.bytes(Int.random(in: 1...40, using: &generator))] = generator.bytes(
            Int.random(in: 0...64, using: &generator))
    }
    let root = try tree.update(root: SparseMerkleTree.emptyRoot, changes: model.map { ($0.key, $0.value) })
    return (tree, root, model)
}

@Suite("Sparse Merkle tree leaf walk")
struct SparseMerkleTreeLeafTests {
    @Test("the empty tree has no leaves")
    func emptyTree() throws {
        let tree = SparseMerkleTree(store: MemoryStore(columns: columns))
        var calls = 0
        try tree.forEachLeaf(root: SparseMerkleTree.emptyRoot) { _, _ in
            calls += 1
            return true
        }
        #expect(calls == 0)
        #expect(try tree.leafCount(root: SparseMerkleTree.emptyRoot) == 0)
    }

    @Test(
        "a walk yields every key once, in ascending path order, with the value get returns",
        arguments: StoreKind.allCases)
    func manyKeys(kind: StoreKind) throws {
        try withStore(kind, columns: columns) { store in
            let (tree, root, model) = try filledTree(store, count: 3_000, seed: 0x1EAF)
            let leaves = try walk(tree, root: root)
            #expect(leaves.count == model.count)
            let paths = leaves.map { SparseMerkleTree.path(of: $0.key) }
            #expect(zip(paths, paths.dropFirst()).allSatisfy { $0 < $1 }, "paths must strictly ascend")
            for leaf in leaves {
                #expect(model[leaf.key] == leaf.value)
                #expect(try tree.get(leaf.key, root: root) == leaf.value)
            }
            // The walk rebuilds the same root in another store.
            let copy = SparseMerkleTree(store: MemoryStore(columns: columns))
            #expect(
                try copy.update(root: SparseMerkleTree.emptyRoot, changes: leaves.map { ($0.key, $0.value) }) == root)
        }
    }

    @Test("one leaf, early stop, and an older version still walks to its own contents")
    func versionsAndEarlyStop() throws {
        let store = MemoryStore(columns: columns)
        let tree = SparseMerkleTree(store: store)
        let single = try tree.update(root: SparseMerkleTree.emptyRoot, changes: [(Array("only".utf8), [1, 2])])
        #expect(try walk(tree, root: single).map(\.key) == [Array("only".utf8)])

        let (_, root, model) = try filledTree(store, count: 200, seed: 9)
        var seen = 0
        try tree.forEachLeaf(root: root) { _, _ in
            seen += 1
            return seen < 10
        }
        #expect(seen == 10)

        let deleted = Array(model.keys.prefix(50))
        let newer = try tree.update(
            root: root, changes: deleted.map { ($0, nil) } + [(Array("fresh".utf8), [9])])
        let newerKeys = Set(try walk(tree, root: newer).map(\.key))
        #expect(newerKeys.count == model.count - 50 + 1)
        #expect(newerKeys.isDisjoint(with: deleted))
        #expect(Set(try walk(tree, root: root).map(\.key)) == Set(model.keys))
    }

    @Test("a changed, missing or mismatched node, value or key is a clear StoreError", arguments: StoreKind.allCases)
    func corruption(kind: StoreKind) throws {
        try withStore(kind, columns: columns) { store in
            let (tree, root, _) = try filledTree(store, count: 64, seed: 5)
            let nodes = try store.entries(column: tree.nodeColumn)
            let inner = try #require(nodes.first { $0.value.first == 0x01 })
            let leaf = try #require(nodes.first { $0.value.first == 0x00 })

            func expectCorrupted(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
                do {
                    _ = try tree.leafCount(root: root)
                    Issue.record("the walk accepted a damaged tree (\(fragment))", sourceLocation: sourceLocation)
                } catch let error as StoreError {
                    guard case .corrupted(let message) = error else {
                        Issue.record("expected .corrupted, got \(error)", sourceLocation: sourceLocation)
                        return
                    }
                    #expect(message.contains(fragment), "\(message)", sourceLocation: sourceLocation)
                } catch {
                    Issue.record("expected a StoreError, got \(error)", sourceLocation: sourceLocation)
                }
            }

            // A flipped byte in an inner node: it no longer hashes to its key.
            var flipped = inner.value
            flipped[40] ^= 0x01
            try store.put(inner.key, flipped, column: tree.nodeColumn)
            expectCorrupted("does not hash to its key")
            try store.put(inner.key, inner.value, column: tree.nodeColumn)
            #expect(try tree.leafCount(root: root) == 64)

            // A missing node.
            try store.delete(leaf.key, column: tree.nodeColumn)
            expectCorrupted("is missing")
            try store.put(leaf.key, leaf.value, column: tree.nodeColumn)

            // A leaf's value replaced by other bytes, then removed.
            let valueHash = Array(leaf.value[33..<65])
            let value = try #require(try store.get(valueHash, column: tree.valueColumn))
            try store.put(valueHash, value + [0], column: tree.valueColumn)
            expectCorrupted("does not match its hash")
            try store.delete(valueHash, column: tree.valueColumn)
            expectCorrupted("is missing")
            try store.put(valueHash, value, column: tree.valueColumn)

            // A leaf's key replaced by another key, then removed.
            let path = Array(leaf.value[1..<33])
            let key = try #require(try store.get(path, column: tree.keyColumn))
            try store.put(path, key + [0], column: tree.keyColumn)
            expectCorrupted("has another path")
            try store.delete(path, column: tree.keyColumn)
            expectCorrupted("key of sparse Merkle leaf")
            try store.put(path, key, column: tree.keyColumn)
            #expect(try tree.leafCount(root: root) == 64)
        }
    }
}
