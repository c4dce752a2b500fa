public import Primitives
import Synchronization

/// A bounded, thread-safe cache of sparse Merkle tree nodes and small values, shared by every
/// tree object over one store.
///
/// Both are content-addressed (a node by its hash, a value by the hash of its bytes), so an entry
/// can never go stale: there is nothing to invalidate when the tree changes, and a node an update
/// built but whose block was refused is still a true preimage of its hash. That is why entries go
/// in as soon as an update makes them, not only after the batch is written: the next block reads
/// exactly the paths the last one wrote.
///
/// Eviction is generational, an approximate LRU with O(1) work per call: entries live in a young
/// and an old generation; a hit in the old one moves the entry to the young one; when the young
/// generation reaches half the capacity, the old one is dropped and the young one becomes old.
/// The cache never holds more than `capacity` nodes plus `capacity` values.
public final class SparseMerkleNodeCache: Sendable {
    /// The most nodes (and, separately, values) the cache keeps.
    public let capacity: Int
    /// Values longer than this are never cached (large module blobs would crowd out nodes).
    public let maximumValueBytes: Int

    private let state: Mutex<State>

    /// A cache of at most `capacity` nodes and as many values of at most `maximumValueBytes` bytes.
    public init(capacity: Int = 1 << 18, maximumValueBytes: Int = 1_024) {
        self.capacity = max(capacity, 2)
        self.maximumValueBytes = maximumValueBytes
        state = Mutex(State())
    }

    /// Counters, for tests and metrics.
    public struct Statistics: Sendable, Equatable {
        /// Lookups answered from the cache.
        public var hits = 0
        /// Lookups that fell through to the store.
        public var misses = 0
        /// Nodes held now.
        public var nodes = 0
        /// Values held now.
        public var values = 0
    }

    /// The counters so far.
    public var statistics: Statistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.nodes = state.nodes.count
            statistics.values = state.values.count
            return statistics
        }
    }

    // MARK: - Used by SparseMerkleTree

    func node(_ hash: Hash) -> SparseMerkleTree.Node? {
        state.withLock { state in
            let found = state.nodes.lookup(hash, half: capacity / 2)
            if found == nil { state.statistics.misses += 1 } else { state.statistics.hits += 1 }
            return found
        }
    }

    func insert(node: SparseMerkleTree.Node, hash: Hash) {
        state.withLock { $0.nodes.insert(node, for: hash, half: capacity / 2) }
    }

    func insert(nodes: some Sequence<(Hash, SparseMerkleTree.Node)>) {
        state.withLock { state in
            for (hash, node) in nodes { state.nodes.insert(node, for: hash, half: capacity / 2) }
        }
    }

    func value(_ hash: Hash) -> [UInt8]? {
        state.withLock { state in
            let found = state.values.lookup(hash, half: capacity / 2)
            if found == nil { state.statistics.misses += 1 } else { state.statistics.hits += 1 }
            return found
        }
    }

    func insert(value: [UInt8], hash: Hash) {
        guard value.count <= maximumValueBytes else { return }
        state.withLock { $0.values.insert(value, for: hash, half: capacity / 2) }
    }

    private struct State {
        var nodes = Generations<SparseMerkleTree.Node>()
        var values = Generations<[UInt8]>()
        var statistics = Statistics()
    }

    /// Two dictionaries: entries used lately (`young`) and before that (`old`).
    private struct Generations<Value> {
        var young: [Hash: Value] = [:]
        var old: [Hash: Value] = [:]

        var count: Int { young.count + old.count }

        mutating func lookup(_ key: Hash, half: Int) -> Value? {
            if let value = young[key] { return value }
            guard let value = old.removeValue(forKey: key) else { return nil }
            insert(value, for: key, half: half)
            return value
        }

        mutating func insert(_ value: Value, for key: Hash, half: Int) {
            if young.count >= half {
                old = young
                young = [:]
                young.reserveCapacity(half)
            }
            young[key] = value
        }
    }
}
