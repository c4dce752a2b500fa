public import Primitives

/// A row or a column of the extended square.
public enum Axis: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// A row: `2k` shares left to right.
    case row = 0
    /// A column: `2k` shares top to bottom.
    case column = 1

    /// The other axis: a row's shares are proven against column roots and vice versa.
    public var orthogonal: Axis { self == .row ? .column : .row }

    public var description: String { self == .row ? "row" : "column" }
}

/// The commitment to an extended square: `2k` row roots, `2k` column roots and the data root.
///
/// `rootsRoot` is the RFC 6962 Merkle root (`MerkleTree`) over the 48-byte serialized row roots
/// followed by the column roots, so root `i` is row `i` and root `2k + j` is column `j`. The data root
/// binds it to the square's width: `SHA-256(0x02 ‖ k as UInt32 LE ‖ rootsRoot)`. An RFC 6962 path does
/// not pin the tree's size on its own (a path in a complete left subtree verifies under several
/// totals), so without `k` a fraud proof could pass one root off as another. A block header carries
/// only the data root; light clients fetch the `4k` roots and check them against it.
public struct DataAvailabilityHeader: Hashable, Sendable {
    /// Domain-separation prefix of the data root (0x00 and 0x01 are the Merkle leaf and node prefixes).
    public static let dataRootPrefix: UInt8 = 0x02

    /// The namespaced root of each row of the extended square, top to bottom.
    public let rowRoots: [NamespacedNode]
    /// The namespaced root of each column, left to right.
    public let columnRoots: [NamespacedNode]
    /// The Merkle root over the row roots then the column roots.
    public let rootsRoot: Hash
    /// The commitment a block header carries: the width and `rootsRoot`, hashed.
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
        self.rootsRoot = MerkleTree.root((rowRoots + columnRoots).map(\.bytes))
        self.dataRoot = Self.dataRoot(originalWidth: rowRoots.count / 2, rootsRoot: rootsRoot)
    }

    /// `SHA-256(0x02 ‖ originalWidth as UInt32 LE ‖ rootsRoot)`.
    public static func dataRoot(originalWidth: Int, rootsRoot: Hash) -> Hash {
        let width = UInt32(truncatingIfNeeded: originalWidth)
        let preimage = [dataRootPrefix] + (0..<4).map { UInt8(truncatingIfNeeded: width >> (8 * $0)) } + rootsRoot.bytes
        return NodeHasher.digest(preimage)
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

    /// The Merkle proof of root `index` of `axis` under `rootsRoot`.
    public func rootProof(_ axis: Axis, index: Int) throws(DataAvailabilityError) -> MerkleProof {
        guard (0..<width).contains(index) else { throw .coordinateOutOfRange(row: index, column: 0, width: width) }
        let position = axis == .row ? index : width + index
        return MerkleTree.proof(leaves: (rowRoots + columnRoots).map(\.bytes), index: position)!
    }

    /// Throws unless `root` is root `index` of `axis` of a square `width` shares wide under
    /// `rootsRoot` by `proof`.
    ///
    /// The proof's `total` must be exactly `2 · width`, the width the data root binds; a path that
    /// also verifies under another total would not pin the root's position.
    static func verifyRoot(
        _ root: NamespacedNode, axis: Axis, index: Int, width: Int, proof: MerkleProof, rootsRoot: Hash
    ) throws(DataAvailabilityError) {
        guard proof.total == UInt64(2 * width) else {
            throw .invalidProof("a \(width)-wide square has \(2 * width) roots, the proof says \(proof.total)")
        }
        let position = axis == .row ? index : width + index
        guard (0..<width).contains(index), proof.index == UInt64(position) else {
            throw .invalidProof("the root proof is for position \(proof.index), not \(axis) \(index)")
        }
        do {
            try proof.verify(leaf: root.bytes, root: rootsRoot)
        } catch {
            throw .rootMismatch("\(axis) root \(index) is not under the roots' Merkle root \(rootsRoot.hex): \(error)")
        }
    }
}
