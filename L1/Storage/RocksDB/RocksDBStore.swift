internal import CRocksDB
public import Storage
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `KeyValueStore` on RocksDB: each `StoreColumn` is a column family, every write goes through the
/// write-ahead log, and `write(_:sync:)` with `sync: true` returns only after an fsync.
///
/// Opening creates the directory, the database and any missing column family. Every column family
/// already on disk is opened too (RocksDB requires it), but only the columns passed to `init` (and
/// the default one) can be used. Only one store, in any process, can have a path open for writing at a
/// time; read-only stores (`init(readOnlyPath:columns:options:)`) take no lock and may open it alongside.
///
/// Thread-safe. `close()` (or dropping the store) releases the database; a snapshot that outlives it
/// then throws on every read.
public final class RocksDBStore: KeyValueStore {
    /// The directory that holds the database.
    public let path: String

    /// The open database, or nil once closed. Operations take a reference under the lock and use it
    /// outside, so a running operation keeps the database alive until it finishes.
    private let state: Mutex<Database?>

    /// Opens (creating it if missing) the database at `path` with `columns` and the default column.
    /// - Throws: `StoreError.openFailed` with RocksDB's message, e.g. when another store holds the
    ///   lock, the path is not a directory or cannot be written.
    public init(path: String, columns: [StoreColumn], options: RocksDBStore.Options = .init()) throws {
        self.path = path
        state = Mutex(try Database(path: path, columns: columns, options: options, readOnly: false))
    }

    /// Opens the existing database at `path` read-only: a view of it as of the moment of opening.
    ///
    /// This takes no lock, so it works while another process (a running node) has the database open
    /// for writing; what that process writes afterwards does not show through. Every table file is
    /// opened up front (`max_open_files` is unbounded here), so the writer's compactions, which
    /// delete files, cannot pull a file from under a long read. Writes throw.
    /// - Throws: `StoreError.openFailed` when there is no database at `path`, one of `columns` is
    ///   not in it, or RocksDB refuses (its message is included).
    public init(readOnlyPath path: String, columns: [StoreColumn], options: RocksDBStore.Options = .init()) throws {
        self.path = path
        var settings = options
        settings.maxOpenFiles = -1
        state = Mutex(try Database(path: path, columns: columns, options: settings, readOnly: true))
    }

    deinit { close() }

    /// Releases the database: its files, its lock and its memory. Calling it again does nothing; any
    /// other call afterwards throws `StoreError.closed`.
    ///
    /// If another thread is in the middle of an operation, the files close when that operation ends.
    public func close() {
        let database = state.withLock { database in
            let open = database
            database = nil
            return open
        }
        // Dropping what may be the last reference runs `Database.deinit`, which closes RocksDB.
        _ = database
    }

    /// True until `close()`.
    public var isOpen: Bool { state.withLock { $0 != nil } }

    /// True for a store opened with `init(readOnlyPath:columns:options:)`.
    public var isReadOnly: Bool { state.withLock { $0?.readOnly ?? false } }

    private func database() throws -> Database {
        guard let database = state.withLock({ $0 }) else { throw closedError(path) }
        return database
    }

    /// The value under `key` in `column`, or nil.
    public func get(_ key: [UInt8], column: StoreColumn) throws -> [UInt8]? {
        let database = try database()
        return try database.get(key, column: column, readOptions: database.readOptions.pointer)
    }

    /// Calls `body` for each entry of `column` with `prefix`, ascending, from the first key ≥ `start`.
    /// The scan reads one consistent view; writes made meanwhile, by `body` included, do not show.
    public func scan(
        prefix: [UInt8],
        from start: [UInt8]?,
        column: StoreColumn,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        try database().scan(prefix: prefix, from: start, column: column, snapshot: nil, body)
    }

    /// Stores `value` under `key` in `column`, through the write-ahead log but without an fsync.
    public func put(_ key: [UInt8], _ value: [UInt8], column: StoreColumn) throws {
        try database().put(key, value, column: column)
    }

    /// Removes `key` from `column`, through the write-ahead log but without an fsync.
    public func delete(_ key: [UInt8], column: StoreColumn) throws {
        try database().delete(key, column: column)
    }

    /// Applies `batch` atomically, even across a crash; with `sync`, returns after the log is fsynced.
    public func write(_ batch: WriteBatch, sync: Bool) throws {
        try database().write(batch, sync: sync)
    }

    /// A consistent read view backed by a RocksDB snapshot, released when the view is dropped.
    public func snapshot() throws -> any KeyValueSnapshot {
        RocksDBSnapshot(database: try database())
    }
}

private func closedError(_ path: String) -> StoreError {
    .closed(path: path)
}

// MARK: - Database

/// An open RocksDB database with its column families; closed in `deinit`.
///
/// `@unchecked Sendable`: the C handles are thread-safe in RocksDB, they never change after `init`,
/// and the only mutable state (live snapshots) is behind a `Mutex`.
private final class Database: @unchecked Sendable {
    let path: String
    let handle: OpaquePointer
    /// Every column family open in the database, those the caller did not ask for included.
    private let families: [OpaquePointer]
    /// The column families this store may use.
    private let columns: [StoreColumn: OpaquePointer]
    /// Held for the database's lifetime; the column families were opened with it.
    private let options: OptionsHandle
    let readOptions: ReadOptionsHandle
    private let asyncWrite: WriteOptionsHandle
    private let syncWrite: WriteOptionsHandle
    /// The addresses of snapshots not yet released, so `deinit` can release those still held.
    private let snapshots = Mutex<Set<UInt>>([])

    /// True when opened with `rocksdb_open_for_read_only_column_families`: writes are refused.
    let readOnly: Bool

    init(path: String, columns requested: [StoreColumn], options settings: RocksDBStore.Options, readOnly: Bool)
        throws
    {
        self.path = path
        self.readOnly = readOnly
        if !readOnly { createParentDirectories(of: path) }
        let options = OptionsHandle(settings, createIfMissing: !readOnly)

        // RocksDB refuses to open a database unless every column family on disk is named, so open those
        // that exist plus the ones asked for. Listing fails when there is no database yet; the open that
        // follows reports any real problem (a read-only open reports it here: it creates nothing).
        var names = [StoreColumn.default.name]
        let existing: [String]
        if readOnly {
            do { existing = try listColumnFamilies(path: path, options: options) } catch {
                throw StoreError.openFailed(path: path, reason: "no readable database here (\(error))")
            }
            for column in requested where !existing.contains(column.name) {
                throw StoreError.openFailed(path: path, reason: "the database has no column '\(column.name)'")
            }
        } else {
            existing = (try? listColumnFamilies(path: path, options: options)) ?? []
        }
        for name in existing where !names.contains(name) { names.append(name) }
        for column in requested where !names.contains(column.name) { names.append(column.name) }

        var handles = [OpaquePointer?](repeating: nil, count: names.count)
        let familyOptions = [OpaquePointer?](repeating: options.pointer, count: names.count)
        let opened = try withCStrings(names) { cNames in
            try call({ .openFailed(path: path, reason: $0) }) { error in
                if readOnly {
                    // A live writer's log is expected: replay it into memory, do not refuse.
                    rocksdb_open_for_read_only_column_families(
                        options.pointer, path, Int32(names.count), cNames, familyOptions, &handles, 0, &error)
                } else {
                    rocksdb_open_column_families(
                        options.pointer, path, Int32(names.count), cNames, familyOptions, &handles, &error)
                }
            }
        }
        let families = handles.compactMap { $0 }
        guard let opened, families.count == names.count else {
            for family in families { rocksdb_column_family_handle_destroy(family) }
            if let opened { rocksdb_close(opened) }
            throw StoreError.openFailed(path: path, reason: "RocksDB returned no handle")
        }

        var columns: [StoreColumn: OpaquePointer] = [:]
        for (name, family) in zip(names, families)
        where name == StoreColumn.default.name || requested.contains(StoreColumn(name)) {
            columns[StoreColumn(name)] = family
        }
        self.handle = opened
        self.families = families
        self.columns = columns
        self.options = options
        readOptions = ReadOptionsHandle()
        asyncWrite = WriteOptionsHandle(sync: false)
        syncWrite = WriteOptionsHandle(sync: true)
    }

    deinit {
        // RocksDB needs snapshots released and column family handles destroyed before the close.
        for address in snapshots.withLock({ $0 }) {
            if let snapshot = OpaquePointer(bitPattern: address) { rocksdb_release_snapshot(handle, snapshot) }
        }
        for family in families { rocksdb_column_family_handle_destroy(family) }
        rocksdb_close(handle)
    }

    func family(_ column: StoreColumn) throws -> OpaquePointer {
        guard let family = columns[column] else { throw StoreError.unknownColumn(column.name) }
        return family
    }

    // MARK: Reads

    func get(_ key: [UInt8], column: StoreColumn, readOptions: OpaquePointer) throws -> [UInt8]? {
        let family = try family(column)
        let slice = try withBytes(key) { key, keyLength in
            try call { error in rocksdb_get_pinned_cf(handle, readOptions, family, key, keyLength, &error) }
        }
        guard let slice else { return nil }
        defer { rocksdb_pinnableslice_destroy(slice) }
        var length = 0
        let value = rocksdb_pinnableslice_value(slice, &length)
        return copyBytes(value, length)
    }

    func scan(
        prefix: [UInt8],
        from start: [UInt8]?,
        column: StoreColumn,
        snapshot: OpaquePointer?,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        let iterator = Iterator(
            database: self, family: try family(column), snapshot: snapshot, upperBound: prefixSuccessor(prefix))
        let seekKey = start.map { $0.lexicographicallyPrecedes(prefix) ? prefix : $0 } ?? prefix
        withBytes(seekKey) { key, length in rocksdb_iter_seek(iterator.pointer, key, length) }
        while rocksdb_iter_valid(iterator.pointer) != 0 {
            var keyLength = 0
            let key = copyBytes(rocksdb_iter_key(iterator.pointer, &keyLength), keyLength)
            // The upper bound already ends the scan, except for a prefix of only 0xff bytes, which has
            // no upper bound.
            guard key.starts(with: prefix) else { break }
            var valueLength = 0
            let value = copyBytes(rocksdb_iter_value(iterator.pointer, &valueLength), valueLength)
            guard try body(key, value) else { return }
            rocksdb_iter_next(iterator.pointer)
        }
        try call { error in rocksdb_iter_get_error(iterator.pointer, &error) }
    }

    // MARK: Writes

    /// Throws unless the database was opened for writing.
    private func requireWritable() throws {
        guard !readOnly else { throw StoreError.engine("the store at \(path) is open read-only") }
    }

    func put(_ key: [UInt8], _ value: [UInt8], column: StoreColumn) throws {
        try requireWritable()
        let family = try family(column)
        try withBytes(key) { key, keyLength in
            try withBytes(value) { value, valueLength in
                try call { error in
                    rocksdb_put_cf(handle, asyncWrite.pointer, family, key, keyLength, value, valueLength, &error)
                }
            }
        }
    }

    func delete(_ key: [UInt8], column: StoreColumn) throws {
        try requireWritable()
        let family = try family(column)
        try withBytes(key) { key, keyLength in
            try call { error in rocksdb_delete_cf(handle, asyncWrite.pointer, family, key, keyLength, &error) }
        }
    }

    func write(_ batch: WriteBatch, sync: Bool) throws {
        try requireWritable()
        // Every column is resolved while building the native batch, so an unknown one throws before
        // anything is written.
        let native = NativeWriteBatch()
        for operation in Self.memtableOrder(batch.operations) {
            switch operation {
            case .put(let column, let key, let value):
                let family = try family(column)
                withBytes(key) { key, keyLength in
                    withBytes(value) { value, valueLength in
                        rocksdb_writebatch_put_cf(native.pointer, family, key, keyLength, value, valueLength)
                    }
                }
            case .delete(let column, let key):
                let family = try family(column)
                withBytes(key) { key, keyLength in
                    rocksdb_writebatch_delete_cf(native.pointer, family, key, keyLength)
                }
            }
        }
        let writeOptions = sync ? syncWrite : asyncWrite
        try call { error in rocksdb_write(handle, writeOptions.pointer, native.pointer, &error) }
    }

    /// The operations ordered by column, then key, then position in the batch (so a later operation
    /// on a key still wins). Each column's memtable is a skip list that remembers where the previous
    /// insert went: keys in ascending order re-search only its lower levels, while the state tree's
    /// keys, node hashes in tree order, would each search it from the top.
    static func memtableOrder(_ operations: [WriteBatch.Operation]) -> [WriteBatch.Operation] {
        guard operations.count > 1 else { return operations }
        func parts(_ operation: WriteBatch.Operation) -> (column: String, key: [UInt8]) {
            switch operation {
            case .put(let column, let key, _): (column.name, key)
            case .delete(let column, let key): (column.name, key)
            }
        }
        let keyed = operations.enumerated().map { (index: $0.offset, parts: parts($0.element)) }
        let order = keyed.sorted { lhs, rhs in
            if lhs.parts.column != rhs.parts.column { return lhs.parts.column < rhs.parts.column }
            let comparison = compareBytes(lhs.parts.key, rhs.parts.key)
            return comparison != 0 ? comparison < 0 : lhs.index < rhs.index
        }
        return order.map { operations[$0.index] }
    }

    // MARK: Snapshots

    func createSnapshot() -> OpaquePointer {
        let snapshot: OpaquePointer = rocksdb_create_snapshot(handle)
        let address = UInt(bitPattern: snapshot)
        snapshots.withLock { _ = $0.insert(address) }
        return snapshot
    }

    func releaseSnapshot(_ snapshot: OpaquePointer) {
        let address = UInt(bitPattern: snapshot)
        // Only the caller that removes the address releases it, so a snapshot is never released twice.
        if snapshots.withLock({ $0.remove(address) != nil }) { rocksdb_release_snapshot(handle, snapshot) }
    }
}

// MARK: - Snapshot

/// A RocksDB snapshot; released in `deinit`, or when the store closes, whichever comes first.
///
/// It holds its database weakly so that an outstanding snapshot does not keep the files open after
/// `RocksDBStore.close()`. `@unchecked Sendable`: the handles never change and RocksDB reads through
/// them are thread-safe.
private final class RocksDBSnapshot: KeyValueSnapshot, @unchecked Sendable {
    private weak let database: Database?
    private let path: String
    private let snapshot: OpaquePointer
    private let readOptions: ReadOptionsHandle

    init(database: Database) {
        self.database = database
        path = database.path
        snapshot = database.createSnapshot()
        readOptions = ReadOptionsHandle()
        rocksdb_readoptions_set_snapshot(readOptions.pointer, snapshot)
    }

    deinit { database?.releaseSnapshot(snapshot) }

    private func openDatabase() throws -> Database {
        guard let database else { throw closedError(path) }
        return database
    }

    func get(_ key: [UInt8], column: StoreColumn) throws -> [UInt8]? {
        try openDatabase().get(key, column: column, readOptions: readOptions.pointer)
    }

    func scan(
        prefix: [UInt8],
        from start: [UInt8]?,
        column: StoreColumn,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        try openDatabase().scan(prefix: prefix, from: start, column: column, snapshot: snapshot, body)
    }
}

// MARK: - Owned C handles

/// Database options with a block cache, bloom filters and level compaction.
private final class OptionsHandle {
    let pointer: OpaquePointer
    private let cache: OpaquePointer

    init(_ settings: RocksDBStore.Options, createIfMissing: Bool) {
        pointer = rocksdb_options_create()
        rocksdb_options_set_create_if_missing(pointer, createIfMissing ? 1 : 0)
        rocksdb_options_set_create_missing_column_families(pointer, createIfMissing ? 1 : 0)
        rocksdb_options_increase_parallelism(pointer, Int32(clamping: max(1, settings.backgroundThreads)))
        rocksdb_options_set_compaction_style(pointer, Int32(rocksdb_level_compaction))
        // Level sizes follow the data, which bounds space amplification at about 1.1x.
        rocksdb_options_set_level_compaction_dynamic_level_bytes(pointer, 1)
        rocksdb_options_set_max_open_files(pointer, Int32(clamping: settings.maxOpenFiles))
        // After a crash, recover every write up to the first damaged record of the log and nothing after
        // it, so a torn tail never leaves a gap in the middle of the history.
        rocksdb_options_set_wal_recovery_mode(pointer, Int32(rocksdb_point_in_time_recovery))
        // RocksDB's info LOG otherwise keeps up to 1000 old files.
        rocksdb_options_set_keep_log_file_num(pointer, 4)

        cache = rocksdb_cache_create_lru(max(0, settings.blockCacheBytes))
        let table: OpaquePointer = rocksdb_block_based_options_create()
        rocksdb_block_based_options_set_block_cache(table, cache)
        if settings.bloomFilterBitsPerKey > 0 {
            // The table options take ownership of the filter policy.
            rocksdb_block_based_options_set_filter_policy(
                table, rocksdb_filterpolicy_create_bloom_full(settings.bloomFilterBitsPerKey))
        }
        // The options copy the table settings (and share the cache), so `table` can go now.
        rocksdb_options_set_block_based_table_factory(pointer, table)
        rocksdb_block_based_options_destroy(table)
    }

    deinit {
        rocksdb_options_destroy(pointer)
        rocksdb_cache_destroy(cache)
    }
}

/// Read options; a scan gets its own because the upper bound lives in them.
private final class ReadOptionsHandle {
    let pointer: OpaquePointer = rocksdb_readoptions_create()

    deinit { rocksdb_readoptions_destroy(pointer) }
}

private final class WriteOptionsHandle {
    let pointer: OpaquePointer = rocksdb_writeoptions_create()

    init(sync: Bool) { rocksdb_writeoptions_set_sync(pointer, sync ? 1 : 0) }

    deinit { rocksdb_writeoptions_destroy(pointer) }
}

private final class NativeWriteBatch {
    let pointer: OpaquePointer = rocksdb_writebatch_create()

    deinit { rocksdb_writebatch_destroy(pointer) }
}

/// An iterator over one column family, with the read options and upper-bound bytes it points into.
private final class Iterator {
    let pointer: OpaquePointer
    /// Keeps the database open for as long as the iterator exists.
    private let database: Database
    private let readOptions = ReadOptionsHandle()
    /// RocksDB keeps a pointer to the bound, not a copy, so the bytes live here until `deinit`.
    private let upperBound: UnsafeMutableBufferPointer<CChar>?

    init(database: Database, family: OpaquePointer, snapshot: OpaquePointer?, upperBound bound: [UInt8]?) {
        self.database = database
        if let snapshot { rocksdb_readoptions_set_snapshot(readOptions.pointer, snapshot) }
        if let bound {
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: bound.count)
            for (index, byte) in bound.enumerated() { buffer[index] = CChar(bitPattern: byte) }
            rocksdb_readoptions_set_iterate_upper_bound(readOptions.pointer, buffer.baseAddress, buffer.count)
            upperBound = buffer
        } else {
            upperBound = nil
        }
        pointer = rocksdb_create_iterator_cf(database.handle, readOptions.pointer, family)
    }

    deinit {
        rocksdb_iter_destroy(pointer)
        upperBound?.deallocate()
    }
}

// MARK: - Helpers

/// Runs `body` with a `char** errptr` and turns an error RocksDB stores there into a thrown
/// `StoreError` (`.engine` unless `makeError` says otherwise), freeing RocksDB's string.
private func call<Result>(
    _ makeError: (String) -> StoreError = { .engine($0) },
    _ body: (inout UnsafeMutablePointer<CChar>?) throws -> Result
) throws -> Result {
    var error: UnsafeMutablePointer<CChar>?
    let result = try body(&error)
    if let error {
        let message = String(cString: error)
        rocksdb_free(error)
        throw makeError(message)
    }
    return result
}

/// Calls `body` with `bytes` as a C pointer and length; an empty array still gets a valid pointer.
private func withBytes<Result>(
    _ bytes: [UInt8],
    _ body: (UnsafePointer<CChar>, Int) throws -> Result
) rethrows -> Result {
    try bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else {
            return try withUnsafePointer(to: CChar(0)) { try body($0, 0) }
        }
        return try base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { try body($0, buffer.count) }
    }
}

private func copyBytes(_ pointer: UnsafePointer<CChar>?, _ count: Int) -> [UInt8] {
    guard let pointer, count > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: count))
}

/// Calls `body` with `strings` as a C array of C strings, valid only during the call.
private func withCStrings<Result>(
    _ strings: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> Result
) rethrows -> Result {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) }
    return try pointers.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else {
            return try withUnsafePointer(to: nil) { try body($0) }
        }
        return try body(base)
    }
}

/// The names of the column families in the database at `path`.
private func listColumnFamilies(path: String, options: OptionsHandle) throws -> [String] {
    var count = 0
    let list = try call { error in rocksdb_list_column_families(options.pointer, path, &count, &error) }
    guard let list else { return [] }
    defer { rocksdb_list_column_families_destroy(list, count) }
    return (0..<count).compactMap { index in list[index].map { String(cString: $0) } }
}

/// The smallest key greater than every key that starts with `prefix`, or nil when there is none
/// (an empty prefix, or one of only 0xff bytes).
private func prefixSuccessor(_ prefix: [UInt8]) -> [UInt8]? {
    var bound = prefix
    while let last = bound.last {
        if last < 0xff {
            bound[bound.count - 1] = last + 1
            return bound
        }
        bound.removeLast()
    }
    return nil
}

/// Creates the directories above `path`; RocksDB creates `path` itself. Failures are left for the
/// open to report with RocksDB's own message.
private func createParentDirectories(of path: String) {
    var index = path.startIndex
    while let slash = path[index...].firstIndex(of: "/") {
        if slash != path.startIndex { _ = mkdir(String(path[..<slash]), 0o755) }
        index = path.index(after: slash)
    }
}

/// Bytewise comparison, as RocksDB's default comparator orders keys: negative, zero or positive.
private func compareBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int32 {
    lhs.withUnsafeBytes { left in
        rhs.withUnsafeBytes { right in
            let common = min(left.count, right.count)
            if common > 0, let a = left.baseAddress, let b = right.baseAddress {
                let result = memcmp(a, b, common)
                if result != 0 { return result }
            }
            return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
        }
    }
}
