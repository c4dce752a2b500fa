import ChannelCore
import ChannelMetering
import ChannelWire
public import Foundation
import PeerNetwork
import Primitives
import RocksDBStorage
import Storage
import Synchronization

/// The wire half of `aether bench channels`: two processes on loopback, this one and a peer
/// (`aether bench channels-peer`, started by it), each with its own RocksDB store, talking over the
/// channel endpoint's authenticated, encrypted link.
///
/// - Signed updates: this process pays the peer `updates` times with `window` payments in flight;
///   every update is signed by this side, countersigned (per batch) and both sides verify, and each
///   side writes every batch's latest state with a synced write before acknowledging it. Reported:
///   updates/s and the latency of one `pay` call (p50/p99), and the latency of one update at a time.
/// - Meter ticks: the peer opens a session and streams `units` units from this process as provider;
///   the provider records when it sent each unit and when its payment verified: ticks/s and the
///   tick round trip (p50/p99), flat out and paced at a model's speed.
/// - Concurrent sessions: `sessions` channels to the same provider process, streaming at once.
public struct ChannelWireBenchmark: Sendable {
    public struct Configuration: Sendable {
        public var updates = 20_000
        public var window = 512
        public var sequentialUpdates = 1_000
        public var units = 100_000
        public var pacedUnits = 2_000
        /// Units per second of the paced stream (a fast model).
        public var pacedRate = 1_000.0
        public var sessions = 8
        public var unitsPerSession = 20_000
        public var repeats = 3
        public var portBase = 28_600

        public init() {}

        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.updates = 300
            configuration.window = 64
            configuration.sequentialUpdates = 20
            configuration.units = 500
            configuration.pacedUnits = 50
            configuration.sessions = 2
            configuration.unitsPerSession = 200
            configuration.repeats = 1
            return configuration
        }
    }

    let configuration: Configuration
    let executable: String
    let workDirectory: URL

    public init(configuration: Configuration = .init(), executable: String, workDirectory: URL) {
        self.configuration = configuration
        self.executable = executable
        self.workDirectory = workDirectory
    }

    static let chainID = "aether-bench-wire"
    static let policy = MeterOpenPolicy(minimumUnitPrice: 1, maximumCreditWindow: 1_024, maximumSegmentLength: 1 << 16)

    /// The keys, parameters and funded initial state of bench channel `index` (both processes
    /// derive the same).
    static func channel(_ index: Int) throws -> (
        provider: Ed25519.PrivateKey, payer: Ed25519.PrivateKey, parameters: ChannelParameters, initial: SignedState
    ) {
        let provider = try Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(2 * index + 1), count: 32))
        let payer = try Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(2 * index + 2), count: 32))
        let parameters = try ChannelParameters(
            participants: [provider.publicKey, payer.publicKey], challengeDuration: 100, nonce: UInt64(index),
            appID: .zero)
        let state = ChannelState(
            channelID: parameters.channelID(chainID: chainID), version: 0,
            allocation: Allocation(balances: [1 << 40, 1 << 40]))
        let bytes = state.signBytes(chainID: chainID)
        return (
            provider, payer, parameters,
            SignedState(state: state, signatures: [provider.sign(bytes), payer.sign(bytes)])
        )
    }

    static func openStore(_ directory: URL) throws -> (RocksDBStore, ChannelStateStore) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let rocks = try RocksDBStore(path: directory.path, columns: [.default, ChannelStateStore.column])
        return (rocks, ChannelStateStore(store: rocks))
    }

    public func run(progress: (BenchmarkRow) -> Void = { _ in }) async throws -> [BenchmarkRow] {
        let count = max(configuration.sessions, 1)
        var providers: [ChannelEndpoint] = []
        var stores: [RocksDBStore] = []
        defer { for store in stores { store.close() } }
        for index in 0..<count {
            let channel = try Self.channel(index)
            let (rocks, store) = try Self.openStore(workDirectory.appendingPathComponent("provider-\(index)"))
            stores.append(rocks)
            let endpoint = try ChannelEndpoint(
                parameters: channel.parameters, chainID: Self.chainID, key: channel.provider, initial: channel.initial,
                store: store, port: configuration.portBase + index)
            _ = try await endpoint.start()
            providers.append(endpoint)
        }
        let peer = try PeerChild(
            executable: executable,
            arguments: [
                "bench", "channels-peer", "--port-base", "\(configuration.portBase)", "--sessions", "\(count)",
                "--work-directory", workDirectory.appendingPathComponent("peer").path,
            ])
        defer { peer.terminate() }
        for endpoint in providers {
            for _ in 0..<3_000 where await !endpoint.isConnected { try await Task.sleep(for: .milliseconds(10)) }
            guard await endpoint.isConnected else { throw BenchmarkError("the peer process did not connect") }
        }
        var rows: [BenchmarkRow] = []
        func add(_ row: BenchmarkRow) {
            rows.append(row)
            progress(row)
        }
        let crypto = Self.cryptoLimit()

        // Signed updates, pipelined.
        let main = providers[0]
        _ = try await pipelined(main, count: configuration.window * 2)
        var rates: [Double] = []
        var latencies: [Double] = []
        for _ in 0..<configuration.repeats {
            let result = try await pipelined(main, count: configuration.updates)
            rates.append(Double(configuration.updates) / result.seconds)
            latencies += result.latencies
        }
        add(
            BenchmarkRow(
                name: "signed updates/s between two processes (\(configuration.window) in flight)",
                value: median(rates), unit: "updates/s",
                baselineName: "countersigning every update: libsodium 2 signs + 2 verifies each, on both cores",
                baselineValue: crypto * 2, higherIsBetter: true, target: "≥ 10,000 updates/s", valueTarget: 10_000))
        add(latencyRow("pay() latency under that load, p50", latencies, 0.50, baseline: nil))
        add(latencyRow("pay() latency under that load, p99", latencies, 0.99, baseline: nil))
        var sequential: [Double] = []
        for _ in 0..<configuration.sequentialUpdates {
            let start = ContinuousClock.now
            _ = try await main.pay(1)
            sequential.append(Self.seconds(ContinuousClock.now - start))
        }
        add(
            latencyRow(
                "one update at a time (round trip, sign, verify, 2 synced writes), p50", sequential, 0.50, baseline: nil
            ))
        add(latencyRow("one update at a time, p99", sequential, 0.99, baseline: nil))

        // Meter ticks: flat out, then paced.
        for endpoint in providers {
            await endpoint.provide(policy: Self.policy, source: Self.units)
        }
        let flat = try await meter(main, peer: peer, session: 0, units: configuration.units, rate: nil)
        add(
            BenchmarkRow(
                name: "meter ticks/s between two processes (one session, W = 256, K = 4096)",
                value: Double(configuration.units) / flat.seconds, unit: "ticks/s",
                baselineName: "", baselineValue: nil, higherIsBetter: true))
        add(
            latencyRow(
                "tick round trip flat out (unit sent → its payment verified), p50", flat.latencies, 0.50, baseline: nil)
        )
        add(latencyRow("tick round trip flat out, p99", flat.latencies, 0.99, baseline: nil))
        let paced = try await meter(
            main, peer: peer, session: 0, units: configuration.pacedUnits, rate: configuration.pacedRate)
        add(
            latencyRow(
                "tick round trip at \(Int(configuration.pacedRate)) units/s, p50", paced.latencies, 0.50, baseline: nil)
        )
        add(
            latencyRow(
                "tick round trip at \(Int(configuration.pacedRate)) units/s, p99", paced.latencies, 0.99,
                baseline: nil, target: 0.001))

        // Concurrent sessions on one provider process.
        let start = ContinuousClock.now
        try await peer.request((0..<count).map { "stream \($0) \(configuration.unitsPerSession) 0" })
        let elapsed = Self.seconds(ContinuousClock.now - start)
        add(
            BenchmarkRow(
                name: "meter ticks/s, \(count) concurrent sessions on one provider",
                value: Double(count * configuration.unitsPerSession) / elapsed, unit: "ticks/s",
                baselineName: "", baselineValue: nil, higherIsBetter: true))
        peer.send("quit")
        for endpoint in providers { await endpoint.stop() }
        return rows
    }

    /// `count` payments of 1 with `window` in flight: seconds for all, and each call's latency.
    func pipelined(_ endpoint: ChannelEndpoint, count: Int) async throws -> (seconds: Double, latencies: [Double]) {
        let window = configuration.window
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: Double.self) { group in
            var started = 0
            var latencies: [Double] = []
            latencies.reserveCapacity(count)
            func launch() {
                group.addTask {
                    let begin = ContinuousClock.now
                    _ = try await endpoint.pay(1)
                    return Self.seconds(ContinuousClock.now - begin)
                }
                started += 1
            }
            while started < min(window, count) { launch() }
            for try await latency in group {
                latencies.append(latency)
                if started < count { launch() }
            }
            return latencies
        }
        return (Self.seconds(ContinuousClock.now - start), latencies)
    }

    /// Has the peer stream `units` units on channel `session` from `endpoint` (the provider) and
    /// records each unit's round trip: sent → its payment verified.
    func meter(_ endpoint: ChannelEndpoint, peer: PeerChild, session: Int, units: Int, rate: Double?) async throws -> (
        seconds: Double, latencies: [Double]
    ) {
        let recorder = TickRecorder(units: units)
        await endpoint.observeMeter { progress in recorder.record(progress) }
        let pace = rate.map { Int(1e9 / $0) } ?? 0
        let start = ContinuousClock.now
        try await peer.request(["stream \(session) \(units) \(pace)"])
        let seconds = Self.seconds(ContinuousClock.now - start)
        await endpoint.observeMeter { _ in }
        let latencies = recorder.latencies()
        guard latencies.count == units else {
            throw BenchmarkError("\(latencies.count) of \(units) units were paid in session \(session)")
        }
        return (seconds, latencies)
    }

    /// The provider's source: the request says how many units and the pace (ns between units).
    static let units: @Sendable (MeterRequest) -> AsyncStream<[UInt8]> = { request in
        let pace = UInt64(String(decoding: request.request, as: UTF8.self)) ?? 0
        return AsyncStream { continuation in
            let task = Task {
                for index in 0..<request.maxUnits {
                    if pace > 0 { try? await Task.sleep(for: .nanoseconds(Int(pace))) }
                    continuation.yield(Array("token\(index) ".utf8))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func latencyRow(
        _ name: String, _ samples: [Double], _ p: Double, baseline: Double?, target: Double? = nil
    ) -> BenchmarkRow {
        let sorted = samples.sorted()
        let value = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        return BenchmarkRow(
            name: name, value: value * 1_000, unit: "ms", baselineName: "", baselineValue: baseline.map { $0 * 1_000 },
            higherIsBetter: false, target: target.map { "< \($0 * 1_000) ms" }, valueTarget: target.map { $0 * 1_000 })
    }

    /// Updates per second one core can sign and verify with libsodium: 2 signs + 2 verifies.
    static func cryptoLimit() -> Double {
        let key = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 9, count: 32))
        let message = [UInt8](repeating: 1, count: 160)
        let rounds = 2_000
        var ok = 0
        let seconds = Stopwatch.time {
            for _ in 0..<rounds {
                let signature = key.sign(message)
                if key.publicKey.isValidSignature(signature, for: message) { ok += 1 }
            }
        }
        precondition(ok == rounds)
        return Double(rounds) / seconds / 2
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// When each unit was sent and when its payment verified.
final class TickRecorder: Sendable {
    private struct State {
        var sent: [ContinuousClock.Instant?]
        var latencies: [Double] = []
        var paid: UInt64 = 0
    }
    private let state: Mutex<State>

    init(units: Int) {
        state = Mutex(State(sent: Array(repeating: nil, count: units + 1)))
    }

    func record(_ progress: MeterProgress) {
        let now = ContinuousClock.now
        state.withLock { state in
            switch progress {
            case .served(let number) where Int(number) < state.sent.count: state.sent[Int(number)] = now
            case .paid(let through):
                while state.paid < through {
                    state.paid += 1
                    if Int(state.paid) < state.sent.count, let sent = state.sent[Int(state.paid)] {
                        state.latencies.append(ChannelWireBenchmark.seconds(now - sent))
                    }
                }
            default: break
            }
        }
    }

    func latencies() -> [Double] { state.withLock { $0.latencies } }
}

/// The peer process, driven by lines on its standard input; each command is answered by one line,
/// read on a thread of its own so no task of this process blocks.
final class PeerChild: Sendable {
    private let process: Process
    private let input: FileHandle
    private let lines: AsyncStream<String>

    init(executable: String, arguments: [String]) throws {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.input = input.fileHandleForWriting
        let reading = output.fileHandleForReading
        lines = AsyncStream { continuation in
            Thread.detachNewThread {
                var buffer: [UInt8] = []
                while true {
                    let chunk = reading.availableData
                    if chunk.isEmpty { break }
                    buffer += chunk
                    while let newline = buffer.firstIndex(of: 10) {
                        continuation.yield(String(decoding: buffer[..<newline], as: UTF8.self))
                        buffer.removeFirst(newline + 1)
                    }
                }
                continuation.finish()
            }
        }
    }

    func send(_ line: String) {
        try? input.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Sends the commands and waits for as many answers; throws unless every one is "ok".
    func request(_ commands: [String]) async throws {
        for command in commands { send(command) }
        var answers = 0
        for await answer in lines {
            guard answer.hasPrefix("ok") else { throw BenchmarkError("peer: \(answer)") }
            answers += 1
            if answers == commands.count { return }
        }
        throw BenchmarkError("the peer process exited")
    }

    func terminate() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// `aether bench channels-peer`: the payer side of the wire benchmark, in its own process.
public enum ChannelWirePeer {
    public static func run(portBase: Int, sessions: Int, workDirectory: URL) async throws {
        var endpoints: [ChannelEndpoint] = []
        var stores: [RocksDBStore] = []
        defer { for store in stores { store.close() } }
        for index in 0..<sessions {
            let channel = try ChannelWireBenchmark.channel(index)
            let (rocks, store) = try ChannelWireBenchmark.openStore(
                workDirectory.appendingPathComponent("payer-\(index)"))
            stores.append(rocks)
            let endpoint = try ChannelEndpoint(
                parameters: channel.parameters, chainID: ChannelWireBenchmark.chainID, key: channel.payer,
                initial: channel.initial, store: store,
                peerAddress: PeerAddress(host: "127.0.0.1", port: portBase + index, key: channel.provider.publicKey))
            _ = try await endpoint.start()
            endpoints.append(endpoint)
        }
        let terms = try MeterTerms(unitPrice: 1, segmentLength: 4_096, creditWindow: 256)
        let lines = AsyncStream<String> { continuation in
            Thread.detachNewThread {
                while let line = Swift.readLine() { continuation.yield(line) }
                continuation.finish()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for await line in lines {
                let words = line.split(separator: " ")
                if words.first == "quit" { break }
                guard words.count == 4, words[0] == "stream", let index = Int(words[1]),
                    endpoints.indices.contains(index),
                    let units = UInt64(words[2])
                else {
                    answer("error: unknown command \(line)")
                    continue
                }
                let endpoint = endpoints[index]
                let pace = String(words[3])
                group.addTask {
                    do {
                        var received: UInt64 = 0
                        let stream = try await endpoint.stream(
                            request: Array(pace.utf8), terms: terms, escrow: units * 2, maxUnits: units)
                        for try await _ in stream { received += 1 }
                        answer(received == units ? "ok \(received)" : "error: received \(received) of \(units)")
                    } catch {
                        answer("error: \(error)")
                    }
                }
            }
            group.cancelAll()
        }
        for endpoint in endpoints { await endpoint.stop() }
    }
}

/// One answer line to the benchmark process.
private func answer(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `aether bench channels-endpoint`: one side of bench channel `index` in its own process, driven
/// by commands on standard input, for the crash tests: `pay N [RATE]` pays 1 N times (pipelined,
/// at most RATE a second, retrying while the peer is away) and prints `paid <version>` as each
/// completes; `status` prints
/// `state <version> <hex of the signed state>`. It prints `restored <version>` (from its store)
/// before it connects and `accepted <version>` for every fully signed state on disk.
public enum ChannelEndpointDriver {
    public static func run(provider: Bool, index: Int, port: Int, workDirectory: URL) async throws {
        let channel = try ChannelWireBenchmark.channel(index)
        let (rocks, store) = try ChannelWireBenchmark.openStore(workDirectory)
        defer { rocks.close() }
        let id = channel.parameters.channelID(chainID: ChannelWireBenchmark.chainID)
        answer("restored \(try store.load(id)?.latest.state.version ?? 0)")
        let endpoint = try ChannelEndpoint(
            parameters: channel.parameters, chainID: ChannelWireBenchmark.chainID,
            key: provider ? channel.provider : channel.payer, initial: channel.initial, store: store,
            port: provider ? port : 0,
            peerAddress: provider ? nil : PeerAddress(host: "127.0.0.1", port: port, key: channel.provider.publicKey),
            maxInFlight: 256)
        await endpoint.observeStates { answer("accepted \($0.state.version)") }
        _ = try await endpoint.start()
        let lines = AsyncStream<String> { continuation in
            Thread.detachNewThread {
                while let line = Swift.readLine() { continuation.yield(line) }
                continuation.finish()
            }
        }
        for await line in lines {
            let words = line.split(separator: " ")
            switch (words.first, words.count) {
            case ("pay", 2), ("pay", 3):
                // pay COUNT [RATE]: COUNT payments of 1, 256 in flight, at most RATE per second.
                let count = Int(words[1]) ?? 0
                let interval = words.count == 3 ? Double(words[2]).map { 1 / max($0, 1) } : nil
                Task {
                    await withTaskGroup(of: Void.self) { group in
                        func payOnce() async {
                            while true {
                                do {
                                    let signed = try await endpoint.pay(1)
                                    answer("paid \(signed.state.version)")
                                    return
                                } catch {
                                    try? await Task.sleep(for: .milliseconds(20))
                                }
                            }
                        }
                        let start = ContinuousClock.now
                        var started = 0
                        func launch() async {
                            if let interval {
                                let due = start + .seconds(interval * Double(started))
                                if due > .now { try? await Task.sleep(until: due) }
                            }
                            group.addTask { await payOnce() }
                            started += 1
                        }
                        while started < min(count, 256) { await launch() }
                        for await _ in group where started < count { await launch() }
                    }
                }
            case ("status", 1):
                let current = await endpoint.current
                answer("state \(current.state.version) \(Hex.encode(Canonical.encode(current)))")
            default:
                answer("error: unknown command \(line)")
            }
        }
        await endpoint.stop()
    }
}
