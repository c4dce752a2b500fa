/// The original `k×k` square of shares, row-major, sorted by namespace.
///
/// `init(blobs:)` lays blobs out (stably sorted by namespace, each starting on a fresh share) in
/// the smallest square that holds them and fills the rest with tail-padding shares. `init(width:bytes:)`
/// accepts a square from elsewhere and checks it. Either way the result is a valid input to
/// `ExtendedSquare.extend`.
public struct DataSquare: Hashable, Sendable {
    /// Shares per row and per column (`k`).
    public let width: Int
    /// The `width²` shares, row-major, `ShareFormat.shareSize` bytes each.
    public let bytes: [UInt8]

    /// Checks and wraps a square of `width × width` shares.
    public init(width: Int, bytes: [UInt8]) throws(DataAvailabilityError) {
        guard (1...ShareFormat.maxOriginalWidth).contains(width) else { throw .invalidSquareWidth(width) }
        let expected = width * width * ShareFormat.shareSize
        guard bytes.count == expected else { throw .truncatedSquare(expected: expected, actual: bytes.count) }
        let problem: DataAvailabilityError? = bytes.withUnsafeBytes { buffer in
            var previous = Namespace(rawValue: 0)
            for index in 0..<width * width {
                let namespace = Namespace(loadingFrom: buffer.baseAddress! + index * ShareFormat.shareSize)
                if namespace == .parity { return .reservedNamespace(namespace) }
                if namespace < previous { return .namespacesOutOfOrder(index: index) }
                previous = namespace
            }
            return nil
        }
        if let problem { throw problem }
        self.width = width
        self.bytes = bytes
    }

    /// Lays `blobs` out in the smallest square that holds them (width 1 for no blobs).
    public init(blobs: [Blob]) throws(DataAvailabilityError) {
        for blob in blobs where blob.namespace.isReserved { throw .reservedNamespace(blob.namespace) }
        let sorted = blobs.enumerated().sorted {
            ($0.element.namespace, $0.offset) < ($1.element.namespace, $1.offset)
        }.map(\.element)
        let needed = sorted.reduce(0) { $0 + ShareFormat.sharesNeeded(forBlobOf: $1.data.count) }
        guard needed <= ShareFormat.maxShares else {
            throw .blockTooLarge(shares: needed, maximum: ShareFormat.maxShares)
        }
        var width = 1
        while width * width < needed { width += 1 }

        var bytes = [UInt8](repeating: 0, count: width * width * ShareFormat.shareSize)
        bytes.withUnsafeMutableBytes { buffer in
            var share = 0
            for blob in sorted {
                share = Self.write(blob, at: share, into: buffer)
            }
            for index in share..<width * width {
                Namespace.tailPadding.store(to: buffer.baseAddress! + index * ShareFormat.shareSize)
            }
        }
        self.width = width
        self.bytes = bytes
    }

    /// Writes `blob` from share `first` on; returns the next free share.
    private static func write(_ blob: Blob, at first: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var share = first
        var offset = 0
        repeat {
            let base = buffer.baseAddress! + share * ShareFormat.shareSize
            blob.namespace.store(to: base)
            var header = Namespace.byteCount + 1
            if offset == 0 {
                base.storeBytes(of: ShareFormat.sequenceStart, toByteOffset: ShareFormat.infoOffset, as: UInt8.self)
                base.storeBytes(of: UInt32(blob.data.count).littleEndian, toByteOffset: header, as: UInt32.self)
                header += 4
            }
            let count = min(ShareFormat.shareSize - header, blob.data.count - offset)
            blob.data.withUnsafeBytes { source in
                if count > 0 { (base + header).copyMemory(from: source.baseAddress! + offset, byteCount: count) }
            }
            offset += count
            share += 1
        } while offset < blob.data.count
        return share
    }

    /// Shares in the square (`width²`).
    public var shareCount: Int { width * width }

    /// The bytes of share `index` (row-major).
    public func share(_ index: Int) -> ArraySlice<UInt8> {
        bytes[index * ShareFormat.shareSize..<(index + 1) * ShareFormat.shareSize]
    }

    /// The blobs the shares hold, in square order (tail padding skipped).
    public func blobs() throws(DataAvailabilityError) -> [Blob] {
        var blobs: [Blob] = []
        var index = 0
        while index < shareCount {
            let share = Array(share(index))
            let namespace = try Namespace(bytes: share[0..<Namespace.byteCount])
            if namespace == .tailPadding {
                index += 1
                continue
            }
            guard share[ShareFormat.infoOffset] == ShareFormat.sequenceStart else {
                throw .malformedShare(index: index, reason: "expected the first share of a blob")
            }
            let length = share[9..<13].reversed().reduce(0) { $0 << 8 | Int($1) }
            let needed = ShareFormat.sharesNeeded(forBlobOf: length)
            guard index + needed <= shareCount else {
                throw .malformedShare(index: index, reason: "blob of \(length) bytes runs past the square")
            }
            var data = Array(share[13..<min(13 + length, ShareFormat.shareSize)])
            for next in index + 1..<index + needed {
                let continuation = self.share(next)
                let start = continuation.startIndex
                guard try Namespace(bytes: continuation[start..<start + 8]) == namespace,
                    continuation[start + ShareFormat.infoOffset] == 0
                else { throw .malformedShare(index: next, reason: "expected a continuation of the blob at \(index)") }
                let take = min(ShareFormat.continuationShareCapacity, length - data.count)
                data += continuation[start + 9..<start + 9 + take]
            }
            blobs.append(Blob(namespace: namespace, data: data))
            index += needed
        }
        return blobs
    }
}
