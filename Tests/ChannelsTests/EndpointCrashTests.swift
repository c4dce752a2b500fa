import ChannelCore
import Foundation
import Primitives
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Two channel endpoints in two `aether` processes (`aether bench channels-endpoint`), one paying
/// the other as fast as it can, killed with SIGKILL at random points and restarted from their
/// stores: neither ever restores a state older than one it acknowledged, both end on the same
/// fully signed state, and no funds appear or vanish.
@Suite("Channel endpoints survive kill -9", .serialized)
struct EndpointCrashTests {
    static let aether = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/aether").path

    /// One endpoint process and what it printed.
    final class Side: Sendable {
        let process: Process
        let input: FileHandle
        private let lines = Lines()

        final class Lines: Sendable {
            private let all = Mutex<[String]>([])
            func append(_ batch: [String]) { all.withLock { $0 += batch } }
            var snapshot: [String] { all.withLock { $0 } }
        }

        init(provider: Bool, port: Int, directory: URL) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: EndpointCrashTests.aether)
            process.arguments =
                ["bench", "channels-endpoint", "--port", "\(port)", "--work-directory", directory.path]
                + (provider ? ["--provider"] : [])
            let stdin = Pipe()
            let stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            input = stdin.fileHandleForWriting
            let reading = stdout.fileHandleForReading
            try process.run()
            let lines = self.lines
            Thread.detachNewThread {
                var buffer: [UInt8] = []
                while true {
                    let chunk = reading.availableData
                    if chunk.isEmpty { break }
                    buffer += chunk
                    var batch: [String] = []
                    while let newline = buffer.firstIndex(of: 10) {
                        batch.append(String(decoding: buffer[..<newline], as: UTF8.self))
                        buffer.removeFirst(newline + 1)
                    }
                    lines.append(batch)
                }
            }
        }

        func send(_ line: String) { try? input.write(contentsOf: Data((line + "\n").utf8)) }

        var output: [String] { lines.snapshot }

        /// The highest version after `prefix` in the output (acknowledged states).
        func highest(_ prefix: String) -> UInt64 {
            output.compactMap { line in
                line.hasPrefix(prefix + " ") ? UInt64(line.dropFirst(prefix.count + 1)) : nil
            }.max() ?? 0
        }

        func restored() async throws -> UInt64 {
            for _ in 0..<1_000 {
                if let line = output.first(where: { $0.hasPrefix("restored ") }) {
                    return UInt64(line.dropFirst("restored ".count)) ?? 0
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw CrashTestError("no restored line from the endpoint process")
        }

        /// The `state` line answering a fresh `status`.
        func status() async throws -> (version: UInt64, bytes: [UInt8]) {
            let before = output.count
            send("status")
            for _ in 0..<1_000 {
                if let line = output.dropFirst(before).first(where: { $0.hasPrefix("state ") }) {
                    let words = line.split(separator: " ")
                    return (UInt64(words[1]) ?? 0, try Hex.decode(String(words[2])))
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw CrashTestError("no state line from the endpoint process")
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            try? input.close()
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    struct CrashTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test(
        "kill -9 either side at random points while payments stream: nothing acknowledged is lost",
        arguments: [UInt64(61), 62, 63])
    func killEitherSide(seed: UInt64) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.aether), "build the aether product first")
        var random = SeededRandom(seed: seed)
        let port = 28_520
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "aether-endpoint-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let providerDirectory = directory.appendingPathComponent("provider")
        let payerDirectory = directory.appendingPathComponent("payer")
        var provider = try Side(provider: true, port: port, directory: providerDirectory)
        var payer = try Side(provider: false, port: port, directory: payerDirectory)
        defer {
            provider.stop()
            payer.stop()
        }
        payer.send("pay 1000000 300")
        var kills = (provider: 0, payer: 0)
        for round in 0..<6 {
            try await Task.sleep(for: .milliseconds(Int64(150 + random.next() % 400)))
            if random.next() % 2 == 0 {
                let acknowledged = provider.highest("accepted")
                provider.kill()
                provider = try Side(provider: true, port: port, directory: providerDirectory)
                let restored = try await provider.restored()
                #expect(restored >= acknowledged, "round \(round): provider restored \(restored) < \(acknowledged)")
                kills.provider += 1
            } else {
                let acknowledged = max(payer.highest("paid"), payer.highest("accepted"))
                payer.kill()
                payer = try Side(provider: false, port: port, directory: payerDirectory)
                let restored = try await payer.restored()
                #expect(restored >= acknowledged, "round \(round): payer restored \(restored) < \(acknowledged)")
                payer.send("pay 1000000 300")
                kills.payer += 1
            }
        }
        #expect(kills.provider + kills.payer == 6)
        // Stop paying (the payer restarts without commands), let the two resync, and compare.
        payer.kill()
        payer = try Side(provider: false, port: port, directory: payerDirectory)
        var (ours, theirs) = (try await payer.status(), try await provider.status())
        for _ in 0..<300 where ours.bytes != theirs.bytes {
            try await Task.sleep(for: .milliseconds(20))
            (ours, theirs) = (try await payer.status(), try await provider.status())
        }
        #expect(ours.bytes == theirs.bytes, "the sides did not converge: \(ours.version) vs \(theirs.version)")
        var decoder = try CanonicalDecoder(ours.bytes)
        let final = try decoder.read(SignedState.self)
        // Every update moved 1 from the payer (participant 1) to the provider: version = units moved.
        #expect(final.state.version > 100, "too few payments landed to mean anything")
        #expect(final.state.allocation.balances == [(1 << 40) + final.state.version, (1 << 40) - final.state.version])
    }
}
