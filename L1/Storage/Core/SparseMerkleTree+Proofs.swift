public import Primitives

extension SparseMerkleTree {
    /// An ICS-23 proof that `key` holds its value under `root` (`ICS23.ProofSpec.smt`), with the value.
    /// - Throws: `SparseMerkleTreeError.keyAbsent` when the key is not in the tree, or `StoreError`.
    public func proveExistence(_ key: [UInt8], root: Hash) throws -> (value: [UInt8], proof: ICS23.CommitmentProof) {
        let path = Self.path(of: key)
        guard let (leaf, siblings) = try descend(to: path, root: root), leaf.path == path else {
            throw SparseMerkleTreeError.keyAbsent
        }
        let value = try loadValue(leaf.valueHash)
        return (value, .exist(existenceProof(key: key, value: value, path: path, siblings: siblings)))
    }

    /// An ICS-23 proof that `key` is absent under `root`: existence proofs of its neighbours in path
    /// order (the greatest path below the key's and the least above it).
    /// - Throws: `SparseMerkleTreeError.keyPresent` when the key is in the tree, `.emptyTree` for the
    ///   empty root (every key is absent from it; ICS-23 has no proof form for that), or `StoreError`.
    public func proveNonExistence(_ key: [UInt8], root: Hash) throws -> ICS23.CommitmentProof {
        guard root != Self.emptyRoot else { throw SparseMerkleTreeError.emptyTree }
        let target = Self.path(of: key)
        var node = root
        var depth = 0
        var leftSubtree: Hash? = nil
        var rightSubtree: Hash? = nil
        var leftLeaf: Hash? = nil
        var rightLeaf: Hash? = nil
        while node != Self.emptyRoot {
            switch try loadNode(node) {
            case .leaf(let path, _):
                guard path != target else { throw SparseMerkleTreeError.keyPresent }
                if path < target { leftLeaf = path } else { rightLeaf = path }
                node = Self.emptyRoot
            case .inner(let left, let right):
                guard depth < 256 else { throw StoreError.corrupted("sparse Merkle tree deeper than 256 levels") }
                if target.bit(at: depth) {
                    if left != Self.emptyRoot { leftSubtree = left }
                    node = right
                } else {
                    if right != Self.emptyRoot { rightSubtree = right }
                    node = left
                }
                depth += 1
            }
        }
        if leftLeaf == nil, let leftSubtree { leftLeaf = try extremeLeaf(of: leftSubtree, rightmost: true) }
        if rightLeaf == nil, let rightSubtree { rightLeaf = try extremeLeaf(of: rightSubtree, rightmost: false) }
        return .nonexist(
            ICS23.NonExistenceProof(
                key: key,
                left: try leftLeaf.map { try neighbourProof(path: $0, root: root) },
                right: try rightLeaf.map { try neighbourProof(path: $0, root: root) }))
    }

    // MARK: - Helpers

    /// The leaf reached by following `path` from `root` and the siblings passed, top first; nil
    /// when the walk ends in an empty subtree.
    func descend(to path: Hash, root: Hash) throws -> (leaf: (path: Hash, valueHash: Hash), siblings: [Hash])? {
        var node = root
        var siblings: [Hash] = []
        while node != Self.emptyRoot {
            switch try loadNode(node) {
            case .leaf(let leafPath, let valueHash):
                return ((leafPath, valueHash), siblings)
            case .inner(let left, let right):
                guard siblings.count < 256 else {
                    throw StoreError.corrupted("sparse Merkle tree deeper than 256 levels")
                }
                let goRight = path.bit(at: siblings.count)
                siblings.append(goRight ? left : right)
                node = goRight ? right : left
            }
        }
        return nil
    }

    /// The path of the rightmost (or leftmost) leaf under `subtree`.
    private func extremeLeaf(of subtree: Hash, rightmost: Bool) throws -> Hash {
        var node = subtree
        for _ in 0...256 {
            switch try loadNode(node) {
            case .leaf(let path, _): return path
            case .inner(let left, let right):
                if rightmost {
                    node = right != Self.emptyRoot ? right : left
                } else {
                    node = left != Self.emptyRoot ? left : right
                }
            }
        }
        throw StoreError.corrupted("sparse Merkle tree deeper than 256 levels")
    }

    private func neighbourProof(path: Hash, root: Hash) throws -> ICS23.ExistenceProof {
        guard let (leaf, siblings) = try descend(to: path, root: root), leaf.path == path else {
            throw StoreError.corrupted("sparse Merkle leaf \(path) vanished while proving")
        }
        guard let key = try store.get(path.bytes, column: keyColumn) else {
            throw StoreError.corrupted("key of sparse Merkle leaf \(path) is missing")
        }
        return existenceProof(key: key, value: try loadValue(leaf.valueHash), path: path, siblings: siblings)
    }

    /// The ICS-23 form: the leaf op of the SMT spec, then one inner op per level from the leaf up.
    private func existenceProof(key: [UInt8], value: [UInt8], path: Hash, siblings: [Hash]) -> ICS23.ExistenceProof {
        let leaf = ICS23.LeafOp(
            hash: .sha256, prehashKey: .sha256, prehashValue: .sha256, length: .noPrefix, prefix: [0x00])
        var steps: [ICS23.InnerOp] = []
        steps.reserveCapacity(siblings.count)
        for depth in stride(from: siblings.count - 1, through: 0, by: -1) {
            let sibling = siblings[depth].bytes
            if path.bit(at: depth) {
                steps.append(ICS23.InnerOp(hash: .sha256, prefix: [0x01] + sibling, suffix: []))
            } else {
                steps.append(ICS23.InnerOp(hash: .sha256, prefix: [0x01], suffix: sibling))
            }
        }
        return ICS23.ExistenceProof(key: key, value: value, leaf: leaf, path: steps)
    }
}

/// Why the sparse Merkle tree cannot give the proof asked for.
public enum SparseMerkleTreeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An existence proof was asked for a key that is not in the tree.
    case keyAbsent
    /// A non-existence proof was asked for a key that is in the tree.
    case keyPresent
    /// A non-existence proof was asked of the empty tree, whose zero root already shows every key is absent.
    case emptyTree

    public var description: String {
        switch self {
        case .keyAbsent: "the key is not in the tree, so it has no existence proof"
        case .keyPresent: "the key is in the tree, so it has no non-existence proof"
        case .emptyTree: "the tree is empty: its zero root shows every key is absent"
        }
    }
}
