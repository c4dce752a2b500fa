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

    /// Decodes `encoded` and verifies its signature.
    /// - Throws: `MempoolRejection.malformed` or `.invalidSignature`.
    public init(_ encoded: [UInt8]) throws(MempoolRejection) {
        let signed: SignedTransaction
        do { signed = try SignedTransaction.decode(encoded) } catch { throw .malformed(error) }
        guard signed.isSignatureValid else { throw .invalidSignature }
        self.encoded = encoded
        self.signed = signed
        self.id = TransactionID(encoded: encoded)
    }

    /// Verifies `transactions`, spreading the work over `lanes` concurrent tasks; the results come
    /// back in the order of the input.
    public static func verify(_ transactions: [[UInt8]], lanes: Int) async -> [Result<
        VerifiedTransaction, MempoolRejection
    >] {
        let lanes = max(1, min(lanes, transactions.count))
        guard lanes > 1 else {
            return transactions.map { encoded in
                Result { () throws(MempoolRejection) in try VerifiedTransaction(encoded) }
            }
        }
        let chunk = (transactions.count + lanes - 1) / lanes
        return await withTaskGroup(of: (Int, [Result<VerifiedTransaction, MempoolRejection>]).self) { group in
            for lane in 0..<lanes {
                let range = (lane * chunk)..<min((lane + 1) * chunk, transactions.count)
                guard !range.isEmpty else { continue }
                let slice = Array(transactions[range])
                group.addTask {
                    (
                        lane,
                        slice.map { encoded in
                            Result { () throws(MempoolRejection) in try VerifiedTransaction(encoded) }
                        }
                    )
                }
            }
            var parts = [[Result<VerifiedTransaction, MempoolRejection>]](repeating: [], count: lanes)
            for await (lane, results) in group { parts[lane] = results }
            return parts.flatMap { $0 }
        }
    }
}
