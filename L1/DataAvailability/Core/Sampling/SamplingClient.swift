public import Primitives

/// A light client's availability check of one block: sample random shares, verify each.
///
/// With the 2D code, a block whose data cannot be rebuilt has at least `(k+1)²` of its `4k²` shares
/// withheld, more than a quarter. Each uniformly drawn sample then hits a withheld share with
/// probability above 1/4, so `s` samples all succeed on such a block with probability below
/// `(3/4)^s`; drawing distinct coordinates only lowers it. The client reports `1 − (3/4)^s` as its
/// confidence that the block is available (Docs/spec/data-availability.md).
public struct SamplingClient: Sendable {
    /// The data root from the block header the client trusts.
    public let dataRoot: Hash

    /// A client for the block with `dataRoot`.
    public init(dataRoot: Hash) {
        self.dataRoot = dataRoot
    }

    /// The confidence that a block is available after `samples` verified samples: `1 − (3/4)^s`.
    public static func confidence(samples: Int) -> Double {
        var miss = 1.0
        for _ in 0..<max(samples, 0) { miss *= 0.75 }
        return 1 - miss
    }

    /// Samples `count` distinct coordinates drawn with `generator`, fetches and verifies each.
    ///
    /// - Throws: `rootMismatch` when the source's roots are not the block's; `shareUnavailable` for
    ///   the first withheld share; `invalidSample` for the first share whose proof fails.
    public func sample(
        from source: some ShareSource, count: Int, using generator: inout some RandomNumberGenerator
    ) async throws -> SamplingReport {
        let header = try await source.header()
        try header.verify(dataRoot: dataRoot)
        let coordinates = Self.coordinates(count: count, width: header.width, using: &generator)
        for (row, column) in coordinates {
            let sample: ShareProof
            do {
                sample = try await source.share(row: row, column: column)
            } catch let error as DataAvailabilityError {
                throw error
            } catch {
                throw DataAvailabilityError.shareUnavailable(row: row, column: column)
            }
            guard sample.row == row, sample.column == column else {
                throw DataAvailabilityError.invalidSample(
                    row: row, column: column, reason: "the source answered for (\(sample.row), \(sample.column))")
            }
            do {
                try sample.verify(header: header)
            } catch {
                throw DataAvailabilityError.invalidSample(row: row, column: column, reason: error.description)
            }
        }
        return SamplingReport(
            width: header.width, coordinates: coordinates, confidence: Self.confidence(samples: coordinates.count))
    }

    /// `count` distinct coordinates of a `width × width` square (all of them when `count` is larger).
    static func coordinates(count: Int, width: Int, using generator: inout some RandomNumberGenerator)
        -> [(row: Int, column: Int)]
    {
        let total = width * width
        var chosen: [Int] = []
        var seen = Set<Int>()
        while chosen.count < min(max(count, 0), total) {
            let cell = Int.random(in: 0..<total, using: &generator)
            if seen.insert(cell).inserted { chosen.append(cell) }
        }
        return chosen.map { ($0 / width, $0 % width) }
    }
}

/// What a successful sampling run checked.
public struct SamplingReport: Sendable {
    /// The extended square's width.
    public let width: Int
    /// The coordinates sampled, in order.
    public let coordinates: [(row: Int, column: Int)]
    /// `1 − (3/4)^s` for `s` samples: the probability that an unavailable block would have been caught.
    public let confidence: Double
}
