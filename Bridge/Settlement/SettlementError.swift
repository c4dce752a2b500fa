/// Why a settlement batch, proof or attestation is refused.
public enum SettlementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A batch with no payouts, or more than `SettlementBatch.maximumPayouts`.
    case payoutCount(Int)
    /// Payout `index` breaks a rule of its kind (the reason says which).
    case invalidPayout(index: Int, reason: String)
    /// An inclusion proof for a payout index outside the batch.
    case indexOutOfRange(index: Int, count: Int)
    /// A proof whose length does not match the batch's tree depth.
    case proofLength(expected: Int, actual: Int)
    /// A committee with no members, too many, a repeated member, a zero weight or a bad threshold.
    case invalidCommittee(String)
    /// A signature that is malformed, has a high `s`, or does not recover.
    case badSignature(position: Int, reason: String)
    /// A signature by a key that is not in the committee (an address or an Ed25519 key).
    case notAMember(description: String)
    /// Signers not in strictly ascending address order (or a signer repeated).
    case signersNotAscending(position: Int)
    /// The signers' weights sum to less than the committee's threshold.
    case belowThreshold(weight: UInt64, threshold: UInt64)

    public var description: String {
        switch self {
        case .payoutCount(let count):
            "a batch has 1...\(SettlementBatch.maximumPayouts) payouts, not \(count)"
        case .invalidPayout(let index, let reason): "payout \(index): \(reason)"
        case .indexOutOfRange(let index, let count): "payout index \(index) is outside a batch of \(count)"
        case .proofLength(let expected, let actual):
            "an inclusion proof for this batch has \(expected) hashes, not \(actual)"
        case .invalidCommittee(let reason): "invalid committee: \(reason)"
        case .badSignature(let position, let reason): "signature \(position): \(reason)"
        case .notAMember(let signer): "signer \(signer) is not a member of the committee"
        case .signersNotAscending(let position):
            "signature \(position): signers must be in strictly ascending address order"
        case .belowThreshold(let weight, let threshold):
            "the signers hold weight \(weight), below the threshold \(threshold)"
        }
    }
}
