public import Primitives

extension SparseMerkleTree {
    /// Calls `body` with the key and value of every leaf under `root`, in ascending path order
    /// (the order of `SHA-256(key)`, which is the tree's left-to-right order); `body` returns
    /// `false` to stop early.
    ///
    /// The walk checks what it reads, so a damaged store cannot make it yield a wrong state
    /// silently: every node must hash to the hash it is stored under, every value to its leaf's
    /// value hash, and every key to its leaf's path. Memory use is bounded by the tree's depth
    /// (one pending sibling per level), whatever the number of leaves.
    /// - Throws: `StoreError.corrupted` naming the node, value or key that is missing or does not
    ///   match; other `StoreError`s from the store; or whatever `body` throws.
    public func forEachLeaf(
        root: Hash,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        guard root != Self.emptyRoot else { return }
        // Right children wait on the stack while the left subtree is walked.
        var stack: [(hash: Hash, depth: Int)] = [(root, 0)]
        var previous: Hash?
        while let (hash, depth) = stack.popLast() {
            switch try loadVerifiedNode(hash) {
            case .leaf(let path, let valueHash):
                if let previous, !(previous < path) {
                    throw StoreError.corrupted("sparse Merkle leaf \(path) is out of path order (after \(previous))")
                }
                previous = path
                guard let key = try store.get(path.bytes, column: keyColumn) else {
                    throw StoreError.corrupted("the key of sparse Merkle leaf \(path) is missing")
                }
                guard Self.path(of: key) == path else {
                    throw StoreError.corrupted("the key stored for sparse Merkle leaf \(path) has another path")
                }
                let value = try loadValue(valueHash)
                guard NodeHasher.digest(value) == valueHash else {
                    throw StoreError.corrupted("value \(valueHash) of a sparse Merkle leaf does not match its hash")
                }
                guard try body(key, value) else { return }
            case .inner(let left, let right):
                guard depth < 256 else { throw StoreError.corrupted("sparse Merkle tree deeper than 256 levels") }
                if right != Self.emptyRoot { stack.append((right, depth + 1)) }
                if left != Self.emptyRoot { stack.append((left, depth + 1)) }
            }
        }
    }

    /// The number of leaves under `root` (a full walk).
    public func leafCount(root: Hash) throws -> Int {
        var count = 0
        try forEachLeaf(root: root) { _, _ in
            count += 1
            return true
        }
        return count
    }

    /// A node, checked against the hash it is stored under.
    private func loadVerifiedNode(_ hash: Hash) throws -> Node {
        let node = try loadNode(hash)
        let computed: Hash
        switch node {
        case .leaf(let path, let valueHash):
            computed = NodeHasher.digest([0x00] + path.bytes + valueHash.bytes)
        case .inner(let left, let right):
            computed = MerkleTree.innerHash(left, right)
        }
        guard computed == hash else {
            throw StoreError.corrupted("sparse Merkle node \(hash) does not hash to its key (its contents changed)")
        }
        return node
    }
}
