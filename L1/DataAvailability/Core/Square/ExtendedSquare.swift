/// The `2k × 2k` square: the original shares top-left and their 2D Reed–Solomon extension.
///
/// Quadrants: Q0 (top-left) is the original; Q1 (top-right) extends Q0's rows; Q2 (bottom-left)
/// extends Q0's columns; Q3 extends Q2's rows, which equals extending Q1's columns because rows and
/// columns use the same linear code. Every row and column is then a codeword: any `k` of its `2k`
/// shares give the rest. The shares are one contiguous row-major buffer, so coding works on
/// pointers into it and no share is allocated on its own.
public struct ExtendedSquare: Hashable, Sendable {
    /// Shares per row of the original square (`k`).
    public private(set) var originalWidth: Int
    /// The `(2k)²` shares, row-major, `ShareFormat.shareSize` bytes each.
    public private(set) var bytes: [UInt8]

    /// Shares per row of the extended square (`2k`).
    public var width: Int { 2 * originalWidth }

    /// A square received as bytes; it need not be a valid extension (see `BadEncodingProof`).
    public init(originalWidth: Int, bytes: [UInt8]) throws(DataAvailabilityError) {
        guard (1...ShareFormat.maxOriginalWidth).contains(originalWidth) else {
            throw .invalidSquareWidth(originalWidth)
        }
        let expected = 4 * originalWidth * originalWidth * ShareFormat.shareSize
        guard bytes.count == expected else { throw .truncatedSquare(expected: expected, actual: bytes.count) }
        self.originalWidth = originalWidth
        self.bytes = bytes
    }

    /// Extends `square` with `codec` (made for its width when nil; pass one to reuse its tables).
    public static func extend(_ square: DataSquare, codec: ErasureCodec? = nil) throws(DataAvailabilityError)
        -> ExtendedSquare
    {
        let k = square.width
        let codec = try ErasureCodec.reusing(codec, dataShards: k)
        let count = 4 * k * k * ShareFormat.shareSize
        // Every byte is written (Q0 copied, Q1 by rows, Q2 and Q3 by columns), so the buffer is not
        // zeroed first.
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            write(square, codec: codec, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
        return ExtendedSquare(checkedWidth: k, bytes: bytes)
    }

    /// Replaces this square with the extension of `square`, reusing its storage when the size matches
    /// and the storage is not shared: a node extending a block after block skips mapping 32 MiB of
    /// fresh pages each time.
    public mutating func extend(_ square: DataSquare, codec: ErasureCodec? = nil) throws(DataAvailabilityError) {
        guard 4 * square.width * square.width * ShareFormat.shareSize == bytes.count else {
            self = try Self.extend(square, codec: codec)
            return
        }
        let codec = try ErasureCodec.reusing(codec, dataShards: square.width)
        bytes.withUnsafeMutableBytes { Self.write(square, codec: codec, into: $0) }
        originalWidth = square.width
    }

    /// Writes the extension of `square` into `target`, which holds exactly `(2k)²` shares.
    private static func write(_ square: DataSquare, codec: ErasureCodec, into target: UnsafeMutableRawBufferPointer) {
        let k = square.width
        let size = ShareFormat.shareSize
        let width = 2 * k
        square.bytes.withUnsafeBytes { source in
            for row in 0..<k {
                (target.baseAddress! + row * width * size).copyMemory(
                    from: source.baseAddress! + row * k * size, byteCount: k * size)
            }
        }
        let base = target.baseAddress!.assumingMemoryBound(to: UInt8.self)
        withShardPointers(count: k) { data, parity in
            // Q1: each original row's k shares give its k parity shares.
            for row in 0..<k {
                for index in 0..<k {
                    data[index] = base + (row * width + index) * size
                    parity[index] = base + (row * width + k + index) * size
                }
                codec.encode(length: size, data: data, parity: parity)
            }
            // Q2 and Q3: each column of the top half gives its bottom half. For the columns of Q1
            // this equals extending Q2's rows, as the code is linear and the same on both axes; one
            // share-wide column at a time keeps its k sources in cache.
            for column in 0..<width {
                for index in 0..<k {
                    data[index] = base + (index * width + column) * size
                    parity[index] = base + ((k + index) * width + column) * size
                }
                codec.encode(length: size, data: data, parity: parity)
            }
        }
    }

    private init(checkedWidth: Int, bytes: [UInt8]) {
        self.originalWidth = checkedWidth
        self.bytes = bytes
    }

    /// Throws unless (`row`, `column`) lies in the extended square.
    func check(row: Int, column: Int) throws(DataAvailabilityError) {
        guard (0..<width).contains(row), (0..<width).contains(column) else {
            throw .coordinateOutOfRange(row: row, column: column, width: width)
        }
    }

    /// The share at (`row`, `column`).
    public func share(row: Int, column: Int) throws(DataAvailabilityError) -> [UInt8] {
        try check(row: row, column: column)
        let start = (row * width + column) * ShareFormat.shareSize
        return Array(bytes[start..<start + ShareFormat.shareSize])
    }

    /// Replaces the share at (`row`, `column`) (for tests and fraud scenarios: the result may not be
    /// a valid extension any more).
    public mutating func replaceShare(row: Int, column: Int, with share: [UInt8]) throws(DataAvailabilityError) {
        try check(row: row, column: column)
        guard share.count == ShareFormat.shareSize else { throw .wrongShareSize(actual: share.count) }
        let start = (row * width + column) * ShareFormat.shareSize
        bytes.replaceSubrange(start..<start + ShareFormat.shareSize, with: share)
    }

    /// The original square (Q0).
    public func original() throws(DataAvailabilityError) -> DataSquare {
        var shares: [UInt8] = []
        shares.reserveCapacity(originalWidth * originalWidth * ShareFormat.shareSize)
        for row in 0..<originalWidth {
            let start = row * width * ShareFormat.shareSize
            shares += bytes[start..<start + originalWidth * ShareFormat.shareSize]
        }
        return try DataSquare(width: originalWidth, bytes: shares)
    }

    /// The namespace a share's leaf carries: its own in Q0, the parity namespace elsewhere.
    static func leafNamespace(row: Int, column: Int, originalWidth: Int, share: UnsafeRawPointer) -> Namespace {
        row < originalWidth && column < originalWidth ? Namespace(loadingFrom: share) : .parity
    }
}

/// Calls `body` with two arrays of `count` shard pointers, allocated once for all the rows.
func withShardPointers<R, E: Error>(
    count: Int,
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>)
        throws(E) -> R
) throws(E) -> R {
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>.allocate(capacity: 2 * max(count, 1))
    pointers.initialize(repeating: nil, count: 2 * max(count, 1))
    defer { pointers.deallocate() }
    return try body(pointers, pointers + max(count, 1))
}
