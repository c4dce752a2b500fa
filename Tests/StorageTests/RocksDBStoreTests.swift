import Foundation
import RocksDBStorage
import Storage
import Testing

/// What only a store on disk can show: persistence across reopening, column families kept on disk,
/// the single-writer lock, open errors and closing.
@Suite("RocksDBStore")
struct RocksDBStoreTests {
    @Test("data written before close is there after reopening")
    func reopenPersists() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            do {
                let store = try RocksDBStore(path: path, columns: [TestColumns.alpha])
                try store.put(bytes("plain"), [1])
                var batch = WriteBatch()
                batch.put(bytes("synced"), [2])
                batch.put(bytes("synced"), [3], column: TestColumns.alpha)
                try store.write(batch, sync: true)
                try store.put([], [])
                store.close()
            }
            let store = try RocksDBStore(path: path, columns: [TestColumns.alpha])
            #expect(try store.all() == [Entry([], []), Entry(bytes("plain"), [1]), Entry(bytes("synced"), [2])])
            #expect(try store.all(column: TestColumns.alpha) == [Entry(bytes("synced"), [3])])
        }
    }

    @Test("reopening with more or fewer columns keeps every column's data")
    func reopenWithOtherColumns() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let gamma = StoreColumn("gamma")
            do {
                let store = try RocksDBStore(path: path, columns: [TestColumns.alpha])
                try store.put([1], [1], column: TestColumns.alpha)
            }
            do {
                // A new column is created; the existing one is untouched.
                let store = try RocksDBStore(path: path, columns: [TestColumns.alpha, gamma])
                #expect(try store.all(column: gamma).isEmpty)
                try store.put([2], [2], column: gamma)
                #expect(try store.get([1], column: TestColumns.alpha) == [1])
            }
            do {
                // Columns on disk but not asked for stay closed to this store, and keep their data.
                let store = try RocksDBStore(path: path, columns: [])
                #expect(throws: StoreError.unknownColumn("alpha")) { try store.get([1], column: TestColumns.alpha) }
                #expect(throws: StoreError.unknownColumn("gamma")) { try store.get([2], column: gamma) }
                try store.put([3], [3])
            }
            let store = try RocksDBStore(path: path, columns: [gamma, TestColumns.alpha])
            #expect(try store.all(column: TestColumns.alpha) == [Entry([1], [1])])
            #expect(try store.all(column: gamma) == [Entry([2], [2])])
            #expect(try store.all() == [Entry([3], [3])])
        }
    }

    @Test("a second store on the same path fails to open with the lock error")
    func secondOpenFails() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let first = try RocksDBStore(path: path, columns: [])
            try first.put([1], [1])
            do {
                _ = try RocksDBStore(path: path, columns: [])
                Issue.record("a second store opened \(path) while the first held it")
            } catch let StoreError.openFailed(failedPath, reason) {
                #expect(failedPath == path)
                #expect(reason.lowercased().contains("lock"), "reason: \(reason)")
            }
            // The failed attempt leaves the first store working, and closing it frees the path.
            #expect(try first.get([1]) == [1])
            first.close()
            let second = try RocksDBStore(path: path, columns: [])
            #expect(try second.get([1]) == [1])
        }
    }

    @Test("dropping a store closes it")
    func deinitCloses() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            for round in 0..<3 {
                let store = try RocksDBStore(path: path, columns: [])
                #expect(try store.get([0]) == (round == 0 ? nil : [UInt8(round - 1)]))
                try store.put([0], [UInt8(round)])
            }
        }
    }

    @Test("missing parent directories are created")
    func createsDirectories() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/one/two/db"
            let store = try RocksDBStore(path: path, columns: [])
            try store.put([1], [1])
            #expect(FileManager.default.fileExists(atPath: path + "/CURRENT"))
        }
    }

    @Test("a path that is a file fails to open with RocksDB's reason")
    func notADirectory() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/file"
            #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
            do {
                _ = try RocksDBStore(path: path, columns: [])
                Issue.record("opened a store on a regular file")
            } catch let StoreError.openFailed(failedPath, reason) {
                #expect(failedPath == path)
                #expect(!reason.isEmpty)
            }
        }
    }

    @Test("a directory without write permission fails to open", .enabled(if: getuid() != 0, "root ignores permissions"))
    func permissionDenied() throws {
        try withTemporaryDirectory { directory in
            let locked = directory + "/locked"
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: locked)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked) }
            #expect {
                _ = try RocksDBStore(path: locked + "/db", columns: [])
            } throws: { error in
                guard case StoreError.openFailed = error else { return false }
                return true
            }
        }
    }

    @Test("close is idempotent; afterwards the store and its snapshots throw")
    func closedStore() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            let store = try RocksDBStore(path: path, columns: [TestColumns.alpha])
            try store.put([1], [1])
            let snapshot = try store.snapshot()
            #expect(store.isOpen)
            store.close()
            store.close()
            #expect(!store.isOpen)

            for operation: () throws -> Void in [
                { _ = try store.get([1]) },
                { try store.put([1], [2]) },
                { try store.delete([1]) },
                { try store.write(WriteBatch(), sync: true) },
                { _ = try store.entries() },
                { _ = try store.snapshot() },
                { _ = try snapshot.get([1]) },
                { _ = try snapshot.entries() },
            ] {
                #expect(throws: StoreError.closed(path: path)) { try operation() }
            }
            // The snapshot did not keep the database open.
            let reopened = try RocksDBStore(path: path, columns: [TestColumns.alpha])
            #expect(try reopened.get([1]) == [1])
        }
    }

    @Test("snapshots released in any order, before or after close, leave the store usable")
    func snapshotLifetimes() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/db"
            var kept: [any KeyValueSnapshot] = []
            do {
                let store = try RocksDBStore(path: path, columns: [])
                for index in 0..<8 {
                    try store.put([0], [UInt8(index)])
                    kept.append(try store.snapshot())
                }
                kept.remove(at: 3)
                kept.remove(at: 0)
                #expect(try kept.map { try $0.get([0]) } == [[1], [2], [4], [5], [6], [7]])
                store.close()
            }
            // Dropping snapshots after the close must not touch the closed database.
            kept.removeAll()
            let store = try RocksDBStore(path: path, columns: [])
            #expect(try store.get([0]) == [7])
        }
    }
}
