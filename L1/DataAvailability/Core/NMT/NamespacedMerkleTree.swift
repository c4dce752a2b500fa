/// Namespaced Merkle trees over leaf nodes: roots and range proofs.
///
/// The shape is RFC 6962's (split at the largest power of two below the leaf count), the same as
/// `MerkleTree` in Primitives, so a row of `2k` leaves needs no padding for any `k`.
public enum NamespacedMerkleTree {
    /// The root over `leaves` (at least one), which must be sorted by namespace.
    public static func root(_ leaves: [NamespacedNode]) throws(DataAvailabilityError) -> NamespacedNode {
        guard !leaves.isEmpty else { throw .invalidProof("a namespaced tree needs at least one leaf") }
        var level = leaves
        return try root(reducing: &level)
    }

    /// The root over the nodes in `level`, reducing it in place (the buffer is scratch afterwards).
    static func root(reducing level: inout [NamespacedNode]) throws(DataAvailabilityError) -> NamespacedNode {
        // Pairing neighbours and promoting an unpaired last node level by level gives the RFC 6962 shape.
        var count = level.count
        while count > 1 {
            for pair in 0..<count / 2 {
                guard let parent = NamespacedNode.parent(level[2 * pair], level[2 * pair + 1]) else {
                    throw .namespacesOutOfOrder(index: 2 * pair + 1)
                }
                level[pair] = parent
            }
            if count % 2 == 1 { level[count / 2] = level[count - 1] }
            count = (count + 1) / 2
        }
        return level[0]
    }

    /// A proof of the leaves `range` among `leaves`: the roots of the subtrees left and right of it.
    public static func proof(_ leaves: [NamespacedNode], range: Range<Int>) throws(DataAvailabilityError)
        -> NamespaceRangeProof
    {
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound <= leaves.count else {
            throw .invalidProof("range \(range) is not inside 0..<\(leaves.count)")
        }
        var nodes: [NamespacedNode] = []
        func collect(_ span: Range<Int>) throws(DataAvailabilityError) {
            if span.upperBound <= range.lowerBound || span.lowerBound >= range.upperBound {
                nodes.append(try root(Array(leaves[span])))
                return
            }
            guard span.count > 1 else { return }
            let split = span.lowerBound + largestPowerOfTwo(below: span.count)
            try collect(span.lowerBound..<split)
            try collect(split..<span.upperBound)
        }
        try collect(0..<leaves.count)
        return NamespaceRangeProof(range: range, leafCount: leaves.count, nodes: nodes)
    }

    /// The largest power of two strictly below `count` (which is at least 2).
    static func largestPowerOfTwo(below count: Int) -> Int {
        var split = 1
        while split * 2 < count { split *= 2 }
        return split
    }
}
