import ArgumentParser
import Chain
import ChainConfiguration
import Dispatch
import Foundation
import Logging
import Node
import Primitives

#if canImport(Glibc)
    import Glibc
#endif

/// `aether node`: create and run an L1 validator.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Create and run an Aether L1 validator node.",
        subcommands: [Init.self, Start.self, SnapshotCommand.self])

    struct HomeOption: ParsableArguments {
        @Option(help: "The node's home directory (config.toml, genesis.toml, keys/, data/).") var home: String

        var nodeHome: NodeHome { NodeHome(URL(fileURLWithPath: home)) }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a home: validator, VRF and operator keys, config.toml and a one-validator genesis.",
            discussion: "Pass --genesis to join an existing network instead (the validators list comes from it).")
        @OptionGroup var home: HomeOption
        @Option(help: "A name for logs and RPC.") var moniker = "validator-0"
        @Option(help: "The chain id of a new one-validator genesis.") var chainId = "aether-local-1"
        @Option(help: "Use this genesis.toml instead of making one.") var genesis: String?
        @Option(help: "P2P port.") var p2pPort = 26656
        @Option(help: "RPC port.") var rpcPort = 8645
        @Option(help: "Key-derivation cost: moderate or interactive.") var kdf: KDFStrength = .moderate
        @OptionGroup var password: PasswordOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors(json: output.json) {
                let nodeHome = home.nodeHome
                guard !FileManager.default.fileExists(atPath: nodeHome.configurationFile.path) else {
                    throw CommandFailure("\(nodeHome.configurationFile.path) exists: this home is already initialised")
                }
                var configuration = NodeConfiguration(moniker: moniker)
                configuration.p2pPort = p2pPort
                configuration.rpcPort = rpcPort
                let keys = try nodeHome.create(
                    configuration: configuration, password: try password.read(confirm: true), parameters: kdf.parameters
                )
                let chosen: Genesis
                if let genesis {
                    guard let data = FileManager.default.contents(atPath: genesis) else {
                        throw CommandFailure("cannot read \(genesis)")
                    }
                    chosen = try Genesis.load(bytes: Array(data), source: genesis)
                } else {
                    let plan = LocalnetPlan(count: 1, chainId: chainId, epochSlots: 43_200)
                    chosen = try plan.genesis(
                        validators: [keys], faucet: keys.operatorKey,
                        genesisTime: UInt64(Date().timeIntervalSince1970 * 1_000))
                }
                try nodeHome.write(genesis: chosen)
                var out = Report()
                out.add("home", nodeHome.url.path)
                out.add("chainId", chosen.chain.chainId)
                out.add("validatorKey", keys.validator.description)
                out.add("vrfKey", keys.vrf.description)
                out.add("operator", keys.operatorAddress.description)
                out.print(json: output.json)
            }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the node until Ctrl-C (SIGINT) or SIGTERM, then stop cleanly.")
        @OptionGroup var home: HomeOption
        @OptionGroup var password: PasswordOptions
        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

        func run() async throws {
            let nodeHome = home.nodeHome
            let node: ValidatorNode
            var faults: [any DispatchSourceSignal] = []
            do {
                let configuration = try nodeHome.configuration()
                let genesis = try nodeHome.genesis()
                let secret = try nodeHome.passwordFromFile(configuration) ?? password.read(confirm: false)
                let identity = try nodeHome.identity(configuration: configuration, password: secret)
                var logger = Logger(label: "aether.node")
                logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
                node = try ValidatorNode(
                    home: nodeHome.url, genesis: genesis, configuration: configuration, identity: identity,
                    logger: logger)
                try await node.start()
                if configuration.faultSignals { faults = Self.installFaultSignals(node) }
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode.failure
            }
            await Self.waitForSignal()
            for source in faults { source.cancel() }
            await node.stop()
        }

        /// Test-only fault injection (`testing.fault_signals`): SIGUSR1 isolates the node from its
        /// peers, SIGUSR2 heals it.
        static func installFaultSignals(_ node: ValidatorNode) -> [any DispatchSourceSignal] {
            [(SIGUSR1, true), (SIGUSR2, false)].map { signalNumber, isolating in
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    Task { if isolating { await node.isolate() } else { await node.heal() } }
                }
                source.resume()
                return source
            }
        }

        /// Suspends until SIGINT or SIGTERM.
        static func waitForSignal() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let once = SignalOnce(continuation)
                for signalNumber in [SIGINT, SIGTERM] {
                    signal(signalNumber, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                    source.setEventHandler { once.fire() }
                    source.resume()
                    once.keep(source)
                }
            }
        }
    }
}

/// Resumes a continuation the first time a signal arrives, and keeps the signal sources alive.
final class SignalOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) {
        lock.lock()
        sources.append(source)
        lock.unlock()
    }

    func fire() {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume()
    }
}
