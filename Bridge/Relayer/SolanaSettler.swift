public import BridgeRPC
public import Primitives
public import Settlement
public import Solana
public import SolanaClient

/// Settles batches' lamport payouts on one Solana cluster, exactly once per chunk
/// (Docs/spec/settlement.md, "Solana"): the chunk's marker account is the source of truth (it
/// exists exactly when the chunk has paid, and its creation makes a second execution fail), each
/// transaction id is persisted with its blockhash's expiry before it is sent, and a chunk is sent
/// again only after that expiry has passed without the chunk landing.
public struct SolanaSettler: Sendable {
    public let cluster: SolanaCluster
    public let client: SolanaRPCClient
    public let committee: Committee
    public let store: RelayerStore
    public var pollInterval: Duration = .milliseconds(200)
    /// How long to wait for one transaction to be confirmed before checking the chain again.
    public var confirmationTimeout: Duration = .seconds(90)
    private let payer: Ed25519.PrivateKey

    /// A settler paying from `payer` on the cluster behind `client`; reads the cluster's genesis hash.
    public init(client: SolanaRPCClient, payer: Ed25519.PrivateKey, committee: Committee, store: RelayerStore)
        async throws(JSONRPCClientError)
    {
        self.client = client
        self.payer = payer
        self.committee = committee
        self.store = store
        self.cluster = SolanaCluster(genesisHash: try await client.genesisHash())
    }

    public var targetName: String { cluster.description }
    public var payerKey: SolanaPublicKey { SolanaPublicKey(payer.publicKey) }

    /// Brings the batch's Solana payouts to paid, or says why not.
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
            guard let signatures = attested.solanaSignatures[cluster] else {
                return try fail(batch, "no attestation for \(cluster)")
            }
            let quorum: [SolanaAttestation.Signature]
            let chunks: [SolanaChunk]
            do {
                let verified = try SolanaAttestation.verifyQuorum(
                    signatures, genesisHash: cluster.genesisHash, batch: batch, committee: committee)
                quorum = smallestQuorum(verified)
                chunks = try SolanaSettlementPlan.chunks(
                    batch: batch, payer: payerKey, attestation: quorum, genesisHash: cluster.genesisHash,
                    markerLamports: try await client.minimumBalanceForRentExemption(bytes: 0))
            } catch let error as SettlementError {
                return try fail(batch, "attestation refused: \(error)")
            }
            var last: String?
            var fees: UInt64 = 0
            for chunk in chunks {
                switch try await settle(chunk, batch: batch) {
                case .paid(let id, let fee):
                    last = id ?? last
                    fees += fee
                case .refused(let reason):
                    return try fail(batch, "chunk \(chunk.index): \(reason)")
                case .retry(let reason):
                    return .retry("chunk \(chunk.index): \(reason)")
                }
            }
            let height = try await client.blockHeight(.confirmed)
            try store.record(.settled(transaction: last, block: height), target: targetName, batchId: batch.batchId)
            return .settled(transaction: last, block: height, gasUsed: fees)
        } catch let error as JSONRPCClientError {
            return .retry(error.description)
        } catch {
            return .retry("\(error)")
        }
    }

    /// The heaviest members first until the threshold, then in key order (fewer signatures leave
    /// more room for payouts).
    private func smallestQuorum(_ verified: [SolanaAttestation.Signature]) -> [SolanaAttestation.Signature] {
        let weights = Dictionary(uniqueKeysWithValues: committee.members.map { ($0.ed25519Key, $0.weight) })
        var chosen: [SolanaAttestation.Signature] = []
        var total: UInt64 = 0
        for entry in verified.sorted(by: { weights[$0.key]! > weights[$1.key]! }) where total < committee.threshold {
            chosen.append(entry)
            total += weights[entry.key]!
        }
        return chosen.sorted { $0.key < $1.key }
    }

    private enum ChunkResult {
        case paid(id: String?, fee: UInt64)
        case refused(String)
        case retry(String)
    }

    private func chunkTarget(_ chunk: SolanaChunk) -> String { "\(targetName)#\(chunk.index)" }

    private func settle(_ chunk: SolanaChunk, batch: SettlementBatch) async throws -> ChunkResult {
        let target = chunkTarget(chunk)
        let clock = ContinuousClock()
        let deadline = clock.now + confirmationTimeout
        while clock.now < deadline {
            var pending: (expiresAt: UInt64, latest: [UInt8])?
            var ids: [String] = []
            if case .submitted(let expiresAt, let sent, let latest) = try store.progress(
                target: target, batchId: batch.batchId)
            {
                ids = sent
                if !ids.isEmpty {
                    let statuses = try await client.signatureStatuses(ids)
                    if let landed = zip(ids, statuses).first(where: { $0.1 != nil }), let status = landed.1 {
                        if status.error == nil {
                            if let level = status.confirmation, level >= .confirmed {
                                let fee = try await client.transaction(landed.0)?.fee ?? 0
                                return .paid(id: landed.0, fee: fee)
                            }
                            try? await Task.sleep(for: pollInterval)
                            continue
                        }
                        // Failed on chain: paid by another transaction (the marker exists) or refused.
                        if try await client.account(chunk.marker, .confirmed) != nil { return .paid(id: nil, fee: 0) }
                        return .refused("transaction \(landed.0) failed: \(status.error!)")
                    }
                    pending = (expiresAt, latest)
                }
            }
            if try await client.account(chunk.marker, .confirmed) != nil { return .paid(id: nil, fee: 0) }
            if let pending, !pending.latest.isEmpty, try await client.blockHeight(.confirmed) <= pending.expiresAt {
                // It may still land: send the same signed bytes again (a no-op if the node has them).
                let transaction = try SolanaTransaction.parse(pending.latest)
                switch try await submit(transaction, chunk: chunk, batch: batch, ids: ids, expiresAt: pending.expiresAt)
                {
                case .some(let result): return result
                case .none:
                    try? await Task.sleep(for: pollInterval)
                    continue
                }
            }
            // Nothing pending, or expired without landing (it never will): a new transaction is safe.
            let blockhash = try await client.latestBlockhash(.confirmed)
            let message = try SolanaMessage.compile(
                payer: payerKey, instructions: chunk.instructions, recentBlockhash: blockhash.hash)
            let transaction = try SolanaTransaction(message: message, keys: [payer])
            try store.record(
                .submitted(
                    expiresAt: blockhash.lastValidBlockHeight, transactionIds: ids + [transaction.id],
                    latest: transaction.serialized),
                target: target, batchId: batch.batchId)
            if let result = try await submit(
                transaction, chunk: chunk, batch: batch, ids: ids + [transaction.id],
                expiresAt: blockhash.lastValidBlockHeight)
            {
                return result
            }
        }
        return .retry("not confirmed within \(confirmationTimeout)")
    }

    /// Sends `transaction`; nil to go on watching, or the chunk's result when the node refused it.
    private func submit(
        _ transaction: SolanaTransaction, chunk: SolanaChunk, batch: SettlementBatch, ids: [String], expiresAt: UInt64
    ) async throws -> ChunkResult? {
        do {
            _ = try await client.sendTransaction(transaction)
            return nil
        } catch {
            guard case .server(_, _, let message) = error else { throw error }
            // The marker exists or this very transaction landed: re-read.
            if message.contains("already in use") || message.contains("AlreadyProcessed") { return nil }
            // Refused by the node's preflight: it was not forwarded and cannot land.
            try store.record(
                .submitted(expiresAt: expiresAt, transactionIds: ids.filter { $0 != transaction.id }, latest: []),
                target: chunkTarget(chunk), batchId: batch.batchId)
            if message.lowercased().contains("blockhash not found") { return nil }
            return .retry(message)
        }
    }

    private func fail(_ batch: SettlementBatch, _ reason: String) throws -> SettlementOutcome {
        try store.record(.failed(reason), target: targetName, batchId: batch.batchId)
        return .failed(reason)
    }
}
