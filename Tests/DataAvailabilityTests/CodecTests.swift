import DataAvailability
import Primitives
import Testing

@Suite("Data-availability encodings")
struct CodecTests {
    @Test("headers, share, namespace and bad-encoding proofs round-trip and still verify")
    func roundTrips() throws {
        let committed = try Fixtures.committed(width: 4)
        let header = committed.header
        let decodedHeader = try Canonical.decode(DataAvailabilityHeader.self, from: Canonical.encode(header))
        #expect(decodedHeader == header)
        try decodedHeader.verify(dataRoot: header.dataRoot)

        for (row, column) in [(0, 0), (3, 5), (7, 7)] {
            let proof = try committed.shareProof(row: row, column: column)
            let decoded = try Canonical.decode(ShareProof.self, from: Canonical.encode(proof))
            #expect(decoded == proof)
            try decoded.verify(header: header)
        }
        let namespace = try #require(committed.square.original().blobs().first?.namespace)
        for probe in [namespace, Namespace(rawValue: 1_000_000)] {
            let proof = try committed.namespaceProof(probe)
            let decoded = try Canonical.decode(NamespaceProof.self, from: Canonical.encode(proof))
            #expect(decoded == proof)
            #expect(try decoded.verify(header: header) == proof.verify(header: header))
        }

        var square = committed.square
        var share = try square.share(row: 6, column: 2)
        share[0] ^= 0x5a
        try square.replaceShare(row: 6, column: 2, with: share)
        let cheat = try CommittedSquare(square)
        let fraud = try #require(try cheat.badEncodingProof())
        let decodedFraud = try Canonical.decode(BadEncodingProof.self, from: Canonical.encode(fraud))
        #expect(decodedFraud == fraud)
        try decodedFraud.verify(dataRoot: cheat.header.dataRoot)
    }

    @Test("truncated, padded and out-of-range encodings are refused")
    func refusals() throws {
        let committed = try Fixtures.committed(width: 4)
        let encoded = Canonical.encode(try committed.shareProof(row: 1, column: 2))
        #expect(throws: CodecError.self) { try Canonical.decode(ShareProof.self, from: Array(encoded.dropLast())) }
        #expect(throws: CodecError.self) { try Canonical.decode(ShareProof.self, from: encoded + [0]) }
        var outside = encoded
        outside[0] = 0xFF  // row 255: past the largest square (254 wide)
        #expect(throws: CodecError.self) { try Canonical.decode(ShareProof.self, from: outside) }
        // A node whose minimum namespace is above its maximum.
        var node = CanonicalEncoder()
        node.write(UInt64(9))
        node.write(UInt64(3))
        node.write(Hash.zero)
        #expect(throws: CodecError.self) { try Canonical.decode(NamespacedNode.self, from: node.bytes) }
        // Roots that are not 2k rows and 2k columns.
        let roots = committed.header.rowRoots
        var header = CanonicalEncoder()
        header.write(roots)
        header.write(Array(roots.dropLast()))
        #expect(throws: CodecError.self) { try Canonical.decode(DataAvailabilityHeader.self, from: header.bytes) }
    }
}
