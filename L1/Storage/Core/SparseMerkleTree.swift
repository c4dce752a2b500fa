public import Primitives

/// A sparse Merkle tree over 256-bit paths, persisted in a `KeyValueStore`, whose proofs are
/// ICS-23 proofs for the SMT spec (`ICS23.ProofSpec.smt`).
///
/// The layout is the compact one of celestiaorg/smt, which the ICS-23 SMT spec describes:
/// - a key's path is `SHA-256(key)`; a leaf hashes as `SHA-256(0x00 ‖ path ‖ SHA-256(value))`;
/// - an inner node hashes as `SHA-256(0x01 ‖ left ‖ right)`; an empty subtree is 32 zero bytes;
/// - a subtree holding one leaf is that leaf itself, so a leaf sits at the shallowest depth where
///   its path is unique, and the tree has the same shape (and root) for the same contents whatever
///   the order of the updates that built it.
///
/// The tree object holds no root: every call names the root it works on, so any committed version
/// can be read and proven while it is kept. Updates write new nodes into a caller's `WriteBatch`,
/// so a block's state change commits atomically with the rest of the block. Old nodes are kept
/// (history for proofs at past heights); pruning them is a separate, later concern.
public struct SparseMerkleTree: Sendable {
    /// The store holding nodes and values.
    public let store: any KeyValueStore
    /// The column of nodes: node hash → the 65-byte preimage (`0x00 ‖ path ‖ value hash` or `0x01 ‖ left ‖ right`).
    public let nodeColumn: StoreColumn
    /// The column of values: value hash → value (content-addressed, so every version can be read).
    public let valueColumn: StoreColumn
    /// The column of keys: path → key (proofs name a neighbour's key, and the tree holds only paths).
    public let keyColumn: StoreColumn
    /// Nodes and small values kept in memory in front of the store, when given (share one per store).
    public let cache: SparseMerkleNodeCache?

    /// The root of the empty tree (32 zero bytes).
    public static let emptyRoot = Hash.zero

    /// The columns a store needs for a tree with the default column names.
    public static let defaultColumns = [StoreColumn("smt.nodes"), StoreColumn("smt.values"), StoreColumn("smt.keys")]

    /// A tree over `store`, whose columns must include the three named here, reading through
    /// `cache` when one is given.
    public init(
        store: any KeyValueStore,
        nodeColumn: StoreColumn = SparseMerkleTree.defaultColumns[0],
        valueColumn: StoreColumn = SparseMerkleTree.defaultColumns[1],
        keyColumn: StoreColumn = SparseMerkleTree.defaultColumns[2],
        cache: SparseMerkleNodeCache? = nil
    ) {
        self.store = store
        self.nodeColumn = nodeColumn
        self.valueColumn = valueColumn
        self.keyColumn = keyColumn
        self.cache = cache
    }

    /// The path of `key` in the tree.
    public static func path(of key: [UInt8]) -> Hash { NodeHasher.digest(key) }

    // MARK: - Reading

    /// The value of `key` in the tree with `root`, or nil when absent.
    /// - Throws: `StoreError` when the store fails or a node under `root` is missing or malformed.
    public func get(_ key: [UInt8], root: Hash) throws -> [UInt8]? {
        let path = Self.path(of: key)
        var current = root
        var depth = 0
        while current != Self.emptyRoot {
            switch try loadNode(current) {
            case .leaf(let leafPath, let valueHash):
                guard leafPath == path else { return nil }
                return try loadValue(valueHash)
            case .inner(let left, let right):
                guard depth < 256 else { throw StoreError.corrupted("sparse Merkle tree deeper than 256 levels") }
                current = path.bit(at: depth) ? right : left
                depth += 1
            }
        }
        return nil
    }

    // MARK: - Updating

    /// Applies `changes` (a nil value deletes the key) to the tree with `root` and returns the new
    /// root. New nodes and values are added to `batch`; nothing is written until the caller writes
    /// the batch, and the next update must start from a root whose nodes are written.
    ///
    /// When one key appears several times, the last change wins. Deleting an absent key is a no-op.
    /// - Throws: `StoreError` when a node under `root` cannot be read.
    public func update(
        root: Hash,
        changes: [(key: [UInt8], value: [UInt8]?)],
        batch: inout WriteBatch
    ) throws -> Hash {
        guard !changes.isEmpty else { return root }
        // The last change per path wins; then sort by path so each subtree gets a contiguous slice.
        var latest: [Hash: Change] = [:]
        var keys: [Hash: [UInt8]] = [:]
        latest.reserveCapacity(changes.count)
        for change in changes {
            let path = Self.path(of: change.key)
            let valueHash = change.value.map { NodeHasher.digest($0) }
            latest[path] = Change(path: path, valueHash: valueHash)
            if let value = change.value, let valueHash {
                batch.put(valueHash.bytes, value, column: valueColumn)
                keys[path] = change.key
                cache?.insert(value: value, hash: valueHash)
            } else {
                keys[path] = nil
            }
        }
        let sorted = latest.values.sorted { $0.path < $1.path }
        var writer = NodeWriter(column: nodeColumn)
        let existing = try reference(root)
        let updated = try apply(sorted[...], to: existing, depth: 0, writer: &writer)
        // A key whose leaf was already in the tree has its preimage stored (the key column is never
        // pruned): only new keys are written, which spares a RocksDB insert per updated account.
        for (path, key) in keys where !writer.replacedPaths.contains(path) {
            batch.put(path.bytes, key, column: keyColumn)
        }
        writer.flush(into: &batch)
        cache?.insert(nodes: writer.built)
        return updated.hash
    }

    /// Applies `changes` and writes the result at once (one atomic batch).
    /// - Parameter sync: wait until the batch is on stable storage.
    @discardableResult
    public func update(root: Hash, changes: [(key: [UInt8], value: [UInt8]?)], sync: Bool = false) throws -> Hash {
        var batch = WriteBatch()
        let newRoot = try update(root: root, changes: changes, batch: &batch)
        if !batch.isEmpty { try store.write(batch, sync: sync) }
        return newRoot
    }

    // MARK: - Nodes

    /// A node as stored.
    enum Node: Equatable {
        case leaf(path: Hash, valueHash: Hash)
        case inner(left: Hash, right: Hash)
    }

    /// A subtree during an update: its hash and, when known, what kind of node it is.
    struct Reference {
        var hash: Hash
        /// Known for nodes built or loaded during this update; nil for untouched children.
        var node: Node?

        static let empty = Reference(hash: SparseMerkleTree.emptyRoot, node: nil)
        var isEmpty: Bool { hash == SparseMerkleTree.emptyRoot }
    }

    struct Change {
        var path: Hash
        /// nil deletes.
        var valueHash: Hash?
    }

    /// Collects the nodes an update creates (deduplicated) before they go into the batch.
    struct NodeWriter {
        let column: StoreColumn
        var nodes: [Hash: [UInt8]] = [:]
        /// The same nodes decoded, for the cache.
        var built: [(Hash, Node)] = []
        /// Paths of leaves that were in the tree before and that a change replaced or deleted.
        var replacedPaths: Set<Hash> = []

        mutating func flush(into batch: inout WriteBatch) {
            for (hash, preimage) in nodes { batch.put(hash.bytes, preimage, column: column) }
        }
    }

    func reference(_ hash: Hash) throws -> Reference {
        hash == Self.emptyRoot ? .empty : Reference(hash: hash, node: try loadNode(hash))
    }

    func loadNode(_ hash: Hash) throws -> Node {
        if let cache {
            if let node = cache.node(hash) { return node }
            let node = try readNode(hash)
            cache.insert(node: node, hash: hash)
            return node
        }
        return try readNode(hash)
    }

    private func readNode(_ hash: Hash) throws -> Node {
        guard let raw = try store.get(hash.bytes, column: nodeColumn) else {
            throw StoreError.corrupted("sparse Merkle node \(hash) is missing")
        }
        guard raw.count == 65 else { throw StoreError.corrupted("sparse Merkle node \(hash) has \(raw.count) bytes") }
        let first = raw.withUnsafeBytes { Hash(unchecked: UnsafeRawBufferPointer(rebasing: $0[1..<33])) }
        let second = raw.withUnsafeBytes { Hash(unchecked: UnsafeRawBufferPointer(rebasing: $0[33..<65])) }
        switch raw[0] {
        case 0x00: return .leaf(path: first, valueHash: second)
        case 0x01: return .inner(left: first, right: second)
        default: throw StoreError.corrupted("sparse Merkle node \(hash) has unknown kind \(raw[0])")
        }
    }

    func loadValue(_ valueHash: Hash) throws -> [UInt8] {
        if let value = cache?.value(valueHash) { return value }
        guard let value = try store.get(valueHash.bytes, column: valueColumn) else {
            throw StoreError.corrupted("value \(valueHash) of a sparse Merkle leaf is missing")
        }
        cache?.insert(value: value, hash: valueHash)
        return value
    }

    /// The subtree at `depth` that results from applying `changes` (sorted, unique paths, all
    /// sharing the subtree's path prefix) to `node`.
    private func apply(
        _ changes: ArraySlice<Change>,
        to node: Reference,
        depth: Int,
        writer: inout NodeWriter
    ) throws -> Reference {
        guard !changes.isEmpty else { return node }
        if node.isEmpty { return build(changes.filter { $0.valueHash != nil }[...], depth: depth, writer: &writer) }
        let loaded = try node.node ?? loadNode(node.hash)
        switch loaded {
        case .leaf(let path, let valueHash):
            // Merge the existing leaf into the changes unless a change overrides it, then rebuild.
            var merged = changes.filter { $0.valueHash != nil }
            if changes.contains(where: { $0.path == path }) {
                writer.replacedPaths.insert(path)
            } else {
                let position = merged.firstIndex { path < $0.path } ?? merged.endIndex
                merged.insert(Change(path: path, valueHash: valueHash), at: position)
            }
            return build(merged[...], depth: depth, writer: &writer)
        case .inner(let left, let right):
            let split = changes.firstIndex { $0.path.bit(at: depth) } ?? changes.endIndex
            let newLeft = try apply(
                changes[..<split], to: Reference(hash: left, node: nil), depth: depth + 1, writer: &writer)
            let newRight = try apply(
                changes[split...], to: Reference(hash: right, node: nil), depth: depth + 1, writer: &writer)
            return try join(newLeft, newRight, writer: &writer)
        }
    }

    /// The subtree holding exactly `leaves` (sorted, unique, all present) at `depth`.
    private func build(_ leaves: ArraySlice<Change>, depth: Int, writer: inout NodeWriter) -> Reference {
        guard let first = leaves.first else { return .empty }
        if leaves.count == 1, let valueHash = first.valueHash {
            return makeLeaf(path: first.path, valueHash: valueHash, writer: &writer)
        }
        let split = leaves.firstIndex { $0.path.bit(at: depth) } ?? leaves.endIndex
        let left = build(leaves[..<split], depth: depth + 1, writer: &writer)
        let right = build(leaves[split...], depth: depth + 1, writer: &writer)
        return makeInner(left.hash, right.hash, writer: &writer)
    }

    /// The parent of two updated children, collapsing a lone leaf upward (the compact rule).
    private func join(_ left: Reference, _ right: Reference, writer: inout NodeWriter) throws -> Reference {
        if left.isEmpty && right.isEmpty { return .empty }
        if left.isEmpty, case .leaf = try right.node ?? loadNode(right.hash) { return right }
        if right.isEmpty, case .leaf = try left.node ?? loadNode(left.hash) { return left }
        return makeInner(left.hash, right.hash, writer: &writer)
    }

    private func makeLeaf(path: Hash, valueHash: Hash, writer: inout NodeWriter) -> Reference {
        var preimage = [UInt8](repeating: 0x00, count: 65)
        path.withUnsafeBytes { preimage.replaceSubrange(1..<33, with: $0) }
        valueHash.withUnsafeBytes { preimage.replaceSubrange(33..<65, with: $0) }
        let hash = NodeHasher.digest(preimage)
        writer.nodes[hash] = preimage
        let node = Node.leaf(path: path, valueHash: valueHash)
        writer.built.append((hash, node))
        return Reference(hash: hash, node: node)
    }

    private func makeInner(_ left: Hash, _ right: Hash, writer: inout NodeWriter) -> Reference {
        var preimage = [UInt8](repeating: 0x01, count: 65)
        left.withUnsafeBytes { preimage.replaceSubrange(1..<33, with: $0) }
        right.withUnsafeBytes { preimage.replaceSubrange(33..<65, with: $0) }
        let hash = MerkleTree.innerHash(left, right)
        writer.nodes[hash] = preimage
        let node = Node.inner(left: left, right: right)
        writer.built.append((hash, node))
        return Reference(hash: hash, node: node)
    }
}
