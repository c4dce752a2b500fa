public import Primitives

/// Proof that one row or column of a committed square is not the codeword its root commits to.
///
/// It carries `k` shares of the line, each with a proof against its *orthogonal* root (a row's
/// share is proven in its column's tree) and that root's Merkle proof under the roots' Merkle root,
/// the line's own root with its Merkle proof, and the roots' Merkle root, which with `k` hashes to
/// the data root. The verifier decodes the whole line from the `k` shares,
/// rebuilds its namespaced root and finds it differs from the committed one. Only the data root is
/// needed to check it; its size is `k` shares plus `O(k log k)` hashes.
public struct BadEncodingProof: Hashable, Sendable {
    /// One share of the line with its proofs.
    public struct Item: Hashable, Sendable {
        /// The share's position along the line (`0..<2k`).
        public let position: Int
        /// The share's bytes.
        public let share: [UInt8]
        /// The share's leaf in the orthogonal tree (at the line's index).
        public let proof: NamespaceRangeProof
        /// The orthogonal line's root, and its proof in the data root.
        public let orthogonalRoot: NamespacedNode
        public let orthogonalRootProof: MerkleProof

        /// An item from its parts.
        public init(
            position: Int, share: [UInt8], proof: NamespaceRangeProof, orthogonalRoot: NamespacedNode,
            orthogonalRootProof: MerkleProof
        ) {
            self.position = position
            self.share = share
            self.proof = proof
            self.orthogonalRoot = orthogonalRoot
            self.orthogonalRootProof = orthogonalRootProof
        }
    }

    /// Whether a row or a column is badly encoded.
    public let axis: Axis
    /// Its index (`0..<2k`).
    public let index: Int
    /// The Merkle root over all the square's roots (`DataAvailabilityHeader.rootsRoot`).
    public let rootsRoot: Hash
    /// The root the block committed to for that line, and its proof under `rootsRoot`.
    public let root: NamespacedNode
    public let rootProof: MerkleProof
    /// `k` shares of the line at distinct positions.
    public let items: [Item]

    /// A proof from its parts.
    public init(
        axis: Axis, index: Int, rootsRoot: Hash, root: NamespacedNode, rootProof: MerkleProof, items: [Item]
    ) {
        self.axis = axis
        self.index = index
        self.rootsRoot = rootsRoot
        self.root = root
        self.rootProof = rootProof
        self.items = items
    }

    /// Returns when the proof shows the line under `dataRoot` is badly encoded; throws
    /// `invalidFraudProof` (or a proof error) otherwise.
    public func verify(dataRoot: Hash) throws(DataAvailabilityError) {
        let (width, k) = try verifyLine(dataRoot: dataRoot)
        guard items.count == k else { throw .invalidFraudProof("\(items.count) shares given, decoding needs \(k)") }
        let positions = items.map(\.position)
        guard positions.allSatisfy({ (0..<width).contains($0) }), Set(positions).count == k else {
            throw .invalidFraudProof("share positions \(positions) must be \(k) distinct values in 0..<\(width)")
        }
        var line = [UInt8](repeating: 0, count: width * ShareFormat.shareSize)
        var present = [Bool](repeating: false, count: width)
        for item in items {
            try verify(item)
            line.replaceSubrange(
                item.position * ShareFormat.shareSize..<(item.position + 1) * ShareFormat.shareSize, with: item.share)
            present[item.position] = true
        }
        try Self.decode(line: &line, present: present, originalWidth: k)
        let leaves = line.withUnsafeBytes { buffer in
            (0..<width).map { position in
                let (row, column) = axis == .row ? (index, position) : (position, index)
                let share = buffer.baseAddress! + position * ShareFormat.shareSize
                return NamespacedNode.leaf(
                    namespace: ExtendedSquare.leafNamespace(row: row, column: column, originalWidth: k, share: share),
                    share: share)
            }
        }
        // Unsorted original shares cannot have a valid root either: that is fraud too.
        guard let recomputed = try? NamespacedMerkleTree.root(leaves) else { return }
        guard recomputed != root else {
            throw .invalidFraudProof("\(axis) \(index) decodes to its committed root; it is correctly encoded")
        }
    }

    /// Checks the part of the proof about the line itself: that `rootsRoot` belongs to `dataRoot`
    /// and `root` is the line's committed root. Returns the square's width and `k`.
    ///
    /// A chain that takes a proof in several transactions checks this with the first part and
    /// `verify(_:)` with each share, so nothing unproven is ever stored.
    @discardableResult
    public func verifyLine(dataRoot: Hash) throws(DataAvailabilityError) -> (width: Int, originalWidth: Int) {
        guard rootProof.total % 4 == 0, rootProof.total >= 4,
            rootProof.total <= 4 * UInt64(ShareFormat.maxOriginalWidth)
        else { throw .invalidFraudProof("the root proof covers \(rootProof.total) roots, not 4k") }
        let width = Int(rootProof.total / 2)
        let k = width / 2
        guard DataAvailabilityHeader.dataRoot(originalWidth: k, rootsRoot: rootsRoot) == dataRoot else {
            throw .rootMismatch("a \(k)-wide square with roots' root \(rootsRoot.hex) is not data root \(dataRoot.hex)")
        }
        guard index < width else { throw .invalidFraudProof("\(axis) \(index) is outside a \(width)-wide square") }
        try DataAvailabilityHeader.verifyRoot(
            root, axis: axis, index: index, width: width, proof: rootProof, rootsRoot: rootsRoot)
        return (width, k)
    }

    /// Checks one share of the proof: its orthogonal root is committed under `rootsRoot` and the
    /// share is that root's leaf at this line's index. Call after `verifyLine(dataRoot:)`.
    public func verify(_ item: Item) throws(DataAvailabilityError) {
        let width = Int(rootProof.total / 2)
        let k = width / 2
        guard (0..<width).contains(item.position) else {
            throw .invalidFraudProof("share position \(item.position) is outside 0..<\(width)")
        }
        let (row, column) = axis == .row ? (index, item.position) : (item.position, index)
        guard item.share.count == ShareFormat.shareSize else { throw .wrongShareSize(actual: item.share.count) }
        try DataAvailabilityHeader.verifyRoot(
            item.orthogonalRoot, axis: axis.orthogonal, index: item.position, width: width,
            proof: item.orthogonalRootProof, rootsRoot: rootsRoot)
        // In the orthogonal tree the share sits at this line's index.
        guard item.proof.range == index..<index + 1, item.proof.leafCount == width else {
            throw .invalidProof("share \(item.position) is not proven at position \(index) of \(width)")
        }
        let leaf = item.share.withUnsafeBytes { buffer in
            NamespacedNode.leaf(
                namespace: ExtendedSquare.leafNamespace(
                    row: row, column: column, originalWidth: k, share: buffer.baseAddress!),
                share: buffer.baseAddress!)
        }
        try item.proof.verify(leaves: [leaf], root: item.orthogonalRoot)
    }

    /// Fills the missing shares of a line of `2k` shares from the `k` present ones.
    static func decode(line: inout [UInt8], present: [Bool], originalWidth k: Int) throws(DataAvailabilityError) {
        let codec = try ErasureCodec(dataShards: k)
        let sources = (0..<2 * k).filter { present[$0] }
        let missing = (0..<2 * k).filter { !present[$0] }
        let decoder = try codec.decoder(sources: sources, missing: missing)
        line.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            withShardPointers(count: 2 * k) { input, output in
                for (slot, position) in sources.enumerated() { input[slot] = base + position * ShareFormat.shareSize }
                for (slot, position) in missing.enumerated() { output[slot] = base + position * ShareFormat.shareSize }
                codec.decode(decoder, length: ShareFormat.shareSize, sources: input, outputs: output)
            }
        }
    }
}

extension CommittedSquare {
    /// The first badly encoded row or column (rows first), as a proof; nil when every line of the
    /// square is a codeword.
    ///
    /// Each line is re-encoded from its first `k` shares and compared with its other `k`.
    public func badEncodingProof(codec: ErasureCodec? = nil) throws(DataAvailabilityError) -> BadEncodingProof? {
        let k = square.originalWidth
        let width = square.width
        let codec = try ErasureCodec.reusing(codec, dataShards: k)
        for axis in [Axis.row, .column] {
            for index in 0..<width where !isCodeword(axis, index, codec: codec) {
                return try lineProof(axis, index: index)
            }
        }
        return nil
    }

    /// The proof form of line `index` of `axis` from its first `k` shares, whether or not the line
    /// is badly encoded (for a codeword it verifies as "correctly encoded": a chain refutes it).
    /// - Throws: `coordinateOutOfRange` for a line outside the square.
    public func lineProof(_ axis: Axis, index: Int) throws(DataAvailabilityError) -> BadEncodingProof {
        let width = square.width
        guard (0..<width).contains(index) else { throw .coordinateOutOfRange(row: index, column: 0, width: width) }
        let items = try (0..<square.originalWidth).map { (position) throws(DataAvailabilityError) in
            let (row, column) = axis == .row ? (index, position) : (position, index)
            let proof = try NamespacedMerkleTree.proof(leaves(axis.orthogonal, position), range: index..<index + 1)
            return BadEncodingProof.Item(
                position: position, share: try square.share(row: row, column: column), proof: proof,
                orthogonalRoot: header.roots(axis.orthogonal)[position],
                orthogonalRootProof: try header.rootProof(axis.orthogonal, index: position))
        }
        return BadEncodingProof(
            axis: axis, index: index, rootsRoot: header.rootsRoot, root: header.roots(axis)[index],
            rootProof: try header.rootProof(axis, index: index), items: items)
    }

    /// Whether line `index` of `axis` equals the encoding of its first `k` shares.
    private func isCodeword(_ axis: Axis, _ index: Int, codec: ErasureCodec) -> Bool {
        let k = square.originalWidth
        let width = square.width
        let size = ShareFormat.shareSize
        var line = [UInt8](repeating: 0, count: width * size)
        square.bytes.withUnsafeBytes { buffer in
            for position in 0..<width {
                let (row, column) = axis == .row ? (index, position) : (position, index)
                line.withUnsafeMutableBytes {
                    ($0.baseAddress! + position * size).copyMemory(
                        from: buffer.baseAddress! + (row * width + column) * size, byteCount: size)
                }
            }
        }
        var parity = [UInt8](repeating: 0, count: k * size)
        line.withUnsafeMutableBytes { source in
            parity.withUnsafeMutableBytes { output in
                withShardPointers(count: k) { data, outputs in
                    for slot in 0..<k {
                        data[slot] = source.baseAddress!.assumingMemoryBound(to: UInt8.self) + slot * size
                        outputs[slot] = output.baseAddress!.assumingMemoryBound(to: UInt8.self) + slot * size
                    }
                    codec.encode(length: size, data: data, parity: outputs)
                }
            }
        }
        return line.withUnsafeBytes { line in
            parity.withUnsafeBytes { parity in
                // Word-wise: a byte-wise comparison of 64 KiB per line costs more than encoding it.
                let stored = line.baseAddress! + k * size
                return stride(from: 0, to: parity.count, by: 8).allSatisfy {
                    stored.loadUnaligned(fromByteOffset: $0, as: UInt64.self)
                        == parity.loadUnaligned(fromByteOffset: $0, as: UInt64.self)
                }
            }
        }
    }
}
