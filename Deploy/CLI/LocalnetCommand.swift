import ArgumentParser
import Dispatch
import Foundation
import Node
import RPC

#if canImport(Glibc)
    import Glibc
#endif

/// `aether localnet`: a multi-validator L1 on loopback, one process per validator.
struct Localnet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a local L1: validators in separate processes on loopback, with progress shown live.",
        discussion: """
            Creates (or reuses) the validators' homes under --home, each with its own keys, and one genesis that \
            funds a faucet account (key 'faucet' in <home>/faucet, password in <home>/password). Prints height, \
            finality latency and transactions per second every second. Ctrl-C stops every validator cleanly.
            """)

    @Option(help: "Number of validators.") var validators = 4
    @Option(help: "Where the validators' homes live (default: $AETHER_HOME/localnet or ~/.aether/localnet).")
    var home: String?
    @Flag(help: "Delete an existing localnet under --home and start a new chain.") var reset = false
    @Option(help: "Heights per epoch.") var epochSlots: UInt64 = 120
    @Option(name: .customLong("slot-ms"), help: "The genesis slot_ms: the shortest interval between blocks.")
    var slotMilliseconds: UInt64 = 250
    @Option(help: "First P2P port (validator i listens on it + i).") var p2pPort = 26656
    @Option(help: "First RPC port (validator i serves on it + i).") var rpcPort = 8645
    @Option(help: "Stop after this many seconds (default: run until Ctrl-C).") var duration: Double?
    @Option(help: "Test only: validators (by index) that run the equivocating byzantine mode.") var byzantine: [Int] =
        []
    @Flag(help: "Test only: SIGUSR1 to a validator isolates it from its peers, SIGUSR2 heals it.")
    var faultSignals = false
    @Flag(help: "Create the homes and genesis, print where, and exit (start each with 'aether node start --home').")
    var initOnly = false
    @OptionGroup var output: OutputOptions

    var root: URL {
        if let home { return URL(fileURLWithPath: home) }
        let base =
            ProcessInfo.processInfo.environment["AETHER_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".aether")
        return base.appendingPathComponent("localnet")
    }

    func run() async throws {
        guard (1...64).contains(validators) else { throw ValidationError("--validators must be 1…64") }
        let plan = LocalnetPlan(
            count: validators, p2pBasePort: p2pPort, rpcBasePort: rpcPort, epochSlots: epochSlots,
            slotMilliseconds: slotMilliseconds)
        let root = self.root
        do {
            if reset { try? FileManager.default.removeItem(at: root) }
            if !FileManager.default.fileExists(atPath: root.appendingPathComponent("genesis.toml").path) {
                try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
                try plan.create(
                    under: root, genesisTime: UInt64(Date().timeIntervalSince1970 * 1_000), byzantine: Set(byzantine),
                    faultSignals: faultSignals)
                print("created a \(validators)-validator localnet in \(root.path)")
            } else {
                print("reusing the localnet in \(root.path) (--reset starts a new chain)")
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if initOnly {
            for index in 0..<validators { print(plan.home(index, under: root).url.path) }
            return
        }
        let processes: LocalnetProcesses
        do {
            processes = try LocalnetProcesses(plan: plan, root: root, executable: LocalnetProcesses.currentExecutable())
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("validators: " + (0..<validators).map { "http://127.0.0.1:\(rpcPort + $0)" }.joined(separator: " "))
        print("logs: \(root.path)/validator-*/node.log — Ctrl-C stops the localnet")
        let stop = StopFlag()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.set() }
            source.resume()
            stop.keep(source)
        }
        let started = Date()
        var monitor = LocalnetMonitor(ports: (0..<validators).map { rpcPort + $0 })
        while !stop.isSet {
            if let duration, Date().timeIntervalSince(started) >= duration { break }
            if !processes.anyRunning {
                FileHandle.standardError.write(Data("every validator exited; see the node.log files\n".utf8))
                break
            }
            try? await Task.sleep(for: .seconds(1))
            print(monitor.sample(json: output.json))
        }
        processes.stop()
        print("localnet stopped")
    }
}

/// Samples every validator's status over RPC and turns it into a progress line.
struct LocalnetMonitor {
    let clients: [RPCClient]
    private var previous: (time: Date, transactions: UInt64)?

    init(ports: [Int]) {
        clients = ports.compactMap { try? RPCClient(url: "http://127.0.0.1:\($0)", timeoutSeconds: 1) }
    }

    mutating func sample(json: Bool) -> String {
        var heights: [UInt64] = []
        var transactions: UInt64 = 0
        var latency: UInt64?
        var peers: [UInt64] = []
        for client in clients {
            guard case .object(let status)? = try? client.call("getStatus") else { continue }
            if case .integer(let height)? = status["height"] { heights.append(UInt64(height)) }
            if case .integer(let count)? = status["transactionsCommitted"] {
                transactions = max(transactions, UInt64(count))
            }
            if case .integer(let milliseconds)? = status["lastFinalityMilliseconds"] {
                latency = max(latency ?? 0, UInt64(milliseconds))
            }
            if case .integer(let count)? = status["peers"] { peers.append(UInt64(count)) }
        }
        let now = Date()
        var tps = 0.0
        if let previous, now > previous.time, transactions >= previous.transactions {
            tps = Double(transactions - previous.transactions) / now.timeIntervalSince(previous.time)
        }
        previous = (now, transactions)
        let up = heights.count
        if json {
            return JSONWriter.encode(
                JSONValue(object: [
                    "validatorsUp": JSONValue(up), "heightMin": JSONValue(heights.min() ?? 0),
                    "heightMax": JSONValue(heights.max() ?? 0), "finalityMs": latency.map { JSONValue($0) } ?? .null,
                    "tps": .double(tps), "transactions": JSONValue(transactions),
                ])
            ).stringValue
        }
        let heightText = heights.isEmpty ? "-" : "\(heights.min()!)…\(heights.max()!)"
        let latencyText = latency.map { "\($0) ms" } ?? "-"
        return "up \(up)/\(clients.count)  height \(heightText)  finality \(latencyText)  "
            + String(format: "tps %.1f", tps)
            + "  txs \(transactions)  peers \(peers.map(String.init).joined(separator: ","))"
    }
}

/// A flag set from a signal handler.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var sources: [any DispatchSourceSignal] = []

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }

    func keep(_ source: any DispatchSourceSignal) {
        lock.lock()
        sources.append(source)
        lock.unlock()
    }
}

extension [UInt8] {
    /// The bytes as UTF-8 text.
    var stringValue: String { String(decoding: self, as: UTF8.self) }
}
