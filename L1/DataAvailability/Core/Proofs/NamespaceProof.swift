/// All of one namespace's shares in a block, with proof that none were left out.
///
/// Shares are sorted by namespace, so a namespace's shares are consecutive in the original square
/// and span consecutive rows. For every original row whose root range covers the namespace, the
/// proof carries that row's shares of it with a range proof whose outside subtrees all end below or
/// start above the namespace (completeness). A covered row with no such shares carries an absence
/// proof instead: the leaf node of the first share above the namespace, at the position the
/// namespace would occupy. Rows whose range excludes the namespace need nothing: their roots say so.
public struct NamespaceProof: Hashable, Sendable {
    /// The proof for one row.
    public struct RowProof: Hashable, Sendable {
        /// The row of the extended square (an original row, `0..<k`).
        public let row: Int
        /// The namespace's shares in the row, in order (empty for an absence proof).
        public let shares: [[UInt8]]
        /// For an absence proof, the leaf node at `proof.range` (a share above the namespace).
        public let absenceLeaf: NamespacedNode?
        /// The range of the shares (or of the absence leaf) in the row's tree.
        public let proof: NamespaceRangeProof

        /// A row proof from its parts.
        public init(row: Int, shares: [[UInt8]], absenceLeaf: NamespacedNode?, proof: NamespaceRangeProof) {
            self.row = row
            self.shares = shares
            self.absenceLeaf = absenceLeaf
            self.proof = proof
        }
    }

    /// The namespace proven.
    public let namespace: Namespace
    /// One proof per original row whose root range covers the namespace, top to bottom.
    public let rows: [RowProof]

    /// A proof from its parts.
    public init(namespace: Namespace, rows: [RowProof]) {
        self.namespace = namespace
        self.rows = rows
    }

    /// Checks the proof against `header` and returns all the namespace's shares in square order
    /// (none when the block has no data under it).
    ///
    /// The caller checks `header` against the data root it trusts (`header.verify(dataRoot:)`).
    public func verify(header: DataAvailabilityHeader) throws(DataAvailabilityError) -> [[UInt8]] {
        guard !namespace.isReserved else { throw .reservedNamespace(namespace) }
        let covered = (0..<header.originalWidth).filter { header.rowRoots[$0].covers(namespace) }
        guard rows.map(\.row) == covered else {
            throw .incompleteNamespaceProof(
                "rows \(covered) may hold namespace \(namespace), the proof covers rows \(rows.map(\.row))")
        }
        var shares: [[UInt8]] = []
        for rowProof in rows {
            let leaves: [NamespacedNode]
            if let absenceLeaf = rowProof.absenceLeaf {
                guard rowProof.shares.isEmpty, rowProof.proof.range.count == 1, absenceLeaf.min > namespace,
                    absenceLeaf.min == absenceLeaf.max
                else {
                    throw .invalidProof("row \(rowProof.row): an absence proof names one leaf above \(namespace)")
                }
                leaves = [absenceLeaf]
            } else {
                guard rowProof.shares.count == rowProof.proof.range.count, !rowProof.shares.isEmpty,
                    rowProof.proof.range.upperBound <= header.originalWidth
                else { throw .invalidProof("row \(rowProof.row): shares do not match the proof's range") }
                leaves = try rowProof.shares.map { (share) throws(DataAvailabilityError) in
                    guard share.count == ShareFormat.shareSize else { throw .wrongShareSize(actual: share.count) }
                    let leaf = NamespacedNode.leaf(namespace: try Namespace(bytes: share.prefix(8)), share: share)
                    guard leaf.min == namespace else {
                        throw .incompleteNamespaceProof("row \(rowProof.row) has a share of namespace \(leaf.min)")
                    }
                    return leaf
                }
            }
            guard rowProof.proof.leafCount == header.width else {
                throw .invalidProof("row \(rowProof.row): the proof is for \(rowProof.proof.leafCount) leaves")
            }
            try rowProof.proof.verify(leaves: leaves, root: header.rowRoots[rowProof.row], completeFor: namespace)
            shares += rowProof.shares
        }
        return shares
    }
}

extension CommittedSquare {
    /// The proof of every share of `namespace` (or of their absence).
    public func namespaceProof(_ namespace: Namespace) throws(DataAvailabilityError) -> NamespaceProof {
        guard !namespace.isReserved else { throw .reservedNamespace(namespace) }
        var rows: [NamespaceProof.RowProof] = []
        let k = square.originalWidth
        for row in 0..<k where header.rowRoots[row].covers(namespace) {
            let leaves = leaves(.row, row)
            let inside = (0..<k).filter { leaves[$0].min == namespace }
            if let first = inside.first, let last = inside.last {
                let shares = try (first...last).map { (column) throws(DataAvailabilityError) in
                    try square.share(row: row, column: column)
                }
                let proof = try NamespacedMerkleTree.proof(leaves, range: first..<last + 1)
                rows.append(.init(row: row, shares: shares, absenceLeaf: nil, proof: proof))
            } else {
                // Covered but absent: the first leaf above the namespace exists because max ≥ namespace.
                guard let above = (0..<k).first(where: { leaves[$0].min > namespace }) else {
                    throw .invalidProof("row \(row) covers \(namespace) but has no share above it")
                }
                let proof = try NamespacedMerkleTree.proof(leaves, range: above..<above + 1)
                rows.append(.init(row: row, shares: [], absenceLeaf: leaves[above], proof: proof))
            }
        }
        return NamespaceProof(namespace: namespace, rows: rows)
    }
}
