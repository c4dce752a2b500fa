/// An extended square with its commitments: every leaf node, the row and column roots and the data
/// root. It serves share proofs, namespace proofs and bad-encoding proofs.
///
/// Each leaf is hashed once and shared by its row tree and its column tree (a leaf's namespace
/// depends only on its position, so both trees see the same leaf), which halves the hashing.
public struct CommittedSquare: Sendable {
    /// The shares.
    public let square: ExtendedSquare
    /// The roots and the data root.
    public let header: DataAvailabilityHeader
    /// The leaf node of every share, row-major.
    let leaves: [NamespacedNode]

    /// Commits to `square`: hashes each share once, then builds the `2k` row and `2k` column trees.
    ///
    /// - Throws: `namespacesOutOfOrder` when a row or column of original shares is not sorted (a
    ///   badly built square has no valid commitment).
    public init(_ square: ExtendedSquare) throws(DataAvailabilityError) {
        let width = square.width
        let k = square.originalWidth
        let leaves = square.bytes.withUnsafeBytes { buffer in
            [NamespacedNode](unsafeUninitializedCapacity: width * width) { nodes, count in
                for row in 0..<width {
                    for column in 0..<width {
                        let share = buffer.baseAddress! + (row * width + column) * ShareFormat.shareSize
                        let namespace = ExtendedSquare.leafNamespace(
                            row: row, column: column, originalWidth: k, share: share)
                        (nodes.baseAddress! + row * width + column).initialize(
                            to: .leaf(namespace: namespace, share: share))
                    }
                }
                count = width * width
            }
        }
        var rowRoots: [NamespacedNode] = []
        var columnRoots: [NamespacedNode] = []
        rowRoots.reserveCapacity(width)
        columnRoots.reserveCapacity(width)
        var scratch = [NamespacedNode](repeating: leaves[0], count: width)
        for row in 0..<width {
            for column in 0..<width { scratch[column] = leaves[row * width + column] }
            rowRoots.append(try NamespacedMerkleTree.root(reducing: &scratch))
        }
        for column in 0..<width {
            for row in 0..<width { scratch[row] = leaves[row * width + column] }
            columnRoots.append(try NamespacedMerkleTree.root(reducing: &scratch))
        }
        self.square = square
        self.header = try DataAvailabilityHeader(rowRoots: rowRoots, columnRoots: columnRoots)
        self.leaves = leaves
    }

    /// The leaf nodes of row or column `index`.
    func leaves(_ axis: Axis, _ index: Int) -> [NamespacedNode] {
        let width = square.width
        return (0..<width).map { axis == .row ? leaves[index * width + $0] : leaves[$0 * width + index] }
    }

    /// The share at (`row`, `column`) with its proof against the row root.
    public func shareProof(row: Int, column: Int) throws(DataAvailabilityError) -> ShareProof {
        let share = try square.share(row: row, column: column)
        let proof = try NamespacedMerkleTree.proof(leaves(.row, row), range: column..<column + 1)
        return ShareProof(row: row, column: column, share: share, proof: proof)
    }
}
