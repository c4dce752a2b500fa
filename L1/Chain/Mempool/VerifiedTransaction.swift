public import Primitives

/// A signed transaction whose bytes decoded and whose signature verified, checked where it was
/// made: the type is the proof that the expensive check is done.
///
/// Verifying an Ed25519 signature costs about as much as everything else the mempool does to a
/// transaction together, and the mempool belongs to one thread (the node's actor), where consensus
/// runs too. A node verifies incoming transactions on other threads, in parallel, and hands the
/// mempool `VerifiedTransaction`s, so a burst of transactions cannot hold up a vote.
public struct VerifiedTransaction: Sendable {
    /// The canonical encoding, as received.
    public let encoded: [UInt8]
    /// The decoded transaction.
    public let signed: SignedTransaction
    /// The id (SHA-256 of `encoded`).
    public let id: TransactionID

    /// Decodes `encoded` and verifies its signature, unless `isKnownValid` says these exact bytes
    /// verified before (a cache of verified ids: an id hashes the whole signed encoding).
    /// - Throws: `MempoolRejection.malformed` or `.invalidSignature`.
    public init(_ encoded: [UInt8], isKnownValid: (TransactionID) -> Bool = { _ in false }) throws(MempoolRejection) {
        let signed: SignedTransaction
        do { signed = try SignedTransaction.decode(encoded) } catch { throw .malformed(error) }
        let id = TransactionID(encoded: encoded)
        guard isKnownValid(id) || signed.isSignatureValid else { throw .invalidSignature }
        self.encoded = encoded
        self.signed = signed
        self.id = id
    }

    /// The outcome of verifying one transaction.
    public typealias Outcome = Result<VerifiedTransaction, MempoolRejection>

    /// Verifies `transactions`, spreading the work over `lanes` concurrent tasks; the outcomes come
    /// back in the order of the input. Signatures `isKnownValid` accepts are not verified again.
    public static func verify(
        _ transactions: [[UInt8]], lanes: Int,
        isKnownValid: @escaping @Sendable (TransactionID) -> Bool = { _ in false }
    ) async -> [Outcome] {
        let check = { @Sendable (encoded: [UInt8]) -> Outcome in
            Result { () throws(MempoolRejection) in try VerifiedTransaction(encoded, isKnownValid: isKnownValid) }
        }
        let lanes = max(1, min(lanes, transactions.count))
        guard lanes > 1 else { return transactions.map(check) }
        let chunk = (transactions.count + lanes - 1) / lanes
        return await withTaskGroup(of: (Int, [Outcome]).self) { group in
            for lane in 0..<lanes {
                let slice = Array(transactions[(lane * chunk)..<min((lane + 1) * chunk, transactions.count)])
                guard !slice.isEmpty else { continue }
                group.addTask { (lane, slice.map(check)) }
            }
            var parts = [[Outcome]](repeating: [], count: lanes)
            for await (lane, outcomes) in group { parts[lane] = outcomes }
            return parts.flatMap { $0 }
        }
    }
}
