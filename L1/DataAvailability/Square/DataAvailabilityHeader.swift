public import Primitives

/// A row or a column of the extended square.
public enum Axis: UInt8, Hashable, Sendable, CustomStringConvertible {
    case row = 0
    case column = 1

    /// The other axis: a row's shares are proven against column roots and vice versa.
    public var orthogonal: Axis { self == .row ? .column : .row }

    public var description: String { self == .row ? "row" : "column" }
}

/// The commitment to an extended square: `2k` row roots, `2k` column roots and the data root.
///
/// The data root is the RFC 6962 Merkle root (`MerkleTree`) over the 48-byte serialized row roots
/// followed by the column roots, so root `i` is row `i` and root `2k + j` is column `j`. A block
/// header carries only the data root; light clients fetch the `4k` roots and check them against it.
public struct DataAvailabilityHeader: Hashable, Sendable {
    /// The namespaced root of each row of the extended square, top to bottom.
    public let rowRoots: [NamespacedNode]
    /// The namespaced root of each column, left to right.
    public let columnRoots: [NamespacedNode]
    /// The Merkle root over the row roots then the column roots.
    public let dataRoot: Hash

    /// A header from its roots; the data root is computed.
    public init(rowRoots: [NamespacedNode], columnRoots: [NamespacedNode]) throws(DataAvailabilityError) {
        guard rowRoots.count == columnRoots.count, rowRoots.count % 2 == 0,
            (2...2 * ShareFormat.maxOriginalWidth).contains(rowRoots.count)
        else {
            throw .invalidHeader(
                "\(rowRoots.count) row and \(columnRoots.count) column roots; each must be 2k with k in "
                    + "1…\(ShareFormat.maxOriginalWidth)")
        }
        self.rowRoots = rowRoots
        self.columnRoots = columnRoots
        self.dataRoot = MerkleTree.root((rowRoots + columnRoots).map(\.bytes))
    }

    /// Shares per row of the original square (`k`).
    public var originalWidth: Int { rowRoots.count / 2 }
    /// Shares per row of the extended square (`2k`).
    public var width: Int { rowRoots.count }

    /// The roots of `axis`.
    public func roots(_ axis: Axis) -> [NamespacedNode] { axis == .row ? rowRoots : columnRoots }

    /// Throws unless these roots commit to `dataRoot`.
    public func verify(dataRoot expected: Hash) throws(DataAvailabilityError) {
        guard dataRoot == expected else {
            throw .rootMismatch("the roots commit to data root \(dataRoot.hex), expected \(expected.hex)")
        }
    }

    /// The Merkle proof of root `index` of `axis` in the data root.
    public func rootProof(_ axis: Axis, index: Int) throws(DataAvailabilityError) -> MerkleProof {
        guard (0..<width).contains(index) else { throw .coordinateOutOfRange(row: index, column: 0, width: width) }
        let position = axis == .row ? index : width + index
        return MerkleTree.proof(leaves: (rowRoots + columnRoots).map(\.bytes), index: position)!
    }

    /// Throws unless `root` is root `index` of `axis` under `dataRoot` by `proof`.
    static func verifyRoot(
        _ root: NamespacedNode, axis: Axis, index: Int, proof: MerkleProof, dataRoot: Hash
    ) throws(DataAvailabilityError) {
        guard proof.total % 4 == 0, proof.total >= 4 else {
            throw .invalidProof("a data root covers 4k roots, the proof says \(proof.total)")
        }
        let width = Int(proof.total / 2)
        let position = axis == .row ? index : width + index
        guard (0..<width).contains(index), proof.index == UInt64(position) else {
            throw .invalidProof("the root proof is for position \(proof.index), not \(axis) \(index)")
        }
        do {
            try proof.verify(leaf: root.bytes, root: dataRoot)
        } catch {
            throw .rootMismatch("\(axis) root \(index) is not under data root \(dataRoot.hex): \(error)")
        }
    }
}
