import ArgumentParser
import Chain
import ChannelAdjudicator
import ChannelCore
import ChannelMetering
import ChannelWire
import Foundation
import Keystore
import NetworkCore
import PeerNetwork
import Primitives
import RPC
import RocksDBStorage
import Storage

/// `aether channel`: payment channels with a provider, paid per token as it streams.
struct ChannelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channel",
        abstract: "Open a payment channel with a provider, stream metered tokens, close it, and show its state.",
        discussion: """
            A payer opens a channel with a provider (`open`: both sign the funding state, then the payer \
            deposits on the L1), streams metered sessions through it (`stream`: each token is paid with one \
            hash-chain preimage as it arrives, checkpoints every K tokens), and closes it (`close`: a final \
            state both sign, registered on the L1, both payouts withdrawn; if the provider is gone, the \
            latest state is registered and a later `close` concludes and withdraws). A provider runs \
            `provide`. States live in --data (RocksDB). Docs/spec/channels.md.
            """,
        subcommands: [Provide.self, Open.self, Stream.self, Close.self, Status.self])

    /// The channel key (an Ed25519 keystore key, also the account that deposits and is paid).
    struct KeyOptions: ParsableArguments {
        @Option(help: "The keystore key of this side (Ed25519).") var key: String
        @OptionGroup var store: KeystoreOptions
        @OptionGroup var password: PasswordOptions

        func unlock() throws -> Ed25519.PrivateKey {
            let unlocked = try store.keystore.unlock(name: key, password: try password.read(confirm: false))
            guard case .ed25519(let secret) = unlocked else {
                throw CommandFailure("key '\(key)' is not an Ed25519 key")
            }
            return secret
        }
    }

    /// Where this side's channel states live.
    struct DataOptions: ParsableArguments {
        @Option(help: "Channel state directory (default: $AETHER_HOME/channels or ~/.aether/channels).")
        var data: String?

        var directory: URL {
            if let data { return URL(fileURLWithPath: data) }
            let environment = ProcessInfo.processInfo.environment
            let home =
                environment["AETHER_HOME"].map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".aether")
            return home.appendingPathComponent("channels")
        }

        func open() throws -> (RocksDBStore, ChannelStateStore) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let rocks = try RocksDBStore(
                path: directory.appendingPathComponent("states").path, columns: [.default, ChannelStateStore.column])
            return (rocks, ChannelStateStore(store: rocks))
        }

        /// The channel's chain and peer, kept beside its states.
        func peerFile(_ id: Hash) -> URL { directory.appendingPathComponent("\(id.hex).json") }

        func savePeer(_ id: Hash, chainID: String, peer: PeerAddress) throws {
            var object = JSONObject()
            object["chainId"] = .string(chainID)
            object["peer"] = .string(peer.description)
            try Data(JSONWriter.encode(.object(object)).stringValue.utf8).write(to: peerFile(id), options: .atomic)
        }

        func loadPeer(_ id: Hash) throws -> (chainID: String, peer: PeerAddress?) {
            let value = try JSONValue(parsing: try readInput(peerFile(id).path))
            guard let chainID = value["chainId"]?.stringValue else {
                throw CommandFailure("\(peerFile(id).path): no chainId")
            }
            return (chainID, try value["peer"]?.stringValue.map(parsePeer))
        }
    }

    struct TermsOptions: ParsableArguments {
        @Option(help: "AIC base units per token.") var price: UInt64 = 1
        @Option(help: "Tokens per signed checkpoint (K).") var segment: UInt32 = 256
        @Option(help: "Tokens the provider serves ahead of payment (W).") var window: UInt32 = 16

        func terms() throws -> MeterTerms {
            try MeterTerms(unitPrice: price, segmentLength: segment, creditWindow: window)
        }
    }

    // MARK: - provide

    struct Provide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve metered sessions to payers: accept their channels, stream tokens, get paid per token.",
            discussion: """
                Listens for payers (any key may connect and open a channel in which the provider deposits \
                nothing), and serves each request from --command: the request goes to the command's standard \
                input and each whitespace-separated word of its standard output is one token, sent while at \
                most W tokens are unpaid. Before serving, the provider checks on the node that the channel's \
                deposits back its state. Runs until interrupted; states are on disk at every point.
                """)
        @OptionGroup var key: KeyOptions
        @OptionGroup var data: DataOptions
        @OptionGroup var rpc: RPCOptions
        @Option(help: "Address to listen on.") var host = "127.0.0.1"
        @Option(help: "Port to listen on.") var listen: Int
        @Option(help: "Shell command that answers a request (read from its standard input) with tokens.")
        var command: String
        @Option(help: "Lowest price per token accepted (AIC base units).") var minimumPrice: UInt64 = 1
        @Option(help: "Largest credit window W accepted.") var maximumWindow: UInt32 = 64
        @Option(help: "Largest checkpoint interval K accepted.") var maximumSegment: UInt32 = 4_096
        @Option(help: "Largest channel a payer may open with this provider (AIC base units).")
        var maximumDeposit: UInt64 = 1_000_000_000

        func run() async throws {
            try await reportingErrors(json: false) {
                let secret = try key.unlock()
                let url = rpc.rpc
                let chainID = try ChannelCommand.chainID(url)
                let (rocks, store) = try data.open()
                defer { rocks.close() }
                let network = try ChannelNetwork(
                    key: secret, chainID: chainID, host: host, port: listen, admitAnyPeer: true)
                let port = try await network.start()
                let policy = MeterOpenPolicy(
                    minimumUnitPrice: minimumPrice, maximumCreditWindow: maximumWindow,
                    maximumSegmentLength: maximumSegment)
                let source = ChannelCommand.commandSource(command)
                let funding: @Sendable (ChannelState) async -> String? = { state in
                    ChannelCommand.fundingProblem(url, chainID: chainID, state: state)
                }
                let endpoints = Endpoints()
                // Channels accepted before a restart go on.
                for (parameters, latest) in try ChannelCommand.channels(in: rocks) {
                    guard let index = parameters.index(of: secret.publicKey) else { continue }
                    let endpoint = try ChannelEndpoint(
                        parameters: parameters, chainID: chainID, key: secret, initial: latest, store: store,
                        network: network)
                    await endpoint.provide(policy: policy, fundingCheck: funding, source: source)
                    _ = try await endpoint.start()
                    await endpoints.add(endpoint)
                    say("resumed channel \(latest.state.channelID.hex) with \(parameters.participants[1 - index])")
                }
                let maximumDeposit = self.maximumDeposit
                network.acceptChannels { parameters, funded, peer in
                    let ours = parameters.index(of: secret.publicKey) ?? 0
                    guard funded.state.allocation.balances[ours] == 0 else {
                        throw CommandFailure("this provider deposits nothing: its balance must be 0")
                    }
                    guard let total = funded.state.allocation.total, total <= maximumDeposit else {
                        throw CommandFailure("a channel with this provider holds at most \(maximumDeposit)")
                    }
                    let endpoint = try ChannelEndpoint(
                        parameters: parameters, chainID: chainID, key: secret, initial: funded, store: store,
                        network: network)
                    await endpoint.provide(policy: policy, fundingCheck: funding, source: source)
                    await endpoint.observeMeter { progress in
                        if case .settled(let units) = progress {
                            say("channel \(funded.state.channelID.hex.prefix(16)): \(units) tokens settled")
                        }
                    }
                    _ = try await endpoint.start()
                    await endpoints.add(endpoint)
                    say("opened channel \(funded.state.channelID.hex) with \(peer) (\(total) deposited by the payer)")
                }
                say("providing on \(host):\(port) as \(secret.publicKey) (chain \(chainID))")
                while !Task.isCancelled { try await Task.sleep(for: .seconds(3_600)) }
            }
        }
    }

    actor Endpoints {
        var all: [ChannelEndpoint] = []
        func add(_ endpoint: ChannelEndpoint) { all.append(endpoint) }
    }

    // MARK: - open

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a channel with a provider and deposit into it on the L1.",
            discussion: """
                Both sides sign the funding state (this side's balance = --deposit, the provider's 0) before \
                anything moves; then the deposit is sent to the channels module and awaited. Prints the \
                channel id.
                """)
        @OptionGroup var data: DataOptions
        @OptionGroup var signer: TxCommand.Signer
        @Option(help: "The provider: KEY@HOST:PORT (its public key in hex).") var provider: String
        @Option(help: "AIC base units to deposit.") var deposit: UInt64
        @Option(help: "Blocks a registered state can be refuted in.") var challengeBlocks: UInt64 = 100

        func run() async throws {
            try await reportingErrors(json: true) {
                let secret = try ChannelCommand.unlock(signer)
                let address = try parsePeer(provider)
                let chainID = try ChannelCommand.chainID(signer.rpc.rpc)
                let parameters = try ChannelParameters(
                    participants: [secret.publicKey, address.key], challengeDuration: challengeBlocks,
                    nonce: UInt64.random(in: 0...UInt64.max), appID: .zero)
                let id = parameters.channelID(chainID: chainID)
                let funding = ChannelState(channelID: id, version: 0, allocation: Allocation(balances: [deposit, 0]))
                let network = try ChannelNetwork(key: secret, chainID: chainID, peers: [address])
                _ = try await network.start()
                let signed: SignedState
                do {
                    try await ChannelCommand.waitConnected(network, address.key)
                    signed = try await network.open(parameters, funding: funding)
                } catch {
                    await network.stop()
                    throw error
                }
                await network.stop()

                let (rocks, store) = try data.open()
                defer { rocks.close() }
                try store.save(parameters: parameters, latest: signed)
                try data.savePeer(id, chainID: chainID, peer: address)
                let hash = try ChannelCommand.sendAndWait(
                    signer, [Message(Adjudicator.Deposit(channelID: id, participant: 0, amount: deposit))])
                var result = JSONObject()
                result["channel"] = .string(id.hex)
                result["deposit"] = JSONValue(UInt64(deposit))
                result["depositTx"] = .string(hash)
                printResult(.object(result))
            }
        }
    }

    // MARK: - stream

    struct Stream: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stream a metered session: print tokens as they arrive, each paid as it comes.",
            discussion: """
                Opens a session (one signed update locking the escrow), sends the request, and prints each \
                token to standard output as it arrives; standard error shows tokens, units paid and the \
                balances live. The session ends settled: paid tokens go to the provider, the rest of the \
                escrow comes back.
                """)
        @OptionGroup var key: KeyOptions
        @OptionGroup var data: DataOptions
        @OptionGroup var terms: TermsOptions
        @Option(help: "The channel id (hex).") var channel: String
        @Option(help: "Most tokens to pay for.") var maxTokens: UInt64 = 1_000
        @Argument(help: "The request (a prompt).") var request: String

        func run() async throws {
            try await reportingErrors(json: false) {
                let secret = try key.unlock()
                let id = try Hash(hex: channel)
                let (chainID, peer) = try data.loadPeer(id)
                guard let peer else { throw CommandFailure("no provider address recorded for \(id.hex)") }
                let (rocks, store) = try data.open()
                defer { rocks.close() }
                guard let (parameters, latest) = try store.load(id) else {
                    throw CommandFailure("no channel \(id.hex)")
                }
                let network = try ChannelNetwork(key: secret, chainID: chainID, peers: [peer])
                _ = try await network.start()
                let endpoint = try ChannelEndpoint(
                    parameters: parameters, chainID: chainID, key: secret, initial: latest, store: store,
                    network: network)
                _ = try await endpoint.start()
                try await ChannelCommand.waitConnected(network, peer.key)
                let terms = try terms.terms()
                let ours = await endpoint.ourIndex
                let balance = await endpoint.current.state.allocation.balances[ours]
                let escrow = min(balance, terms.price(of: maxTokens) ?? balance)
                let settled = Settled()
                await endpoint.observeMeter { progress in
                    if case .settled(let units) = progress { settled.set(units) }
                }
                var tokens: UInt64 = 0
                var failure: (any Error)?
                do {
                    let units = try await endpoint.stream(
                        request: Array(request.utf8), terms: terms, escrow: escrow, maxUnits: maxTokens)
                    for try await unit in units {
                        tokens = unit.number
                        FileHandle.standardOutput.write(Data(unit.payload))
                        FileHandle.standardError.write(
                            Data("\r\u{1b}[K  tokens \(tokens) · paid \(tokens) · settled \(settled.get())".utf8))
                    }
                } catch {
                    failure = error
                }
                let final = await endpoint.current.state
                FileHandle.standardError.write(
                    Data(
                        ("\n  \(tokens) tokens, \(final.allocation.balances[1 - ours] - latest.state.allocation.balances[1 - ours]) "
                            + "AIC base units to the provider; balances now \(final.allocation.balances) "
                            + "(version \(final.version))\n").utf8))
                await endpoint.stop()
                await network.stop()
                if let failure { throw failure }
            }
        }
    }

    final class Settled: @unchecked Sendable {
        private let lock = NSLock()
        private var units: UInt64 = 0
        func set(_ value: UInt64) { lock.withLock { units = value } }
        func get() -> UInt64 { lock.withLock { units } }
    }

    // MARK: - close

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a channel: a final state both sign, registered on the L1, both payouts withdrawn.",
            discussion: """
                With the provider reachable, both sign a final state; registering it concludes the channel at \
                once, and both payouts are withdrawn (each to its owner's account). If the provider does not \
                answer within --timeout, the latest state is registered instead and the challenge window \
                starts; run `close` again after it to conclude and withdraw (or let a watchtower do it).
                """)
        @OptionGroup var data: DataOptions
        @OptionGroup var signer: TxCommand.Signer
        @Option(help: "The channel id (hex).") var channel: String
        @Option(help: "Seconds to wait for the provider.") var timeout: Double = 10

        func run() async throws {
            try await reportingErrors(json: true) {
                let secret = try ChannelCommand.unlock(signer)
                let id = try Hash(hex: channel)
                let url = signer.rpc.rpc
                let (chainID, peer) = try data.loadPeer(id)
                let (rocks, store) = try data.open()
                defer { rocks.close() }
                guard let (parameters, stored) = try store.load(id) else {
                    throw CommandFailure("no channel \(id.hex)")
                }
                var record = try ChannelCommand.record(url, id)
                var result = JSONObject()
                result["channel"] = .string(id.hex)
                if record.dispute == nil, !stored.state.isFinal, let peer {
                    // Cooperative: a final state both sign.
                    let network = try ChannelNetwork(key: secret, chainID: chainID, peers: [peer])
                    _ = try await network.start()
                    let endpoint = try ChannelEndpoint(
                        parameters: parameters, chainID: chainID, key: secret, initial: stored, store: store,
                        network: network)
                    _ = try await endpoint.start()
                    do {
                        try await ChannelCommand.waitConnected(network, peer.key, seconds: timeout)
                        try await Task.sleep(for: .milliseconds(200))  // the resync on connecting
                        var final = await endpoint.tip.next()
                        final.isFinal = true
                        _ = try await endpoint.propose(final, timeout: .seconds(timeout))
                        result["cooperative"] = .bool(true)
                    } catch {
                        result["cooperative"] = .bool(false)
                        result["provider"] = .string("\(error)")
                    }
                    await endpoint.stop()
                    await network.stop()
                }
                guard let (_, latest) = try store.load(id) else { throw CommandFailure("no channel \(id.hex)") }
                let height = try ChannelCommand.height(url)
                let needsRegister =
                    record.payouts == nil
                    && (record.dispute.map { $0.state.version < latest.state.version && height < $0.timeout } ?? true)
                if needsRegister {
                    result["registerTx"] = .string(
                        try ChannelCommand.sendAndWait(
                            signer, [Message(Adjudicator.Register(parameters: parameters, signed: latest))]))
                    record = try ChannelCommand.record(url, id)
                }
                if record.payouts == nil, let dispute = record.dispute {
                    let height = try ChannelCommand.height(url)
                    guard height + 1 >= dispute.timeout else {
                        result["registeredVersion"] = JSONValue(UInt64(dispute.state.version))
                        result["concludesAtHeight"] = JSONValue(UInt64(dispute.timeout))
                        result["next"] = .string("run close again at height \(dispute.timeout) or later")
                        printResult(.object(result))
                        return
                    }
                    result["concludeTx"] = .string(
                        try ChannelCommand.sendAndWait(signer, [Message(Adjudicator.Conclude(channelID: id))]))
                    record = try ChannelCommand.record(url, id)
                }
                guard let payouts = record.payouts else { throw CommandFailure("the channel did not conclude") }
                let withdrawals = (0..<2).filter { !record.withdrawn[$0] && payouts[$0] > 0 }.map {
                    Message(Adjudicator.Withdraw(channelID: id, participant: UInt8($0)))
                }
                if !withdrawals.isEmpty {
                    result["withdrawTx"] = .string(try ChannelCommand.sendAndWait(signer, withdrawals))
                }
                result["payouts"] = .array(payouts.map { JSONValue(UInt64($0)) })
                printResult(.object(result))
            }
        }
    }

    // MARK: - status

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show channels: the latest state this side holds and, with --rpc, the L1's record.")
        @OptionGroup var data: DataOptions
        @Option(help: "The channel id (hex); default: every channel in --data.") var channel: String?
        @Option(help: "A node's JSON-RPC address, to show the on-chain record too.") var rpc: String?

        func run() async throws {
            try reportingErrors(json: true) {
                let (rocks, _) = try data.open()
                defer { rocks.close() }
                var list: [JSONValue] = []
                for (parameters, latest) in try ChannelCommand.channels(in: rocks) {
                    let id = latest.state.channelID
                    if let channel, channel.lowercased() != id.hex { continue }
                    var object = JSONObject()
                    object["channel"] = .string(id.hex)
                    object["participants"] = .array(parameters.participants.map { .string("\($0)") })
                    object["version"] = JSONValue(UInt64(latest.state.version))
                    object["balances"] = .array(latest.state.allocation.balances.map { JSONValue(UInt64($0)) })
                    object["locked"] = JSONValue(UInt64(latest.state.allocation.locked.reduce(0) { $0 + $1.amount }))
                    object["final"] = .bool(latest.state.isFinal)
                    if let commitment = try? MeterCommitment(of: latest.state) {
                        object["session"] = .string(commitment.sessionID.hex)
                        object["settledTokens"] = JSONValue(UInt64(commitment.settledUnits))
                    }
                    if let rpc {
                        let record = try ChannelCommand.record(rpc, id)
                        var chain = JSONObject()
                        chain["holdings"] = .array(record.holdings.map { JSONValue(UInt64($0)) })
                        if let dispute = record.dispute {
                            chain["registeredVersion"] = JSONValue(UInt64(dispute.state.version))
                            chain["timeout"] = JSONValue(UInt64(dispute.timeout))
                        }
                        if let payouts = record.payouts {
                            chain["payouts"] = .array(payouts.map { JSONValue(UInt64($0)) })
                            chain["withdrawn"] = .array(record.withdrawn.map { .bool($0) })
                        }
                        object["onChain"] = .object(chain)
                    }
                    list.append(.object(object))
                }
                if let channel, list.isEmpty { throw CommandFailure("no channel \(channel) in \(data.directory.path)") }
                printResult(.array(list))
            }
        }
    }

    // MARK: - Helpers

    /// The signer's key as the channel key (the account that deposits is the participant).
    static func unlock(_ signer: TxCommand.Signer) throws -> Ed25519.PrivateKey {
        let unlocked = try signer.store.keystore.unlock(
            name: signer.key, password: try signer.password.read(confirm: false))
        guard case .ed25519(let secret) = unlocked else {
            throw CommandFailure("key '\(signer.key)' is not an Ed25519 key")
        }
        return secret
    }

    static func chainID(_ url: String) throws -> String {
        guard case .object(let status) = try RPCClient(url: url).call("getStatus"),
            let chainID = status["chainId"]?.stringValue
        else { throw CommandFailure("the node at \(url) did not report its chain id") }
        return chainID
    }

    static func height(_ url: String) throws -> UInt64 {
        guard case .object(let status) = try RPCClient(url: url).call("getStatus"),
            let height = status["height"]?.uint64Value
        else { throw CommandFailure("the node at \(url) did not report its height") }
        return height
    }

    /// The adjudicator's record of channel `id` (empty when it has none).
    static func record(_ url: String, _ id: Hash) throws -> ChannelRecord {
        var params = JSONObject()
        params["key"] = .string(Hex.encode(Array("\(Adjudicator.moduleName)/".utf8) + [0x01] + id.bytes))
        guard case .object(let proof) = try RPCClient(url: url).call("getProof", params) else {
            throw CommandFailure("the node's getProof answer is not an object")
        }
        guard proof["exists"]?.boolValue == true, let value = proof["value"]?.stringValue else { return .empty }
        return try Canonical.decode(ChannelRecord.self, from: try Hex.decode(value))
    }

    /// Why the chain does not back `state` (nil when its deposits cover the allocation).
    static func fundingProblem(_ url: String, chainID: String, state: ChannelState) -> String? {
        do {
            let record = try record(url, state.channelID)
            let held = record.holdings.reduce(0, +)
            guard record.payouts == nil, record.dispute == nil else { return "the channel is in dispute or concluded" }
            guard let total = state.allocation.total, held >= total else {
                return "the channel holds \(held) on chain, its state allocates \(state.allocation.total ?? .max)"
            }
            return nil
        } catch {
            return "could not read the channel's record: \(error)"
        }
    }

    /// Sends `messages` and waits until the transaction is committed; returns its hash.
    static func sendAndWait(_ signer: TxCommand.Signer, _ messages: [Message]) throws -> String {
        guard case .object(let sent) = try signer.send(messages), let hash = sent["hash"]?.stringValue else {
            throw CommandFailure("the node did not accept the transaction")
        }
        let client = try signer.rpc.client()
        var params = JSONObject()
        params["hash"] = .string(hash)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if case .object(let answer) = try client.call("getTxReceipt", params),
                answer["status"]?.stringValue == "committed"
            {
                if case .object(let receipt)? = answer["receipt"], case .bool(false)? = receipt["success"] {
                    throw CommandFailure(
                        "transaction \(hash) failed: \(JSONWriter.encode(.object(receipt)).stringValue)")
                }
                return hash
            }
            Thread.sleep(forTimeInterval: 0.25)
        }
        throw CommandFailure("transaction \(hash) was not committed within 60 s")
    }

    static func waitConnected(_ network: ChannelNetwork, _ peer: PeerKey, seconds: Double = 10) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1_000))
        while !network.isConnected(peer) {
            guard ContinuousClock.now < deadline else { throw CommandFailure("could not reach \(peer)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Every channel in the store.
    static func channels(in rocks: RocksDBStore) throws -> [(ChannelParameters, SignedState)] {
        let store = ChannelStateStore(store: rocks)
        return try rocks.entries(column: ChannelStateStore.column).compactMap { entry in
            guard let id = try? Hash(entry.key) else { return nil }
            return try store.load(id).map { ($0.parameters, $0.latest) }
        }
    }

    /// Tokens from a shell command: the request on its standard input, one token per word of its
    /// standard output (each with the whitespace that follows it), as the command prints them.
    static func commandSource(_ command: String) -> @Sendable (MeterRequest) -> AsyncStream<[UInt8]> {
        { request in
            AsyncStream { continuation in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                let input = Pipe()
                let output = Pipe()
                process.standardInput = input
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                do { try process.run() } catch {
                    continuation.finish()
                    return
                }
                try? input.fileHandleForWriting.write(contentsOf: Data(request.request))
                try? input.fileHandleForWriting.close()
                let reading = output.fileHandleForReading
                continuation.onTermination = { _ in if process.isRunning { process.terminate() } }
                Thread.detachNewThread {
                    var word: [UInt8] = []
                    while true {
                        let chunk = reading.availableData
                        if chunk.isEmpty { break }
                        for byte in chunk {
                            let space = byte == 0x20 || byte == 0x0a || byte == 0x09 || byte == 0x0d
                            if space, !word.isEmpty,
                                !(word.last.map { $0 == 0x20 || $0 == 0x0a || $0 == 0x09 } ?? false)
                            {
                                word.append(byte)
                                continuation.yield(word)
                                word.removeAll()
                            } else {
                                word.append(byte)
                            }
                        }
                    }
                    if !word.isEmpty { continuation.yield(word) }
                    continuation.finish()
                    process.waitUntilExit()
                }
            }
        }
    }
}

/// `KEY@HOST:PORT` (the key as 64 hex digits).
func parsePeer(_ text: String) throws -> PeerAddress {
    let parts = text.split(separator: "@", maxSplits: 1)
    guard parts.count == 2, let colon = parts[1].lastIndex(of: ":"),
        let port = Int(parts[1][parts[1].index(after: colon)...])
    else { throw CommandFailure("expected KEY@HOST:PORT, got \(text)") }
    let key = try Ed25519.PublicKey(try Hex.decode(String(parts[0])))
    return PeerAddress(host: String(parts[1][..<colon]), port: port, key: key)
}

/// A line on standard output, written at once (a provider's log is often a file or a pipe).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
