import DataAvailability
import Primitives
import Testing

@Suite("Namespace proofs, reconstruction and bad-encoding proofs")
struct ProofTests {
    @Test("a namespace proof returns exactly the domain's shares, across rows")
    func namespaceProofs() throws {
        let blobs = Fixtures.blobs(domains: 5, bytesPerDomain: 1_700)  // 4 shares each: 20 shares, k = 5
        let committed = try Fixtures.committed(blobs)
        let original = try committed.square.original()
        for blob in blobs {
            let shares = try committed.namespaceProof(blob.namespace).verify(header: committed.header)
            let expected = (0..<original.shareCount).map { Array(original.share($0)) }
                .filter { $0.prefix(8).elementsEqual(blob.namespace.bytes) }
            #expect(shares == expected)
            #expect(shares.count == ShareFormat.sharesNeeded(forBlobOf: blob.data.count))
        }
    }

    @Test("absence proofs for a namespace between domains, and none needed outside every range")
    func absenceProofs() throws {
        let committed = try Fixtures.committed(Fixtures.blobs(domains: 5, bytesPerDomain: 1_700))
        let between = Namespace(rawValue: 40)  // domains are 16, 32, 48, 64, 80
        let proof = try committed.namespaceProof(between)
        #expect(!proof.rows.isEmpty && proof.rows.allSatisfy { $0.absenceLeaf != nil })
        #expect(try proof.verify(header: committed.header).isEmpty)
        let below = try committed.namespaceProof(Namespace(rawValue: 1))
        #expect(below.rows.isEmpty)
        #expect(try below.verify(header: committed.header).isEmpty)
    }

    @Test("a namespace proof that leaves out a share, or claims absence of present data, is refused")
    func incompleteNamespaceProofs() throws {
        let blobs = Fixtures.blobs(domains: 5, bytesPerDomain: 1_700)
        let committed = try Fixtures.committed(blobs)
        let proof = try committed.namespaceProof(blobs[1].namespace)
        // Drop the last share of the first row: the range shrinks and a subtree of the namespace is outside it.
        let first = proof.rows[0]
        let shortened = try committed.namespaceProof(blobs[1].namespace).rows[0]
        let range = shortened.proof.range.lowerBound..<shortened.proof.range.upperBound - 1
        if !range.isEmpty {
            let leaves = try (0..<committed.header.width).map { column in
                let share = try committed.square.share(row: first.row, column: column)
                let namespace =
                    column < committed.header.originalWidth ? try Namespace(bytes: share.prefix(8)) : .parity
                return Probe.leaf(namespace, share)
            }
            let tree = try NamespacedMerkleTree.proof(leaves, range: range)
            let cut = NamespaceProof.RowProof(
                row: first.row, shares: Array(first.shares.dropLast()), absenceLeaf: nil, proof: tree)
            let bad = NamespaceProof(namespace: blobs[1].namespace, rows: [cut] + proof.rows.dropFirst())
            #expect(throws: DataAvailabilityError.self) { try bad.verify(header: committed.header) }
        }
        // Claiming absence in a row that holds the namespace: the subtrees left of the claimed gap reach it.
        let row = proof.rows[1].row
        let rowLeaves = try (0..<committed.header.width).map { column in
            let share = try committed.square.share(row: row, column: column)
            let namespace = column < committed.header.originalWidth ? try Namespace(bytes: share.prefix(8)) : .parity
            return Probe.leaf(namespace, share)
        }
        let above = try #require(rowLeaves.firstIndex { $0.min > blobs[1].namespace })
        let fakeAbsence = NamespaceProof.RowProof(
            row: row, shares: [], absenceLeaf: rowLeaves[above],
            proof: try NamespacedMerkleTree.proof(rowLeaves, range: above..<above + 1))
        var rows = proof.rows
        rows[1] = fakeAbsence
        #expect(throws: DataAvailabilityError.self) {
            try NamespaceProof(namespace: blobs[1].namespace, rows: rows).verify(header: committed.header)
        }
        let missingRow = NamespaceProof(namespace: blobs[1].namespace, rows: Array(proof.rows.dropLast()))
        #expect(throws: DataAvailabilityError.self) { try missingRow.verify(header: committed.header) }
        let other = try Fixtures.committed(Fixtures.blobs(domains: 5, bytesPerDomain: 1_700, seed: 2))
        #expect(throws: DataAvailabilityError.self) { try proof.verify(header: other.header) }
    }

    @Test("the square is rebuilt from any one quadrant, and checked against the data root")
    func reconstruction() throws {
        let committed = try Fixtures.committed(width: 6)
        let width = committed.square.width
        for (rowOffset, columnOffset) in [(0, 0), (6, 6), (0, 6), (6, 0)] {
            var partial = try PartialSquare(originalWidth: 6)
            for row in 0..<6 {
                for column in 0..<6 {
                    try partial.insert(
                        committed.square.share(row: row + rowOffset, column: column + columnOffset),
                        row: row + rowOffset, column: column + columnOffset)
                }
            }
            let rebuilt = try partial.reconstruct(dataRoot: committed.header.dataRoot)
            #expect(rebuilt.square == committed.square)
        }
        // Three quarters at random positions also suffice.
        var random = SeededRandom(seed: 5)
        var partial = try PartialSquare(originalWidth: 6)
        for cell in (0..<width * width).shuffled(using: &random).prefix(width * width * 3 / 4) {
            try partial.insert(
                committed.square.share(row: cell / width, column: cell % width), row: cell / width, column: cell % width
            )
        }
        #expect(try partial.reconstruct(dataRoot: committed.header.dataRoot).square == committed.square)
    }

    @Test("any k shares of every row decode it: random erasure patterns, one per row")
    func randomErasurePatterns() throws {
        for width in [1, 2, 5, 16] {
            let committed = try Fixtures.committed(width: width)
            var random = SeededRandom(seed: UInt64(width))
            var partial = try PartialSquare(originalWidth: width)
            for row in 0..<2 * width {
                for column in (0..<2 * width).shuffled(using: &random).prefix(width) {
                    try partial.insert(committed.square.share(row: row, column: column), row: row, column: column)
                }
            }
            #expect(partial.presentCount == 2 * width * width)
            let rebuilt = try partial.reconstruct(dataRoot: committed.header.dataRoot)
            #expect(rebuilt.square == committed.square, "width \(width)")
        }
    }

    @Test("withholding a (k+1)² corner makes the square unrecoverable; wrong shares fail the root check")
    func reconstructionFailures() throws {
        let committed = try Fixtures.committed(width: 4)
        var partial = try PartialSquare(originalWidth: 4)
        for row in 0..<8 {
            for column in 0..<8 where row > 4 || column > 4 {
                try partial.insert(committed.square.share(row: row, column: column), row: row, column: column)
            }
        }
        #expect(throws: DataAvailabilityError.unrecoverable(missing: 25)) {
            try partial.reconstruct(dataRoot: committed.header.dataRoot)
        }
        var wrong = try PartialSquare(originalWidth: 4)
        for row in 0..<4 {
            for column in 0..<4 {
                var share = try committed.square.share(row: row, column: column)
                if row == 3 && column == 3 { share[100] ^= 1 }
                try wrong.insert(share, row: row, column: column)
            }
        }
        #expect(throws: DataAvailabilityError.self) { try wrong.reconstruct(dataRoot: committed.header.dataRoot) }
        #expect(throws: DataAvailabilityError.wrongShareSize(actual: 10)) {
            try wrong.insert(Array(repeating: 0, count: 10), row: 0, column: 0)
        }
        #expect(throws: DataAvailabilityError.coordinateOutOfRange(row: 0, column: 8, width: 8)) {
            try wrong.insert(Array(repeating: 0, count: 512), row: 0, column: 8)
        }
    }

    @Test("a corrupted parity share yields a bad-encoding proof that verifies with the data root alone")
    func badEncodingProofs() throws {
        let honest = try Fixtures.committed(width: 4)
        for (row, column) in [(1, 6), (6, 2), (7, 7)] {
            var square = honest.square
            var share = try square.share(row: row, column: column)
            share[0] ^= 0x5a
            try square.replaceShare(row: row, column: column, with: share)
            let cheat = try CommittedSquare(square)  // the producer commits to the bad square
            let proof = try #require(try cheat.badEncodingProof())
            try proof.verify(dataRoot: cheat.header.dataRoot)
            #expect(throws: DataAvailabilityError.self) { try proof.verify(dataRoot: honest.header.dataRoot) }
        }
        // A proof about a correctly encoded line (row 1 is untouched) proves nothing.
        var square = honest.square
        var share = try square.share(row: 0, column: 5)
        share[9] ^= 1
        try square.replaceShare(row: 0, column: 5, with: share)
        let cheat = try CommittedSquare(square)
        let proof = try #require(try cheat.badEncodingProof())
        #expect(proof.axis == .row && proof.index == 0)
        try proof.verify(dataRoot: cheat.header.dataRoot)
        let honestLine = try Probe.rowProof(cheat, row: 1)
        #expect(
            throws: DataAvailabilityError.invalidFraudProof(
                "row 1 decodes to its committed root; it is correctly encoded")
        ) {
            try honestLine.verify(dataRoot: cheat.header.dataRoot)
        }
        // Every root proof must be for the square's size: a path that also verifies under another
        // total could pass a row root off as a column root.
        var items = proof.items
        let first = items[0]
        items[0] = BadEncodingProof.Item(
            position: first.position, share: first.share, proof: first.proof, orthogonalRoot: first.orthogonalRoot,
            orthogonalRootProof: MerkleProof(
                index: first.orthogonalRootProof.index, total: first.orthogonalRootProof.total - 2,
                aunts: first.orthogonalRootProof.aunts))
        let retotalled = BadEncodingProof(
            axis: proof.axis, index: proof.index, rootsRoot: proof.rootsRoot, root: proof.root,
            rootProof: proof.rootProof, items: items)
        #expect(throws: DataAvailabilityError.invalidProof("a 8-wide square has 16 roots, the proof says 14")) {
            try retotalled.verify(dataRoot: cheat.header.dataRoot)
        }
        // Claiming another square width for the line's root breaks the data root's binding of k.
        let rewidened = BadEncodingProof(
            axis: proof.axis, index: proof.index, rootsRoot: proof.rootsRoot, root: proof.root,
            rootProof: MerkleProof(index: proof.rootProof.index, total: 12, aunts: proof.rootProof.aunts),
            items: Array(proof.items.dropLast()))
        #expect(throws: DataAvailabilityError.self) { try rewidened.verify(dataRoot: cheat.header.dataRoot) }
        let truncated = BadEncodingProof(
            axis: proof.axis, index: proof.index, rootsRoot: proof.rootsRoot, root: proof.root,
            rootProof: proof.rootProof,
            items: Array(proof.items.dropLast()))
        #expect(throws: DataAvailabilityError.self) { try truncated.verify(dataRoot: cheat.header.dataRoot) }
    }
}

/// Proof pieces built from the public definitions, independently of the library's builders.
enum Probe {
    /// The leaf node: `ns ‖ ns ‖ SHA-256(0x00 ‖ ns ‖ share)`.
    static func leaf(_ namespace: Namespace, _ share: [UInt8]) -> NamespacedNode {
        NamespacedNode(min: namespace, max: namespace, digest: Hashing.sha256([0] + namespace.bytes + share))
    }

    /// A bad-encoding proof for `row` from its first k shares, whatever the row holds.
    static func rowProof(_ committed: CommittedSquare, row: Int) throws -> BadEncodingProof {
        let header = committed.header
        let items = try (0..<header.originalWidth).map { column in
            let leaves = try (0..<header.width).map { index in
                let share = try committed.square.share(row: index, column: column)
                let inOriginal = index < header.originalWidth && column < header.originalWidth
                return leaf(inOriginal ? try Namespace(bytes: share.prefix(8)) : .parity, share)
            }
            return BadEncodingProof.Item(
                position: column, share: try committed.square.share(row: row, column: column),
                proof: try NamespacedMerkleTree.proof(leaves, range: row..<row + 1),
                orthogonalRoot: header.columnRoots[column],
                orthogonalRootProof: try header.rootProof(.column, index: column))
        }
        return BadEncodingProof(
            axis: .row, index: row, rootsRoot: header.rootsRoot, root: header.rowRoots[row],
            rootProof: try header.rootProof(.row, index: row),
            items: items)
    }
}
