internal import BridgeRPC
internal import Foundation
public import Primitives
internal import RPC
public import Settlement
public import Solana
public import SolanaClient

/// Why a custody step failed.
public struct CustodyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "custody: \(reason)" }
}

/// A committee vault on a cluster and the relayer's pool of durable-nonce accounts
/// (Docs/spec/settlement.md, "Custody on Solana"), as `custody.json`:
///
///     {"multisig": "<base58>", "mint": "<base58>", "decimals": 6, "nonces": ["<base58>", …]}
public struct CustodyConfig: Sendable, Hashable {
    public let vault: SolanaVault
    public let nonces: [SolanaPublicKey]

    public init(vault: SolanaVault, nonces: [SolanaPublicKey]) {
        self.vault = vault
        self.nonces = nonces
    }

    public var json: [UInt8] {
        JSONWriter.encode([
            "multisig": .string(vault.multisig.base58), "mint": .string(vault.mint.base58),
            "decimals": JSONValue(UInt64(vault.decimals)), "nonces": .array(nonces.map { .string($0.base58) }),
        ])
    }

    /// - Throws: `CustodyError` naming the field.
    public init(json bytes: [UInt8]) throws(CustodyError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes) } catch { throw CustodyError("custody file is not JSON: \(error)") }
        guard let multisig = value["multisig"]?.stringValue, let mint = value["mint"]?.stringValue,
            let decimals = value["decimals"]?.uint64Value, decimals <= 18, let nonces = value["nonces"]?.arrayValue
        else { throw CustodyError("custody file needs multisig, mint, decimals and nonces") }
        do {
            vault = SolanaVault(
                multisig: try SolanaPublicKey(base58: multisig), mint: try SolanaPublicKey(base58: mint),
                decimals: UInt8(decimals))
            self.nonces = try nonces.map { entry throws(SolanaError) in
                try SolanaPublicKey(base58: entry.stringValue ?? "")
            }
        } catch {
            throw CustodyError("custody file: \(error)")
        }
    }
}

/// The chunks of some batches for the committee to sign and the relayer to send, passed from
/// member to member (`custody-chunks.json`):
///
///     {"relayer": "<base58>", "signers": ["<base58>", …],
///      "chunks": [{"batchId": "7", "index": 0, "marker": "<base58>", "message": "<base64>",
///                  "signatures": {"<signer base58>": "<hex>"}}]}
public struct CustodyChunks: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public let batchId: UInt64
        public let chunk: SolanaCustodyChunk
        public var signatures: [SolanaPublicKey: [UInt8]]

        public init(batchId: UInt64, chunk: SolanaCustodyChunk, signatures: [SolanaPublicKey: [UInt8]]) {
            self.batchId = batchId
            self.chunk = chunk
            self.signatures = signatures
        }
    }

    public let relayer: SolanaPublicKey
    public let signers: [SolanaPublicKey]
    public var entries: [Entry]

    public init(relayer: SolanaPublicKey, signers: [SolanaPublicKey], entries: [Entry]) {
        self.relayer = relayer
        self.signers = signers
        self.entries = entries
    }

    /// Plans the chunks of `batches` (their Solana payouts) with the nonces' current values, nonces
    /// taken in order across the batches.
    /// - Throws: `CustodyError` (a nonce account missing or not initialized, too few nonces) or the
    ///   plan's `SettlementError`.
    public static func prepare(
        batches: [SettlementBatch], config: CustodyConfig, signers: [SolanaPublicKey], relayer: SolanaPublicKey,
        client: SolanaRPCClient
    ) async throws -> CustodyChunks {
        var nonces: [SolanaNonce] = []
        for account in config.nonces {
            guard let data = try await client.account(account)?.data else {
                throw CustodyError("nonce account \(account) does not exist")
            }
            nonces.append(SolanaNonce(account: account, nonce: try NonceAccount(data: data).nonce))
        }
        let markerLamports = try await client.minimumBalanceForRentExemption(bytes: 0)
        var entries: [Entry] = []
        var used = 0
        for batch in batches where !batch.indices(of: .solana).isEmpty {
            let chunks = try SolanaCustodyPlan.chunks(
                batch: batch, relayer: relayer, vault: config.vault, signers: signers,
                nonces: Array(nonces.dropFirst(used)), markerLamports: markerLamports)
            used += chunks.count
            entries += chunks.map { Entry(batchId: batch.batchId, chunk: $0, signatures: [:]) }
        }
        return CustodyChunks(relayer: relayer, signers: signers, entries: entries)
    }

    /// Checks that every chunk pays exactly what its batch says (the plan rebuilt from the batch,
    /// the vault and each chunk's own nonce gives the same message), then adds `key`'s signature.
    /// - Throws: `CustodyError` when a chunk differs from the plan or `key` is not a signer.
    public mutating func sign(
        with key: Ed25519.PrivateKey, batches: [SettlementBatch], config: CustodyConfig, markerLamports: UInt64
    ) throws {
        let signer = SolanaPublicKey(key.publicKey)
        guard signer == relayer || signers.contains(signer) else {
            throw CustodyError("\(signer) is neither the relayer nor one of the chunks' signers")
        }
        try verify(batches: batches, config: config, markerLamports: markerLamports)
        for position in entries.indices {
            entries[position].signatures[signer] = key.sign(entries[position].chunk.message.serialized).bytes
        }
    }

    /// Rebuilds every chunk from its batch and compares.
    public func verify(batches: [SettlementBatch], config: CustodyConfig, markerLamports: UInt64) throws {
        let byId = Dictionary(batches.map { ($0.batchId, $0) }, uniquingKeysWith: { first, _ in first })
        for (batchId, group) in Dictionary(grouping: entries, by: \.batchId) {
            guard let batch = byId[batchId] else { throw CustodyError("batch \(batchId) is not in the batch file") }
            let ordered = group.sorted { $0.chunk.index < $1.chunk.index }
            let nonces = ordered.map(\.chunk.nonce)
            let planned = try SolanaCustodyPlan.chunks(
                batch: batch, relayer: relayer, vault: config.vault, signers: signers, nonces: nonces,
                markerLamports: markerLamports)
            guard planned == ordered.map(\.chunk) else {
                throw CustodyError("the chunks of batch \(batchId) do not pay what the batch says")
            }
        }
    }

    public var json: [UInt8] {
        JSONWriter.encode([
            "relayer": .string(relayer.base58), "signers": .array(signers.map { .string($0.base58) }),
            "chunks": .array(
                entries.map { entry in
                    var signatures = JSONObject()
                    for (key, signature) in entry.signatures { signatures[key.base58] = .string(Hex.encode(signature)) }
                    return [
                        "batchId": .string(String(entry.batchId)), "index": JSONValue(UInt64(entry.chunk.index)),
                        "payouts": .array(entry.chunk.payoutIndices.map { JSONValue(UInt64($0)) }),
                        "marker": .string(entry.chunk.marker.base58), "markerSeed": .string(entry.chunk.markerSeed),
                        "message": .string(Data(entry.chunk.message.serialized).base64EncodedString()),
                        "signatures": .object(signatures),
                    ]
                }),
        ])
    }

    /// - Throws: `CustodyError` naming the field.
    public init(json bytes: [UInt8]) throws {
        let value: JSONValue
        do { value = try JSONValue(parsing: bytes, limits: JSONLimits(maxBytes: 256 << 20, maxDepth: 16)) } catch {
            throw CustodyError("chunks file is not JSON: \(error)")
        }
        guard let relayer = value["relayer"]?.stringValue, let signers = value["signers"]?.arrayValue,
            let chunks = value["chunks"]?.arrayValue
        else { throw CustodyError("chunks file needs relayer, signers and chunks") }
        self.relayer = try SolanaPublicKey(base58: relayer)
        self.signers = try signers.map { entry in try SolanaPublicKey(base58: entry.stringValue ?? "") }
        entries = try chunks.enumerated().map { position, entry in
            guard let batchId = entry["batchId"]?.stringValue.flatMap(UInt64.init),
                let index = entry["index"]?.uint64Value, let payouts = entry["payouts"]?.arrayValue,
                let marker = entry["marker"]?.stringValue, let seed = entry["markerSeed"]?.stringValue,
                let encoded = entry["message"]?.stringValue, let bytes = Data(base64Encoded: encoded)
            else { throw CustodyError("chunk \(position): needs batchId, index, payouts, marker, markerSeed, message") }
            var offset = 0
            let message = try SolanaMessage.parse(Array(bytes), at: &offset)
            guard offset == bytes.count else {
                throw CustodyError("chunk \(position): trailing bytes after the message")
            }
            var signatures: [SolanaPublicKey: [UInt8]] = [:]
            if case .object(let object)? = entry["signatures"] {
                for key in object.keys {
                    signatures[try SolanaPublicKey(base58: key)] = try Hex.decode(object[key]?.stringValue ?? "")
                }
            }
            let chunk = SolanaCustodyChunk(
                index: Int(index), payoutIndices: payouts.compactMap { $0.uint64Value.map(Int.init) },
                marker: try SolanaPublicKey(base58: marker), markerSeed: seed, message: message)
            return Entry(batchId: batchId, chunk: chunk, signatures: signatures)
        }
    }
}

/// Setting up a vault and sending signed chunks.
public enum SolanaCustody {
    /// Creates an SPL Token multisig of `members` (`threshold` of them), the vault (its token
    /// account for `mint`) and `nonces` durable-nonce accounts whose authority is the relayer.
    public static func setup(
        client: SolanaRPCClient, relayer: Ed25519.PrivateKey, members: [SolanaPublicKey], threshold: UInt8,
        mint: SolanaPublicKey, decimals: UInt8, nonces count: Int
    ) async throws -> CustodyConfig {
        let payer = SolanaPublicKey(relayer.publicKey)
        let multisig = Ed25519.PrivateKey.generate()
        let multisigKey = SolanaPublicKey(multisig.publicKey)
        try await send(
            client, payer: relayer,
            [
                SystemProgram.createAccount(
                    from: payer, new: multisigKey,
                    lamports: try await client.minimumBalanceForRentExemption(bytes: Int(TokenProgram.multisigSize)),
                    space: TokenProgram.multisigSize, owner: .tokenProgram),
                try TokenProgram.initializeMultisig(multisig: multisigKey, m: threshold, signers: members),
                AssociatedTokenProgram.createIdempotent(payer: payer, wallet: multisigKey, mint: mint),
            ], extra: [multisig])
        let rent = try await client.minimumBalanceForRentExemption(bytes: Int(SystemProgram.nonceAccountSize))
        var accounts: [SolanaPublicKey] = []
        for _ in 0..<count {
            let nonce = Ed25519.PrivateKey.generate()
            let key = SolanaPublicKey(nonce.publicKey)
            try await send(
                client, payer: relayer,
                [
                    SystemProgram.createAccount(
                        from: payer, new: key, lamports: rent, space: SystemProgram.nonceAccountSize,
                        owner: .systemProgram),
                    SystemProgram.initializeNonce(account: key, authority: payer),
                ], extra: [nonce])
            accounts.append(key)
        }
        return CustodyConfig(
            vault: SolanaVault(multisig: multisigKey, mint: mint, decimals: decimals), nonces: accounts)
    }

    /// What happened to one chunk.
    public enum Outcome: Sendable, Hashable {
        /// Its marker already existed: it had paid before.
        case alreadyPaid
        /// Sent now and landed (its marker exists).
        case paid(transaction: String)
        /// It can never land: its nonce moved on without it paying (the committee must sign the
        /// payouts again against a fresh nonce).
        case stale(String)
        case failed(String)
    }

    /// Sends every chunk whose marker does not exist yet, signed by the relayer and the committee
    /// signatures in the file, and waits for each to land. Exactly once: a chunk pays when its
    /// marker is created, and a landed chunk's nonce has moved on.
    public static func send(_ chunks: CustodyChunks, client: SolanaRPCClient, relayer: Ed25519.PrivateKey) async
        -> [(batchId: UInt64, index: Int, outcome: Outcome)]
    {
        var results: [(UInt64, Int, Outcome)] = []
        for entry in chunks.entries {
            results.append((entry.batchId, entry.chunk.index, await send(entry, client: client, relayer: relayer)))
        }
        return results
    }

    /// Sends one chunk unless its marker exists, and waits up to `timeout` for it to land.
    public static func send(
        _ entry: CustodyChunks.Entry, client: SolanaRPCClient, relayer: Ed25519.PrivateKey,
        timeout: Duration = .seconds(30), poll: Duration = .milliseconds(250)
    ) async -> Outcome {
        do {
            if try await client.account(entry.chunk.marker) != nil { return .alreadyPaid }
            let nonce = entry.chunk.nonce
            guard let account = try await client.account(nonce.account) else {
                return .stale("nonce account \(nonce.account) does not exist")
            }
            guard try NonceAccount(data: account.data).nonce == nonce.nonce else {
                // The marker is checked again: the chunk may have landed between the two reads.
                if try await client.account(entry.chunk.marker) != nil { return .alreadyPaid }
                return .stale("the nonce of \(nonce.account) moved on without this chunk paying")
            }
            var signatures = entry.signatures
            signatures[SolanaPublicKey(relayer.publicKey)] = relayer.sign(entry.chunk.message.serialized).bytes
            let transaction = try entry.chunk.transaction(signatures: signatures)
            let id = try await client.sendTransaction(transaction)
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if try await client.account(entry.chunk.marker) != nil { return .paid(transaction: id) }
                try await Task.sleep(for: poll)
            }
            return .failed("transaction \(id) did not land within \(timeout)")
        } catch {
            return .failed("\(error)")
        }
    }

    static func send(
        _ client: SolanaRPCClient, payer: Ed25519.PrivateKey, _ instructions: [Instruction],
        extra: [Ed25519.PrivateKey]
    ) async throws {
        let blockhash = try await client.latestBlockhash(.confirmed)
        let message = try SolanaMessage.compile(
            payer: SolanaPublicKey(payer.publicKey), instructions: instructions, recentBlockhash: blockhash.hash)
        _ = try await client.sendTransaction(try SolanaTransaction(message: message, keys: [payer] + extra))
    }
}
