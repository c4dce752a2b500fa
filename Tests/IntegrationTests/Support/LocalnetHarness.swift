import Foundation
import RPC

#if canImport(Glibc)
    import Glibc
#endif

/// A localnet of real `aether node start` processes on loopback, for tests that kill, restart,
/// isolate and attack validators one at a time.
///
/// The homes come from `aether localnet --init-only`; each validator then runs as its own process
/// with its log in `<home>/node.log`. Every process is stopped when the harness is shut down;
/// the directory is removed unless `AETHER_KEEP_LOCALNET` is set (then its path is printed).
final class LocalnetHarness: @unchecked Sendable {
    let root: URL
    let aether: URL
    let count: Int
    let p2pBase: Int
    let rpcBase: Int
    private var processes: [Process?]

    /// Creates the homes of `validators` validators whose P2P ports start at `portBase` and RPC
    /// ports at `portBase + 100`. Keep both below 32768: Linux hands out ports from 32768 up to
    /// outgoing connections, and one of those can hold a fixed port a test wants to listen on.
    init(
        validators: Int = 4, portBase: Int, epochSlots: Int = 30, byzantine: [Int] = [], faultSignals: Bool = false
    ) throws {
        aether = try BuiltProducts.executable("aether")
        count = validators
        p2pBase = portBase
        rpcBase = portBase + 100
        root = FileManager.default.temporaryDirectory.appendingPathComponent("aether-localnet-\(UUID().uuidString)")
        processes = Array(repeating: nil, count: validators)
        var arguments = [
            "localnet", "--init-only", "--home", root.path, "--validators", "\(validators)",
            "--epoch-slots", "\(epochSlots)", "--p2p-port", "\(p2pBase)", "--rpc-port", "\(rpcBase)",
            // The tests' timings were set with 500 ms slots, on debug builds beside other suites.
            "--slot-ms", "500",
        ]
        for index in byzantine { arguments += ["--byzantine", "\(index)"] }
        if faultSignals { arguments.append("--fault-signals") }
        let created = try runProcess(aether, arguments)
        guard created.status == 0 else { throw HarnessError("localnet --init-only failed: \(created.standardError)") }
    }

    func home(_ index: Int) -> URL { root.appendingPathComponent("validator-\(index)") }

    /// Starts validator `index` (appending to its log).
    func start(_ index: Int) throws {
        let process = Process()
        process.executableURL = aether
        process.arguments = ["node", "start", "--home", home(index).path]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "AETHER_PASSWORD")
        process.environment = environment
        let log = home(index).appendingPathComponent("node.log")
        if !FileManager.default.fileExists(atPath: log.path) {
            FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes[index] = process
    }

    func startAll() throws {
        for index in 0..<count { try start(index) }
    }

    /// kill -9: no chance to flush or close anything.
    func kill(_ index: Int) {
        guard let process = processes[index], process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        processes[index] = nil
    }

    func signal(_ number: Int32, to index: Int) {
        guard let process = processes[index], process.isRunning else { return }
        Glibc.kill(process.processIdentifier, number)
    }

    func isRunning(_ index: Int) -> Bool { processes[index]?.isRunning ?? false }

    /// Stops every validator (SIGTERM, then SIGKILL after 10 s) and removes the directory.
    func shutDown() {
        for process in processes.compactMap({ $0 }) where process.isRunning {
            process.terminate()
        }
        let deadline = Date().addingTimeInterval(10)
        for process in processes.compactMap({ $0 }) {
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        processes = Array(repeating: nil, count: count)
        if ProcessInfo.processInfo.environment["AETHER_KEEP_LOCALNET"] != nil {
            print("localnet kept in \(root.path)")
        } else {
            try? FileManager.default.removeItem(at: root)
        }
    }

    // MARK: - RPC

    func client(_ index: Int) throws -> RPCClient {
        try RPCClient(url: "http://127.0.0.1:\(rpcBase + index)", timeoutSeconds: 5)
    }

    /// Calls `method` on validator `index`; nil when the node does not answer or answers an error.
    func call(_ index: Int, _ method: String, _ params: JSONObject = JSONObject()) -> JSONValue? {
        try? client(index).call(method, params)
    }

    func status(_ index: Int) -> JSONObject? {
        guard case .object(let object)? = call(index, "getStatus") else { return nil }
        return object
    }

    func height(_ index: Int) -> UInt64? { status(index)?["height"]?.uint64Value }

    /// The id of the committed block at `height` on validator `index`.
    func blockID(_ index: Int, height: UInt64) -> String? {
        var params = JSONObject()
        params["height"] = JSONValue(height)
        guard case .object(let block)? = call(index, "getBlock", params), case .object(let header)? = block["header"]
        else { return nil }
        return header["id"]?.stringValue
    }

    func balance(_ index: Int, of address: String) -> UInt64? {
        var params = JSONObject()
        params["address"] = .string(address)
        guard case .object(let object)? = call(index, "getBalance", params) else { return nil }
        return object["amount"]?.uint64Value
    }

    /// The status of transaction `hash` on validator `index` ("pending", "committed") and whether its
    /// receipt says it succeeded.
    func transaction(_ index: Int, _ hash: String) -> (status: String, succeeded: Bool?)? {
        var params = JSONObject()
        params["hash"] = .string(hash)
        guard case .object(let object)? = call(index, "getTxReceipt", params),
            let status = object["status"]?.stringValue
        else { return nil }
        var succeeded: Bool?
        if case .object(let receipt)? = object["receipt"], case .bool(let value)? = receipt["success"] {
            succeeded = value
        }
        return (status, succeeded)
    }

    // MARK: - Waiting

    /// Polls `condition` every 250 ms until it holds, or fails after `seconds` with the validators'
    /// heights and the end of their logs.
    func waitUntil(_ what: String, seconds: Double, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        if condition() { return }
        throw HarnessError("timed out after \(seconds) s waiting until \(what)\n\(diagnostics())")
    }

    /// Waits until every listed validator has committed at least `height`.
    func waitForHeight(_ height: UInt64, on validators: [Int]? = nil, seconds: Double = 60) async throws {
        let which = validators ?? Array(0..<count)
        try await waitUntil("validators \(which) reach height \(height)", seconds: seconds) {
            which.allSatisfy { (self.height($0) ?? 0) >= height }
        }
    }

    /// Heights and the last lines of every log, for failure messages.
    func diagnostics() -> String {
        (0..<count).map { index in
            let log = (try? String(contentsOf: home(index).appendingPathComponent("node.log"), encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(6).joined(separator: "\n    ")
            let running = isRunning(index) ? "running" : "stopped"
            return "validator \(index) (\(running)) height \(height(index).map(String.init) ?? "-"):\n    \(tail)"
        }.joined(separator: "\n")
    }

    // MARK: - The command line

    /// `aether tx transfer` from the faucet through validator `via`; returns the transaction hash.
    func transfer(to address: String, amount: UInt64, via index: Int = 0) throws -> String {
        let result = try runProcess(
            aether,
            [
                "tx", "transfer", "--to", address, "--amount", "\(amount)", "--key", "faucet",
                "--keystore", root.appendingPathComponent("faucet").path,
                "--password-file", root.appendingPathComponent("password").path,
                "--rpc", "http://127.0.0.1:\(rpcBase + index)",
            ])
        guard result.status == 0, let hash = try result.json()["hash"] as? String else {
            throw HarnessError("transfer failed (\(result.status)): \(result.standardOutput) \(result.standardError)")
        }
        return hash
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
