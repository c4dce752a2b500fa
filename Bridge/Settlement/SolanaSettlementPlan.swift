internal import EVM
internal import Primitives
public import Solana

/// One transaction's share of a batch's Solana payouts.
public struct SolanaChunk: Sendable, Hashable {
    /// The chunk's number within the batch (0-based).
    public let index: Int
    /// The batch indices of the payouts it pays.
    public let payoutIndices: [Int]
    /// The marker account the transaction creates: it exists exactly when the chunk has paid.
    public let marker: SolanaPublicKey
    public let markerSeed: String
    /// The instructions, in order: Ed25519 verification, memo, marker, transfers.
    public let instructions: [Instruction]
}

/// How a batch's lamport payouts go to a Solana cluster without a custom program
/// (Docs/spec/settlement.md, "Solana"): each chunk is one transaction carrying
///
/// 1. an Ed25519-program instruction verifying a quorum of the committee's signatures over the
///    batch attestation (the transaction fails if one does not verify),
/// 2. a Memo `aether:settle batch=<id> chunk=<c> root=<hex>`,
/// 3. `CreateAccountWithSeed` of the chunk's marker account (seed `aether:<id>:<c>`, base the
///    payer): a second execution of the chunk, even re-signed with another blockhash, fails on
///    the existing marker, so each chunk pays once,
/// 4. the transfers, as many as fit in 1,232 bytes.
public enum SolanaSettlementPlan {
    /// The seed of chunk `chunk` of batch `batchId` (at most 32 bytes).
    public static func markerSeed(batchId: UInt64, chunk: Int) -> String { "aether:\(batchId):\(chunk)" }

    /// `createWithSeed(base, seed, owner)`: SHA-256 of base ‖ seed ‖ owner.
    public static func markerAddress(base: SolanaPublicKey, seed: String, owner: SolanaPublicKey = .systemProgram)
        -> SolanaPublicKey
    {
        try! SolanaPublicKey(Hashing.sha256(base.bytes + Array(seed.utf8) + owner.bytes).bytes)
    }

    /// `SystemInstruction::CreateAccountWithSeed` (index 3) of a zero-byte, system-owned account.
    public static func createMarker(payer: SolanaPublicKey, seed: String, lamports: UInt64) -> Instruction {
        let marker = markerAddress(base: payer, seed: seed)
        var data = le(UInt32(3)) + payer.bytes + le(UInt64(seed.utf8.count)) + Array(seed.utf8)
        data += le(lamports) + le(UInt64(0)) + SolanaPublicKey.systemProgram.bytes
        return Instruction(
            programId: .systemProgram,
            accounts: [
                AccountMeta(payer, signer: true, writable: true), AccountMeta(marker, signer: false, writable: true),
                AccountMeta(payer, signer: true, writable: false),
            ],
            data: data)
    }

    /// Splits the batch's Solana payouts into chunks that each fit one transaction.
    /// - Parameters:
    ///   - attestation: a verified quorum (from `SolanaAttestation.verifyQuorum`), as few as reach it.
    ///   - markerLamports: the rent-exempt minimum of a zero-byte account.
    /// - Throws: `SettlementError` for payouts in SPL tokens (not supported yet) or an attestation
    ///   too large to leave room for a payout.
    public static func chunks(
        batch: SettlementBatch, payer: SolanaPublicKey, attestation: [SolanaAttestation.Signature],
        genesisHash: [UInt8],
        markerLamports: UInt64
    ) throws(SettlementError) -> [SolanaChunk] {
        let indices = batch.indices(of: .solana)
        for index in indices where !batch.payouts[index].isNativeAsset {
            throw .invalidPayout(
                index: index,
                reason: "SPL token payouts leave a committee vault: use `aether settlement custody` (SolanaCustodyPlan)"
            )
        }
        let message = SolanaAttestation.message(genesisHash: genesisHash, batchId: batch.batchId, root: batch.root)
        let verify = Ed25519Program.verify(
            attestation.map { .init(publicKey: $0.key.bytes, signature: $0.signature.bytes, message: message) })
        var chunks: [SolanaChunk] = []
        var next = 0
        while next < indices.count {
            let chunk = chunks.count
            let seed = markerSeed(batchId: batch.batchId, chunk: chunk)
            let head = [
                verify, MemoProgram.memo("aether:settle batch=\(batch.batchId) chunk=\(chunk) root=\(batch.root.hex)"),
                createMarker(payer: payer, seed: seed, lamports: markerLamports),
            ]
            var taken: [Int] = []
            var transfers: [Instruction] = []
            while next < indices.count {
                let payout = batch.payouts[indices[next]]
                let transfer = SystemProgram.transfer(
                    from: payer, to: try! SolanaPublicKey(payout.recipient), lamports: payout.amount.exactUInt64!)
                guard fits(payer: payer, instructions: head + transfers + [transfer]) else { break }
                transfers.append(transfer)
                taken.append(indices[next])
                next += 1
            }
            guard !taken.isEmpty else {
                throw .invalidCommittee("\(attestation.count) signatures leave no room for a payout in one transaction")
            }
            chunks.append(
                SolanaChunk(
                    index: chunk, payoutIndices: taken, marker: markerAddress(base: payer, seed: seed),
                    markerSeed: seed,
                    instructions: head + transfers))
        }
        return chunks
    }

    /// True when a transaction of `instructions` signed by `payer` alone fits the size limit.
    static func fits(payer: SolanaPublicKey, instructions: [Instruction]) -> Bool {
        guard
            let message = try? SolanaMessage.compile(
                payer: payer, instructions: instructions, recentBlockhash: [UInt8](repeating: 0, count: 32))
        else { return false }
        return 1 + 64 * Int(message.header.requiredSignatures) + message.serialized.count
            <= SolanaTransaction.maximumBytes
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
