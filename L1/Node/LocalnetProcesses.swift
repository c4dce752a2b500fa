public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The validator processes of a localnet: `aether node start --home <home>` for each home of a
/// ``LocalnetPlan``, each writing to `node.log` in its home.
public final class LocalnetProcesses {
    /// The running (or exited) processes, by validator index.
    public let processes: [Process]

    /// Starts every validator of `plan` under `root` with the `aether` binary at `executable`.
    /// - Throws: `NodeError.process` naming the validator that
    ///   could not start; those already started are stopped first.
    public init(plan: LocalnetPlan, root: URL, executable: String) throws(NodeError) {
        var started: [Process] = []
        for index in 0..<plan.count {
            let home = plan.home(index, under: root)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["node", "start", "--home", home.url.path]
            let log = home.url.appendingPathComponent("node.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            if let handle = try? FileHandle(forWritingTo: log) {
                handle.seekToEndOfFile()
                process.standardOutput = handle
                process.standardError = handle
            }
            do { try process.run() } catch {
                for running in started { running.terminate() }
                for running in started { running.waitUntilExit() }
                throw .process("cannot start validator \(index) (\(executable)): \(error)")
            }
            started.append(process)
        }
        processes = started
    }

    /// The process ids, by validator index.
    public var pids: [Int32] { processes.map(\.processIdentifier) }

    /// True while at least one validator runs.
    public var anyRunning: Bool { processes.contains { $0.isRunning } }

    /// Stops every validator with SIGTERM (a clean shutdown) and waits for each; one that has not
    /// exited after `grace` seconds is killed.
    public func stop(grace: TimeInterval = 10) {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(grace)
        for process in processes {
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// The path of the running executable (validators run the same `aether` binary).
    public static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
