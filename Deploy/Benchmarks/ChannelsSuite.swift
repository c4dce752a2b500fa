import ChannelCore
import ChannelMetering
import Primitives

/// `aether bench channels`: the streaming meter's hot path on one core.
///
/// The figure is verified meter ticks per second (`HashChainVerifier.verify`, and the provider's
/// whole per-unit step: serve, then verify the payer's reveal), beside OpenSSL's SHA-256 of 32
/// bytes called directly in the same loop shape: one chain step, the machine's limit for a tick.
/// The target is at least 1,000,000 verified ticks/s.
///
/// It also measures signed channel updates in one process: the proposer's `ChannelMachine` signs a
/// transfer, the message is encoded and decoded, the other side validates, verifies and signs its
/// acceptance, and the proposer verifies that: two Ed25519 signatures and two verifications per
/// update, beside libsodium doing just those four operations on the same bytes: the ceiling of
/// countersigning every update. The targets between two processes are measured by
/// `ChannelWireBenchmark`.
public struct ChannelsBenchmark: Sendable {
    /// Sizes and repeats.
    public struct Configuration: Sendable {
        /// Ticks per timed run (the length of the hash chain verified).
        public var ticks = 1 << 20
        /// Repeats per figure.
        public var repeats = 7
        /// Signed updates per timed run.
        public var updates = 2_000

        /// The full benchmark.
        public init() {}

        /// A smoke run: a short chain, three repeats (the figures are not meaningful).
        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.ticks = 10_000
            configuration.repeats = 3
            configuration.updates = 50
            return configuration
        }
    }

    let configuration: Configuration

    /// A benchmark with `configuration`.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Runs every measurement, reporting each row to `progress` as it completes.
    public func run(progress: (BenchmarkRow) -> Void = { _ in }) throws -> BenchmarkReport {
        let stopwatch = Stopwatch(repeats: configuration.repeats)
        let ticks = configuration.ticks
        let chain = HashChain(seed: Hashing.sha256(Array("aether bench channels".utf8)), length: ticks)
        var reveals: [Hash] = []
        reveals.reserveCapacity(ticks)
        for unit in 1...ticks { reveals.append(try chain.preimage(forUnit: unit)) }
        let root = chain.root
        var failures = 0

        let digest = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        defer { digest.deallocate() }
        var sink: UInt8 = 0
        let baseline = {
            // One chain step per tick, OpenSSL called directly, each digest hashed again.
            var value = [UInt8](repeating: 7, count: 32)
            value.withUnsafeMutableBytes { buffer in
                for _ in 0..<ticks {
                    Baselines.opensslSHA256(buffer.baseAddress!, 32, into: digest)
                    buffer.baseAddress!.copyMemory(from: digest, byteCount: 32)
                }
            }
            sink ^= value[0]
        }

        let verifier = stopwatch.compare(
            {
                var verifier = HashChainVerifier(root: root, length: ticks)
                for reveal in reveals {
                    do { try verifier.verify(reveal) } catch { failures += 1 }
                }
            }, baseline)

        let terms = try MeterTerms(unitPrice: 1, segmentLength: UInt32(ticks), creditWindow: 16)
        let session = try MeterUpdates.open(
            from: ChannelState(channelID: .zero, version: 0, allocation: Allocation(balances: [UInt64(ticks), 0])),
            sessionID: .zero, terms: terms, providerIndex: 1, escrow: UInt64(ticks), root: root)
        let opened = try MeterProvider(state: session)
        let provider = stopwatch.compare(
            {
                var provider = opened
                for reveal in reveals {
                    do {
                        _ = try provider.serve()
                        try provider.receive(reveal)
                    } catch { failures += 1 }
                }
            }, baseline)
        guard failures == 0 else { throw BenchmarkError("\(failures) valid reveals failed to verify") }
        _ = sink

        let updates = try signedUpdates(stopwatch)

        let count = Double(ticks)
        let baselineName = "OpenSSL SHA-256 of 32 bytes, called directly (one chain step)"
        let rows = [
            BenchmarkRow(
                name: "meter tick verified (HashChainVerifier)", value: count / verifier.ours, unit: "ticks/s",
                baselineName: baselineName, baselineValue: count / verifier.baseline, higherIsBetter: true,
                target: "≥ 1M ticks/s", valueTarget: 1_000_000),
            BenchmarkRow(
                name: "provider tick (serve + verify)", value: count / provider.ours, unit: "ticks/s",
                baselineName: baselineName, baselineValue: count / provider.baseline, higherIsBetter: true,
                target: "≥ 1M ticks/s", valueTarget: 1_000_000),
            BenchmarkRow(
                name: "signed update, both sides sign and verify (one process, no network)",
                value: Double(configuration.updates) / updates.ours, unit: "updates/s",
                baselineName: "libsodium: 2 signs + 2 verifications of the same bytes",
                baselineValue: Double(configuration.updates) / updates.baseline, higherIsBetter: true),
        ]
        rows.forEach(progress)
        return BenchmarkReport(
            suite: "channels", machine: machineDescription(), repeats: configuration.repeats, rows: rows)
    }

    /// Times `configuration.updates` signed updates between two machines, and libsodium doing the
    /// same signatures and verifications.
    func signedUpdates(_ stopwatch: Stopwatch) throws -> (ours: Double, baseline: Double) {
        let chainID = "aether-bench"
        let alice = try Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 32))
        let bob = try Ed25519.PrivateKey(seed: [UInt8](repeating: 2, count: 32))
        let parameters = try ChannelParameters(
            participants: [alice.publicKey, bob.publicKey], challengeDuration: 100, nonce: 1, appID: .zero)
        let funded = ChannelState(
            channelID: parameters.channelID(chainID: chainID), version: 0,
            allocation: Allocation(balances: [UInt64(configuration.updates) * 10, 0]))
        let bytes = funded.signBytes(chainID: chainID)
        let initial = SignedState(state: funded, signatures: [alice.sign(bytes), bob.sign(bytes)])
        var failures = 0
        let count = configuration.updates
        let ours = {
            var proposer = try! ChannelMachine(parameters: parameters, chainID: chainID, key: alice, initial: initial)
            var responder = try! ChannelMachine(parameters: parameters, chainID: chainID, key: bob, initial: initial)
            for _ in 0..<count {
                var next = proposer.current.state.next()
                next.allocation.balances[0] -= 1
                next.allocation.balances[1] += 1
                guard let proposal = Self.firstSent(proposer.on(.propose(next))),
                    let wire = try? Canonical.decode(ChannelMessage.self, from: Canonical.encode(proposal)),
                    let answer = Self.firstSent(responder.on(.received(wire))),
                    let answerWire = try? Canonical.decode(ChannelMessage.self, from: Canonical.encode(answer)),
                    proposer.on(.received(answerWire)).contains(where: {
                        if case .accepted = $0 { true } else { false }
                    })
                else {
                    failures += 1
                    continue
                }
            }
        }
        Baselines.sodiumInit()
        let aliceKeys = Baselines.sodiumKeyPair(seed: [UInt8](repeating: 1, count: 32))
        let bobKeys = Baselines.sodiumKeyPair(seed: [UInt8](repeating: 2, count: 32))
        var message = funded.next().signBytes(chainID: chainID)
        var first = [UInt8](repeating: 0, count: 64)
        var second = [UInt8](repeating: 0, count: 64)
        var verified = 0
        let baseline = {
            for index in 0..<count {
                message[message.count - 1] = UInt8(truncatingIfNeeded: index)
                Baselines.sodiumSign(message, message.count, secretKey: aliceKeys.secretKey, into: &first)
                if Baselines.sodiumVerify(first, message, message.count, publicKey: aliceKeys.publicKey) {
                    verified += 1
                }
                Baselines.sodiumSign(message, message.count, secretKey: bobKeys.secretKey, into: &second)
                if Baselines.sodiumVerify(second, message, message.count, publicKey: bobKeys.publicKey) {
                    verified += 1
                }
            }
        }
        let result = stopwatch.compare(ours, baseline)
        guard failures == 0 else { throw BenchmarkError("\(failures) signed updates were not accepted") }
        guard verified > 0 else { throw BenchmarkError("libsodium verified nothing") }
        return result
    }

    /// The first message an action list sends (a machine persists before it sends: `.accepted` comes first).
    static func firstSent(_ actions: [ChannelMachine.Action]) -> ChannelMessage? {
        for action in actions { if case .send(let message) = action { return message } }
        return nil
    }
}
