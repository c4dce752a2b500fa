import ChainPeers
import EVM
import Foundation
import Primitives
import Relayer
import Settlement
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `aether settle` as a process: killed with SIGKILL mid-run and started again, it settles every
/// batch exactly once.
@Suite("The relayer process survives kill -9", .serialized)
struct RelayerCrashTests {
    static let aether = PeerProcess.root.appendingPathComponent(".build/debug/aether").path

    @Test("kill -9 at several points of a run; each restart resumes, every batch is recorded once")
    func killAndResume() async throws {
        let fixture = try await SettlementFixture.start()
        defer { fixture.peer.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "aether-settle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("relayer.key").path
        try ("0x" + Hex.encode(SettlementFixture.relayerKey.bytes)).write(
            toFile: keyFile, atomically: true, encoding: .utf8)
        let batches = try (40..<52).map {
            try fixture.attest(SettlementFixture.batch(id: UInt64($0), count: 2, seed: UInt64($0)))
        }
        let batchFile = directory.appendingPathComponent("batches.json").path
        #expect(FileManager.default.createFile(atPath: batchFile, contents: Data(BatchFile.encode(batches))))
        let state = directory.appendingPathComponent("state").path
        let arguments = [
            "settle", "--source", batchFile, "--evm-rpc", fixture.peer.url, "--evm-chain-id", "31337",
            "--evm-key-file", keyFile, "--evm-contract", fixture.deployment.contract.checksummed, "--state", state,
            "--deadline", "60",
        ]
        // Each run is killed a few milliseconds after its k-th status line, in the middle of the
        // next batch (between reading the chain, persisting and sending); then a last run finishes.
        var settledBefore = 0
        for (lines, delay) in [(1, 5), (2, 40), (2, 15), (3, 70)] {
            let (process, output) = try Self.start(arguments)
            let deadline = Date().addingTimeInterval(30)
            // Waits as a task, not a blocked thread: the suite shares two cooperative threads.
            while output.lines < lines && process.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            try await Task.sleep(for: .milliseconds(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            settledBefore = try await (40..<52).asyncCount { try await fixture.recordings(of: UInt64($0)) == 1 }
        }
        #expect(settledBefore > 0 && settledBefore < batches.count)
        let (last, _) = try Self.start(arguments)
        while last.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)
        for attested in batches {
            #expect(try await fixture.recordings(of: attested.batch.batchId) == 1)
            #expect(try await fixture.recordedRoot(attested.batch.batchId) == attested.batch.root)
        }
    }

    /// Counts the lines a process writes.
    final class LineCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var lines: Int { lock.withLock { count } }
        func add(_ data: Data) { lock.withLock { count += data.filter { $0 == 0x0a }.count } }
    }

    static func start(_ arguments: [String]) throws -> (Process, LineCounter) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: aether)
        process.arguments = arguments
        let pipe = Pipe()
        let counter = LineCounter()
        pipe.fileHandleForReading.readabilityHandler = { handle in counter.add(handle.availableData) }
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, counter)
    }
}

extension Sequence {
    /// How many elements satisfy an async predicate.
    func asyncCount(_ predicate: (Element) async throws -> Bool) async rethrows -> Int {
        var count = 0
        for element in self where try await predicate(element) { count += 1 }
        return count
    }
}
