public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts the chain peers of `Tests/Peers` (real engines behind JSON-RPC on loopback: py-evm,
/// LiteSVM, a fault-injecting proxy) in the virtualenv that `make peers` creates under
/// `.build/peers-venv`, and stops them. For the settlement tests and `aether bench settlement`,
/// run from a source checkout.
public final class PeerProcess: @unchecked Sendable {
    /// The repository root, found from this file (Bridge/Peers/PeerProcess.swift).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var python: String { root.appendingPathComponent(".build/peers-venv/bin/python").path }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "the peer virtualenv is missing: run `make peers` (make test does) to create .build/peers-venv"
        }
    }

    let process = Process()
    public let port: Int
    public let logPath: String

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Runs `script` (in Tests/Peers) with `arguments` plus `--port 0 --ready-file …`, and waits
    /// until it listens.
    public init(script: String, arguments: [String] = []) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else { throw Missing() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "aether-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ready = directory.appendingPathComponent("port").path
        logPath = directory.appendingPathComponent("log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        // At a lower priority: the peers are CPU-hungry Python, and the tests beside them time things.
        let nice = "/usr/bin/nice"
        let command =
            [Self.python, Self.root.appendingPathComponent("Tests/Peers/\(script)").path] + arguments + [
                "--port", "0", "--ready-file", ready,
            ]
        if FileManager.default.isExecutableFile(atPath: nice) {
            process.executableURL = URL(fileURLWithPath: nice)
            process.arguments = ["-n", "10"] + command
        } else {
            process.executableURL = URL(fileURLWithPath: Self.python)
            process.arguments = Array(command.dropFirst())
        }
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: ready, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                self.port = port
                return
            }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        process.terminate()
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw PeerFailure("\(script) did not start: \(output.suffix(2_000))")
    }

    /// `init(script:arguments:)`, waiting on a thread of its own: a peer takes seconds to start on
    /// a loaded machine, and async callers must not hold a cooperative-pool thread meanwhile (the
    /// IO tests beside them time out when both of the pool's threads are held).
    public static func start(script: String, arguments: [String] = []) async throws -> PeerProcess {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try PeerProcess(script: script, arguments: arguments) })
            }
        }
    }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// A peer that did not start or answered out of line.
public struct PeerFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
