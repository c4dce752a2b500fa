public import Primitives
public import Storage

/// Read-only access to the chain state at one committed root: point reads, full scans and proofs.
///
/// Scans (`entries(prefix:)`) walk every leaf of the tree, because the tree orders leaves by the
/// hash of their key, not by the key: they cost time proportional to the whole state and serve
/// genesis export, invariant checks and tests, never block execution.
public struct StateReader: Sendable {
    /// The state tree.
    public let tree: SparseMerkleTree
    /// The root read from.
    public let root: Hash

    /// A reader of `tree` at `root`; the nodes under `root` must be in the tree's store.
    public init(tree: SparseMerkleTree, root: Hash) {
        self.tree = tree
        self.root = root
    }

    /// The value under `key`, or nil.
    public func get(_ key: [UInt8]) throws(StateAccessError) -> [UInt8]? {
        do { return try tree.get(key, root: root) } catch { throw .wrapping(error) }
    }

    /// The reader of one module's key space.
    public func module(_ name: String) -> ModuleStateReader { ModuleStateReader(reader: self, module: name) }

    /// Every entry whose key starts with `prefix`, in ascending key order.
    /// - Throws: `StateAccessError.storage` when a node, key or value under the root is missing.
    public func entries(prefix: [UInt8] = []) throws(StateAccessError) -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        // Depth-first over (node, depth); the tree is at most 256 levels deep.
        var stack: [(hash: Hash, depth: Int)] = root == SparseMerkleTree.emptyRoot ? [] : [(root, 0)]
        while let (hash, depth) = stack.popLast() {
            let node = try load(tree.nodeColumn, hash.bytes, what: "node \(hash)")
            guard node.count == 65, node[0] <= 1 else {
                throw .storage(.corrupted("sparse Merkle node \(hash) is malformed"))
            }
            let first = Array(node[1..<33])
            let second = Array(node[33..<65])
            if node[0] == 0x00 {
                let key = try load(tree.keyColumn, first, what: "key of leaf \(hash)")
                guard key.starts(with: prefix) else { continue }
                out.append((key, try load(tree.valueColumn, second, what: "value of leaf \(hash)")))
            } else {
                guard depth < 256 else { throw .storage(.corrupted("sparse Merkle tree deeper than 256 levels")) }
                for child in [first, second] where child != Self.zeroBytes {
                    do {
                        stack.append((try Hash(child), depth + 1))
                    } catch {
                        throw .storage(.corrupted("sparse Merkle node \(hash) has a malformed child"))
                    }
                }
            }
        }
        out.sort { $0.key.lexicographicallyPrecedes($1.key) }
        return out
    }

    private static let zeroBytes = [UInt8](repeating: 0, count: 32)

    private func load(_ column: StoreColumn, _ key: [UInt8], what: String) throws(StateAccessError) -> [UInt8] {
        let value: [UInt8]?
        do { value = try tree.store.get(key, column: column) } catch { throw .wrapping(error) }
        guard let value else { throw .storage(.corrupted("\(what) is missing from the state store")) }
        return value
    }
}

/// One module's key space at a committed root; keys are relative to the module's prefix.
public struct ModuleStateReader: ModuleStateReading, Sendable {
    /// The whole-state reader.
    public let reader: StateReader
    /// The module whose key space this is.
    public let module: String
    /// The module's key prefix (its name and `/`).
    public let prefix: [UInt8]

    /// The reader of `module`'s key space through `reader`.
    public init(reader: StateReader, module: String) {
        self.reader = reader
        self.module = module
        self.prefix = ModuleStore.prefix(for: module)
    }

    /// The value under the module-relative `key`, or nil.
    public func get(_ key: [UInt8]) throws(StateAccessError) -> [UInt8]? { try reader.get(prefix + key) }

    /// The module's entries whose relative key starts with `prefix`, ascending, with relative keys.
    public func entries(prefix relative: [UInt8] = []) throws(StateAccessError) -> [(key: [UInt8], value: [UInt8])] {
        try reader.entries(prefix: prefix + relative).map { (Array($0.key.dropFirst(prefix.count)), $0.value) }
    }
}
