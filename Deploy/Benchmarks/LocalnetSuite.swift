import Chain
public import Foundation
import Node
import Primitives
import RPC
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `aether bench localnet`: a real localnet (one `aether node start` process per validator, on
/// loopback) under a stream of signed transfers sent from this process over JSON-RPC.
///
/// The load is open-loop at `rate` transfers per second, spread over many funded senders (each
/// keeps at most `window` transfers unconfirmed, well inside the mempool's nonce look-ahead) and
/// over every validator's RPC. A watcher reads each finalized block from validator 0 and matches
/// its transactions to their send times. After a warm-up, one window of `duration` seconds is
/// measured: finalized transfers per second, send-to-finality latency percentiles, and each
/// validator's CPU and peak resident memory from `/proc`.
///
/// The baseline, measured in the same run, is this machine's Ed25519 verification capacity: every
/// validator checks every transfer's signature once, when it enters its mempool (blocks reuse that
/// check), so `cores × verifications/s ÷ validators` transfers per second is the most the cluster
/// could finalize on this machine if it did nothing but verify.
public struct LocalnetBenchmark: Sendable {
    /// The localnet and the load.
    public struct Configuration: Sendable {
        public var validators = 4
        /// Seconds measured, after the warm-up.
        public var duration: Double = 60
        /// Seconds of load before measuring (mempools and pipelines fill).
        public var warmup: Double = 10
        /// Transfers offered per second.
        public var rate = 6_000
        /// Funded sender accounts.
        public var senders = 512
        /// Transfers a sender may have sent but not yet seen finalized.
        public var window = 40
        /// Ports of validator 0 (validator i uses these plus i). Below 32768, outside the range
        /// Linux gives outgoing connections.
        public var p2pPort = 29_000
        public var rpcPort = 29_100
        /// Leave the validators' homes (and their `node.log`) in place afterwards.
        public var keepHomes = false
        /// The genesis `slot_ms`: the shortest interval between blocks.
        public var slotMilliseconds: UInt64 = 250

        /// The full benchmark.
        public init() {}

        /// A smoke run: a few seconds at a low rate.
        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.duration = 4
            configuration.warmup = 3
            configuration.rate = 200
            configuration.senders = 16
            return configuration
        }
    }

    /// Why the benchmark could not run.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let configuration: Configuration
    let executable: String
    let workDirectory: URL

    /// A benchmark that runs validators with the `aether` binary at `executable`, their homes under
    /// `workDirectory` (removed afterwards).
    public init(configuration: Configuration = .init(), executable: String, workDirectory: URL) {
        self.configuration = configuration
        self.executable = executable
        self.workDirectory = workDirectory
    }

    /// Runs the localnet under load and reports; `progress` receives a line every second.
    public func run(progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> BenchmarkReport {
        let configuration = self.configuration
        let costs = CryptoCosts.measure()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let plan = LocalnetPlan(
            count: configuration.validators, p2pBasePort: configuration.p2pPort, rpcBasePort: configuration.rpcPort,
            epochSlots: 600, slotMilliseconds: configuration.slotMilliseconds)

        progress("signing transfers for \(configuration.senders) senders")
        let load = try LoadPlan(configuration: configuration, chainId: plan.chainId)

        try? FileManager.default.removeItem(at: workDirectory)
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        defer {
            if configuration.keepHomes {
                progress("validator homes and logs kept in \(workDirectory.path)")
            } else {
                try? FileManager.default.removeItem(at: workDirectory)
            }
        }
        try plan.create(
            under: workDirectory, genesisTime: UInt64(Date().timeIntervalSince1970 * 1_000),
            fundedAccounts: load.senderKeys)
        let processes = try LocalnetProcesses(plan: plan, root: workDirectory, executable: executable)
        defer { processes.stop() }
        let urls = (0..<configuration.validators).map { "http://127.0.0.1:\(configuration.rpcPort + $0)" }
        let startHeight = try waitForBlocks(urls: urls, processes: processes)
        progress("localnet up at height \(startHeight); loading at \(configuration.rate) transfers/s")

        let state = LoadState(senders: configuration.senders)
        let clock = ContinuousClock()
        let loadStart = clock.now
        let measureStart = loadStart + .seconds(configuration.warmup)
        let measureEnd = measureStart + .seconds(configuration.duration)
        let group = DispatchGroup()
        for validator in 0..<configuration.validators {
            DispatchQueue.global().async(group: group) {
                load.send(
                    to: urls[validator], lane: validator, lanes: configuration.validators, state: state,
                    start: loadStart, measure: measureStart..<measureEnd)
            }
        }
        let watcher = Watcher(url: urls[0], state: state, from: startHeight)
        DispatchQueue.global().async(group: group) {
            watcher.run(start: loadStart, measure: measureStart..<measureEnd, end: measureEnd + .seconds(3))
        }
        // CPU seconds of each validator when the measured window starts, and when that was.
        var cpuAtStart: [Double]?
        var cpuStartTime: ContinuousClock.Instant?
        var cpuDone = false
        var previous = state.snapshot()
        while clock.now < measureEnd + .seconds(3) {
            Thread.sleep(forTimeInterval: 1)
            if !cpuDone && cpuAtStart == nil && clock.now >= measureStart {
                cpuAtStart = processes.pids.map { ProcessStats.cpuSeconds(pid: $0) ?? 0 }
                cpuStartTime = clock.now
            }
            let now = state.snapshot()
            progress(
                "offered \(now.offered - previous.offered)/s  accepted \(now.accepted - previous.accepted)/s  "
                    + "finalized \(now.finalized - previous.finalized)/s  height \(now.height)  view \(now.view)  "
                    + "rejected \(now.rejected) \(now.lastRejection ?? "")")
            previous = now
            if let error = now.fatal { throw Failure(description: error) }
            if !processes.processes.allSatisfy(\.isRunning) {
                throw Failure(description: "a validator exited during the run; see its node.log")
            }
            if clock.now >= measureEnd, let start = cpuAtStart, let startTime = cpuStartTime {
                let cpuAtEnd = processes.pids.map { ProcessStats.cpuSeconds(pid: $0) ?? 0 }
                let seconds = (clock.now - startTime).seconds
                state.setCPU(zip(cpuAtEnd, start).map { ($0 - $1) / seconds })
                cpuAtStart = nil
                cpuStartTime = nil
                cpuDone = true
            }
        }
        group.wait()
        let peakRSS = processes.pids.map { ProcessStats.peakResidentBytes(pid: $0) ?? 0 }
        let result = state.snapshot()
        if let error = result.fatal { throw Failure(description: error) }
        return report(result: result, peakRSS: peakRSS, costs: costs, cores: cores, plan: plan)
    }

    private func report(
        result: LoadState.Snapshot, peakRSS: [UInt64], costs: CryptoCosts, cores: Int, plan: LocalnetPlan
    ) -> BenchmarkReport {
        let verifyRate = 1 / costs.verify
        let limit = verifyRate * Double(cores) / Double(configuration.validators)
        let tps = Double(result.measuredFinalized) / configuration.duration
        let latencies = result.latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)] * 1_000
        }
        let slot = Double(plan.slotMilliseconds)
        var rows = [
            BenchmarkRow(
                name: "Ed25519 verify, one core", value: verifyRate, unit: "ops/s", baselineName: "libsodium",
                baselineValue: nil, higherIsBetter: true),
            BenchmarkRow(
                name: "offered load", value: Double(result.measuredOffered) / configuration.duration, unit: "tx/s",
                baselineName: "\(configuration.senders) senders, \(result.rejected) rejected in the run",
                baselineValue: nil, higherIsBetter: true),
            BenchmarkRow(
                name: "sustained TPS (finalized transfers)", value: tps, unit: "tx/s",
                baselineName: "verify limit: \(cores) cores ÷ \(configuration.validators) verifies per transfer",
                baselineValue: limit, higherIsBetter: true, target: "≥ 5000 tx/s", valueTarget: 5_000),
        ]
        for (name, p, target) in [("p50", 0.50, nil), ("p95", 0.95, 1_000.0), ("p99", 0.99, 2_000.0)] {
            rows.append(
                BenchmarkRow(
                    name: "finality latency \(name) (send to finalized)", value: percentile(p), unit: "ms",
                    baselineName: "two \(Int(slot)) ms slots", baselineValue: 2 * slot, higherIsBetter: false,
                    target: target.map { "≤ \(Int($0)) ms" }, valueTarget: target))
        }
        for (index, cpu) in result.cpu.enumerated() {
            rows.append(
                BenchmarkRow(
                    name: "validator \(index) CPU", value: cpu * 100, unit: "% of a core", baselineName: "",
                    baselineValue: nil, higherIsBetter: false))
        }
        for (index, bytes) in peakRSS.enumerated() {
            rows.append(
                BenchmarkRow(
                    name: "validator \(index) peak RSS", value: Double(bytes) / 1_048_576, unit: "MiB",
                    baselineName: "", baselineValue: nil, higherIsBetter: false, target: "≤ 500 MiB",
                    valueTarget: 500))
        }
        return BenchmarkReport(
            suite: "localnet (\(configuration.validators) validators, \(Int(configuration.duration)) s measured)",
            machine: machineDescription(), repeats: 1, rows: rows)
    }

    /// Waits until every validator has finalized a block; returns validator 0's height then.
    private func waitForBlocks(urls: [String], processes: LocalnetProcesses) throws -> UInt64 {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard processes.processes.allSatisfy(\.isRunning) else {
                throw Failure(description: "a validator exited while starting; see its node.log")
            }
            let heights = urls.map { url -> UInt64 in
                guard let client = try? RPCClient(url: url, timeoutSeconds: 2),
                    case .object(let status)? = try? client.call("getStatus")
                else { return 0 }
                return status["height"]?.uint64Value ?? 0
            }
            if heights.allSatisfy({ $0 >= 2 }) { return heights[0] }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw Failure(description: "the localnet did not finalize 2 blocks within 60 s; see the node.log files")
    }
}

/// The signed transfers, made before the localnet starts so signing costs the run nothing.
private struct LoadPlan: Sendable {
    let senderKeys: [Ed25519.PublicKey]
    /// Per sender, its transfers in nonce order: encoded bytes and id.
    let transfers: [[(bytes: [UInt8], id: Hash)]]
    let window: Int
    let rate: Int

    init(configuration: LocalnetBenchmark.Configuration, chainId: String) throws {
        let perSender =
            Int((Double(configuration.rate) * (configuration.warmup + configuration.duration + 5)).rounded(.up))
            / configuration.senders + configuration.window
        let keys = try (0..<configuration.senders).map { index in
            try Ed25519.PrivateKey(seed: Hashing.sha256(Array("aether-bench-sender-\(index)".utf8)).bytes)
        }
        let recipient = Address(publicKey: keys[0].publicKey)
        let signed = Mutex([[(bytes: [UInt8], id: Hash)]](repeating: [], count: keys.count))
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: keys.count) { index in
            do {
                var list: [(bytes: [UInt8], id: Hash)] = []
                list.reserveCapacity(perSender)
                for nonce in 0..<UInt64(perSender) {
                    let transaction = Transaction(
                        chainId: chainId, sender: keys[index].publicKey, nonce: nonce, maxFee: 1_000_000,
                        priorityFee: 0, messages: [Message(Bank.Transfer(to: recipient, 1, .aic))])
                    let encoded = try transaction.signed(by: keys[index]).encoded
                    list.append((encoded, Hashing.sha256(encoded)))
                }
                signed.withLock { $0[index] = list }
            } catch {
                failure.withLock { $0 = error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        senderKeys = keys.map(\.publicKey)
        transfers = signed.withLock { $0 }
        window = configuration.window
        rate = configuration.rate
    }

    /// Sends this lane's share of the load (senders `lane`, `lane + lanes`, …) to one validator,
    /// in JSON-RPC batches every few milliseconds, until the measured window ends.
    func send(
        to url: String, lane: Int, lanes: Int, state: LoadState, start: ContinuousClock.Instant,
        measure: Range<ContinuousClock.Instant>
    ) {
        let clock = ContinuousClock()
        guard let client = try? RPCClient(url: url, timeoutSeconds: 10) else {
            state.fail("cannot reach \(url)")
            return
        }
        let mine = Array(stride(from: lane, to: transfers.count, by: lanes))
        var next = [Int](repeating: 0, count: transfers.count)
        var cursor = 0
        var offered = 0
        let laneRate = Double(rate) / Double(lanes)
        while clock.now < measure.upperBound {
            let elapsed = (clock.now - start).seconds
            // The RPC server takes batches of at most 100 requests.
            let due = min(Int(laneRate * elapsed) - offered, 100)
            guard due > 0 else {
                usleep(4_000)
                continue
            }
            // One transfer per sender per pass, skipping senders with a full window.
            var batch: [(sender: Int, index: Int)] = []
            var idlePasses = 0
            while batch.count < due && idlePasses < 2 {
                var added = false
                for _ in 0..<mine.count where batch.count < due {
                    let sender = mine[cursor]
                    cursor = (cursor + 1) % mine.count
                    guard next[sender] < transfers[sender].count, state.reserve(sender, window: window) else {
                        continue
                    }
                    batch.append((sender, next[sender]))
                    next[sender] += 1
                    added = true
                }
                idlePasses = added ? 0 : idlePasses + 1
            }
            guard !batch.isEmpty else {
                usleep(4_000)
                continue
            }
            offered += batch.count
            let calls = batch.map { entry -> (method: String, params: JSONObject) in
                var params = JSONObject()
                params["tx"] = .string(Hex.encode(transfers[entry.sender][entry.index].bytes))
                return ("sendRawTx", params)
            }
            let sentAt = clock.now
            let results: [Result<JSONValue, RPCClientError>]
            do { results = try client.batch(calls) } catch {
                results = Array(repeating: .failure(error), count: calls.count)
            }
            var accepted: [(id: Hash, sender: Int)] = []
            var rejected: [(sender: Int, reason: String)] = []
            for (entry, result) in zip(batch, results) {
                switch result {
                case .success:
                    accepted.append((transfers[entry.sender][entry.index].id, entry.sender))
                case .failure(let error):
                    let text = "\(error)"
                    if text.contains("already in the mempool") {
                        accepted.append((transfers[entry.sender][entry.index].id, entry.sender))
                    } else {
                        // Resend from this nonce: later ones of the sender wait in the mempool.
                        next[entry.sender] = min(next[entry.sender], entry.index)
                        rejected.append((entry.sender, text))
                    }
                }
            }
            state.record(
                offered: batch.count, accepted: accepted, rejected: rejected, at: sentAt,
                measured: measure.contains(sentAt))
        }
    }
}

/// Reads finalized blocks from one validator and matches their transactions to send times.
private struct Watcher: Sendable {
    let url: String
    let state: LoadState
    let from: UInt64

    func run(start: ContinuousClock.Instant, measure: Range<ContinuousClock.Instant>, end: ContinuousClock.Instant) {
        let clock = ContinuousClock()
        // A loaded validator can be slow to answer; a long timeout and retries keep the watcher
        // from giving up on a block that is there.
        guard var client = try? RPCClient(url: url, timeoutSeconds: 30) else {
            state.fail("cannot reach \(url)")
            return
        }
        var seen = from
        while clock.now < end {
            guard case .object(let status)? = try? client.call("getStatus"),
                let height = status["height"]?.uint64Value
            else {
                usleep(50_000)
                continue
            }
            let now = clock.now
            state.setView(status["view"]?.uint64Value ?? 0)
            if height > seen {
                for next in (seen + 1)...height {
                    var params = JSONObject()
                    params["height"] = JSONValue(next)
                    var answer: Result<JSONValue, RPCClientError> = .failure(.malformedResponse("not asked"))
                    for _ in 0..<5 {
                        answer = Result { () throws(RPCClientError) in try client.call("getBlock", params) }
                        if case .success = answer { break }
                        usleep(200_000)
                        if let fresh = try? RPCClient(url: url, timeoutSeconds: 30) { client = fresh }
                    }
                    guard case .success(.object(let block)) = answer,
                        case .array(let transactions)? = block["transactions"]
                    else {
                        state.fail("validator 0 did not return finalized block \(next): \(answer)")
                        return
                    }
                    let ids = transactions.compactMap { $0.stringValue.flatMap { try? Hex.decode($0) } }
                        .map { Hashing.sha256($0) }
                    state.finalize(ids, height: next, at: now, measured: measure.contains(now))
                }
                seen = height
            }
            usleep(50_000)
        }
    }
}

/// What the senders and the watcher share.
private final class LoadState: Sendable {
    struct Snapshot {
        var offered = 0
        var accepted = 0
        var finalized = 0
        var rejected = 0
        var lastRejection: String?
        var measuredOffered = 0
        var measuredFinalized = 0
        var latencies: [Double] = []
        var height: UInt64 = 0
        var view: UInt64 = 0
        var cpu: [Double] = []
        var fatal: String?
    }

    private struct Contents {
        var snapshot = Snapshot()
        var sentAt: [Hash: (sender: Int, time: ContinuousClock.Instant)] = [:]
        var inFlight: [Int]
    }

    private let contents: Mutex<Contents>

    init(senders: Int) {
        contents = Mutex(Contents(inFlight: Array(repeating: 0, count: senders)))
    }

    /// Takes one of `sender`'s window slots; false when it has `window` unconfirmed.
    func reserve(_ sender: Int, window: Int) -> Bool {
        contents.withLock { contents in
            guard contents.inFlight[sender] < window else { return false }
            contents.inFlight[sender] += 1
            return true
        }
    }

    func record(
        offered: Int, accepted: [(id: Hash, sender: Int)], rejected: [(sender: Int, reason: String)],
        at time: ContinuousClock.Instant, measured: Bool
    ) {
        contents.withLock { contents in
            contents.snapshot.offered += offered
            if measured { contents.snapshot.measuredOffered += offered }
            contents.snapshot.accepted += accepted.count
            for (id, sender) in accepted where contents.sentAt[id] == nil {
                contents.sentAt[id] = (sender, time)
            }
            for (sender, reason) in rejected {
                contents.inFlight[sender] -= 1
                contents.snapshot.rejected += 1
                contents.snapshot.lastRejection = reason
            }
        }
    }

    func finalize(_ ids: [Hash], height: UInt64, at time: ContinuousClock.Instant, measured: Bool) {
        contents.withLock { contents in
            contents.snapshot.height = height
            for id in ids {
                guard let sent = contents.sentAt.removeValue(forKey: id) else { continue }
                contents.inFlight[sent.sender] -= 1
                contents.snapshot.finalized += 1
                if measured {
                    contents.snapshot.measuredFinalized += 1
                    contents.snapshot.latencies.append((time - sent.time).seconds)
                }
            }
        }
    }

    func setView(_ view: UInt64) { contents.withLock { $0.snapshot.view = view } }

    func setCPU(_ cpu: [Double]) { contents.withLock { $0.snapshot.cpu = cpu } }

    func fail(_ message: String) { contents.withLock { $0.snapshot.fatal = $0.snapshot.fatal ?? message } }

    func snapshot() -> Snapshot { contents.withLock { $0.snapshot } }
}

/// CPU time and memory of another process, from `/proc`.
enum ProcessStats {
    /// User plus system CPU seconds the process has used.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = procFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name; utime and stime are fields 14 and 15 of the whole line.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The most resident memory the process has had (VmHWM), in bytes.
    static func peakResidentBytes(pid: Int32) -> UInt64? {
        guard let text = procFile("/proc/\(pid)/status"),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ UInt64($0) })
        else { return nil }
        return kilobytes * 1_024
    }

    /// A `/proc` file's text. Read until end of file: these files report a size of zero.
    private static func procFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
