import Foundation
import Primitives
import RocksDBStorage
import Storage
import Testing

/// Kills a process that writes to RocksDB with SIGKILL at random moments and checks what survives:
/// every batch is all there or not at all, and no batch whose synced write returned is lost.
@Suite("Storage crash safety")
struct StorageCrashTests {
    /// Rounds of start, write, kill, check on one database.
    static let rounds = 10

    @Test("kill -9 during writes tears no batch and loses no synced one", .timeLimit(.minutes(1)))
    func killDuringWrites() async throws {
        let seed = ProcessInfo.processInfo.environment["AETHER_STORAGE_CRASH_SEED"].flatMap { UInt64($0) } ?? 0xc0ffee
        var generator = SeededRandom(seed: seed)
        let writer = try writerExecutable()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("aether-storage-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("db").path

        var previous: UInt64?
        for round in 0..<Self.rounds {
            let context = Comment(rawValue: "seed \(seed), round \(round)")
            let output = directory.appendingPathComponent("round-\(round).out")
            let run = try WriterRun(executable: writer, databasePath: path, output: output)
            // Kill only once the writer is in its loop, so every round interrupts real writes.
            try await run.waitForFirstSync(timeout: 10, context)
            if round == 0 { expectLockedByWriter(path: path, context) }
            // Waits as a task, not a blocked thread: the suite shares two cooperative threads.
            try await Task.sleep(for: .microseconds(UInt64.random(in: 5_000...200_000, using: &generator)))
            let lastSynced = try run.kill(context)

            let value = try #require(
                try readConsistentValue(path: path, context),
                "nothing survived although `synced \(lastSynced)` was printed; \(context)")
            #expect(value >= lastSynced, "lost synced batch \(lastSynced), recovered \(value); \(context)")
            if let previous {
                #expect(value > previous, "no progress past \(previous); \(context)")
            }
            previous = value
        }
    }

    /// While the writer runs, this process cannot open its database, and is told why.
    private func expectLockedByWriter(path: String, _ context: Comment) {
        do {
            _ = try RocksDBStore(path: path, columns: [])
            Issue.record("opened the database while the writer held it; \(context)")
        } catch let StoreError.openFailed(failedPath, reason) {
            #expect(failedPath == path, context)
            #expect(reason.lowercased().contains("lock"), "reason: \(reason); \(context)")
        } catch {
            Issue.record("unexpected \(error); \(context)")
        }
    }

    /// The value every key of the last recovered batch holds, or nil when no batch was ever written.
    /// Fails the test when the keys disagree: a torn batch.
    private func readConsistentValue(path: String, _ context: Comment) throws -> UInt64? {
        let store = try RocksDBStore(path: path, columns: [])
        defer { store.close() }
        let keys = (0..<64).map { Array("k\($0 < 10 ? "0" : "")\($0)".utf8) } + [Array("last".utf8)]
        let values = try keys.map { try store.get($0) }
        let distinct = Set(values.map { $0.map(decodeLittleEndian) })
        try #require(distinct.count == 1, "keys from different batches: \(distinct); \(context)")
        guard let first = values[0] else { return nil }
        try #require(first.count == 8, "a value of \(first.count) bytes; \(context)")
        return decodeLittleEndian(first)
    }

    /// The `StorageCrashWriter` built next to the test binary (the test target depends on it).
    private func writerExecutable() throws -> URL {
        try BuiltProducts.executable("StorageCrashWriter", environmentOverride: "AETHER_STORAGE_CRASH_WRITER")
    }
}

/// One writer process, its standard output going to a file.
private struct WriterRun {
    let process = Process()
    let output: URL
    let errors: URL

    init(executable: URL, databasePath: String, output: URL) throws {
        self.output = output
        errors = output.appendingPathExtension("err")
        try Data().write(to: output)
        try Data().write(to: errors)
        process.executableURL = executable
        process.arguments = [databasePath]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
    }

    func waitForFirstSync(timeout: Double, _ context: Comment) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while syncedNumbers().isEmpty {
            guard process.isRunning else {
                Issue.record("the writer exited early: \(text(errors)); \(context)")
                throw CrashTestFailure()
            }
            guard Date() < deadline else {
                _ = try? kill(context)
                Issue.record("no synced write within \(timeout) s; \(context)")
                throw CrashTestFailure()
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Sends SIGKILL, waits for the process to end, and returns the last batch it reported synced.
    func kill(_ context: Comment) throws -> UInt64 {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(
            process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
            "the writer ended by itself (\(process.terminationStatus)): \(text(errors)); \(context)")
        let numbers = syncedNumbers()
        try #require(!numbers.isEmpty, context)
        // The writer prints in increasing order; a check that it did guards the parsing.
        try #require(numbers == numbers.sorted(), context)
        return numbers[numbers.count - 1]
    }

    /// The numbers on complete `synced <i>` lines; a line cut short by the kill is ignored.
    private func syncedNumbers() -> [UInt64] {
        var lines = text(output).split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()  // Whatever follows the last newline is unfinished (or empty).
        return lines.compactMap { line in
            line.hasPrefix("synced ") ? UInt64(line.dropFirst("synced ".count)) : nil
        }
    }

    private func text(_ file: URL) -> String {
        (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }
}

private struct CrashTestFailure: Error {}

private func decodeLittleEndian(_ bytes: [UInt8]) -> UInt64 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
}
