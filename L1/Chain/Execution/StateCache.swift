public import Primitives
public import Storage

/// Why a read or write of chain state failed.
public enum StateAccessError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store under the state tree failed or holds corrupt data. This is a fault of the node,
    /// not of the transaction: block execution stops instead of recording a failed transaction.
    case storage(StoreError)
    /// The transaction's metered fee would pass its budget (`maxFee − priorityFee − a − b·bytes`).
    case outOfFee(used: ResourceUsage, budget: UInt64)

    public var description: String {
        switch self {
        case .storage(let error): "state storage failed: \(error)"
        case .outOfFee(let used, let budget):
            "out of fee: the next state access would pass the budget of \(budget) "
                + "after \(used.steps) steps and \(used.memory) bytes"
        }
    }

    static func wrapping(_ error: any Error) -> StateAccessError {
        if let error = error as? StateAccessError { return error }
        if let error = error as? StoreError { return .storage(error) }
        return .storage(.engine(String(describing: error)))
    }
}

// MARK: - State cache

/// A write-back cache over the sparse Merkle state tree at one root: what a block executes against.
///
/// Reads fall through the layers to the tree (and are remembered); writes are buffered. Two layers
/// of writes: the block layer (committed transactions, begin/end-block hooks, fee bookkeeping) and,
/// between `beginTransaction` and `commitTransaction`/`discardTransaction`, a transaction layer, so
/// a failed transaction's writes vanish while the fee charged around it stays. Nothing reaches the
/// store until `commit(into:)` turns the block layer into tree updates in a caller's `WriteBatch`.
///
/// Events (`emit`) follow the same layers: a transaction's events are kept only if it commits.
///
/// An empty value is the same as no value: a `set` of `[]` deletes the key (ICS-23 proofs cannot
/// show an empty value, and an absent key costs no state).
///
/// Not thread-safe: one block's execution owns its cache.
public final class StateCache {
    /// The tree the cache reads through to.
    public let tree: SparseMerkleTree
    /// The state root the cache starts from.
    public let parentRoot: Hash

    /// Values read from the tree at `parentRoot` (nil: absent there).
    private var reads: [StateKey: [UInt8]?] = [:]
    /// Writes of the block so far (nil: deleted).
    private var blockWrites: [StateKey: [UInt8]?] = [:]
    /// Writes of the open transaction, when one is open.
    private var transactionWrites: [StateKey: [UInt8]?]? = nil
    /// The open transaction's meter.
    private var meter: ResourceMeter? = nil
    /// Events of the open transaction.
    private var transactionEvents: [Event] = []
    /// Events emitted outside transactions (begin- and end-block hooks), not yet taken.
    private var blockEvents: [Event] = []

    /// A cache over `tree` at `root`; the nodes under `root` must be in the tree's store.
    public init(tree: SparseMerkleTree, root: Hash) {
        self.tree = tree
        self.parentRoot = root
    }

    // MARK: - Reads and writes

    /// The value of `key` as the block and the open transaction see it, or nil.
    /// - Throws: `StateAccessError.outOfFee` when metering stops the transaction, `.storage` when
    ///   the tree cannot be read.
    public func get(_ key: [UInt8]) throws(StateAccessError) -> [UInt8]? {
        if meter != nil { try meter?.charge(memory: 0) }
        let stateKey = StateKey(key)
        if let layer = transactionWrites, let value = layer[stateKey] { return value }
        if let value = blockWrites[stateKey] { return value }
        if let value = reads[stateKey] { return value }
        let value: [UInt8]?
        do {
            value = try tree.get(key, root: parentRoot)
        } catch {
            throw .wrapping(error)
        }
        reads[stateKey] = .some(value)
        return value
    }

    /// Sets `key` to `value`; an empty value deletes the key.
    /// - Throws: `StateAccessError.outOfFee` when metering stops the transaction (nothing is written).
    public func set(_ key: [UInt8], _ value: [UInt8]) throws(StateAccessError) {
        guard !value.isEmpty else { return try delete(key) }
        if meter != nil { try meter?.charge(memory: key.count + value.count) }
        write(key, value)
    }

    /// Removes `key` (nothing happens when it is absent, but the access is still metered).
    /// - Throws: `StateAccessError.outOfFee` when metering stops the transaction.
    public func delete(_ key: [UInt8]) throws(StateAccessError) {
        if meter != nil { try meter?.charge(memory: key.count) }
        write(key, nil)
    }

    private func write(_ key: [UInt8], _ value: [UInt8]?) {
        if transactionWrites != nil {
            transactionWrites?[StateKey(key)] = .some(value)
        } else {
            blockWrites[StateKey(key)] = .some(value)
        }
    }

    /// Records an event: in the open transaction (dropped if it fails), or else in the block.
    public func emit(_ event: Event) {
        if transactionWrites != nil {
            transactionEvents.append(event)
        } else {
            blockEvents.append(event)
        }
    }

    /// Returns and clears the events emitted outside transactions since the last call.
    func takeBlockEvents() -> [Event] {
        defer { blockEvents = [] }
        return blockEvents
    }

    /// The store for `module`'s key space (its name and `/` in front of every key).
    public func store(for module: String) -> ModuleStore {
        ModuleStore(module: module, cache: self)
    }

    // MARK: - Transaction layer

    /// Opens a transaction layer with a meter; later reads and writes are counted against `budget`.
    func beginTransaction(schedule: FeeSchedule, budget: UInt64) {
        precondition(transactionWrites == nil, "a transaction layer is already open")
        transactionWrites = [:]
        transactionEvents = []
        meter = ResourceMeter(schedule: schedule, budget: budget)
    }

    /// Merges the open transaction's writes into the block; returns what it used and its events.
    @discardableResult
    func commitTransaction() -> (usage: ResourceUsage, events: [Event]) {
        let result = (meter?.usage ?? .zero, transactionEvents)
        for (key, value) in transactionWrites ?? [:] { blockWrites[key] = .some(value) }
        transactionWrites = nil
        transactionEvents = []
        meter = nil
        return result
    }

    /// Drops the open transaction's writes and events; returns what it used before it stopped.
    @discardableResult
    func discardTransaction() -> ResourceUsage {
        let usage = meter?.usage ?? .zero
        transactionWrites = nil
        transactionEvents = []
        meter = nil
        return usage
    }

    // MARK: - Committing

    /// The block's net changes, sorted by key: a value, or nil for a deletion.
    ///
    /// A write that restores a value read earlier from the tree is left out. Writes of an open
    /// transaction are not included.
    public func changes() -> [(key: [UInt8], value: [UInt8]?)] {
        var out: [(key: [UInt8], value: [UInt8]?)] = []
        out.reserveCapacity(blockWrites.count)
        for (key, value) in blockWrites {
            // Only known originals are compared; rewriting an unread key with its old value gives
            // the same tree anyway, so the root does not depend on this shortcut.
            if let original = reads[key], original == value { continue }
            out.append((key.bytes, value))
        }
        out.sort { $0.key.lexicographicallyPrecedes($1.key) }
        return out
    }

    /// Applies the block's changes to the tree, adding new nodes to `batch`, and returns the new root.
    ///
    /// The batch only adds content-addressed entries (nodes by hash, values by hash, keys by path),
    /// so writing it before the block is final is harmless: it makes the new root readable and
    /// changes nothing any other root depends on.
    public func commit(into batch: inout WriteBatch) throws(StateAccessError) -> Hash {
        precondition(transactionWrites == nil, "commit with a transaction layer open")
        let changes = changes()
        do {
            return try tree.update(root: parentRoot, changes: changes, batch: &batch)
        } catch {
            throw .wrapping(error)
        }
    }
}

/// A state key as a dictionary key: hashed as one run of bytes. An array of bytes hashes element by
/// element, which made these lookups a visible share of block execution in `perf`.
struct StateKey: Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (lhs: StateKey, rhs: StateKey) -> Bool { lhs.bytes == rhs.bytes }
}

// MARK: - Module stores

/// Reading a module's own key space (keys are relative to the module's prefix).
///
/// `ModuleStore` (inside a block) and `ModuleStateReader` (at a committed root) both conform, so a
/// keeper's read helpers work in either place.
public protocol ModuleStateReading {
    /// The value under the module-relative `key`, or nil.
    func get(_ key: [UInt8]) throws(StateAccessError) -> [UInt8]?
}

/// One module's view of a block's state cache: the module's name and `/` go in front of every key.
///
/// The prefix is what separates modules in the single state tree; module names hold no `/`
/// (`MessageRouter` checks), so no module's keys can fall into another's space. By convention a
/// module opens only its own store and reaches other modules through their keeper protocols.
public struct ModuleStore: ModuleStateReading {
    /// The module that owns this key space.
    public let module: String
    /// `module` in UTF-8 followed by `/`.
    public let prefix: [UInt8]
    let cache: StateCache

    init(module: String, cache: StateCache) {
        self.module = module
        self.prefix = ModuleStore.prefix(for: module)
        self.cache = cache
    }

    /// The key prefix of a module: its name in UTF-8 and a `/`.
    public static func prefix(for module: String) -> [UInt8] { Array(module.utf8) + [0x2F] }

    /// The value under `key`, or nil.
    public func get(_ key: [UInt8]) throws(StateAccessError) -> [UInt8]? { try cache.get(prefix + key) }

    /// Sets `key` to `value` (an empty value deletes).
    public func set(_ key: [UInt8], _ value: [UInt8]) throws(StateAccessError) { try cache.set(prefix + key, value) }

    /// Deletes `key`.
    public func delete(_ key: [UInt8]) throws(StateAccessError) { try cache.delete(prefix + key) }

    /// Records an event of this module (see `StateCache.emit(_:)`).
    public func emit(_ kind: String, _ attributes: [EventAttribute]) {
        cache.emit(Event(module: module, kind: kind, attributes: attributes))
    }
}
