/// A binary Merkle tree over SHA-256 with leaf/inner domain separation (RFC 6962 §2.1, the
/// same tree CometBFT uses for its headers).
///
/// - A leaf hashes as `SHA-256(0x00 ‖ data)`, an inner node as `SHA-256(0x01 ‖ left ‖ right)`, so
///   no leaf can pose as an inner node (the second-preimage attack on plain Merkle trees).
/// - `n` leaves split at the largest power of two below `n`; built bottom-up this is the same as
///   promoting an unpaired last node to the next level unchanged (never duplicating it, which
///   would let two different lists share a root, as in CVE-2012-2459).
/// - The root of no leaves is `SHA-256("")`.
public enum MerkleTree {
    /// The domain-separation byte in front of a leaf.
    public static let leafPrefix: UInt8 = 0x00
    /// The domain-separation byte in front of an inner node.
    public static let innerPrefix: UInt8 = 0x01

    /// The root over `leaves` (each leaf is raw data; it is hashed with the leaf prefix here).
    public static func root(_ leaves: [[UInt8]]) -> Hash {
        var level = leaves.map(leafHash)
        return reduce(&level)
    }

    /// The root over leaves whose leaf hashes (`leafHash(_:)`) are already known.
    public static func root(leafHashes: [Hash]) -> Hash {
        var level = leafHashes
        return reduce(&level)
    }

    /// Folds a level of node hashes up to the root, overwriting `level` (node i of the next level
    /// goes to slot i). Taking the array `inout` keeps it uniquely owned, so no level is copied.
    private static func reduce(_ level: inout [Hash]) -> Hash {
        guard !level.isEmpty else { return Hashing.sha256([]) }
        return level.withUnsafeMutableBufferPointer { nodes in
            var count = nodes.count
            while count > 1 {
                var next = 0
                var index = 0
                while index + 1 < count {
                    nodes[next] = innerHash(nodes[index], nodes[index + 1])
                    next += 1
                    index += 2
                }
                if index < count {
                    nodes[next] = nodes[index]
                    next += 1
                }
                count = next
            }
            return nodes[0]
        }
    }

    /// `SHA-256(0x00 ‖ data)`.
    public static func leafHash(_ data: [UInt8]) -> Hash {
        data.withUnsafeBytes { leafHash($0) }
    }

    /// `SHA-256(0x00 ‖ data)` for the bytes in `data`.
    ///
    /// Short leaves are copied behind the prefix into one stack buffer: one update call into the
    /// hash instead of two is a measurable share of the cost of hashing a 32-byte leaf.
    public static func leafHash(_ data: UnsafeRawBufferPointer) -> Hash {
        guard data.count <= 128 else {
            var hasher = NodeHasher()
            hasher.update(byte: leafPrefix)
            hasher.update(data)
            return hasher.finalize()
        }
        return withUnsafeTemporaryAllocation(byteCount: 129, alignment: 8) { block in
            block[0] = leafPrefix
            if data.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: block[1...data.count]).copyMemory(from: data)
            }
            return NodeHasher.digest(UnsafeRawBufferPointer(rebasing: block[0...data.count]))
        }
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`, hashed from one 65-byte buffer on the stack.
    public static func innerHash(_ left: Hash, _ right: Hash) -> Hash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { block in
            block[0] = innerPrefix
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: block[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: block[33..<65]).copyMemory(from: $0) }
            return NodeHasher.digest(UnsafeRawBufferPointer(block))
        }
    }

    /// The proof that leaf `index` is in the tree over `leaves`, or nil when `index` is out of range.
    public static func proof(leaves: [[UInt8]], index: Int) -> MerkleProof? {
        proof(leafHashes: leaves.map(leafHash), index: index)
    }

    /// The proof for leaf `index` of a tree whose leaf hashes are given.
    public static func proof(leafHashes: [Hash], index: Int) -> MerkleProof? {
        guard index >= 0, index < leafHashes.count else { return nil }
        var aunts: [Hash] = []
        var level = leafHashes
        var position = index
        while level.count > 1 {
            let sibling = position ^ 1
            if sibling < level.count { aunts.append(level[sibling]) }
            var next: [Hash] = []
            next.reserveCapacity((level.count + 1) / 2)
            var cursor = 0
            while cursor + 1 < level.count {
                next.append(innerHash(level[cursor], level[cursor + 1]))
                cursor += 2
            }
            if cursor < level.count { next.append(level[cursor]) }
            level = next
            position /= 2
        }
        return MerkleProof(index: UInt64(index), total: UInt64(leafHashes.count), aunts: aunts)
    }
}

/// Proof that one leaf is at `index` among `total` leaves of a `MerkleTree`.
///
/// `aunts` are the sibling hashes from the leaf's level upward; a leaf with no sibling at some
/// level (an unpaired last node) has no aunt there.
public struct MerkleProof: Hashable, Sendable {
    /// The leaf's position, from 0.
    public let index: UInt64
    /// The number of leaves in the tree.
    public let total: UInt64
    /// Sibling hashes, leaf level first.
    public let aunts: [Hash]

    /// The most aunts a proof can have (a tree of 2^63 leaves has 63).
    public static let maxAunts = 64

    /// A proof from its parts (checked when verified, not here).
    public init(index: UInt64, total: UInt64, aunts: [Hash]) {
        self.index = index
        self.total = total
        self.aunts = aunts
    }

    /// The root this proof leads to from `leafHash`.
    /// - Throws: `MerkleProofError` when the index, total and number of aunts do not fit together.
    public func root(leafHash: Hash) throws(MerkleProofError) -> Hash {
        guard total > 0, index < total else { throw .indexOutOfRange(index: index, total: total) }
        guard aunts.count <= MerkleProof.maxAunts else { throw .wrongAuntCount }
        var hash = leafHash
        var used = 0
        // Walk down from the root to find, at each split, which side the leaf is on; then fold the
        // aunts back up from the leaf.
        var sides: [Bool] = []  // true: the leaf is in the right subtree at that split
        var low = index
        var size = total
        while size > 1 {
            let split = MerkleProof.splitPoint(size)
            if low < split {
                sides.append(false)
                size = split
            } else {
                sides.append(true)
                low -= split
                size -= split
            }
        }
        guard sides.count == aunts.count else { throw .wrongAuntCount }
        for isRight in sides.reversed() {
            let aunt = aunts[used]
            used += 1
            hash = isRight ? MerkleTree.innerHash(aunt, hash) : MerkleTree.innerHash(hash, aunt)
        }
        return hash
    }

    /// Checks that `leaf` (raw data) is at `index` in the tree with `root`.
    /// - Throws: `MerkleProofError.rootMismatch` or a structural error.
    public func verify(leaf: [UInt8], root expected: Hash) throws(MerkleProofError) {
        let computed = try root(leafHash: MerkleTree.leafHash(leaf))
        guard computed == expected else { throw .rootMismatch(expected: expected, computed: computed) }
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func splitPoint(_ n: UInt64) -> UInt64 {
        UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }
}

extension MerkleProof: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(index)
        encoder.write(total)
        encoder.write(aunts)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        index = try decoder.read(UInt64.self)
        total = try decoder.read(UInt64.self)
        aunts = try decoder.readArray(of: Hash.self, maxCount: MerkleProof.maxAunts)
    }
}

/// Why a Merkle proof does not verify.
public enum MerkleProofError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The index is not below the total, or the total is zero.
    case indexOutOfRange(index: UInt64, total: UInt64)
    /// The number of aunts does not match the tree shape the index and total imply.
    case wrongAuntCount
    /// The proof is well formed but leads to a different root.
    case rootMismatch(expected: Hash, computed: Hash)

    public var description: String {
        switch self {
        case .indexOutOfRange(let index, let total): "leaf index \(index) is out of range for \(total) leaves"
        case .wrongAuntCount: "the proof has the wrong number of sibling hashes for its index and total"
        case .rootMismatch(let expected, let computed): "proof leads to root \(computed), expected \(expected)"
        }
    }
}
