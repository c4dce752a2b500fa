import Synchronization

/// An in-memory `KeyValueStore` that behaves like `RocksDBStore`: bytewise ascending key order,
/// atomic batches, snapshots that later writes do not reach, and `StoreError.unknownColumn` for a
/// column the store was not opened with.
///
/// Nothing is persisted: the data lives as long as the store. `sync` in `write(_:sync:)` is accepted
/// and ignored. Snapshots share storage with the store and copy only the parts a later write touches,
/// so taking one costs next to nothing.
public final class MemoryStore: KeyValueStore {
    private let state: Mutex<MemoryStoreState>

    /// An empty store with `columns` plus the default column.
    public init(columns: [StoreColumn] = []) {
        var tables: [StoreColumn: SortedTable] = [.default: SortedTable()]
        for column in columns { tables[column] = SortedTable() }
        state = Mutex(MemoryStoreState(tables: tables))
    }

    /// The value under `key` in `column`, or nil.
    public func get(_ key: [UInt8], column: StoreColumn) throws -> [UInt8]? {
        try state.withLock { try $0.table(column).value(for: key) }
    }

    /// Calls `body` for each entry of `column` with `prefix`, ascending, from the first key ≥ `start`.
    /// Writes made meanwhile, by `body` included, do not show in the scan.
    public func scan(
        prefix: [UInt8],
        from start: [UInt8]?,
        column: StoreColumn,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        // Scan a copy (copy-on-write, so cheap) outside the lock: `body` may call back into the store,
        // and, like a RocksDB iterator, the scan sees the store as it was when the scan began.
        let table = try state.withLock { try $0.table(column) }
        try table.scan(prefix: prefix, from: start, body)
    }

    /// Stores `value` under `key` in `column`.
    public func put(_ key: [UInt8], _ value: [UInt8], column: StoreColumn) throws {
        try state.withLock { state in
            try state.checkColumn(column)
            state.tables[column]?.set(value, for: key)
        }
    }

    /// Removes `key` from `column`; nothing happens when it is absent.
    public func delete(_ key: [UInt8], column: StoreColumn) throws {
        try state.withLock { state in
            try state.checkColumn(column)
            state.tables[column]?.remove(key)
        }
    }

    /// Applies `batch` atomically; `sync` has no meaning in memory and is ignored.
    public func write(_ batch: WriteBatch, sync: Bool) throws {
        try state.withLock { state in
            // Check every column before changing anything so a bad batch leaves the store untouched.
            for operation in batch.operations {
                switch operation {
                case .put(let column, _, _), .delete(let column, _): try state.checkColumn(column)
                }
            }
            for operation in batch.operations {
                switch operation {
                case .put(let column, let key, let value): state.tables[column]?.set(value, for: key)
                case .delete(let column, let key): state.tables[column]?.remove(key)
                }
            }
        }
    }

    /// A read-only copy of the store as it is now; it costs no copying until the store next writes.
    public func snapshot() throws -> any KeyValueSnapshot {
        MemorySnapshot(state: state.withLock { $0 })
    }
}

/// A frozen copy of a `MemoryStore`'s state; it shares storage with the store until the store writes.
struct MemorySnapshot: KeyValueSnapshot {
    let state: MemoryStoreState

    func get(_ key: [UInt8], column: StoreColumn) throws -> [UInt8]? {
        try state.table(column).value(for: key)
    }

    func scan(
        prefix: [UInt8],
        from start: [UInt8]?,
        column: StoreColumn,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        try state.table(column).scan(prefix: prefix, from: start, body)
    }
}

/// Everything a `MemoryStore` holds; a value, so a snapshot is a copy.
struct MemoryStoreState: Sendable {
    var tables: [StoreColumn: SortedTable]

    func table(_ column: StoreColumn) throws -> SortedTable {
        guard let table = tables[column] else { throw StoreError.unknownColumn(column.name) }
        return table
    }

    func checkColumn(_ column: StoreColumn) throws {
        guard tables[column] != nil else { throw StoreError.unknownColumn(column.name) }
    }
}

// MARK: - Sorted table

/// Key-value pairs kept in ascending bytewise key order, in chunks of at most `maximumChunkCount`.
///
/// Chunking keeps an insert in the middle of 100k keys cheap (it shifts one chunk, not the whole
/// table), and after a snapshot shares the storage, a write copies the chunk list and one chunk
/// rather than every entry.
struct SortedTable: Sendable {
    /// Ordered, non-empty chunks: every key in a chunk sorts before every key in the next one.
    private var chunks: [Chunk] = []

    private static let maximumChunkCount = 512

    struct Chunk: Sendable {
        var keys: [[UInt8]]
        var values: [[UInt8]]
    }

    /// A position in the table: a chunk and an index inside it.
    private struct Position {
        var chunk: Int
        var index: Int
    }

    func value(for key: [UInt8]) -> [UInt8]? {
        let position = lowerBound(key)
        guard position.chunk < chunks.count, chunks[position.chunk].keys[position.index] == key else { return nil }
        return chunks[position.chunk].values[position.index]
    }

    mutating func set(_ value: [UInt8], for key: [UInt8]) {
        guard !chunks.isEmpty else {
            chunks.append(Chunk(keys: [key], values: [value]))
            return
        }
        var position = lowerBound(key)
        if position.chunk < chunks.count, chunks[position.chunk].keys[position.index] == key {
            chunks[position.chunk].values[position.index] = value
            return
        }
        if position.chunk == chunks.count {
            // Past the last key: append to the last chunk.
            position = Position(chunk: chunks.count - 1, index: chunks[chunks.count - 1].keys.count)
        }
        chunks[position.chunk].keys.insert(key, at: position.index)
        chunks[position.chunk].values.insert(value, at: position.index)
        if chunks[position.chunk].keys.count > Self.maximumChunkCount { split(position.chunk) }
    }

    mutating func remove(_ key: [UInt8]) {
        let position = lowerBound(key)
        guard position.chunk < chunks.count, chunks[position.chunk].keys[position.index] == key else { return }
        chunks[position.chunk].keys.remove(at: position.index)
        chunks[position.chunk].values.remove(at: position.index)
        if chunks[position.chunk].keys.isEmpty { chunks.remove(at: position.chunk) }
    }

    /// Calls `body` for each entry with `prefix`, ascending, from the first key ≥ `start`.
    func scan(
        prefix: [UInt8],
        from start: [UInt8]?,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        let seekKey = start.map { compareBytes($0, prefix) > 0 ? $0 : prefix } ?? prefix
        var position = lowerBound(seekKey)
        while position.chunk < chunks.count {
            let chunk = chunks[position.chunk]
            while position.index < chunk.keys.count {
                let key = chunk.keys[position.index]
                guard hasPrefix(key, prefix) else { return }
                guard try body(key, chunk.values[position.index]) else { return }
                position.index += 1
            }
            position = Position(chunk: position.chunk + 1, index: 0)
        }
    }

    /// The position of the first key ≥ `key`; `chunk == chunks.count` when there is none.
    private func lowerBound(_ key: [UInt8]) -> Position {
        // The first chunk whose last key is ≥ `key` holds the answer.
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if let last = chunks[middle].keys.last, compareBytes(last, key) < 0 {
                low = middle + 1
            } else {
                high = middle
            }
        }
        guard low < chunks.count else { return Position(chunk: chunks.count, index: 0) }
        let keys = chunks[low].keys
        var first = 0
        var end = keys.count
        while first < end {
            let middle = (first + end) / 2
            if compareBytes(keys[middle], key) < 0 { first = middle + 1 } else { end = middle }
        }
        return Position(chunk: low, index: first)
    }

    private mutating func split(_ index: Int) {
        let chunk = chunks[index]
        let half = chunk.keys.count / 2
        chunks[index] = Chunk(keys: Array(chunk.keys[..<half]), values: Array(chunk.values[..<half]))
        chunks.insert(Chunk(keys: Array(chunk.keys[half...]), values: Array(chunk.values[half...])), at: index + 1)
    }
}

// MARK: - Byte comparison

/// Bytewise comparison, as RocksDB's default comparator does it: negative when `left` sorts first,
/// zero when equal, positive when `right` sorts first. A proper prefix sorts before the longer key.
private func compareBytes(_ left: [UInt8], _ right: [UInt8]) -> Int {
    left.withUnsafeBufferPointer { left in
        right.withUnsafeBufferPointer { right in
            let common = min(left.count, right.count)
            var index = 0
            while index < common {
                if left[index] != right[index] { return left[index] < right[index] ? -1 : 1 }
                index += 1
            }
            return left.count - right.count
        }
    }
}

/// True when `key` begins with `prefix`.
private func hasPrefix(_ key: [UInt8], _ prefix: [UInt8]) -> Bool {
    guard key.count >= prefix.count else { return false }
    return key.withUnsafeBufferPointer { key in
        prefix.withUnsafeBufferPointer { prefix in
            var index = 0
            while index < prefix.count {
                if key[index] != prefix[index] { return false }
                index += 1
            }
            return true
        }
    }
}
