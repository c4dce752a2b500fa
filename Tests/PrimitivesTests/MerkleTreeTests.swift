import Testing

@testable import Primitives

@Suite("Binary Merkle tree")
struct MerkleTreeTests {
    /// The recursive definition (RFC 6962 §2.1), written independently of the iterative code.
    static func referenceRoot(_ leaves: ArraySlice<[UInt8]>) -> Hash {
        switch leaves.count {
        case 0: return Hashing.sha256([])
        case 1: return Hashing.sha256([0] + leaves.first!)
        default:
            var split = 1
            while split * 2 < leaves.count { split *= 2 }
            let left = referenceRoot(leaves.prefix(split))
            let right = referenceRoot(leaves.dropFirst(split))
            return Hashing.sha256([1] + left.bytes + right.bytes)
        }
    }

    @Test("roots match the recursive RFC 6962 definition for 0...70 leaves")
    func roots() {
        for count in 0...70 {
            let leaves = (0..<count).map { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
            #expect(MerkleTree.root(leaves) == Self.referenceRoot(leaves[...]), "\(count) leaves")
        }
    }

    @Test("CometBFT/RFC 6962 known roots")
    func knownRoots() throws {
        // SHA-256 of the empty string for no leaves; one leaf hashes with the 0x00 prefix.
        #expect(MerkleTree.root([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleTree.root([[]]).hex == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    }

    @Test("every proof verifies for its leaf and fails for any other leaf, index or root")
    func proofs() throws {
        for count in 1...40 {
            let leaves = (0..<count).map { Array("leaf \($0)".utf8) }
            let root = MerkleTree.root(leaves)
            for index in 0..<count {
                let proof = try #require(MerkleTree.proof(leaves: leaves, index: index))
                try proof.verify(leaf: leaves[index], root: root)
                #expect(throws: MerkleProofError.self) { try proof.verify(leaf: Array("other".utf8), root: root) }
                if count > 1 {
                    let moved = MerkleProof(index: UInt64((index + 1) % count), total: proof.total, aunts: proof.aunts)
                    #expect(throws: MerkleProofError.self) { try moved.verify(leaf: leaves[index], root: root) }
                }
                let decoded = try Canonical.decode(MerkleProof.self, from: Canonical.encode(proof))
                #expect(decoded == proof)
            }
            #expect(MerkleTree.proof(leaves: leaves, index: count) == nil)
        }
    }

    @Test("malformed proofs give typed errors")
    func malformed() {
        let leaf = MerkleTree.leafHash([1])
        #expect(throws: MerkleProofError.indexOutOfRange(index: 0, total: 0)) {
            try MerkleProof(index: 0, total: 0, aunts: []).root(leafHash: leaf)
        }
        #expect(throws: MerkleProofError.indexOutOfRange(index: 5, total: 5)) {
            try MerkleProof(index: 5, total: 5, aunts: []).root(leafHash: leaf)
        }
        #expect(throws: MerkleProofError.wrongAuntCount) {
            try MerkleProof(index: 0, total: 4, aunts: [leaf]).root(leafHash: leaf)
        }
        #expect(throws: MerkleProofError.wrongAuntCount) {
            try MerkleProof(index: 0, total: UInt64.max, aunts: [Hash](repeating: leaf, count: 65)).root(leafHash: leaf)
        }
    }
}
