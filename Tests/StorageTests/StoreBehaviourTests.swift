import Dispatch
import Primitives
import Storage
import Synchronization
import Testing

/// The behaviour every `KeyValueStore` shares, run against `MemoryStore` and `RocksDBStore` alike so
/// that tests using the memory store stay true to production.
@Suite("KeyValueStore behaviour")
struct StoreBehaviourTests {
    // MARK: - Single keys

    @Test("get, put and delete", arguments: StoreKind.allCases)
    func getPutDelete(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            #expect(try store.get(bytes("a")) == nil)
            try store.put(bytes("a"), bytes("1"))
            #expect(try store.get(bytes("a")) == bytes("1"))
            try store.delete(bytes("a"))
            #expect(try store.get(bytes("a")) == nil)
            // Deleting what is absent is not an error.
            try store.delete(bytes("a"))
            try store.delete(bytes("never"))
            #expect(try store.all().isEmpty)
        }
    }

    @Test("a put replaces the previous value", arguments: StoreKind.allCases)
    func overwrite(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.put(bytes("a"), bytes("first"))
            try store.put(bytes("a"), bytes("second, longer"))
            try store.put(bytes("a"), bytes("3"))
            #expect(try store.get(bytes("a")) == bytes("3"))
            #expect(try store.all() == [Entry(bytes("a"), bytes("3"))])
        }
    }

    @Test("an empty key and an empty value are ordinary data", arguments: StoreKind.allCases)
    func emptyKeyAndValue(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.put([], [1])
            try store.put([9], [])
            #expect(try store.get([]) == [1])
            // An empty value is present, not missing.
            #expect(try store.get([9]) == [])
            #expect(try store.all() == [Entry([], [1]), Entry([9], [])])
            #expect(try store.all(from: []) == [Entry([], [1]), Entry([9], [])])
            try store.delete([])
            #expect(try store.get([]) == nil)
            #expect(try store.all() == [Entry([9], [])])
        }
    }

    @Test("binary keys sort bytewise, unsigned, shorter first", arguments: StoreKind.allCases)
    func binaryKeys(_ kind: StoreKind) throws {
        let sorted: [[UInt8]] = [
            [0x00], [0x00, 0x00], [0x00, 0xff], [0x01], [0x7f], [0x7f, 0xff, 0xff],
            [0x80], [0x80, 0x00], [0xfe, 0xff], [0xff], [0xff, 0x00], [0xff, 0xff], [0xff, 0xff, 0xff],
        ]
        try withStore(kind) { store in
            for (index, key) in sorted.reversed().enumerated() { try store.put(key, [UInt8(index)]) }
            #expect(try store.keys() == sorted)
            for (index, key) in sorted.reversed().enumerated() { #expect(try store.get(key) == [UInt8(index)]) }
            #expect(try store.get([0x00, 0x00, 0x00]) == nil)
        }
    }

    // MARK: - Scans

    /// Keys around the prefix `ab`, in the order the stores must return them.
    static let prefixKeys: [[UInt8]] = [
        bytes("a"), bytes("aa"), bytes("ab"), bytes("ab") + [0x00], bytes("abc"), bytes("abcz"), bytes("abd"),
        bytes("ab") + [0xff], bytes("ab") + [0xff, 0xff], bytes("ac"), bytes("b"),
    ]

    @Test("a prefix scan returns exactly the keys with the prefix, ascending", arguments: StoreKind.allCases)
    func prefixScan(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            for key in Self.prefixKeys.shuffled() { try store.put(key, key) }
            #expect(
                try store.keys(prefix: bytes("ab")) == [
                    bytes("ab"), bytes("ab") + [0x00], bytes("abc"), bytes("abcz"), bytes("abd"),
                    bytes("ab") + [0xff], bytes("ab") + [0xff, 0xff],
                ])
            #expect(try store.keys(prefix: bytes("abc")) == [bytes("abc"), bytes("abcz")])
            #expect(try store.keys(prefix: bytes("b")) == [bytes("b")])
            #expect(try store.keys(prefix: bytes("abe")).isEmpty)
            #expect(try store.keys(prefix: bytes("c")).isEmpty)
            // Values come with their keys.
            #expect(
                try store.all(prefix: bytes("abc")) == [
                    Entry(bytes("abc"), bytes("abc")), Entry(bytes("abcz"), bytes("abcz")),
                ])
        }
    }

    @Test("an empty prefix scans the whole column", arguments: StoreKind.allCases)
    func emptyPrefix(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            for key in Self.prefixKeys.shuffled() { try store.put(key, [1]) }
            #expect(try store.keys() == Self.prefixKeys)
            #expect(try store.keys(from: bytes("abd")) == Array(Self.prefixKeys[6...]))
        }
    }

    @Test("a prefix of 0xff bytes, which has no successor, still ends at the prefix", arguments: StoreKind.allCases)
    func allOnesPrefix(_ kind: StoreKind) throws {
        let keys: [[UInt8]] = [
            [0xfe], [0xfe, 0xff, 0xff], [0xff], [0xff, 0x00], [0xff, 0xfe, 0xff], [0xff, 0xff],
            [0xff, 0xff, 0x00], [0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff],
        ]
        try withStore(kind) { store in
            for key in keys.shuffled() { try store.put(key, key) }
            #expect(try store.keys(prefix: [0xff, 0xff]) == Array(keys[5...]))
            #expect(try store.keys(prefix: [0xff]) == Array(keys[2...]))
            #expect(try store.keys(prefix: [0xff, 0xff, 0xff]) == Array(keys[7...]))
            #expect(try store.keys(prefix: [0xff, 0xff], from: [0xff, 0xff, 0x01]) == Array(keys[7...]))
            #expect(try store.keys(prefix: [0xfe, 0xff]) == [[0xfe, 0xff, 0xff]])
            #expect(try store.keys(prefix: [0xff, 0xff, 0xff, 0xff, 0xff]).isEmpty)
        }
    }

    @Test("a start key inside the prefix skips ahead; outside it clamps or ends", arguments: StoreKind.allCases)
    func startKey(_ kind: StoreKind) throws {
        let prefix = bytes("ab")
        try withStore(kind) { store in
            for key in Self.prefixKeys.shuffled() { try store.put(key, [1]) }
            let inPrefix = try store.keys(prefix: prefix)
            // Inside the prefix, on a key and between keys.
            #expect(try store.keys(prefix: prefix, from: bytes("abc")) == Array(inPrefix[2...]))
            #expect(try store.keys(prefix: prefix, from: bytes("abc") + [0x00]) == Array(inPrefix[3...]))
            #expect(try store.keys(prefix: prefix, from: bytes("ab") + [0xff, 0xff, 0x00]).isEmpty)
            // Equal to the prefix, or before it: the whole prefix.
            #expect(try store.keys(prefix: prefix, from: prefix) == inPrefix)
            #expect(try store.keys(prefix: prefix, from: bytes("a")) == inPrefix)
            #expect(try store.keys(prefix: prefix, from: []) == inPrefix)
            // After every key with the prefix: nothing, even though later keys exist.
            #expect(try store.keys(prefix: prefix, from: bytes("ac")).isEmpty)
            #expect(try store.keys(prefix: prefix, from: [0xff]).isEmpty)
        }
    }

    @Test("returning false stops a scan; a throw from the body propagates", arguments: StoreKind.allCases)
    func earlyStop(_ kind: StoreKind) throws {
        struct Stop: Error {}
        try withStore(kind) { store in
            for index in 0..<10 { try store.put([UInt8(index)], [UInt8(index)]) }
            var visited: [[UInt8]] = []
            try store.scan(prefix: [], from: nil, column: .default) { key, _ in
                visited.append(key)
                return visited.count < 3
            }
            #expect(visited == [[0], [1], [2]])
            #expect(try store.all(limit: 4).map(\.key) == [[0], [1], [2], [3]])
            #expect(try store.all(limit: 0).isEmpty)

            var calls = 0
            #expect(throws: Stop.self) {
                try store.scan(prefix: [], from: [5], column: .default) { _, _ in
                    calls += 1
                    throw Stop()
                }
            }
            #expect(calls == 1)
        }
    }

    @Test("a scan sees the store as it was when it began, even when its body writes", arguments: StoreKind.allCases)
    func writeDuringScan(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            for key in ["k1", "k3", "k5"] { try store.put(bytes(key), [0]) }
            var seen: [[UInt8]] = []
            try store.scan(prefix: bytes("k"), from: nil, column: .default) { key, _ in
                seen.append(key)
                // A write from inside the scan neither deadlocks nor shows up in it.
                try store.put(bytes("k4"), [1])
                try store.delete(bytes("k5"))
                return true
            }
            #expect(seen == [bytes("k1"), bytes("k3"), bytes("k5")])
            #expect(try store.keys(prefix: bytes("k")) == [bytes("k1"), bytes("k3"), bytes("k4")])
        }
    }

    // MARK: - Batches

    @Test("a batch applies its operations in order", arguments: StoreKind.allCases)
    func batchOrder(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.put(bytes("gone"), [1])
            var batch = WriteBatch()
            batch.put(bytes("k"), [1])
            batch.delete(bytes("k"))
            batch.put(bytes("k"), [2])
            batch.put(bytes("x"), [1])
            batch.delete(bytes("x"))
            batch.delete(bytes("gone"))
            batch.put(bytes("a"), [3], column: TestColumns.alpha)
            #expect(batch.count == 7)
            try store.write(batch, sync: false)
            #expect(try store.all() == [Entry(bytes("k"), [2])])
            #expect(try store.all(column: TestColumns.alpha) == [Entry(bytes("a"), [3])])

            var second = WriteBatch()
            second.put(bytes("k"), [4])
            second.delete(bytes("k"))
            try store.write(second, sync: true)
            #expect(try store.get(bytes("k")) == nil)

            try store.write(WriteBatch(), sync: true)
            #expect(try store.all(column: TestColumns.alpha) == [Entry(bytes("a"), [3])])
        }
    }

    @Test("large random batches end as applying their operations one by one would", arguments: StoreKind.allCases)
    func randomBatches(_ kind: StoreKind) throws {
        // RocksDB's store reorders a batch by key before inserting it; the outcome must not change.
        try withStore(kind) { store in
            var generator = SeededRandom(seed: 0xBA7C)
            let columns = [StoreColumn.default, TestColumns.alpha]
            let keys = (0..<40).map { _ in generator.bytes(Int.random(in: 0...6, using: &generator)) }
            var model: [StoreColumn: [[UInt8]: [UInt8]]] = [:]
            for round in 0..<20 {
                var batch = WriteBatch()
                for _ in 0..<Int.random(in: 1...300, using: &generator) {
                    let column = columns.randomElement(using: &generator)!
                    let key = keys.randomElement(using: &generator)!
                    if Int.random(in: 0..<3, using: &generator) == 0 {
                        batch.delete(key, column: column)
                        model[column, default: [:]][key] = nil
                    } else {
                        let value = generator.bytes(Int.random(in: 0...4, using: &generator))
                        batch.put(key, value, column: column)
                        model[column, default: [:]][key] = value
                    }
                }
                try store.write(batch, sync: false)
                for column in columns {
                    let expected = (model[column] ?? [:]).map { Entry($0.key, $0.value) }
                        .sorted { $0.key.lexicographicallyPrecedes($1.key) }
                    #expect(try store.all(column: column) == expected, "round \(round), column \(column)")
                }
            }
        }
    }

    @Test("a batch naming an unknown column writes nothing", arguments: StoreKind.allCases)
    func batchWithUnknownColumn(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.put(bytes("keep"), [1])
            var batch = WriteBatch()
            batch.put(bytes("new"), [1])
            batch.delete(bytes("keep"))
            batch.put(bytes("x"), [1], column: StoreColumn("missing"))
            #expect(throws: StoreError.unknownColumn("missing")) { try store.write(batch, sync: false) }
            #expect(try store.all() == [Entry(bytes("keep"), [1])])
        }
    }

    // MARK: - Columns

    @Test("columns are separate key spaces", arguments: StoreKind.allCases)
    func columnsIsolated(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.put(bytes("k"), bytes("default"))
            try store.put(bytes("k"), bytes("alpha"), column: TestColumns.alpha)
            try store.put(bytes("only-beta"), [1], column: TestColumns.beta)
            #expect(try store.get(bytes("k")) == bytes("default"))
            #expect(try store.get(bytes("k"), column: TestColumns.alpha) == bytes("alpha"))
            #expect(try store.get(bytes("k"), column: TestColumns.beta) == nil)
            #expect(try store.get(bytes("only-beta")) == nil)
            #expect(try store.keys(column: TestColumns.beta) == [bytes("only-beta")])

            try store.delete(bytes("k"), column: TestColumns.alpha)
            #expect(try store.get(bytes("k")) == bytes("default"))
            #expect(try store.all(column: TestColumns.alpha).isEmpty)
            #expect(try store.keys() == [bytes("k")])
        }
    }

    @Test("a column the store was not opened with is an error", arguments: StoreKind.allCases)
    func unknownColumn(_ kind: StoreKind) throws {
        let missing = StoreColumn("missing")
        let expected = StoreError.unknownColumn("missing")
        try withStore(kind) { store in
            #expect(throws: expected) { try store.get([1], column: missing) }
            #expect(throws: expected) { try store.put([1], [1], column: missing) }
            #expect(throws: expected) { try store.delete([1], column: missing) }
            #expect(throws: expected) { try store.entries(column: missing) }
            let snapshot = try store.snapshot()
            #expect(throws: expected) { try snapshot.get([1], column: missing) }
            #expect(throws: expected) { try snapshot.entries(column: missing) }
            #expect(try store.all().isEmpty)
        }
        // The default column needs no mention.
        try withStore(kind, columns: []) { store in
            try store.put([1], [1])
            #expect(throws: StoreError.unknownColumn("alpha")) { try store.get([1], column: TestColumns.alpha) }
        }
    }

    // MARK: - Snapshots

    @Test("a snapshot does not see later writes and deletes", arguments: StoreKind.allCases)
    func snapshotIsolation(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.put(bytes("a"), [1])
            try store.put(bytes("b"), [1])
            try store.put(bytes("c"), [1], column: TestColumns.alpha)
            let first = try store.snapshot()

            try store.put(bytes("a"), [2])
            try store.delete(bytes("b"))
            try store.put(bytes("d"), [2])
            var batch = WriteBatch()
            batch.delete(bytes("c"), column: TestColumns.alpha)
            batch.put(bytes("e"), [2], column: TestColumns.alpha)
            try store.write(batch, sync: false)
            let second = try store.snapshot()
            try store.put(bytes("a"), [3])

            #expect(try first.get(bytes("a")) == [1])
            #expect(try first.get(bytes("b")) == [1])
            #expect(try first.get(bytes("d")) == nil)
            #expect(try first.all() == [Entry(bytes("a"), [1]), Entry(bytes("b"), [1])])
            #expect(try first.all(column: TestColumns.alpha) == [Entry(bytes("c"), [1])])

            #expect(try second.all() == [Entry(bytes("a"), [2]), Entry(bytes("d"), [2])])
            #expect(try second.all(column: TestColumns.alpha) == [Entry(bytes("e"), [2])])

            #expect(try store.all() == [Entry(bytes("a"), [3]), Entry(bytes("d"), [2])])
        }
    }

    // MARK: - Volume and threads

    @Test("100,000 keys written in random order come back sorted", arguments: StoreKind.allCases)
    func manyKeys(_ kind: StoreKind) throws {
        var generator = SeededRandom(seed: 100_000)
        // Three-byte big-endian numbers, so bytewise order is numeric order.
        let keys = (0..<100_000).map { index in
            [
                UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8),
                UInt8(truncatingIfNeeded: index),
            ]
        }
        func isDeleted(_ key: [UInt8]) -> Bool { key[2] % 3 == 0 }
        try withStore(kind) { store in
            for key in keys.shuffled(using: &generator) { try store.put(key, key) }
            let beforeDeletes = try store.snapshot()
            for key in keys.shuffled(using: &generator) where isDeleted(key) { try store.delete(key) }

            let remaining = keys.filter { !isDeleted($0) }
            #expect(try store.keys() == remaining)
            #expect(try beforeDeletes.keys() == keys)
            #expect(try store.keys(prefix: [0x01, 0x10]) == remaining.filter { $0[0] == 0x01 && $0[1] == 0x10 })
            #expect(try store.keys(prefix: [0x01], from: [0x01, 0x86, 0xa0]) == [])
            #expect(try store.get([0x01, 0x86, 0x9e]) == [0x01, 0x86, 0x9e])  // 99,998 (0x9e % 3 == 2)
            #expect(try store.get([0x01, 0x86, 0x9f]) == nil)  // 99,999: deleted (0x9f % 3 == 0)
            #expect(try store.get([0x01, 0x86, 0xa0]) == nil)  // 100,000: never written
            #expect(try beforeDeletes.get([0x01, 0x86, 0x9f]) == [0x01, 0x86, 0x9f])
        }
    }

    @Test("concurrent writers and readers neither lose nor mix writes", arguments: StoreKind.allCases)
    func concurrentAccess(_ kind: StoreKind) async throws {
        let threads = 4
        let perThread = 500
        // The threads run outside Swift's cooperative pool, which the rest of the suite shares;
        // what they saw is checked back on the test's task.
        let (failures, counts) = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<(Int, [[Int]]), any Error>) in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try withStore(kind) { store throws in
                            try Self.writeConcurrently(store, threads: threads, perThread: perThread)
                        }
                    })
            }
        }
        #expect(failures == 0)
        #expect(counts == Array(repeating: [perThread, perThread], count: threads))
    }

    /// `threads` threads each write `perThread` keys (in two columns) and read a neighbour's key;
    /// returns the reads that saw a torn or wrong value, and each thread's key counts per column.
    static func writeConcurrently(_ store: any KeyValueStore, threads: Int, perThread: Int) throws -> (Int, [[Int]]) {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let neighbour = UInt8((thread + 1) % threads)
            for index in 0..<perThread {
                let key: [UInt8] = [UInt8(thread), UInt8(index >> 8), UInt8(index & 0xff)]
                var batch = WriteBatch()
                batch.put(key, [UInt8(thread)])
                batch.put(key, [UInt8(thread)], column: TestColumns.alpha)
                do {
                    try store.write(batch, sync: false)
                    // Another thread's key holds nothing yet or its whole value.
                    let value = try store.get([neighbour, 0, 0])
                    if value != nil && value != [neighbour] { failures.add(1, ordering: .relaxed) }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        let counts = try (0..<threads).map { thread in
            [
                try store.all(prefix: [UInt8(thread)]).count,
                try store.all(prefix: [UInt8(thread)], column: TestColumns.alpha).count,
            ]
        }
        return (failures.load(ordering: .relaxed), counts)
    }
}
