public import Primitives

/// Some of an extended square's shares, to be rebuilt into the whole square.
///
/// Any `k` shares of a row or column give the rest of it, so rebuilding alternates passes over the
/// rows and the columns, decoding each line that has at least `k` shares, until the square is
/// complete or a pass makes no progress. Any `k × k` shares in one quadrant's position suffice;
/// withholding `(k+1) × (k+1)` shares can make a square unrecoverable.
public struct PartialSquare: Sendable {
    /// Shares per row of the original square (`k`).
    public let originalWidth: Int
    private var bytes: [UInt8]
    private var present: [Bool]

    /// An empty square of original width `originalWidth`.
    public init(originalWidth: Int) throws(DataAvailabilityError) {
        guard (1...ShareFormat.maxOriginalWidth).contains(originalWidth) else {
            throw .invalidSquareWidth(originalWidth)
        }
        self.originalWidth = originalWidth
        bytes = [UInt8](repeating: 0, count: 4 * originalWidth * originalWidth * ShareFormat.shareSize)
        present = [Bool](repeating: false, count: 4 * originalWidth * originalWidth)
    }

    /// Shares per row of the extended square (`2k`).
    public var width: Int { 2 * originalWidth }
    /// Shares present so far.
    public var presentCount: Int { present.count { $0 } }

    /// Adds the share at (`row`, `column`).
    public mutating func insert(_ share: [UInt8], row: Int, column: Int) throws(DataAvailabilityError) {
        guard (0..<width).contains(row), (0..<width).contains(column) else {
            throw .coordinateOutOfRange(row: row, column: column, width: width)
        }
        guard share.count == ShareFormat.shareSize else { throw .wrongShareSize(actual: share.count) }
        let start = (row * width + column) * ShareFormat.shareSize
        bytes.replaceSubrange(start..<start + ShareFormat.shareSize, with: share)
        present[row * width + column] = true
    }

    /// Rebuilds the whole square and checks it against `dataRoot`.
    ///
    /// - Throws: `unrecoverable` when too few shares are present; `reconstructedRootMismatch` when
    ///   the shares given do not belong to a square with that data root.
    public func reconstruct(dataRoot: Hash, codec: ErasureCodec? = nil) throws(DataAvailabilityError)
        -> CommittedSquare
    {
        let k = originalWidth
        let codec = try ErasureCodec.reusing(codec, dataShards: k)
        var bytes = self.bytes
        var present = self.present
        var decoders: [[Bool]: ErasureCodec.Decoder] = [:]
        let width = self.width
        let size = ShareFormat.shareSize

        let failure = bytes.withUnsafeMutableBytes { (buffer) -> DataAvailabilityError? in
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            do throws(DataAvailabilityError) {
                try withShardPointers(count: width) { (sources, outputs) throws(DataAvailabilityError) in
                    var missingCount = present.count { !$0 }
                    while missingCount > 0 {
                        var progress = false
                        for axis in [Axis.row, .column] {
                            for line in 0..<width {
                                let cell = { (position: Int) in
                                    axis == .row ? line * width + position : position * width + line
                                }
                                let pattern = (0..<width).map { present[cell($0)] }
                                let available = pattern.count { $0 }
                                guard available >= k, available < width else { continue }
                                let chosen = Array((0..<width).filter { pattern[$0] }.prefix(k))
                                let missing = (0..<width).filter { !pattern[$0] }
                                let decoder: ErasureCodec.Decoder
                                if let cached = decoders[pattern] {
                                    decoder = cached
                                } else {
                                    decoder = try codec.decoder(sources: chosen, missing: missing)
                                    decoders[pattern] = decoder
                                }
                                for (index, position) in chosen.enumerated() {
                                    sources[index] = base + cell(position) * size
                                }
                                for (index, position) in missing.enumerated() {
                                    outputs[index] = base + cell(position) * size
                                    present[cell(position)] = true
                                }
                                codec.decode(decoder, length: size, sources: sources, outputs: outputs)
                                missingCount -= missing.count
                                progress = true
                            }
                        }
                        if !progress { throw .unrecoverable(missing: missingCount) }
                    }
                }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        let committed: CommittedSquare
        do {
            committed = try CommittedSquare(ExtendedSquare(originalWidth: k, bytes: bytes))
        } catch {
            throw .rootMismatch("the rebuilt square has no valid commitment (\(error)); some shares given were wrong")
        }
        guard committed.header.dataRoot == dataRoot else {
            throw .reconstructedRootMismatch(expected: dataRoot, actual: committed.header.dataRoot)
        }
        return committed
    }
}
