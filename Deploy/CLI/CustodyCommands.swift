import ArgumentParser
import Foundation
import Primitives
import Relayer
import Settlement
import Solana
import SolanaClient

/// `aether settlement custody …`: SPL payouts from a committee multisig vault, in chunks the
/// committee signs ahead against durable nonces (Docs/spec/settlement.md, "Custody on Solana").
struct CustodyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custody",
        abstract: "SPL payouts from a vault that only a committee quorum can move.",
        discussion: """
            `setup` creates the SPL Token multisig of the committee's keys, its vault for a mint and the \
            relayer's durable-nonce accounts. `prepare` plans a batch file's Solana payouts as chunks \
            against the nonces; each committee member runs `sign` on the chunks file (checking that every \
            chunk pays exactly what its batch says) and passes it on; the relayer runs `send`, which adds \
            its signature and sends each chunk not yet paid. A chunk lands once.
            """,
        subcommands: [Setup.self, Prepare.self, Sign.self, Send.self])

    struct Common: ParsableArguments {
        @Option(name: .customLong("solana-rpc"), help: "The cluster's JSON-RPC address.") var rpc: String
        @Option(help: "The custody file (written by setup).") var custody: String

        func config() throws -> CustodyConfig { try CustodyConfig(json: try readInput(custody)) }
    }

    struct Setup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the multisig, its vault and nonce accounts.")
        @Option(name: .customLong("solana-rpc")) var rpc: String
        @Option(name: .customLong("solana-key-file"), help: "The relayer's Ed25519 seed (fee payer, nonce authority).")
        var keyFile: String
        @Option(name: .customLong("member"), help: "A committee member's Ed25519 key in base58 (repeat, at most 11).")
        var members: [String]
        @Option(help: "Members needed to move the vault.") var threshold: UInt8
        @Option(help: "The SPL token's mint (base58).") var mint: String
        @Option(help: "The mint's decimals.") var decimals: UInt8
        @Option(help: "Durable-nonce accounts to create (one per chunk signed ahead).") var nonces = 8
        @Option(name: .shortAndLong, help: "Where to write the custody file ('-': standard output).") var out = "-"

        func run() async throws {
            try await reportingErrors(json: false) {
                let config = try await SolanaCustody.setup(
                    client: SolanaRPCClient(url: rpc), relayer: try readEd25519Seed(path: keyFile),
                    members: try members.map { try SolanaPublicKey(base58: $0) }, threshold: threshold,
                    mint: try SolanaPublicKey(base58: mint), decimals: decimals, nonces: nonces)
                try write(config.json, to: out)
            }
        }
    }

    struct Prepare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plan a batch file's Solana payouts as chunks to sign.")
        @OptionGroup var common: Common
        @Option(help: "The batch file.") var batches: String
        @Option(help: "The relayer's key (base58): fee payer and nonce authority.") var relayer: String
        @Option(
            name: .customLong("signer"),
            help: "A committee member who will sign (base58; repeat, as many as the threshold).")
        var signers: [String]
        @Option(name: .shortAndLong, help: "Where to write the chunks file ('-': standard output).") var out = "-"

        func run() async throws {
            try await reportingErrors(json: false) {
                let chunks = try await CustodyChunks.prepare(
                    batches: try BatchFile.read(path: batches).map(\.batch), config: try common.config(),
                    signers: try signers.map { try SolanaPublicKey(base58: $0) },
                    relayer: try SolanaPublicKey(base58: relayer), client: SolanaRPCClient(url: common.rpc))
                try write(chunks.json, to: out)
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a chunks file against its batches and add this member's signature to every chunk.")
        @OptionGroup var common: Common
        @Option(help: "The batch file.") var batches: String
        @Option(help: "The chunks file; rewritten with the signature added.") var chunks: String
        @Option(name: .customLong("key-file"), help: "This member's Ed25519 seed.") var keyFile: String

        func run() async throws {
            try await reportingErrors(json: false) {
                var file = try CustodyChunks(json: try readInput(chunks))
                let markerLamports = try await SolanaRPCClient(url: common.rpc).minimumBalanceForRentExemption(bytes: 0)
                try file.sign(
                    with: try readEd25519Seed(path: keyFile), batches: try BatchFile.read(path: batches).map(\.batch),
                    config: try common.config(), markerLamports: markerLamports)
                try write(file.json, to: chunks)
                FileHandle.standardError.write(Data("signed \(file.entries.count) chunks\n".utf8))
            }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send every signed chunk not yet paid, as the relayer; prints one line per chunk.")
        @Option(name: .customLong("solana-rpc")) var rpc: String
        @Option(help: "The signed chunks file.") var chunks: String
        @Option(name: .customLong("solana-key-file"), help: "The relayer's Ed25519 seed.") var keyFile: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors(json: output.json) {
                let file = try CustodyChunks(json: try readInput(chunks))
                let results = await SolanaCustody.send(
                    file, client: SolanaRPCClient(url: rpc), relayer: try readEd25519Seed(path: keyFile))
                var failed = 0
                for (batchId, index, outcome) in results {
                    let text: String
                    switch outcome {
                    case .alreadyPaid: text = "already paid"
                    case .paid(let transaction): text = "paid in \(transaction)"
                    case .stale(let reason):
                        text = "cannot land: \(reason); the committee must sign it again"
                        failed += 1
                    case .failed(let reason):
                        text = "failed: \(reason)"
                        failed += 1
                    }
                    print("batch \(batchId) chunk \(index): \(text)")
                }
                if failed > 0 { throw CommandFailure("\(failed) chunks did not land; run send again") }
            }
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes + [10]))
        } else {
            try Data(bytes + [10]).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}

private func write(_ bytes: [UInt8], to path: String) throws { try CustodyCommand.write(bytes, to: path) }
