import Foundation
import Primitives
import RocksDBStorage
import Storage
import Testing

/// Random operations applied to `MemoryStore`, `RocksDBStore` and a plain dictionary model at once;
/// all three must agree on every read. A failure names the seed and step; rerun one seed with
/// `AETHER_STORAGE_SEED=<seed> swift test --filter StoreModelTests`.
@Suite("KeyValueStore model")
struct StoreModelTests {
    static let seeds: [UInt64] = {
        if let text = ProcessInfo.processInfo.environment["AETHER_STORAGE_SEED"], let seed = UInt64(text) {
            return [seed]
        }
        return [0x5eed_0001, 0x5eed_0002, 0x5eed_0003]
    }()

    @Test("memory store, RocksDB store and a dictionary agree on random operations", arguments: seeds)
    func randomOperations(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let rocks = try RocksDBStore(path: directory + "/db", columns: ModelRun.columns)
            defer { rocks.close() }
            var run = ModelRun(
                seed: seed, stores: [("memory", MemoryStore(columns: ModelRun.columns)), ("rocksDB", rocks)])
            try run.run(steps: 5_000)
        }
    }
}

/// One randomized run: the stores under test, the model, and snapshots of all of them.
struct ModelRun {
    typealias Table = [[UInt8]: [UInt8]]

    static let columns = [TestColumns.alpha]
    /// Columns operations pick from; `missing` is not opened, so every store must reject it.
    static let choices: [StoreColumn] = [.default, .default, TestColumns.alpha, StoreColumn("missing")]
    /// Few distinct bytes, so keys collide, share prefixes and include 0x00 and 0xff.
    static let alphabet: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]

    let seed: UInt64
    let stores: [(name: String, store: any KeyValueStore)]
    var generator: SeededRandom
    var model: [StoreColumn: Table] = [.default: [:], TestColumns.alpha: [:]]
    /// Live snapshots: the model at the time and each store's snapshot, in `stores` order.
    var snapshots: [(model: [StoreColumn: Table], views: [any KeyValueSnapshot])] = []
    var step = 0

    init(seed: UInt64, stores: [(name: String, store: any KeyValueStore)]) {
        self.seed = seed
        self.stores = stores
        generator = SeededRandom(seed: seed)
    }

    mutating func run(steps: Int) throws {
        for index in 0..<steps {
            step = index
            let roll = Int.random(in: 0..<100, using: &generator)
            switch roll {
            case 0..<30: try put()
            case 30..<42: try delete()
            case 42..<57: try batch()
            case 57..<72: try scan()
            case 72..<82: try get()
            case 82..<88: try takeSnapshot()
            default: try readSnapshot()
            }
            if index % 500 == 499 { try compareEverything() }
        }
        try compareEverything()
    }

    // MARK: Operations

    mutating func put() throws {
        let column = randomColumn()
        let key = randomKey()
        let value = randomValue()
        try applyToAll(column) { try $0.put(key, value, column: column) }
        model[column]?[key] = value
    }

    mutating func delete() throws {
        let column = randomColumn()
        let key = randomKey()
        try applyToAll(column) { try $0.delete(key, column: column) }
        model[column]?[key] = nil
    }

    mutating func batch() throws {
        var batch = WriteBatch()
        var changed = model
        var columns: [StoreColumn] = []
        for _ in 0..<Int.random(in: 0...8, using: &generator) {
            let column = randomColumn()
            columns.append(column)
            let key = randomKey()
            if Bool.random(using: &generator) {
                let value = randomValue()
                batch.put(key, value, column: column)
                changed[column]?[key] = value
            } else {
                batch.delete(key, column: column)
                changed[column]?[key] = nil
            }
        }
        let sync = Int.random(in: 0..<8, using: &generator) == 0
        // One unknown column anywhere in the batch must reject all of it.
        let unknown = columns.first { model[$0] == nil }
        try applyToAll(unknown ?? .default) { try $0.write(batch, sync: sync) }
        if unknown == nil { model = changed }
    }

    mutating func scan() throws {
        let column = randomColumn()
        let (prefix, start, limit) = randomScan()
        let expected = Self.scan(model[column], prefix: prefix, start: start, limit: limit)
        for (name, store) in stores {
            try compare(
                { try store.all(prefix: prefix, from: start, column: column, limit: limit) }, expected,
                "\(name) scan of \(column) prefix \(hex(prefix)) from \(start.map(hex) ?? "nil") limit \(limit)")
        }
    }

    mutating func get() throws {
        let column = randomColumn()
        let key = randomKey()
        let expected = model[column].map { $0[key] }
        for (name, store) in stores {
            try compare({ try store.get(key, column: column) }, expected, "\(name) get \(hex(key)) in \(column)")
        }
    }

    mutating func takeSnapshot() throws {
        let views = try stores.map { try $0.store.snapshot() }
        if snapshots.count < 4 {
            snapshots.append((model, views))
        } else {
            // Replacing one releases the old snapshots while the stores keep changing.
            snapshots[Int.random(in: 0..<snapshots.count, using: &generator)] = (model, views)
        }
    }

    mutating func readSnapshot() throws {
        guard !snapshots.isEmpty else { return try takeSnapshot() }
        let index = Int.random(in: 0..<snapshots.count, using: &generator)
        let (frozen, views) = snapshots[index]
        let column = randomColumn()
        if Bool.random(using: &generator) {
            let key = randomKey()
            let expected = frozen[column].map { $0[key] }
            for (view, (name, _)) in zip(views, stores) {
                try compare(
                    { try view.get(key, column: column) }, expected,
                    "\(name) snapshot \(index) get \(hex(key)) in \(column)")
            }
        } else {
            let (prefix, start, limit) = randomScan()
            let expected = Self.scan(frozen[column], prefix: prefix, start: start, limit: limit)
            for (view, (name, _)) in zip(views, stores) {
                try compare(
                    { try view.all(prefix: prefix, from: start, column: column, limit: limit) }, expected,
                    "\(name) snapshot \(index) scan of \(column) prefix \(hex(prefix))")
            }
        }
    }

    mutating func compareEverything() throws {
        for column in [StoreColumn.default, TestColumns.alpha] {
            let expected = Self.scan(model[column], prefix: [], start: nil, limit: .max)
            for (name, store) in stores {
                try compare({ try store.all(column: column) }, expected, "\(name) full scan of \(column)")
            }
        }
    }

    // MARK: Checking

    /// Runs `operation` on every store; when `column` is unknown each must throw `unknownColumn`.
    private func applyToAll(_ column: StoreColumn, _ operation: (any KeyValueStore) throws -> Void) throws {
        for (name, store) in stores {
            try compare({ try operation(store) }, model[column] == nil ? nil : (), "\(name) write to \(column)")
        }
    }

    /// Checks that `operation` returns `expected`, or throws `unknownColumn` when the model says the
    /// operation names a column that does not exist (`expected` is nil for a write then).
    private func compare<Value: Equatable>(
        _ operation: () throws -> Value,
        _ expected: Value?,
        _ what: @autoclosure () -> String
    ) throws {
        let context = Comment(rawValue: "seed \(seed) step \(step): \(what())")
        let actual: Value
        do {
            actual = try operation()
        } catch {
            try #require(expected == nil, "\(context): unexpected \(error)")
            try #require(error as? StoreError == .unknownColumn("missing"), "\(context): \(error)")
            return
        }
        try #require(expected == actual, context)
    }

    private func compare(_ operation: () throws -> Void, _ expected: Void?, _ what: @autoclosure () -> String) throws {
        func succeeds() throws -> Bool {
            try operation()
            return true
        }
        try compare(succeeds, expected.map { true }, what())
    }

    /// The model's answer to a scan: filter, sort bytewise, cut at `limit`. Nil for an unknown column.
    static func scan(_ table: Table?, prefix: [UInt8], start: [UInt8]?, limit: Int) -> [Entry]? {
        guard let table else { return nil }
        let matching = table.filter { key, _ in
            key.starts(with: prefix) && (start.map { !key.lexicographicallyPrecedes($0) } ?? true)
        }
        let sorted = matching.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        return sorted.prefix(limit).map { Entry($0.key, $0.value) }
    }

    // MARK: Random values

    private mutating func randomColumn() -> StoreColumn {
        // Unknown columns are rare, so most operations do something.
        Int.random(in: 0..<50, using: &generator) == 0
            ? Self.choices[3] : Self.choices[Int.random(in: 0..<3, using: &generator)]
    }

    private mutating func randomKey() -> [UInt8] {
        (0..<Int.random(in: 0...3, using: &generator)).map { _ in
            Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &generator)]
        }
    }

    private mutating func randomValue() -> [UInt8] {
        (0..<Int.random(in: 0...4, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    private mutating func randomScan() -> (prefix: [UInt8], start: [UInt8]?, limit: Int) {
        var prefix = randomKey()
        prefix.removeLast(min(prefix.count, Int.random(in: 0...2, using: &generator)))
        let start = Bool.random(using: &generator) ? randomKey() : nil
        let limit = Bool.random(using: &generator) ? Int.random(in: 1...20, using: &generator) : .max
        return (prefix, start, limit)
    }
}
