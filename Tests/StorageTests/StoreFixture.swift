import Foundation
import RocksDBStorage
import Storage

/// The store implementations the shared suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case rocksDB

    var description: String { rawValue }
}

/// Columns the suite opens besides the default one.
enum TestColumns {
    static let alpha = StoreColumn("alpha")
    static let beta = StoreColumn("beta")
    static let all = [alpha, beta]
}

/// Runs `body` with a fresh, empty store of `kind` opened with `columns`. A RocksDB store lives in its
/// own temporary directory, closed and removed when `body` returns.
func withStore<Result>(
    _ kind: StoreKind,
    columns: [StoreColumn] = TestColumns.all,
    _ body: (any KeyValueStore) throws -> Result
) throws -> Result {
    switch kind {
    case .memory:
        return try body(MemoryStore(columns: columns))
    case .rocksDB:
        return try withTemporaryDirectory { directory in
            let store = try RocksDBStore(path: directory + "/db", columns: columns)
            defer { store.close() }
            return try body(store)
        }
    }
}

/// Runs `body` with the path of a new empty directory, removed with its contents afterwards.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("aether-storage-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

/// The UTF-8 bytes of `text`, for readable keys.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// One key-value pair; `Equatable`, unlike the tuples `entries` returns.
struct Entry: Equatable, CustomStringConvertible {
    let key: [UInt8]
    let value: [UInt8]

    init(_ key: [UInt8], _ value: [UInt8]) {
        self.key = key
        self.value = value
    }

    var description: String { "\(hex(key))=\(hex(value))" }
}

/// Hex digits of `bytes`, `∅` when empty, so binary keys read well in failure messages.
func hex(_ bytes: [UInt8]) -> String {
    bytes.isEmpty ? "∅" : bytes.map { String(format: "%02x", $0) }.joined()
}

extension KeyValueReader {
    /// `entries(...)` as `Entry` values.
    func all(
        prefix: [UInt8] = [],
        from start: [UInt8]? = nil,
        column: StoreColumn = .default,
        limit: Int = .max
    ) throws -> [Entry] {
        try entries(prefix: prefix, from: start, column: column, limit: limit).map { Entry($0.key, $0.value) }
    }

    /// The keys `scan` visits, in order.
    func keys(prefix: [UInt8] = [], from start: [UInt8]? = nil, column: StoreColumn = .default) throws -> [[UInt8]] {
        try all(prefix: prefix, from: start, column: column).map(\.key)
    }
}
