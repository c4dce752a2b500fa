/// One share of the extended square with its proof against its row root: what a light client
/// fetches for each sample.
public struct ShareProof: Hashable, Sendable {
    /// The share's row in the extended square.
    public let row: Int
    /// The share's column in the extended square.
    public let column: Int
    /// The share's bytes.
    public let share: [UInt8]
    /// The share's leaf among the row's `2k` leaves.
    public let proof: NamespaceRangeProof

    /// A proof from its parts.
    public init(row: Int, column: Int, share: [UInt8], proof: NamespaceRangeProof) {
        self.row = row
        self.column = column
        self.share = share
        self.proof = proof
    }

    /// Throws unless the share is at (`row`, `column`) under the row roots of `header`.
    ///
    /// The caller checks `header` against the data root it trusts (`header.verify(dataRoot:)`).
    public func verify(header: DataAvailabilityHeader) throws(DataAvailabilityError) {
        let width = header.width
        guard (0..<width).contains(row), (0..<width).contains(column) else {
            throw .coordinateOutOfRange(row: row, column: column, width: width)
        }
        guard share.count == ShareFormat.shareSize else { throw .wrongShareSize(actual: share.count) }
        guard proof.range == column..<column + 1, proof.leafCount == width else {
            throw .invalidProof(
                "the proof is for leaves \(proof.range) of \(proof.leafCount), not column \(column) of \(width)")
        }
        let leaf = share.withUnsafeBytes { buffer in
            let namespace = ExtendedSquare.leafNamespace(
                row: row, column: column, originalWidth: width / 2, share: buffer.baseAddress!)
            return NamespacedNode.leaf(namespace: namespace, share: buffer.baseAddress!)
        }
        try proof.verify(leaves: [leaf], root: header.rowRoots[row])
    }
}
