import ArgumentParser
import Chain
import EVM
import Foundation
import Primitives
import RPC
import Relayer
import Settlement
import SettlementModule
import Solana

// `aether settlement register-signer|submit|attest`: the L1 side of settlement — validators'
// bridge keys, domains' batches and the committee's attestations (Docs/spec/settlement.md,
// "Batches from the L1").

extension SettlementCommand {
    struct RegisterSigner: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-signer",
            abstract: "Register your validator's bridge keys (secp256k1 for EVM, Ed25519 for Solana) on the L1.",
            discussion: "Both keys sign a proof of possession bound to the chain id and the operator address.")
        @Option(name: .customLong("evm-key-file"), help: "The validator's secp256k1 bridge key as hex.")
        var evmKeyFile: String
        @Option(name: .customLong("solana-key-file"), help: "The validator's Ed25519 bridge seed as hex.")
        var solanaKeyFile: String
        @OptionGroup var signer: TxCommand.Signer

        func run() throws {
            try reportingErrors(json: true) {
                let evmKey = try readSecp256k1Key(path: evmKeyFile)
                let ed25519Key = try readEd25519Seed(path: solanaKeyFile)
                printResult(
                    try signer.send { sender, chainId in
                        [
                            Message(
                                SettlementModule.RegisterSigner(
                                    chainId: chainId, operatorAddress: sender, evmKey: evmKey, ed25519Key: ed25519Key))
                        ]
                    })
            }
        }
    }

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a batch of a domain's payouts on the L1 (as a member of the domain's validator set).",
            discussion: """
                --payouts is a JSON file {"payouts": [...]} in the batch-file payout form (Docs/spec/settlement.md). \
                The L1 assigns the batch id and the domain's number; the receipt's events show both.
                """)
        @Option(help: "The domain (its chain id).") var domain: String
        @Option(help: "The payouts (JSON).") var payouts: String
        @OptionGroup var signer: TxCommand.Signer

        func run() throws {
            try reportingErrors(json: true) {
                let value = try JSONValue(parsing: try readInput(payouts))
                guard let entries = value["payouts"]?.arrayValue else {
                    throw CommandFailure("\(payouts): no \"payouts\" array")
                }
                var list: [Payout] = []
                for (index, entry) in entries.enumerated() {
                    list.append(try BatchFile.parsePayout(entry, label: "payout \(index)"))
                }
                printResult(try signer.send([Message(SettlementModule.SubmitBatch(domain: domain, payouts: list))]))
            }
        }
    }

    struct Attest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the L1's settlement batches with your validator's bridge keys and record the signatures.",
            discussion: """
                Reads every batch on the L1 and attests each one your validator has not yet signed for all \
                the given targets, one transaction per batch. With --follow it keeps watching for new batches.
                """)
        @Option(name: .customLong("evm-key-file"), help: "The validator's secp256k1 bridge key as hex.")
        var evmKeyFile: String?
        @Option(name: .customLong("evm-deployment"), help: "A settlement contract as CHAIN_ID:ADDRESS (repeat).")
        var deployments: [String] = []
        @Option(name: .customLong("solana-key-file"), help: "The validator's Ed25519 bridge seed as hex.")
        var solanaKeyFile: String?
        @Option(name: .customLong("solana-genesis"), help: "A Solana cluster's genesis hash in base58 (repeat).")
        var clusters: [String] = []
        @Flag(help: "Keep attesting new batches until stopped.") var follow = false
        @Option(help: "With --follow: seconds between reads of the L1.") var interval: Double = 2
        @OptionGroup var signer: TxCommand.Signer

        func run() throws {
            try reportingErrors(json: false) {
                let evmKey = try evmKeyFile.map(readSecp256k1Key(path:))
                let ed25519Key = try solanaKeyFile.map(readEd25519Seed(path:))
                let evm = try deployments.map { text -> EVMDeployment in
                    let parts = text.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, let chainId = UInt64(parts[0]) else {
                        throw CommandFailure("--evm-deployment \(text): expected CHAIN_ID:ADDRESS")
                    }
                    return EVMDeployment(chainId: chainId, contract: try contractArgument(String(parts[1])))
                }
                let solana = try clusters.map { text -> SolanaCluster in
                    guard let bytes = try? Base58.decode(text), bytes.count == 32 else {
                        throw CommandFailure("--solana-genesis \(text): expected 32 bytes in base58")
                    }
                    return SolanaCluster(genesisHash: bytes)
                }
                guard (evmKey != nil && !evm.isEmpty) || (ed25519Key != nil && !solana.isEmpty) else {
                    throw CommandFailure(
                        "give --evm-key-file with --evm-deployment, or --solana-key-file with --solana-genesis")
                }
                guard evmKey == nil || !evm.isEmpty, ed25519Key == nil || !solana.isEmpty else {
                    throw CommandFailure("each key file needs its targets (--evm-deployment, --solana-genesis)")
                }
                let operatorAddress = try signer.address()
                let source = L1BatchSource(client: try signer.rpc.client())
                var tried = Set<UInt64>()
                repeat {
                    for entry in try source.entries().entries {
                        let batch = entry.record.batch
                        let mine = entry.attestations.entries.first { $0.operatorAddress == operatorAddress }
                        let signed = Set(
                            mine?.evm.map { EVMDeployment(chainId: $0.chainId, contract: $0.contract) } ?? [])
                        let signedClusters = Set(
                            mine?.solana.map { SolanaCluster(genesisHash: $0.genesisHash) } ?? [])
                        guard !signed.isSuperset(of: evm) || !signedClusters.isSuperset(of: solana) else { continue }
                        guard tried.insert(batch.batchId).inserted else { continue }
                        // One attestation carries every target: it replaces this validator's earlier one.
                        let message = SettlementModule.Attest(
                            batch: batch, evmKey: evmKey,
                            deployments: Array(signed.union(evm)).sorted { "\($0)" < "\($1)" },
                            ed25519Key: ed25519Key,
                            clusters: Array(signedClusters.union(solana)).sorted { "\($0)" < "\($1)" })
                        let answer = try signer.send([Message(message)])
                        print("batch \(batch.batchId) (\(entry.record.domain)): attested: \(answer)")
                    }
                    if follow { Thread.sleep(forTimeInterval: interval) }
                } while follow
            }
        }
    }
}
