public import Primitives

/// A settlement batch: the payouts a source domain owes, committed to by one Merkle root that the
/// committee signs (Docs/spec/settlement.md).
public struct SettlementBatch: Sendable, Hashable {
    /// The most payouts in one batch: a proof then has at most 16 hashes.
    public static let maximumPayouts = 1 << 16

    /// Unique per source domain and target family; never reused.
    public let batchId: UInt64
    /// The app-chain that owes the payouts (0 is the L1).
    public let sourceDomain: UInt32
    /// The payouts, in order; a payout's index is its position.
    public let payouts: [Payout]
    /// The Merkle root of the payouts.
    public let root: Hash

    /// A batch; the root is computed here.
    /// - Throws: `SettlementError` for no payouts, too many, or a payout that breaks its kind's rules.
    public init(batchId: UInt64, sourceDomain: UInt32, payouts: [Payout]) throws(SettlementError) {
        guard (1...Self.maximumPayouts).contains(payouts.count) else { throw .payoutCount(payouts.count) }
        for (index, payout) in payouts.enumerated() {
            if let reason = payout.violation { throw .invalidPayout(index: index, reason: reason) }
        }
        self.batchId = batchId
        self.sourceDomain = sourceDomain
        self.payouts = payouts
        self.root = SettlementTree(batchId: batchId, payouts: payouts).root
    }

    /// The tree of this batch's payouts (for inclusion proofs).
    public var tree: SettlementTree { SettlementTree(batchId: batchId, payouts: payouts) }

    /// The indices of the payouts of `kind`, in order.
    public func indices(of kind: PayoutKind) -> [Int] {
        payouts.indices.filter { payouts[$0].kind == kind }
    }
}

extension SettlementBatch: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(batchId)
        encoder.write(sourceDomain)
        encoder.write(payouts)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        let batchId = try decoder.read(UInt64.self)
        let sourceDomain = try decoder.read(UInt32.self)
        let payouts = try decoder.readArray(of: Payout.self, maxCount: Self.maximumPayouts)
        do { try self.init(batchId: batchId, sourceDomain: sourceDomain, payouts: payouts) } catch {
            throw .invalidValue(offset: offset, reason: error.description)
        }
    }
}
