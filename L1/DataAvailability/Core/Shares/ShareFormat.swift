/// The fixed sizes of the data-availability square (Docs/spec/data-availability.md).
///
/// A share is `namespace (8) ‖ info (1) ‖ [sequence length, UInt32 LE, first share only] ‖ data`,
/// zero-padded to 512 bytes. Bit 0 of the info byte marks the first share of a blob; the other bits
/// are zero (format version 0). A padding share is its namespace followed by zeros.
public enum ShareFormat {
    /// Bytes in a share.
    public static let shareSize = 512
    /// Offset of the info byte.
    static let infoOffset = Namespace.byteCount
    /// Info-byte flag of a blob's first share.
    static let sequenceStart: UInt8 = 0x01
    /// Blob bytes carried by a blob's first share (after namespace, info and the length).
    public static let firstShareCapacity = shareSize - Namespace.byteCount - 1 - 4
    /// Blob bytes carried by each later share of the blob.
    public static let continuationShareCapacity = shareSize - Namespace.byteCount - 1

    /// The widest original square: ISA-L codes at most 255 shards per codeword and a row of the
    /// extended square is `2k` shards, so `k ≤ 127`.
    public static let maxOriginalWidth = 127
    /// Shares in the largest original square (16 129).
    public static let maxShares = maxOriginalWidth * maxOriginalWidth
    /// Bytes of shares in the largest original square: 8 258 048 (7.88 MiB).
    public static let maxSquareBytes = maxShares * shareSize

    /// Shares a blob of `count` bytes occupies.
    public static func sharesNeeded(forBlobOf count: Int) -> Int {
        count <= firstShareCapacity
            ? 1 : 1 + (count - firstShareCapacity + continuationShareCapacity - 1) / continuationShareCapacity
    }
}

/// A domain's data for one block: bytes under a namespace.
public struct Blob: Hashable, Sendable {
    /// The domain's namespace (not one of the reserved ones).
    public var namespace: Namespace
    /// The bytes (at most `UInt32.max`).
    public var data: [UInt8]

    /// A blob of `data` under `namespace`.
    public init(namespace: Namespace, data: [UInt8]) {
        self.namespace = namespace
        self.data = data
    }
}
