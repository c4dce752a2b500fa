import ArgumentParser
import EVM
import EVMClient
import Foundation
import Metrics
import Primitives
import Prometheus
import RPC
import Relayer
import RocksDBStorage
import Settlement
import Solana
import SolanaClient
import Storage

/// Where an EVM target is and who pays its gas: shared by the settlement commands.
struct EVMTargetOptions: ParsableArguments {
    @Option(name: .customLong("evm-rpc"), help: "The EVM chain's JSON-RPC URL.") var rpc: String
    @Option(name: .customLong("evm-chain-id"), help: "The chain id to sign for (checked against the node).")
    var chainId: UInt64
    @Option(name: .customLong("evm-key-file"), help: "A file holding the sender's secp256k1 key as hex.")
    var keyFile: String
    @Option(name: .customLong("confirmations"), help: "Blocks on top of a receipt before it counts.")
    var confirmations: UInt64 = 1

    func transactor() async throws -> EVMTransactor {
        let key = try readSecp256k1Key(path: keyFile)
        return try await EVMTransactor(
            client: EVMRPCClient(url: rpc), key: key, chainId: chainId,
            options: EVMTransactorOptions(confirmations: confirmations))
    }
}

/// A secp256k1 key stored as hex (64 digits, `0x` optional, surrounding whitespace ignored).
func readSecp256k1Key(path: String) throws -> Secp256k1.PrivateKey {
    let text = String(decoding: try readInput(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
    do { return try Secp256k1.PrivateKey(Hex.decode(digits, count: 32)) } catch {
        throw CommandFailure("\(path): not a secp256k1 key (64 hex digits): \(error)")
    }
}

/// An Ed25519 key stored as its 32-byte seed in hex.
func readEd25519Seed(path: String) throws -> Ed25519.PrivateKey {
    let text = String(decoding: try readInput(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
    do { return try Ed25519.PrivateKey(seed: Hex.decode(digits, count: 32)) } catch {
        throw CommandFailure("\(path): not an Ed25519 seed (64 hex digits): \(error)")
    }
}

/// A committee file: `{"epoch": 0, "threshold": 3, "members": [{"evm": "0x…", "ed25519": "<base58>", "weight": 1}]}`.
func readCommittee(path: String) throws -> Committee {
    let value = try JSONValue(parsing: try readInput(path))
    guard let entries = value["members"]?.arrayValue, let threshold = value["threshold"]?.uint64Value else {
        throw CommandFailure("\(path): a committee has \"members\" and \"threshold\"")
    }
    let members = try entries.enumerated().map { index, entry in
        guard let evm = entry["evm"]?.stringValue, let address = try? EthereumAddress(parsing: evm),
            let ed25519 = entry["ed25519"]?.stringValue, let bytes = try? Base58.decode(ed25519),
            let key = try? Ed25519.PublicKey(bytes), let weight = entry["weight"]?.uint64Value
        else { throw CommandFailure("\(path): member \(index) needs evm, ed25519 (base58) and weight") }
        return CommitteeMember(evmAddress: address, ed25519Key: key, weight: weight)
    }
    return try Committee(epoch: value["epoch"]?.uint64Value ?? 0, members: members, threshold: threshold)
}

func contractArgument(_ text: String) throws -> EthereumAddress {
    do { return try EthereumAddress(parsing: text) } catch { throw CommandFailure("--evm-contract: \(error)") }
}

/// `aether settle`: the relayer.
struct SettleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Settle attested batches on external chains, each exactly once per target.",
        discussion: """
            Reads attested batches from --source (a batch file, Docs/spec/settlement.md), and for each \
            batch and target reads the chain first, sends the committee's attestation when the batch is \
            not there yet, waits for --confirmations and records the progress in --state (RocksDB), so \
            a restart resumes without sending twice. Transient failures are retried until --deadline. \
            With --solana-custody, Solana payouts are SPL transfers from the committee's multisig vault, \
            sent as the chunks the committee signed ahead (--solana-custody-chunks): the relayer adds \
            only its fee-payer signature. Exits 1 when any batch is left unsettled or refused.
            """)
    @Option(help: "A batch file (JSON), or an L1 node's JSON-RPC URL (http://…) to settle the batches it attested.")
    var source: String
    @Flag(help: "With an L1 source: keep following it, settling each batch once it is attested.") var follow = false
    @Option(help: "With --follow: seconds between reads of the L1.") var interval: Double = 2
    @Option(name: .customLong("evm-rpc"), help: "An EVM chain's JSON-RPC URL (settles there when given).")
    var evmRPC: String?
    @Option(name: .customLong("evm-chain-id"), help: "The EVM chain id to sign for (checked against the node).")
    var evmChainId: UInt64?
    @Option(name: .customLong("evm-key-file"), help: "The EVM sender's secp256k1 key as hex.") var evmKeyFile: String?
    @Option(name: .customLong("evm-contract"), help: "The settlement contract's address.") var contract: String?
    @Option(name: .customLong("confirmations"), help: "EVM blocks on top of a receipt before it counts.")
    var confirmations: UInt64 = 1
    @Option(name: .customLong("solana-rpc"), help: "A Solana cluster's JSON-RPC URL (settles there when given).")
    var solanaRPC: String?
    @Option(name: .customLong("solana-key-file"), help: "The Solana payer's Ed25519 seed (32 bytes) as hex.")
    var solanaKeyFile: String?
    @Option(name: .customLong("solana-committee"), help: "The committee (JSON) whose attestations Solana payouts need.")
    var solanaCommittee: String?
    @Option(
        name: .customLong("solana-custody"),
        help: "The custody file (aether settlement custody setup): pay SPL payouts from the committee's vault.")
    var solanaCustody: String?
    @Option(
        name: .customLong("solana-custody-chunks"),
        help: "The chunks the committee signed ahead (custody prepare and sign), sent by this relayer.")
    var solanaCustodyChunks: String?
    @Option(help: "The relayer's progress store (a directory).") var state = "settlement-state"
    @Option(help: "Seconds to keep retrying transient failures.") var deadline: Int = 300
    @Option(
        name: .customLong("metrics-file"),
        help: "Write Prometheus metrics (aether_settlement_*) here when the run ends (textfile-collector format).")
    var metricsFile: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingErrors(json: output.json) {
            let l1 = source.hasPrefix("http://") || source.hasPrefix("https://")
            guard l1 || !follow else { throw CommandFailure("--follow needs an L1 node's URL as --source") }
            let registry = PrometheusCollectorRegistry()
            if metricsFile != nil { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
            defer {
                if let metricsFile {
                    _ = FileManager.default.createFile(atPath: metricsFile, contents: Data(registry.emitToBuffer()))
                }
            }
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            let store = try RocksDBStore(path: state, columns: [.default, RelayerStore.column])
            defer { store.close() }
            var targets: [any SettlementTarget] = []
            if let evmRPC {
                guard let evmChainId, let evmKeyFile, let contract else {
                    throw CommandFailure("--evm-rpc needs --evm-chain-id, --evm-key-file and --evm-contract")
                }
                let transactor = try await EVMTransactor(
                    client: EVMRPCClient(url: evmRPC), key: try readSecp256k1Key(path: evmKeyFile), chainId: evmChainId,
                    options: EVMTransactorOptions(confirmations: confirmations))
                targets.append(
                    EVMSettler(
                        deployment: EVMDeployment(chainId: evmChainId, contract: try contractArgument(contract)),
                        transactor: transactor, store: RelayerStore(store: store)))
            }
            if let solanaRPC, let solanaCustody {
                guard let solanaKeyFile, let solanaCustodyChunks else {
                    throw CommandFailure("--solana-custody needs --solana-key-file and --solana-custody-chunks")
                }
                guard solanaCommittee == nil else {
                    throw CommandFailure(
                        "--solana-custody pays from the vault with chunks the committee signed: drop --solana-committee"
                    )
                }
                targets.append(
                    try SolanaCustodySettler(
                        client: SolanaRPCClient(url: solanaRPC),
                        config: try CustodyConfig(json: try readInput(solanaCustody)),
                        chunks: try CustodyChunks(json: try readInput(solanaCustodyChunks)),
                        relayer: try readEd25519Seed(path: solanaKeyFile), store: RelayerStore(store: store)))
            } else if let solanaRPC {
                guard let solanaKeyFile, let solanaCommittee else {
                    throw CommandFailure("--solana-rpc needs --solana-key-file and --solana-committee")
                }
                targets.append(
                    try await SolanaSettler(
                        client: SolanaRPCClient(url: solanaRPC), payer: try readEd25519Seed(path: solanaKeyFile),
                        committee: try readCommittee(path: solanaCommittee), store: RelayerStore(store: store)))
            }
            guard !targets.isEmpty else { throw CommandFailure("give --evm-rpc, --solana-rpc or both") }
            let relayer = Relayer(targets: targets)
            let json = output.json
            let report: @Sendable (BatchStatus) -> Void = { status in
                if !json {
                    // Unbuffered: one line per batch as it happens, also into a pipe.
                    FileHandle.standardOutput.write(Data((status.line + "\n").utf8))
                }
            }
            var statuses: [BatchStatus] = []
            var waiting: [L1BatchSource.Pending] = []
            if l1 {
                let reader = L1BatchSource(client: try RPCClient(url: source))
                var finished = Set<UInt64>()
                repeat {
                    let snapshot: L1BatchSource.Snapshot
                    do { snapshot = try reader.read() } catch {
                        guard follow else { throw error }
                        FileHandle.standardError.write(Data("\(error); trying again\n".utf8))
                        try await Task.sleep(for: .seconds(interval))
                        continue
                    }
                    let fresh = snapshot.attested.filter { !finished.contains($0.batch.batchId) }
                    let pass = await relayer.run(fresh, deadline: .now + .seconds(deadline), report: report)
                    // A batch is done once no target is left to retry (settled, or refused for good).
                    for batch in fresh
                    where !pass.contains(where: {
                        if case .retry = $0.outcome { $0.batchId == batch.batch.batchId } else { false }
                    }) {
                        finished.insert(batch.batch.batchId)
                    }
                    statuses += pass
                    let newlyWaiting = snapshot.pending.filter { !waiting.contains($0) }
                    waiting = snapshot.pending
                    if !json {
                        for batch in newlyWaiting {
                            let line =
                                "batch \(batch.batchId): waiting for attestations "
                                + "(\(batch.stake) of \(batch.totalStake) stake; more than two thirds needed)\n"
                            FileHandle.standardOutput.write(Data(line.utf8))
                        }
                    }
                    if follow { try await Task.sleep(for: .seconds(interval)) }
                } while follow && !Task.isCancelled
            } else {
                statuses = await relayer.run(
                    try BatchFile.read(path: source), deadline: .now + .seconds(deadline), report: report)
            }
            let settled = statuses.filter { if case .settled = $0.outcome { true } else { false } }.count
            if json {
                var report = Report()
                report.add("batches", Set(statuses.map(\.batchId)).count)
                report.add("settled", settled)
                if l1 { report.add("waiting", waiting.map { String($0.batchId) }) }
                report.add(
                    "statuses",
                    statuses.map { status -> Report in
                        var entry = Report()
                        entry.add("batchId", String(status.batchId))
                        entry.add("target", status.target)
                        entry.add("status", status.line)
                        entry.add("attempts", status.attempts)
                        switch status.outcome {
                        case .settled(let transaction, let block, let gasUsed):
                            entry.add("outcome", "settled")
                            entry.add("block", block)
                            if let transaction { entry.add("transaction", transaction) }
                            if let gasUsed { entry.add("gasUsed", gasUsed) }
                        case .failed(let reason):
                            entry.add("outcome", "failed")
                            entry.add("reason", reason)
                        case .retry(let reason):
                            entry.add("outcome", "unsettled")
                            entry.add("reason", reason)
                        }
                        return entry
                    })
                report.print(json: true)
            } else {
                let waitingNote = l1 ? ", \(waiting.count) waiting for attestations" : ""
                print("\(settled) of \(statuses.count) settled\(waitingNote)")
            }
            if settled != statuses.count { throw ExitCode(1) }
        }
    }
}

/// `aether settlement`: operator tools around the settlement contract.
struct SettlementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settlement",
        abstract: "Deploy the EVM settlement contract, sign batch files, and claim payouts.",
        subcommands: [
            Deploy.self, Sign.self, Claim.self, CustodyCommand.self, RegisterSigner.self, Submit.self, Attest.self,
        ])

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deploy the settlement contract with a committee and print its address.")
        @OptionGroup var evm: EVMTargetOptions
        @Option(help: "The compiled contract (hex), e.g. Bridge/Contracts/build/BatchSettlement.bin.")
        var bytecode: String
        @Option(name: .customLong("member"), help: "A committee member as ADDRESS:WEIGHT (repeat).")
        var members: [String]
        @Option(help: "The quorum weight (default: just above two thirds of the total).") var threshold: UInt64?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors(json: output.json) {
                let code = try SettlementDeployer.bytecode(path: bytecode)
                var parsed: [(address: EthereumAddress, weight: UInt64)] = []
                for member in members {
                    let parts = member.split(separator: ":")
                    guard parts.count == 2, let weight = UInt64(parts[1]), weight > 0,
                        let address = try? EthereumAddress(parsing: String(parts[0]))
                    else { throw CommandFailure("--member \(member): expected ADDRESS:WEIGHT with a weight above 0") }
                    parsed.append((address, weight))
                }
                guard !members.isEmpty else { throw CommandFailure("give at least one --member") }
                let total = parsed.reduce(UInt64(0)) { $0 + $1.weight }
                let quorum = threshold ?? Committee.twoThirdsThreshold(totalWeight: total)
                let receipt = try await SettlementDeployer.deploy(
                    code, members: parsed, threshold: quorum, with: try await evm.transactor())
                guard let contract = receipt.contractAddress else {
                    throw CommandFailure("the receipt has no contract address")
                }
                var report = Report()
                report.add("contract", contract.checksummed)
                report.add("block", receipt.blockNumber)
                report.add("gasUsed", receipt.gasUsed)
                report.add("threshold", quorum)
                report.add("totalWeight", total)
                report.print(json: output.json)
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a batch file's batches for an EVM deployment with committee keys (development).",
            discussion: """
                On a network the L1 committee signs finalized batches; this command does the same with key \
                files at hand, for localnets and tests. Existing attestations for other targets are kept.
                """)
        @Option(help: "The batch file to sign.") var batches: String
        @Option(name: .customLong("key-file"), help: "A committee member's secp256k1 key file (repeat).")
        var keyFiles: [String] = []
        @Option(name: .customLong("evm-chain-id")) var chainId: UInt64?
        @Option(name: .customLong("evm-contract")) var contract: String?
        @Option(name: .customLong("solana-key-file"), help: "A committee member's Ed25519 seed file (repeat).")
        var solanaKeyFiles: [String] = []
        @Option(name: .customLong("solana-genesis"), help: "The Solana cluster's genesis hash (base58).")
        var solanaGenesis: String?
        @Option(name: .shortAndLong, help: "Where to write the signed file ('-' for standard output).") var out = "-"

        func run() throws {
            try reportingErrors(json: false) {
                var signed = try BatchFile.read(path: batches)
                guard !keyFiles.isEmpty || !solanaKeyFiles.isEmpty else {
                    throw CommandFailure("give --key-file (EVM) or --solana-key-file keys to sign with")
                }
                if !keyFiles.isEmpty {
                    guard let chainId, let contract else {
                        throw CommandFailure("EVM keys need --evm-chain-id and --evm-contract")
                    }
                    let keys = try keyFiles.map(readSecp256k1Key(path:))
                    let deployment = EVMDeployment(chainId: chainId, contract: try contractArgument(contract))
                    signed = signed.map { $0.signed(for: deployment, keys: keys) }
                }
                if !solanaKeyFiles.isEmpty {
                    guard let solanaGenesis, let genesis = try? Base58.decode(solanaGenesis), genesis.count == 32 else {
                        throw CommandFailure("Solana keys need --solana-genesis (32 bytes in base58)")
                    }
                    let keys = try solanaKeyFiles.map(readEd25519Seed(path:))
                    signed = signed.map { $0.signed(for: SolanaCluster(genesisHash: genesis), keys: keys) }
                }
                let bytes = BatchFile.encode(signed)
                if out == "-" {
                    print(String(decoding: bytes, as: UTF8.self))
                } else {
                    guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else {
                        throw CommandFailure("cannot write \(out)")
                    }
                }
            }
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Claim an EVM payout of a recorded batch (anyone may send it; the recipient is paid).")
        @OptionGroup var evm: EVMTargetOptions
        @Option(name: .customLong("evm-contract")) var contract: String
        @Option(help: "The batch file holding the batch.") var source: String
        @Option(help: "The batch id.") var batch: UInt64
        @Option(help: "The payout's index in the batch.") var index: Int
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors(json: output.json) {
                guard let attested = try BatchFile.read(path: source).first(where: { $0.batch.batchId == batch }) else {
                    throw CommandFailure("batch \(batch) is not in \(source)")
                }
                let data = try SettlementContract.claimCall(attested.batch, index: index)
                let transactor = try await evm.transactor()
                let receipt = try await transactor.send(to: try contractArgument(contract), data: data)
                var report = Report()
                report.add("transaction", "0x" + receipt.transactionHash.hex)
                report.add("block", receipt.blockNumber)
                report.add("gasUsed", receipt.gasUsed)
                report.add("recipient", attested.batch.payouts[index].evmRecipient?.checksummed ?? "")
                report.add("amount", attested.batch.payouts[index].amount.decimalDescription)
                report.print(json: output.json)
            }
        }
    }
}
