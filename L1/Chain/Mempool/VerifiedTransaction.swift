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

    /// Decodes `encoded` and verifies its signature under `rule`, unless `isKnownValid` says these
    /// exact bytes verified before (a cache of verified ids: an id hashes the whole signed encoding).
    /// - Throws: `MempoolRejection.malformed` or `.invalidSignature`.
    public init(
        _ encoded: [UInt8], isKnownValid: (TransactionID) -> Bool = { _ in false }, rule: SignatureRule = .cofactorless
    ) throws(MempoolRejection) {
        let (signed, id) = try Self.decode(encoded)
        guard isKnownValid(id) || signed.isSignatureValid(rule: rule) else { throw .invalidSignature }
        self.init(encoded: encoded, signed: signed, id: id)
    }

    private init(encoded: [UInt8], signed: SignedTransaction, id: TransactionID) {
        self.encoded = encoded
        self.signed = signed
        self.id = id
    }

    private static func decode(_ encoded: [UInt8]) throws(MempoolRejection) -> (SignedTransaction, TransactionID) {
        do { return (try SignedTransaction.decode(encoded), TransactionID(encoded: encoded)) } catch {
            throw .malformed(error)
        }
    }

    /// The outcomes of `transactions` under the cofactored rule: every signature not known valid
    /// checked in one batch (`Ed25519Cofactored.verifyEach`, which checks them one by one when the
    /// batch fails, or when there are too few for a batch to pay).
    static func verifyBatch(_ transactions: [[UInt8]], isKnownValid: (TransactionID) -> Bool) -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: transactions.count)
        var unchecked: [(index: Int, transaction: VerifiedTransaction)] = []
        for (index, encoded) in transactions.enumerated() {
            do {
                let (signed, id) = try decode(encoded)
                let candidate = VerifiedTransaction(encoded: encoded, signed: signed, id: id)
                if isKnownValid(id) {
                    outcomes[index] = .success(candidate)
                } else {
                    unchecked.append((index, candidate))
                }
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        let verdicts = Ed25519Cofactored.verifyEach(unchecked.map(\.transaction.signed.signatureItem))
        for (entry, valid) in zip(unchecked, verdicts) {
            outcomes[entry.index] = valid ? .success(entry.transaction) : .failure(.invalidSignature)
        }
        return outcomes.map { $0! }
    }

    /// The outcome of verifying one transaction.
    public typealias Outcome = Result<VerifiedTransaction, MempoolRejection>

    /// Verifies `transactions` under `rule`, spreading the work over `lanes` concurrent tasks (under
    /// the cofactored rule each lane checks its share as one batch); the outcomes come back in the
    /// order of the input. Signatures `isKnownValid` accepts are not verified again.
    public static func verify(
        _ transactions: [[UInt8]], lanes: Int,
        isKnownValid: @escaping @Sendable (TransactionID) -> Bool = { _ in false }, rule: SignatureRule = .cofactorless
    ) async -> [Outcome] {
        let check = { @Sendable (chunk: [[UInt8]]) -> [Outcome] in
            guard rule == .cofactorless else { return verifyBatch(chunk, isKnownValid: isKnownValid) }
            return chunk.map { encoded in
                Result { () throws(MempoolRejection) in try VerifiedTransaction(encoded, isKnownValid: isKnownValid) }
            }
        }
        let lanes = max(1, min(lanes, transactions.count))
        guard lanes > 1 else { return check(transactions) }
        let chunk = (transactions.count + lanes - 1) / lanes
        return await withTaskGroup(of: (Int, [Outcome]).self) { group in
            for lane in 0..<lanes {
                let slice = Array(transactions[(lane * chunk)..<min((lane + 1) * chunk, transactions.count)])
                guard !slice.isEmpty else { continue }
                group.addTask { (lane, check(slice)) }
            }
            var parts = [[Outcome]](repeating: [], count: lanes)
            for await (lane, outcomes) in group { parts[lane] = outcomes }
            return parts.flatMap { $0 }
        }
    }
}
