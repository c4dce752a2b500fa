import DataAvailability
import Primitives
import Testing

@Suite("Shares, the extended square and its commitments")
struct SquareTests {
    @Test("blobs round-trip through the square, sorted by namespace, with tail padding")
    func layoutRoundTrip() throws {
        let blobs = [
            Blob(namespace: Namespace(rawValue: 9), data: Array(repeating: 1, count: 1_200)),
            Blob(namespace: Namespace(rawValue: 3), data: []),
            Blob(namespace: Namespace(rawValue: 9), data: [7, 7]),
            Blob(namespace: Namespace(rawValue: 5), data: Array(repeating: 2, count: ShareFormat.firstShareCapacity)),
        ]
        let square = try DataSquare(blobs: blobs)
        // 3 + 1 + 1 + 1 shares need a 3×3 square; the rest is tail padding.
        #expect(square.width == 3)
        #expect(try square.blobs() == [blobs[1], blobs[3], blobs[0], blobs[2]])
        #expect(Array(square.share(8).prefix(8)) == Namespace.tailPadding.bytes)
        #expect(try DataSquare(blobs: []).width == 1)
    }

    @Test("bad input to the square: reserved namespaces, wrong sizes, unsorted shares, too much data")
    func badSquareInput() throws {
        #expect(throws: DataAvailabilityError.reservedNamespace(.parity)) {
            try DataSquare(blobs: [Blob(namespace: .parity, data: [1])])
        }
        #expect(throws: DataAvailabilityError.truncatedSquare(expected: 2_048, actual: 2_047)) {
            try DataSquare(width: 2, bytes: Array(repeating: 0, count: 2_047))
        }
        #expect(throws: DataAvailabilityError.invalidSquareWidth(128)) {
            try DataSquare(width: 128, bytes: [])
        }
        var unsorted = try DataSquare(blobs: Fixtures.blobs(domains: 4, bytesPerDomain: 100)).bytes
        unsorted.replaceSubrange(0..<8, with: Namespace(rawValue: 1_000).bytes)
        #expect(throws: DataAvailabilityError.namespacesOutOfOrder(index: 1)) {
            try DataSquare(width: 2, bytes: unsorted)
        }
        let tooBig = Blob(
            namespace: Namespace(rawValue: 1), data: Array(repeating: 0, count: ShareFormat.maxSquareBytes))
        #expect(throws: DataAvailabilityError.blockTooLarge(shares: 16_418, maximum: 16_129)) {
            try DataSquare(blobs: [tooBig])
        }
        #expect(throws: DataAvailabilityError.wrongNamespaceSize(actual: 3)) { try Namespace(bytes: [1, 2, 3]) }
        #expect(throws: DataAvailabilityError.truncatedSquare(expected: 4 * 512, actual: 100)) {
            try ExtendedSquare(originalWidth: 1, bytes: Array(repeating: 0, count: 100))
        }
    }

    @Test("the largest block fills a 127×127 square exactly; one more byte is refused")
    func largestBlock() throws {
        let largest =
            ShareFormat.firstShareCapacity + (ShareFormat.maxShares - 1) * ShareFormat.continuationShareCapacity
        #expect(largest == 8_112_883)
        var random = SeededRandom(seed: 127)
        let blob = Blob(namespace: Namespace(rawValue: 1), data: random.bytes(largest))
        let square = try DataSquare(blobs: [blob])
        #expect(square.width == 127 && square.bytes.count == ShareFormat.maxSquareBytes)
        let committed = try CommittedSquare(ExtendedSquare.extend(square))
        #expect(committed.header.rowRoots.count == 254)
        #expect(try committed.square.original().blobs() == [blob])
        try committed.shareProof(row: 253, column: 253).verify(header: committed.header)
        #expect(throws: DataAvailabilityError.blockTooLarge(shares: 16_130, maximum: 16_129)) {
            try DataSquare(blobs: [Blob(namespace: blob.namespace, data: blob.data + [0])])
        }
    }

    @Test("every row and column of the extension is a codeword; the original is kept top-left")
    func extensionIsCodeword() throws {
        for width in [1, 2, 3, 5, 8] {
            let committed = try Fixtures.committed(width: width)
            #expect(try committed.badEncodingProof() == nil, "width \(width)")
            #expect(try committed.square.original() == DataSquare(blobs: try committed.square.original().blobs()))
        }
    }

    @Test("re-extending into an existing square gives the same square, for the same or another width")
    func reextend() throws {
        let first = try DataSquare(blobs: Fixtures.blobs(domains: 3, bytesPerDomain: 2_000, seed: 1))
        let second = try DataSquare(blobs: Fixtures.blobs(domains: 3, bytesPerDomain: 2_000, seed: 2))
        let wider = try DataSquare(blobs: Fixtures.blobs(domains: 9, bytesPerDomain: 2_000, seed: 3))
        var square = try ExtendedSquare.extend(first)
        let kept = square
        try square.extend(second)
        let expectedSecond = try ExtendedSquare.extend(second)
        let expectedFirst = try ExtendedSquare.extend(first)
        let expectedWider = try ExtendedSquare.extend(wider)
        #expect(square == expectedSecond)
        #expect(kept == expectedFirst, "a shared square is copied, not overwritten")
        try square.extend(wider)
        #expect(square.originalWidth == wider.width && square == expectedWider)
    }

    @Test("row and column roots match the recursive NMT definition, parity ignored in the maximum")
    func rootsMatchReference() throws {
        let committed = try Fixtures.committed(width: 3)
        let square = committed.square
        for row in 0..<square.width {
            let leaves = try (0..<square.width).map { column in
                let share = try square.share(row: row, column: column)
                let namespace =
                    row < 3 && column < 3 ? try Namespace(bytes: share.prefix(8)).rawValue : UInt64.max
                return (namespace: namespace, share: share)
            }
            let reference = Fixtures.referenceRoot(leaves[...])
            let root = committed.header.rowRoots[row]
            #expect(root.digest.bytes == reference.digest)
            #expect(root.min.rawValue == reference.min && root.max.rawValue == reference.max)
            if row < 3 { #expect(root.max.rawValue == leaves[2].namespace, "the maximum ignores parity") }
        }
        #expect(committed.header.columnRoots.count == 6)
        let rootsRoot = MerkleTree.root((committed.header.rowRoots + committed.header.columnRoots).map(\.bytes))
        #expect(committed.header.rootsRoot == rootsRoot)
        #expect(committed.header.dataRoot == Hashing.sha256([2, 3, 0, 0, 0] + rootsRoot.bytes))
    }

    @Test("a share proof verifies at its coordinate only, under its own block's roots")
    func shareProofs() throws {
        let committed = try Fixtures.committed(width: 4)
        let other = try Fixtures.committed(width: 4, seed: 99)
        for (row, column) in [(0, 0), (3, 5), (7, 7), (6, 1)] {
            let proof = try committed.shareProof(row: row, column: column)
            try proof.verify(header: committed.header)
            #expect(throws: DataAvailabilityError.self) { try proof.verify(header: other.header) }
            let moved = ShareProof(row: row, column: (column + 1) % 8, share: proof.share, proof: proof.proof)
            #expect(throws: DataAvailabilityError.self) { try moved.verify(header: committed.header) }
        }
        #expect(throws: DataAvailabilityError.coordinateOutOfRange(row: 8, column: 0, width: 8)) {
            try committed.shareProof(row: 8, column: 0)
        }
        let proof = try committed.shareProof(row: 1, column: 1)
        let short = ShareProof(row: 1, column: 1, share: Array(proof.share.dropLast()), proof: proof.proof)
        #expect(throws: DataAvailabilityError.wrongShareSize(actual: 511)) {
            try short.verify(header: committed.header)
        }
        let outside = ShareProof(row: -1, column: 1, share: proof.share, proof: proof.proof)
        #expect(throws: DataAvailabilityError.coordinateOutOfRange(row: -1, column: 1, width: 8)) {
            try outside.verify(header: committed.header)
        }
        #expect(throws: DataAvailabilityError.self) { try committed.header.verify(dataRoot: other.header.dataRoot) }
    }

    @Test("every error says what went wrong")
    func errorDescriptions() {
        let errors: [DataAvailabilityError] = [
            .wrongShareSize(actual: 3), .unrecoverable(missing: 5), .shareUnavailable(row: 1, column: 2),
            .coordinateOutOfRange(row: 9, column: 9, width: 8), .truncatedSquare(expected: 10, actual: 9),
        ]
        for error in errors { #expect(error.description.count > 20, "\(error)") }
    }
}
