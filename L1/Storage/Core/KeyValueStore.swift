/// A named key space in a store (a RocksDB column family). A store opens a fixed set of columns;
/// using a column the store was not opened with is an error.
public struct StoreColumn: Hashable, Sendable, CustomStringConvertible {
    /// The column's name.
    public let name: String

    /// A column called `name`.
    public init(_ name: String) { self.name = name }

    /// The column every store has.
    public static let `default` = StoreColumn("default")

    public var description: String { name }
}

/// Read access to a consistent key-value view: a live store or a snapshot.
///
/// Keys and values are byte strings; iteration is in ascending bytewise key order.
public protocol KeyValueReader: Sendable {
    /// The value stored under `key`, or nil.
    /// - Throws: `StoreError` when the column is unknown or the store fails.
    func get(_ key: [UInt8], column: StoreColumn) throws -> [UInt8]?

    /// Calls `body` for each entry whose key starts with `prefix`, in ascending key order, beginning
    /// at the first key ≥ `start` when given. `body` returns `false` to stop early.
    /// - Throws: `StoreError`, or whatever `body` throws.
    func scan(
        prefix: [UInt8],
        from start: [UInt8]?,
        column: StoreColumn,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws
}

/// A consistent, read-only view of a store at one moment; later writes do not show through.
public protocol KeyValueSnapshot: KeyValueReader {}

/// A durable ordered key-value store with atomic batches and snapshots.
///
/// Implementations are thread-safe. `RocksDBStore` is the production one; `MemoryStore` behaves the
/// same and backs tests. Both pass the shared suite in `Tests/StorageTests`.
public protocol KeyValueStore: KeyValueReader {
    /// Stores `value` under `key`, replacing any previous value.
    func put(_ key: [UInt8], _ value: [UInt8], column: StoreColumn) throws

    /// Removes `key` (no error when it is absent).
    func delete(_ key: [UInt8], column: StoreColumn) throws

    /// Applies every operation in `batch` atomically: after a crash either all or none are visible.
    /// - Parameter sync: when true, returns only after the batch is on stable storage (fsync).
    func write(_ batch: WriteBatch, sync: Bool) throws

    /// A consistent read view of the store as it is now.
    func snapshot() throws -> any KeyValueSnapshot
}

extension KeyValueReader {
    /// The entries whose key starts with `prefix`, ascending, at most `limit` of them.
    public func entries(
        prefix: [UInt8] = [],
        from start: [UInt8]? = nil,
        column: StoreColumn = .default,
        limit: Int = .max
    ) throws -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        guard limit > 0 else { return out }
        try scan(prefix: prefix, from: start, column: column) { key, value in
            out.append((key, value))
            return out.count < limit
        }
        return out
    }

    /// The value under `key` in the default column.
    public func get(_ key: [UInt8]) throws -> [UInt8]? { try get(key, column: .default) }
}

extension KeyValueStore {
    /// Stores `value` under `key` in the default column.
    public func put(_ key: [UInt8], _ value: [UInt8]) throws { try put(key, value, column: .default) }

    /// Removes `key` from the default column.
    public func delete(_ key: [UInt8]) throws { try delete(key, column: .default) }
}

/// A list of puts and deletes applied atomically by `KeyValueStore.write(_:sync:)`, in order.
public struct WriteBatch: Sendable {
    /// One change in a batch.
    public enum Operation: Sendable, Equatable {
        /// Store `value` under `key` in `column`.
        case put(column: StoreColumn, key: [UInt8], value: [UInt8])
        /// Remove `key` from `column`.
        case delete(column: StoreColumn, key: [UInt8])
    }

    /// The operations, in the order they apply (a later one wins over an earlier one on the same key).
    public private(set) var operations: [Operation] = []

    /// An empty batch.
    public init() {}

    /// Adds a put.
    public mutating func put(_ key: [UInt8], _ value: [UInt8], column: StoreColumn = .default) {
        operations.append(.put(column: column, key: key, value: value))
    }

    /// Adds a delete.
    public mutating func delete(_ key: [UInt8], column: StoreColumn = .default) {
        operations.append(.delete(column: column, key: key))
    }

    /// True when the batch has no operations.
    public var isEmpty: Bool { operations.isEmpty }

    /// The number of operations.
    public var count: Int { operations.count }
}

/// Why a store operation failed.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store was not opened with this column.
    case unknownColumn(String)
    /// The store could not be opened (path, permissions, lock held by another process, corruption).
    case openFailed(path: String, reason: String)
    /// The underlying engine reported an error.
    case engine(String)
    /// Stored bytes do not decode as what they should be.
    case corrupted(String)
    /// The store was closed; open it again to go on.
    case closed(path: String)

    public var description: String {
        switch self {
        case .unknownColumn(let name): "unknown column '\(name)' (not opened with this store)"
        case .openFailed(let path, let reason): "cannot open store at \(path): \(reason)"
        case .engine(let message): "storage engine error: \(message)"
        case .corrupted(let message): "stored data is corrupted: \(message)"
        case .closed(let path): "the store at \(path) is closed; open it again to use it"
        }
    }
}
