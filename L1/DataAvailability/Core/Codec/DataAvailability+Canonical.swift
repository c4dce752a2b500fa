public import Primitives

// Canonical encodings (ADR 0001) of what leaves a node: share and namespace proofs served over
// JSON-RPC, square headers, and bad-encoding proofs carried in transactions. Decoding checks every
// count against the largest square (k ≤ 127), so hostile input cannot ask for more; a decoded
// proof still has to verify against a root before anything trusts it.

/// The largest number of roots or shares along a line or a square's side that a decoder accepts.
let maximumLineWidth = 2 * ShareFormat.maxOriginalWidth

extension Namespace: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(rawValue) }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        self.init(rawValue: try decoder.read(UInt64.self))
    }
}

extension NamespacedNode: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(min)
        encoder.write(max)
        encoder.write(digest)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let min = try decoder.read(Namespace.self)
        let max = try decoder.read(Namespace.self)
        guard min <= max else {
            throw .invalidValue(
                offset: decoder.offset, reason: "a namespaced node's minimum namespace is above its maximum")
        }
        self.init(min: min, max: max, digest: try decoder.read(Hash.self))
    }
}

extension NamespaceRangeProof: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(UInt64(range.lowerBound))
        encoder.write(UInt64(range.upperBound))
        encoder.write(UInt64(leafCount))
        encoder.write(nodes)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let lower = try decoder.read(UInt64.self)
        let upper = try decoder.read(UInt64.self)
        let leafCount = try decoder.read(UInt64.self)
        guard lower < upper, upper <= leafCount, leafCount <= UInt64(maximumLineWidth) else {
            throw .invalidValue(
                offset: decoder.offset,
                reason: "a namespace range proof needs 0 ≤ start < end ≤ leaves ≤ \(maximumLineWidth)")
        }
        // A range proof holds at most two nodes per level of a tree of at most 254 leaves.
        let nodes = try decoder.readArray(of: NamespacedNode.self, maxCount: 2 * 9)
        self.init(range: Int(lower)..<Int(upper), leafCount: Int(leafCount), nodes: nodes)
    }
}

extension ShareProof: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(UInt16(row))
        encoder.write(UInt16(column))
        encoder.write(bytes: share)
        encoder.write(proof)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let row = try decoder.read(UInt16.self)
        let column = try decoder.read(UInt16.self)
        guard row < maximumLineWidth, column < maximumLineWidth else {
            throw .invalidValue(
                offset: decoder.offset, reason: "share coordinates (\(row), \(column)) are outside the largest square")
        }
        let share = try decoder.readBytes(maxLength: ShareFormat.shareSize)
        self.init(row: Int(row), column: Int(column), share: share, proof: try decoder.read(NamespaceRangeProof.self))
    }
}

extension NamespaceProof.RowProof: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(UInt16(row))
        encoder.writeLength(shares.count)
        for share in shares { encoder.write(bytes: share) }
        encoder.write(absenceLeaf)
        encoder.write(proof)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let row = try decoder.read(UInt16.self)
        guard row < maximumLineWidth else {
            throw .invalidValue(offset: decoder.offset, reason: "row \(row) is outside the largest square")
        }
        let count = try decoder.readLength(limit: maximumLineWidth)
        var shares: [[UInt8]] = []
        for _ in 0..<count { shares.append(try decoder.readBytes(maxLength: ShareFormat.shareSize)) }
        let absenceLeaf = try decoder.readOptional(NamespacedNode.self)
        self.init(
            row: Int(row), shares: shares, absenceLeaf: absenceLeaf, proof: try decoder.read(NamespaceRangeProof.self))
    }
}

extension NamespaceProof: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(namespace)
        encoder.write(rows)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let namespace = try decoder.read(Namespace.self)
        self.init(namespace: namespace, rows: try decoder.readArray(of: RowProof.self, maxCount: maximumLineWidth))
    }
}

extension DataAvailabilityHeader: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(rowRoots)
        encoder.write(columnRoots)
    }

    /// Decodes the roots and recomputes `rootsRoot` and `dataRoot` from them (they are not sent).
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let rows = try decoder.readArray(of: NamespacedNode.self, maxCount: maximumLineWidth)
        let columns = try decoder.readArray(of: NamespacedNode.self, maxCount: maximumLineWidth)
        do { try self.init(rowRoots: rows, columnRoots: columns) } catch {
            throw .invalidValue(offset: decoder.offset, reason: "not a square's roots: \(error)")
        }
    }
}

extension Axis: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(rawValue) }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let raw = try decoder.read(UInt8.self)
        guard let axis = Axis(rawValue: raw) else {
            throw .invalidValue(offset: decoder.offset, reason: "axis \(raw) is neither row (0) nor column (1)")
        }
        self = axis
    }
}

extension BadEncodingProof.Item: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(UInt16(position))
        encoder.write(bytes: share)
        encoder.write(proof)
        encoder.write(orthogonalRoot)
        encoder.write(orthogonalRootProof)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let position = try decoder.read(UInt16.self)
        guard position < maximumLineWidth else {
            throw .invalidValue(offset: decoder.offset, reason: "share position \(position) is out of range")
        }
        self.init(
            position: Int(position), share: try decoder.readBytes(maxLength: ShareFormat.shareSize),
            proof: try decoder.read(NamespaceRangeProof.self), orthogonalRoot: try decoder.read(NamespacedNode.self),
            orthogonalRootProof: try decoder.read(MerkleProof.self))
    }
}

extension BadEncodingProof: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(axis)
        encoder.write(UInt16(index))
        encoder.write(rootsRoot)
        encoder.write(root)
        encoder.write(rootProof)
        encoder.write(items)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let axis = try decoder.read(Axis.self)
        let index = try decoder.read(UInt16.self)
        guard index < maximumLineWidth else {
            throw .invalidValue(offset: decoder.offset, reason: "line \(index) is outside the largest square")
        }
        self.init(
            axis: axis, index: Int(index), rootsRoot: try decoder.read(Hash.self),
            root: try decoder.read(NamespacedNode.self), rootProof: try decoder.read(MerkleProof.self),
            items: try decoder.readArray(of: Item.self, maxCount: ShareFormat.maxOriginalWidth))
    }
}
