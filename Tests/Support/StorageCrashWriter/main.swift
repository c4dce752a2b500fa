// Writes batches to a RocksDB store until it is killed, for the kill -9 test in
// Tests/IntegrationTests/StorageCrashTests.swift.
//
// Usage: StorageCrashWriter <database path>
//
// Batch i puts keys k00…k63 and `last`, each holding i as 8 little-endian bytes. Even batches are
// written with sync, odd ones without; after each synced write returns it prints `synced <i>`. It
// resumes from `last` + 1, so repeated runs on one database keep counting up.

import RocksDBStorage
import Storage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reports `message` on standard error and exits with status 1.
func fail(_ message: String) -> Never {
    let text = Array("StorageCrashWriter: \(message)\n".utf8)
    _ = write(STDERR_FILENO, text, text.count)
    exit(1)
}

func encode(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

func decode(_ bytes: [UInt8]) -> UInt64? {
    guard bytes.count == 8 else { return nil }
    return bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else { fail("usage: StorageCrashWriter <database path>") }

do {
    let store = try RocksDBStore(path: arguments[1], columns: [])
    var next: UInt64 = 0
    if let stored = try store.get(Array("last".utf8)) {
        guard let last = decode(stored) else { fail("`last` holds \(stored.count) bytes, not 8") }
        next = last + 1
    }
    let keys = (0..<64).map { Array("k\($0 < 10 ? "0" : "")\($0)".utf8) } + [Array("last".utf8)]
    // Stop if the test that started us is gone, rather than write forever as an orphan.
    let parent = getppid()
    while getppid() == parent {
        var batch = WriteBatch()
        let value = encode(next)
        for key in keys { batch.put(key, value) }
        let sync = next % 2 == 0
        try store.write(batch, sync: sync)
        if sync {
            print("synced \(next)")
            // Out before the next write, so the test knows every batch reported here was synced.
            fflush(nil)
        }
        next += 1
    }
} catch {
    fail("\(error)")
}
