/// Where a light client gets a block's roots and sampled shares: a full node over JSON-RPC, or an
/// in-memory square in tests.
///
/// A source may fail (withhold a share, be unreachable) or lie (a wrong share or proof); the client
/// checks everything it returns against the data root from the block header.
public protocol ShareSource: Sendable {
    /// The block's `2k` row and `2k` column roots.
    func header() async throws -> DataAvailabilityHeader
    /// The share at (`row`, `column`) of the extended square with its proof against the row root.
    ///
    /// Throw `DataAvailabilityError.shareUnavailable` for a share the source does not have.
    func share(row: Int, column: Int) async throws -> ShareProof
}

/// A source serving a committed square from memory, optionally withholding some shares.
public struct InMemoryShareSource: ShareSource {
    /// The square served.
    public let square: CommittedSquare
    /// Positions (`row * 2k + column`) the source refuses to serve.
    public let withheld: Set<Int>

    /// A source serving `square`, refusing the shares at `withheld` (row-major indices).
    public init(square: CommittedSquare, withheld: Set<Int> = []) {
        self.square = square
        self.withheld = withheld
    }

    /// A source that withholds the `(k+1) × (k+1)` top-left corner: the smallest withholding that
    /// makes the square unrecoverable, about a quarter of it.
    public static func withholdingCorner(of square: CommittedSquare) -> InMemoryShareSource {
        let width = square.square.width
        let side = square.square.originalWidth + 1
        let withheld = Set((0..<side).flatMap { row in (0..<side).map { row * width + $0 } })
        return InMemoryShareSource(square: square, withheld: withheld)
    }

    public func header() async throws -> DataAvailabilityHeader { square.header }

    public func share(row: Int, column: Int) async throws -> ShareProof {
        let width = square.square.width
        if (0..<width).contains(row), (0..<width).contains(column), withheld.contains(row * width + column) {
            throw DataAvailabilityError.shareUnavailable(row: row, column: column)
        }
        return try square.shareProof(row: row, column: column)
    }
}
