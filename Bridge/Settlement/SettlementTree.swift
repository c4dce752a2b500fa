internal import EVM
public import Primitives

/// The Keccak-256 Merkle tree of a batch's payouts, in the form the EVM contract checks
/// (Docs/spec/settlement.md, "Merkle tree"): leaves prefixed `0x00`, inner nodes `0x01`, leaves
/// padded with zero hashes to a power of two.
public struct SettlementTree: Sendable {
    /// The levels from the leaves (level 0, padded) up to the root (a single hash).
    private let levels: [[Hash]]
    /// The number of real leaves.
    public let count: Int

    /// The tree of `payouts` of batch `batchId`.
    public init(batchId: UInt64, payouts: [Payout]) {
        precondition(!payouts.isEmpty, "a settlement tree has at least one payout")
        count = payouts.count
        var level = payouts.enumerated().map { index, payout in
            Self.leaf(batchId: batchId, index: UInt64(index), payout: payout)
        }
        let width = Self.paddedWidth(payouts.count)
        level.append(contentsOf: repeatElement(Hash.zero, count: width - level.count))
        var levels = [level]
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { Self.node(level[$0], level[$0 + 1]) }
            levels.append(level)
        }
        self.levels = levels
    }

    /// The root.
    public var root: Hash { levels[levels.count - 1][0] }

    /// The proof length: ceil(log2(count)).
    public var depth: Int { levels.count - 1 }

    /// The sibling hashes from leaf `index` up to the root.
    /// - Throws: `SettlementError.indexOutOfRange`.
    public func proof(for index: Int) throws(SettlementError) -> [Hash] {
        guard (0..<count).contains(index) else { throw .indexOutOfRange(index: index, count: count) }
        var position = index
        var siblings: [Hash] = []
        siblings.reserveCapacity(depth)
        for level in levels.dropLast() {
            siblings.append(level[position ^ 1])
            position >>= 1
        }
        return siblings
    }

    /// The leaf hash of payout `index` of batch `batchId`.
    public static func leaf(batchId: UInt64, index: UInt64, payout: Payout) -> Hash {
        var preimage: [UInt8] = [0x00]
        preimage.reserveCapacity(193)
        preimage += word(batchId)
        preimage += word(index)
        preimage += word(UInt64(payout.kind.rawValue))
        preimage += payout.recipient
        preimage += payout.asset
        preimage += payout.amount.bigEndianBytes
        return Hashing.keccak256(preimage)
    }

    /// The root a proof leads to from `leaf` at `index` (compare it with a recorded root).
    public static func root(fromLeaf leaf: Hash, index: Int, proof: [Hash]) -> Hash {
        var running = leaf
        var position = index
        for sibling in proof {
            running = position & 1 == 0 ? node(running, sibling) : node(sibling, running)
            position >>= 1
        }
        return running
    }

    /// True when `proof` shows payout `index` of `batchId` under `root`.
    public static func verify(
        root: Hash, batchId: UInt64, index: Int, payout: Payout, proof: [Hash]
    ) -> Bool {
        guard index >= 0, proof.count <= 16, index >> proof.count == 0 else { return false }
        return Self.root(
            fromLeaf: leaf(batchId: batchId, index: UInt64(index), payout: payout), index: index, proof: proof)
            == root
    }

    static func node(_ left: Hash, _ right: Hash) -> Hash {
        var preimage: [UInt8] = [0x01]
        preimage.reserveCapacity(65)
        preimage += left.bytes
        preimage += right.bytes
        return Hashing.keccak256(preimage)
    }

    /// The smallest power of two at least `count`.
    static func paddedWidth(_ count: Int) -> Int {
        var width = 1
        while width < count { width <<= 1 }
        return width
    }

    /// The 32-byte big-endian word of `value` (an ABI `uint256`).
    static func word(_ value: UInt64) -> [UInt8] {
        [UInt8](repeating: 0, count: 24) + withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
