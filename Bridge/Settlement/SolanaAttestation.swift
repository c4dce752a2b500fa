public import Primitives

/// The committee's Ed25519 attestation of a batch for a Solana cluster (Docs/spec/settlement.md,
/// "Solana"): each member signs
///
///     "aether.settlement.solana.v1" ‖ genesisHash (32) ‖ batchId (8, big-endian) ‖ root (32)
///
/// The genesis hash names the cluster, so an attestation for devnet does not pay on mainnet.
public enum SolanaAttestation {
    public static let tag = Array("aether.settlement.solana.v1".utf8)

    /// One member's signature.
    public struct Signature: Sendable, Hashable {
        public let key: Ed25519.PublicKey
        public let signature: Ed25519.Signature

        public init(key: Ed25519.PublicKey, signature: Ed25519.Signature) {
            self.key = key
            self.signature = signature
        }
    }

    /// The signed message.
    public static func message(genesisHash: [UInt8], batchId: UInt64, root: Hash) -> [UInt8] {
        tag + genesisHash + withUnsafeBytes(of: batchId.bigEndian) { Array($0) } + root.bytes
    }

    public static func sign(genesisHash: [UInt8], batch: SettlementBatch, key: Ed25519.PrivateKey) -> Signature {
        Signature(
            key: key.publicKey,
            signature: key.sign(message(genesisHash: genesisHash, batchId: batch.batchId, root: batch.root)))
    }

    /// Checks `signatures` as a quorum of `committee` for `batch` on the cluster `genesisHash`:
    /// each valid, by a member, no member twice, weights reaching the threshold. Returns the
    /// signatures in ascending key order (the order they go on chain).
    /// - Throws: `SettlementError` naming the first rule broken.
    public static func verifyQuorum(
        _ signatures: [Signature], genesisHash: [UInt8], batch: SettlementBatch, committee: Committee
    ) throws(SettlementError) -> [Signature] {
        let signed = message(genesisHash: genesisHash, batchId: batch.batchId, root: batch.root)
        let sorted = signatures.sorted { $0.key < $1.key }
        var weight: UInt64 = 0
        for (position, entry) in sorted.enumerated() {
            if position > 0 && sorted[position - 1].key == entry.key { throw .signersNotAscending(position: position) }
            guard entry.key.isValidSignature(entry.signature, for: signed) else {
                throw .badSignature(position: position, reason: "the Ed25519 signature of \(entry.key) does not verify")
            }
            guard let member = committee.members.first(where: { $0.ed25519Key == entry.key }) else {
                throw .notAMember(description: "\(entry.key)")
            }
            weight += member.weight
        }
        guard weight >= committee.threshold else {
            throw .belowThreshold(weight: weight, threshold: committee.threshold)
        }
        return sorted
    }
}
