internal import EVM
internal import Primitives
public import Solana

/// A committee-held vault of one SPL token: the token account of an SPL Token multisig whose
/// signers are committee keys (Docs/spec/settlement.md, "Custody on Solana").
public struct SolanaVault: Sendable, Hashable {
    /// The SPL Token multisig that owns the vault (M of the committee's keys).
    public let multisig: SolanaPublicKey
    /// The token paid out.
    public let mint: SolanaPublicKey
    /// The mint's decimals (`TransferChecked` states them).
    public let decimals: UInt8

    public init(multisig: SolanaPublicKey, mint: SolanaPublicKey, decimals: UInt8) {
        self.multisig = multisig
        self.mint = mint
        self.decimals = decimals
    }

    /// The vault token account: the multisig's associated token account for the mint.
    public var account: SolanaPublicKey { .associatedTokenAddress(wallet: multisig, mint: mint) }
}

/// A durable-nonce account and the nonce it stores now: a chunk signed against it can land once,
/// at any later time.
public struct SolanaNonce: Sendable, Hashable {
    public let account: SolanaPublicKey
    public let nonce: [UInt8]

    public init(account: SolanaPublicKey, nonce: [UInt8]) {
        self.account = account
        self.nonce = nonce
    }
}

/// One chunk of a batch's SPL payouts, as the message the committee signs ahead of time.
public struct SolanaCustodyChunk: Sendable, Hashable {
    public let index: Int
    public let payoutIndices: [Int]
    public let marker: SolanaPublicKey
    public let markerSeed: String
    /// The message: its recent blockhash is the chunk's durable nonce.
    public let message: SolanaMessage

    public init(index: Int, payoutIndices: [Int], marker: SolanaPublicKey, markerSeed: String, message: SolanaMessage) {
        self.index = index
        self.payoutIndices = payoutIndices
        self.marker = marker
        self.markerSeed = markerSeed
        self.message = message
    }

    /// The keys whose signatures the transaction needs: the relayer (fee payer, nonce authority)
    /// first, then the committee signers, in the message's order.
    public var signers: [SolanaPublicKey] { Array(message.signers) }

    /// The durable nonce the chunk is signed against: the account its first instruction
    /// (`AdvanceNonceAccount`) advances, and the value in the message's blockhash field.
    public var nonce: SolanaNonce {
        let accountIndex = message.instructions.first?.accountIndices.first.map(Int.init) ?? 0
        return SolanaNonce(account: message.accountKeys[accountIndex], nonce: message.recentBlockhash)
    }

    /// The transaction from every signer's signature over `message.serialized`.
    /// - Throws: `SettlementError.badSignature` when one is missing or does not verify.
    public func transaction(signatures: [SolanaPublicKey: [UInt8]]) throws(SettlementError) -> SolanaTransaction {
        let bytes = message.serialized
        var ordered: [[UInt8]] = []
        for (position, key) in signers.enumerated() {
            guard let signature = signatures[key] else {
                throw .badSignature(position: position, reason: "chunk \(index) has no signature from \(key)")
            }
            guard let publicKey = try? Ed25519.PublicKey(key.bytes), let parsed = try? Ed25519.Signature(signature),
                publicKey.isValidSignature(parsed, for: bytes)
            else {
                throw .badSignature(
                    position: position, reason: "the signature of \(key) on chunk \(index) does not verify")
            }
            ordered.append(signature)
        }
        do {
            return try SolanaTransaction(signatures: ordered, message: message)
        } catch {
            throw .badSignature(position: 0, reason: "chunk \(index): \(error)")
        }
    }
}

/// How a batch's SPL-token payouts leave a committee-held vault without a custom program: each
/// chunk is one legacy transaction the committee signs ahead of time, carrying
///
/// 1. `AdvanceNonceAccount` of the chunk's nonce account (authority: the relayer), so the
///    transaction can land at any later time, and only once;
/// 2. a Memo `aether:custody batch=<id> chunk=<c> root=<hex>`;
/// 3. `CreateAccountWithSeed` of the chunk's marker (as in `SolanaSettlementPlan`): the chunk pays
///    once even if the committee ever signs it against two nonces;
/// 4. per payout, `CreateIdempotent` of the recipient's associated token account and
///    `TransferChecked` from the vault, owned by the multisig and signed by `signers` (M keys).
///
/// The relayer pays the fees and can only delay; M committee keys are needed to move the vault.
public enum SolanaCustodyPlan {
    /// Splits the batch's Solana payouts into chunks, one nonce each, that fit one transaction.
    /// - Parameters:
    ///   - relayer: the fee payer and the nonces' authority.
    ///   - signers: the M committee keys that will sign every chunk (the multisig's threshold).
    ///   - nonces: at least as many as there are chunks; used in order.
    /// - Throws: `SettlementError` when a payout is not in the vault's token, too few nonces are
    ///   given, or the signers leave no room for a payout.
    public static func chunks(
        batch: SettlementBatch, relayer: SolanaPublicKey, vault: SolanaVault, signers: [SolanaPublicKey],
        nonces: [SolanaNonce], markerLamports: UInt64
    ) throws(SettlementError) -> [SolanaCustodyChunk] {
        let indices = batch.indices(of: .solana)
        for index in indices where batch.payouts[index].asset != vault.mint.bytes {
            throw .invalidPayout(index: index, reason: "the payout is not in the vault's token \(vault.mint)")
        }
        guard !signers.isEmpty, signers.count <= TokenProgram.maxSigners else {
            throw .invalidCommittee("a vault transfer needs 1…\(TokenProgram.maxSigners) signers, got \(signers.count)")
        }
        var chunks: [SolanaCustodyChunk] = []
        var next = 0
        while next < indices.count {
            let chunk = chunks.count
            guard chunk < nonces.count else {
                throw .invalidCommittee("\(nonces.count) nonce accounts are too few for this batch's chunks")
            }
            let nonce = nonces[chunk]
            let seed = "aether:custody:\(batch.batchId):\(chunk)"
            let head = [
                SystemProgram.advanceNonce(account: nonce.account, authority: relayer),
                MemoProgram.memo("aether:custody batch=\(batch.batchId) chunk=\(chunk) root=\(batch.root.hex)"),
                SolanaSettlementPlan.createMarker(payer: relayer, seed: seed, lamports: markerLamports),
            ]
            var taken: [Int] = []
            var payouts: [Instruction] = []
            while next < indices.count {
                let payout = batch.payouts[indices[next]]
                let recipient = try! SolanaPublicKey(payout.recipient)
                let pair = [
                    AssociatedTokenProgram.createIdempotent(payer: relayer, wallet: recipient, mint: vault.mint),
                    TokenProgram.transferChecked(
                        source: vault.account, mint: vault.mint,
                        destination: .associatedTokenAddress(wallet: recipient, mint: vault.mint),
                        owner: vault.multisig, signers: signers, amount: payout.amount.exactUInt64!,
                        decimals: vault.decimals),
                ]
                guard fits(relayer: relayer, instructions: head + payouts + pair, nonce: nonce.nonce) else { break }
                payouts += pair
                taken.append(indices[next])
                next += 1
            }
            guard !taken.isEmpty else {
                throw .invalidCommittee("\(signers.count) signers leave no room for a payout in one transaction")
            }
            let message = try! SolanaMessage.compile(
                payer: relayer, instructions: head + payouts, recentBlockhash: nonce.nonce)
            chunks.append(
                SolanaCustodyChunk(
                    index: chunk, payoutIndices: taken,
                    marker: SolanaSettlementPlan.markerAddress(base: relayer, seed: seed), markerSeed: seed,
                    message: message))
        }
        return chunks
    }

    static func fits(relayer: SolanaPublicKey, instructions: [Instruction], nonce: [UInt8]) -> Bool {
        guard
            let message = try? SolanaMessage.compile(payer: relayer, instructions: instructions, recentBlockhash: nonce)
        else { return false }
        return 1 + 64 * Int(message.header.requiredSignatures) + message.serialized.count
            <= SolanaTransaction.maximumBytes
    }
}
