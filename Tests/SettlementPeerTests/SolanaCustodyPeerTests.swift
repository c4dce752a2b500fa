import BridgeRPC
import ChainPeers
import EVM
import Foundation
import Primitives
import Relayer
import Settlement
import Solana
import SolanaClient
import Testing

/// SPL payouts from a committee-held vault on a real SVM (LiteSVM behind JSON-RPC): an SPL Token
/// multisig of committee keys owns the vault; chunks signed ahead against durable nonces land once.
@Suite("Solana custody on a LiteSVM peer", .serialized)
struct SolanaCustodyPeerTests {
    static let relayer = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x66, count: 32))
    static let committee = (1...4).map {
        try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(0x70 + $0), count: 32))
    }
    static let decimals: UInt8 = 6

    struct Setup {
        let peer: PeerProcess
        let client: SolanaRPCClient
        let vault: SolanaVault
        let nonces: [SolanaPublicKey]
    }

    static var relayerKey: SolanaPublicKey { SolanaPublicKey(relayer.publicKey) }

    /// Sends a transaction of `instructions` signed by the relayer and `extra` keys.
    static func send(_ client: SolanaRPCClient, _ instructions: [Instruction], extra: [Ed25519.PrivateKey] = [])
        async throws
    {
        let blockhash = try await client.latestBlockhash(.confirmed)
        let message = try SolanaMessage.compile(
            payer: relayerKey, instructions: instructions, recentBlockhash: blockhash.hash)
        _ = try await client.sendTransaction(try SolanaTransaction(message: message, keys: [relayer] + extra))
    }

    /// A mint, a 3-of-4 multisig of the committee, its vault holding 1,000,000,000 base units, and
    /// `nonceCount` durable-nonce accounts whose authority is the relayer.
    static func start(nonceCount: Int) async throws -> Setup {
        let peer = try await PeerProcess.start(script: "solana_rpc_shim.py")
        let client = SolanaRPCClient(url: peer.url)
        _ = try await client.requestAirdrop(relayerKey, lamports: 1_000_000_000_000)
        let mint = Ed25519.PrivateKey.generate()
        let multisig = Ed25519.PrivateKey.generate()
        let mintKey = SolanaPublicKey(mint.publicKey)
        let multisigKey = SolanaPublicKey(multisig.publicKey)
        try await send(
            client,
            [
                SystemProgram.createAccount(
                    from: relayerKey, new: mintKey,
                    lamports: try await client.minimumBalanceForRentExemption(bytes: Int(TokenProgram.mintSize)),
                    space: TokenProgram.mintSize, owner: .tokenProgram),
                TokenProgram.initializeMint(mint: mintKey, decimals: decimals, authority: relayerKey),
                SystemProgram.createAccount(
                    from: relayerKey, new: multisigKey,
                    lamports: try await client.minimumBalanceForRentExemption(bytes: Int(TokenProgram.multisigSize)),
                    space: TokenProgram.multisigSize, owner: .tokenProgram),
                try TokenProgram.initializeMultisig(
                    multisig: multisigKey, m: 3, signers: committee.map { SolanaPublicKey($0.publicKey) }),
            ], extra: [mint, multisig])
        let vault = SolanaVault(multisig: multisigKey, mint: mintKey, decimals: decimals)
        try await send(
            client,
            [
                AssociatedTokenProgram.createIdempotent(payer: relayerKey, wallet: multisigKey, mint: mintKey),
                TokenProgram.mintTo(mint: mintKey, to: vault.account, authority: relayerKey, amount: 1_000_000_000),
            ])
        var nonces: [SolanaPublicKey] = []
        let nonceRent = try await client.minimumBalanceForRentExemption(bytes: Int(SystemProgram.nonceAccountSize))
        for _ in 0..<nonceCount {
            let nonce = Ed25519.PrivateKey.generate()
            let key = SolanaPublicKey(nonce.publicKey)
            try await send(
                client,
                [
                    SystemProgram.createAccount(
                        from: relayerKey, new: key, lamports: nonceRent, space: SystemProgram.nonceAccountSize,
                        owner: .systemProgram),
                    SystemProgram.initializeNonce(account: key, authority: relayerKey),
                ], extra: [nonce])
            nonces.append(key)
        }
        return Setup(peer: peer, client: client, vault: vault, nonces: nonces)
    }

    static func nonce(_ client: SolanaRPCClient, _ account: SolanaPublicKey) async throws -> SolanaNonce {
        let data = try #require(try await client.account(account)).data
        return SolanaNonce(account: account, nonce: try NonceAccount(data: data).nonce)
    }

    /// The token balance of an SPL token account (0 when it does not exist).
    static func tokens(_ client: SolanaRPCClient, _ account: SolanaPublicKey) async throws -> UInt64 {
        guard let data = try await client.account(account)?.data, data.count >= 72 else { return 0 }
        return data[64..<72].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Every signer's signature on each chunk: the committee's `signers` and the relayer.
    static func signed(_ chunk: SolanaCustodyChunk, by keys: [Ed25519.PrivateKey]) throws -> SolanaTransaction {
        let bytes = chunk.message.serialized
        var signatures: [SolanaPublicKey: [UInt8]] = [:]
        for key in keys + [relayer] { signatures[SolanaPublicKey(key.publicKey)] = key.sign(bytes).bytes }
        return try chunk.transaction(signatures: signatures)
    }

    @Test("ten SPL payouts leave the multisig vault in chunks signed ahead by 3 of 4; each lands once")
    func payFromVault() async throws {
        let setup = try await Self.start(nonceCount: 6)
        defer { setup.peer.stop() }
        var random = SeededRandom(seed: 77)
        var payouts = try (0..<10).map { _ in
            try Payout.solana(
                to: random.bytes(32), amount: 1_000 + random.next() % 100_000, mint: setup.vault.mint.bytes)
        }
        payouts.append(try Payout.evm(to: try EthereumAddress(random.bytes(20)), amount: 1))
        let batch = try SettlementBatch(batchId: 9, sourceDomain: 2, payouts: payouts)
        var nonces: [SolanaNonce] = []
        for account in setup.nonces { nonces.append(try await Self.nonce(setup.client, account)) }
        let signers = Array(Self.committee.prefix(3))
        let chunks = try SolanaCustodyPlan.chunks(
            batch: batch, relayer: Self.relayerKey, vault: setup.vault,
            signers: signers.map { SolanaPublicKey($0.publicKey) },
            nonces: nonces, markerLamports: try await setup.client.minimumBalanceForRentExemption(bytes: 0))
        // With the nonce advance, the memo naming the root, the marker and three committee
        // signatures, two payouts (an idempotent token-account creation and a checked transfer
        // each) fit one transaction; the chunks cover the batch's Solana payouts in order.
        #expect(chunks.map(\.payoutIndices.count) == [2, 2, 2, 2, 2])
        #expect(chunks.flatMap(\.payoutIndices) == batch.indices(of: .solana))
        // The committee signs every chunk now; the relayer sends them later.
        let transactions = try chunks.map { try Self.signed($0, by: signers) }
        // Time passes and other transactions land; a chunk's recent blockhash is its nonce, valid
        // whenever the relayer sends it (the peer checks it as a validator does).
        for _ in 0..<3 { try await Self.send(setup.client, [MemoProgram.memo("time passes")]) }
        let before = try await Self.tokens(setup.client, setup.vault.account)
        for transaction in transactions { _ = try await setup.client.sendTransaction(transaction) }
        var total: UInt64 = 0
        for index in batch.indices(of: .solana) {
            let payout = batch.payouts[index]
            let account = SolanaPublicKey.associatedTokenAddress(
                wallet: try SolanaPublicKey(payout.recipient), mint: setup.vault.mint)
            #expect(try await Self.tokens(setup.client, account) == payout.amount.exactUInt64!)
            total += payout.amount.exactUInt64!
        }
        #expect(try await Self.tokens(setup.client, setup.vault.account) == before - total)
        for chunk in chunks { #expect(try await setup.client.account(chunk.marker) != nil) }
        // Sent again, a chunk is refused: its nonce has moved on.
        await #expect(throws: JSONRPCClientError.self) { _ = try await setup.client.sendTransaction(transactions[0]) }
        #expect(try await Self.tokens(setup.client, setup.vault.account) == before - total)
    }

    @Test("two committee keys, the relayer alone, or a missing signature cannot move the vault")
    func vaultNeedsQuorum() async throws {
        let setup = try await Self.start(nonceCount: 2)
        defer { setup.peer.stop() }
        let batch = try SettlementBatch(
            batchId: 10, sourceDomain: 2,
            payouts: [
                try Payout.solana(to: [UInt8](repeating: 9, count: 32), amount: 500, mint: setup.vault.mint.bytes)
            ])
        let markerLamports = try await setup.client.minimumBalanceForRentExemption(bytes: 0)
        let before = try await Self.tokens(setup.client, setup.vault.account)
        // Two of four sign: the token program refuses (the multisig needs three).
        let two = Array(Self.committee.prefix(2))
        let short = try SolanaCustodyPlan.chunks(
            batch: batch, relayer: Self.relayerKey, vault: setup.vault,
            signers: two.map { SolanaPublicKey($0.publicKey) },
            nonces: [try await Self.nonce(setup.client, setup.nonces[0])], markerLamports: markerLamports)
        await #expect(throws: JSONRPCClientError.self) {
            _ = try await setup.client.sendTransaction(try Self.signed(short[0], by: two))
        }
        // The relayer names itself as the signer: it is not one of the multisig's keys.
        let alone = try SolanaCustodyPlan.chunks(
            batch: batch, relayer: Self.relayerKey, vault: setup.vault, signers: [Self.relayerKey],
            nonces: [try await Self.nonce(setup.client, setup.nonces[1])], markerLamports: markerLamports)
        await #expect(throws: JSONRPCClientError.self) {
            _ = try await setup.client.sendTransaction(try Self.signed(alone[0], by: []))
        }
        // A chunk missing a committee signature is refused before it is sent.
        let three = Array(Self.committee.prefix(3))
        let chunk = try SolanaCustodyPlan.chunks(
            batch: batch, relayer: Self.relayerKey, vault: setup.vault,
            signers: three.map { SolanaPublicKey($0.publicKey) },
            nonces: [try await Self.nonce(setup.client, setup.nonces[1])], markerLamports: markerLamports)[0]
        #expect(throws: SettlementError.self) { try Self.signed(chunk, by: Array(three.prefix(2))) }
        // A payout in another token is refused by the plan.
        let other = try SettlementBatch(
            batchId: 11, sourceDomain: 2,
            payouts: [
                try Payout.solana(
                    to: [UInt8](repeating: 9, count: 32), amount: 5, mint: [UInt8](repeating: 3, count: 32))
            ])
        #expect(throws: SettlementError.self) {
            try SolanaCustodyPlan.chunks(
                batch: other, relayer: Self.relayerKey, vault: setup.vault,
                signers: three.map { SolanaPublicKey($0.publicKey) },
                nonces: [], markerLamports: markerLamports)
        }
        #expect(try await Self.tokens(setup.client, setup.vault.account) == before)
    }

    /// Runs `aether` with `arguments` on a thread of its own; returns its status and output.
    static func aether(_ arguments: [String]) async throws -> (status: Int32, output: String, error: String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: RelayerCrashTests.aether)
                process.arguments = arguments
                let output = Pipe()
                let error = Pipe()
                process.standardOutput = output
                process.standardError = error
                do { try process.run() } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let out = output.fileHandleForReading.readDataToEndOfFile()
                let err = error.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(
                    returning: (
                        process.terminationStatus, String(decoding: out, as: UTF8.self),
                        String(decoding: err, as: UTF8.self)
                    ))
            }
        }
    }

    @Test(
        "aether settlement custody setup, prepare, sign by three members, aether settle: paid once; a tampered chunk is not signed"
    )
    func commandLine() async throws {
        let setup = try await Self.start(nonceCount: 0)
        defer { setup.peer.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "aether-custody-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func writeSeed(_ key: Ed25519.PrivateKey, _ name: String) throws {
            try Hex.encode(key.seed).write(toFile: file(name), atomically: true, encoding: .utf8)
        }
        try writeSeed(Self.relayer, "relayer.key")
        for (index, key) in Self.committee.enumerated() { try writeSeed(key, "member\(index).key") }
        let rpc = ["--solana-rpc", setup.peer.url]

        let created = try await Self.aether(
            ["settlement", "custody", "setup"] + rpc + ["--solana-key-file", file("relayer.key")]
                + Self.committee.flatMap { ["--member", SolanaPublicKey($0.publicKey).base58] } + [
                    "--threshold", "3", "--mint", setup.vault.mint.base58, "--decimals", "\(Self.decimals)",
                    "--nonces", "3", "-o", file("custody.json"),
                ])
        #expect(created.status == 0, "\(created.error)")
        let config = try CustodyConfig(json: Array(try Data(contentsOf: URL(fileURLWithPath: file("custody.json")))))
        #expect(config.nonces.count == 3)
        try await Self.send(
            setup.client,
            [
                TokenProgram.mintTo(
                    mint: setup.vault.mint, to: config.vault.account, authority: Self.relayerKey, amount: 50_000)
            ])

        var random = SeededRandom(seed: 78)
        let payouts = try (0..<4).map { _ in
            try Payout.solana(to: random.bytes(32), amount: 1_000 + random.next() % 5_000, mint: setup.vault.mint.bytes)
        }
        let batch = try SettlementBatch(batchId: 12, sourceDomain: 2, payouts: payouts)
        try Data(BatchFile.encode([AttestedBatch(batch: batch, evmSignatures: [:])])).write(
            to: URL(fileURLWithPath: file("batches.json")))
        let custody = rpc + ["--custody", file("custody.json")]
        let signers = Self.committee.prefix(3).flatMap { ["--signer", SolanaPublicKey($0.publicKey).base58] }
        let prepared = try await Self.aether(
            ["settlement", "custody", "prepare"] + custody + [
                "--batches", file("batches.json"), "--relayer",
                Self.relayerKey.base58,
            ] + signers + ["-o", file("chunks.json")])
        #expect(prepared.status == 0, "\(prepared.error)")

        // A chunks file whose amount was changed in transit: no member signs it.
        var tampered = try Data(contentsOf: URL(fileURLWithPath: file("chunks.json")))
        var parsed = try CustodyChunks(json: Array(tampered))
        let original = parsed.entries[0].chunk
        var bytes = original.message.serialized
        // The message ends with the last TransferChecked's data: 12, the amount (8 bytes), decimals.
        #expect(bytes[bytes.count - 10] == 12)
        bytes[bytes.count - 9] ^= 1
        var offset = 0
        parsed.entries[0] = CustodyChunks.Entry(
            batchId: parsed.entries[0].batchId,
            chunk: SolanaCustodyChunk(
                index: original.index, payoutIndices: original.payoutIndices, marker: original.marker,
                markerSeed: original.markerSeed, message: try SolanaMessage.parse(bytes, at: &offset)),
            signatures: [:])
        tampered = Data(parsed.json)
        try tampered.write(to: URL(fileURLWithPath: file("tampered.json")))
        let refused = try await Self.aether(
            ["settlement", "custody", "sign"] + custody + [
                "--batches", file("batches.json"), "--chunks",
                file("tampered.json"), "--key-file", file("member0.key"),
            ])
        #expect(refused.status != 0 && refused.error.contains("do not pay what the batch says"), "\(refused.error)")

        for member in 0..<3 {
            let signed = try await Self.aether(
                ["settlement", "custody", "sign"] + custody + [
                    "--batches", file("batches.json"), "--chunks",
                    file("chunks.json"), "--key-file", file("member\(member).key"),
                ])
            #expect(signed.status == 0, "\(signed.error)")
        }
        // The relayer settles the batch from the signed chunks, recording its progress.
        func settle(state: String) async throws -> (status: Int32, output: String, error: String) {
            try await Self.aether(
                ["settle", "--source", file("batches.json")] + rpc + [
                    "--solana-custody", file("custody.json"), "--solana-custody-chunks", file("chunks.json"),
                    "--solana-key-file", file("relayer.key"), "--state", file(state), "--deadline", "60",
                ])
        }
        let first = try await settle(state: "state")
        #expect(first.status == 0, "\(first.output) \(first.error)")
        #expect(
            first.output.contains("batch 12 solana-custody:\(config.vault.multisig): settled in block"),
            "\(first.output)")
        func paidExactlyOnce() async throws {
            for payout in payouts {
                let account = SolanaPublicKey.associatedTokenAddress(
                    wallet: try SolanaPublicKey(payout.recipient), mint: setup.vault.mint)
                #expect(try await Self.tokens(setup.client, account) == payout.amount.exactUInt64!)
            }
        }
        try await paidExactlyOnce()
        // Again from the same store, from a lost store, and by hand: nothing pays twice.
        let resumed = try await settle(state: "state")
        // The store answers: the same line as the first run, with no transaction sent.
        let firstLine = first.output.split(separator: "\n").first { $0.hasPrefix("batch 12 ") }
        #expect(resumed.status == 0 && firstLine != nil, "\(resumed.output)")
        #expect(resumed.output.split(separator: "\n").first { $0.hasPrefix("batch 12 ") } == firstLine)
        let lost = try await settle(state: "fresh-state")
        #expect(lost.status == 0 && lost.output.contains("(already on chain)"), "\(lost.output)")
        let send =
            ["settlement", "custody", "send"] + rpc + [
                "--chunks", file("chunks.json"), "--solana-key-file",
                file("relayer.key"),
            ]
        let again = try await Self.aether(send)
        #expect(again.status == 0 && !again.output.contains("paid in") && again.output.contains("already paid"))
        try await paidExactlyOnce()
    }
}
