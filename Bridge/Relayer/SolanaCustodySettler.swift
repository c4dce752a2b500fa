public import Primitives
public import Settlement
internal import Solana
public import SolanaClient

/// Settles batches' SPL payouts from a committee-multisig vault (Docs/spec/settlement.md, "Custody
/// on Solana"): the relayer sends the chunks the committee signed ahead against durable nonces
/// (`aether settlement custody prepare|sign`), adding only its fee-payer signature, so it can
/// delay payouts but never change or redirect them. Exactly once per chunk: the chunk's marker
/// account exists exactly when it has paid, and a landed chunk's nonce has moved on. A chunk whose
/// nonce moved on without it paying can never land: the batch fails and says so. Failures are not
/// recorded as final: each is fixed by a new chunks file (signed again), and the next run retries.
public struct SolanaCustodySettler: Sendable {
    public let client: SolanaRPCClient
    public let config: CustodyConfig
    public let chunks: CustodyChunks
    public let store: RelayerStore
    /// How long one chunk may take to land before the batch is retried.
    public var confirmationTimeout: Duration = .seconds(30)
    private let relayer: Ed25519.PrivateKey

    /// A settler for the vault in `config`, sending `chunks` as `relayer` (their fee payer).
    /// - Throws: `CustodyError` when the chunks name another relayer.
    public init(
        client: SolanaRPCClient, config: CustodyConfig, chunks: CustodyChunks, relayer: Ed25519.PrivateKey,
        store: RelayerStore
    ) throws(CustodyError) {
        guard chunks.relayer == SolanaPublicKey(relayer.publicKey) else {
            throw CustodyError("the chunks were prepared for relayer \(chunks.relayer), not this key")
        }
        self.client = client
        self.config = config
        self.chunks = chunks
        self.relayer = relayer
        self.store = store
    }

    public var targetName: String { "solana-custody:\(config.vault.multisig)" }

    /// Brings the batch's SPL payouts to paid, or says why not.
    public func settle(_ attested: AttestedBatch) async -> SettlementOutcome {
        let batch = attested.batch
        guard !batch.indices(of: .solana).isEmpty else { return .settled(transaction: nil, block: 0, gasUsed: nil) }
        do {
            switch try store.progress(target: targetName, batchId: batch.batchId) {
            case .settled(let transaction, let block):
                return .settled(transaction: transaction, block: block, gasUsed: nil)
            case .failed(let reason): return .failed(reason)
            case .sent, .submitted, nil: break
            }
            let entries = chunks.entries.filter { $0.batchId == batch.batchId }.sorted {
                $0.chunk.index < $1.chunk.index
            }
            guard !entries.isEmpty else {
                return .failed("no committee-signed chunks for this batch: run custody prepare and sign")
            }
            // The chunks must pay exactly what the attested batch says.
            do {
                try CustodyChunks(relayer: chunks.relayer, signers: chunks.signers, entries: entries).verify(
                    batches: [batch], config: config,
                    markerLamports: try await client.minimumBalanceForRentExemption(bytes: 0))
            } catch let error as CustodyError {
                return .failed("\(error)")
            }
            var last: String?
            for entry in entries {
                switch await SolanaCustody.send(entry, client: client, relayer: relayer, timeout: confirmationTimeout) {
                case .alreadyPaid: continue
                case .paid(let transaction): last = transaction
                case .stale(let reason): return .failed("chunk \(entry.chunk.index): \(reason)")
                case .failed(let reason): return .retry("chunk \(entry.chunk.index): \(reason)")
                }
            }
            let height = try await client.blockHeight(.confirmed)
            try store.record(.settled(transaction: last, block: height), target: targetName, batchId: batch.batchId)
            return .settled(transaction: last, block: height, gasUsed: nil)
        } catch {
            return .retry("\(error)")
        }
    }
}

extension SolanaCustodySettler: SettlementTarget {}
