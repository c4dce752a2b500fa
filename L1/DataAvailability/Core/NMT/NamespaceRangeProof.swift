import Primitives

/// A proof that consecutive leaves sit at `range` in a namespaced tree of `leafCount` leaves.
///
/// `nodes` are the roots of the maximal subtrees outside the range, left to right. Besides inclusion,
/// the proof can show completeness for a namespace: every subtree left of the range ends below it
/// and every subtree right of it starts above it, so no leaf of the namespace lies outside the range.
public struct NamespaceRangeProof: Hashable, Sendable {
    /// The leaves proved, as positions in the tree.
    public let range: Range<Int>
    /// Leaves in the tree.
    public let leafCount: Int
    /// Roots of the subtrees outside `range`, in left-to-right order.
    public let nodes: [NamespacedNode]

    /// A proof from its parts.
    public init(range: Range<Int>, leafCount: Int, nodes: [NamespacedNode]) {
        self.range = range
        self.leafCount = leafCount
        self.nodes = nodes
    }

    /// The root that `leaves` (one per position in `range`) and the proof's nodes lead to.
    public func root(leaves: [NamespacedNode]) throws(DataAvailabilityError) -> NamespacedNode {
        try walk(leaves: leaves, namespace: nil)
    }

    /// Checks that `leaves` lead to `expected` and, when `completeFor` is given, that no leaf of that
    /// namespace lies outside the range.
    public func verify(
        leaves: [NamespacedNode], root expected: NamespacedNode, completeFor namespace: Namespace? = nil
    ) throws(DataAvailabilityError) {
        let root = try walk(leaves: leaves, namespace: namespace)
        guard root == expected else {
            throw .rootMismatch("range \(range) leads to \(root.digest.hex), expected \(expected.digest.hex)")
        }
    }

    private func walk(leaves: [NamespacedNode], namespace: Namespace?) throws(DataAvailabilityError)
        -> NamespacedNode
    {
        guard leafCount > 0, leafCount <= 1 << 16, range.lowerBound >= 0, range.upperBound <= leafCount,
            !range.isEmpty
        else { throw .invalidProof("range \(range) is not inside a tree of \(leafCount) leaves") }
        guard leaves.count == range.count else {
            throw .invalidProof("\(leaves.count) leaves given for range \(range)")
        }
        var cursor = 0
        func node(_ span: Range<Int>) throws(DataAvailabilityError) -> NamespacedNode {
            if span.upperBound <= range.lowerBound || span.lowerBound >= range.upperBound {
                guard cursor < nodes.count else { throw .invalidProof("too few nodes for range \(range)") }
                let outside = nodes[cursor]
                cursor += 1
                if let namespace {
                    if span.upperBound <= range.lowerBound, outside.max >= namespace {
                        throw .incompleteNamespaceProof("leaves \(span) left of the range reach namespace \(namespace)")
                    }
                    if span.lowerBound >= range.upperBound, outside.min <= namespace {
                        throw .incompleteNamespaceProof(
                            "leaves \(span) right of the range reach namespace \(namespace)")
                    }
                }
                return outside
            }
            if span.count == 1 { return leaves[span.lowerBound - range.lowerBound] }
            let split = span.lowerBound + NamespacedMerkleTree.largestPowerOfTwo(below: span.count)
            let left = try node(span.lowerBound..<split)
            let right = try node(split..<span.upperBound)
            guard let parent = NamespacedNode.parent(left, right) else {
                throw .invalidProof("namespaces out of order at leaf \(split)")
            }
            return parent
        }
        let root = try node(0..<leafCount)
        guard cursor == nodes.count else {
            throw .invalidProof("\(nodes.count - cursor) extra nodes for range \(range)")
        }
        return root
    }
}
