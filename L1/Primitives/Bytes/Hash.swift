/// A 32-byte hash: block ids, state roots, Merkle nodes, message digests.
///
/// Stored as four machine words so equality, hashing and ordering are cheap; ordering is
/// lexicographic on the bytes (the order a sorted key-value store would give).
public struct Hash: Hashable, Sendable, Comparable {
    /// The number of bytes in a hash.
    public static let byteCount = 32

    // The 32 bytes in memory order; each word holds 8 bytes as they sit in memory.
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The all-zero hash (also the empty-subtree placeholder of the sparse Merkle tree).
    public static let zero = Hash(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// A hash from exactly 32 bytes.
    /// - Throws: `HashLengthError` when `bytes` is not 32 bytes long.
    public init(_ bytes: some Collection<UInt8>) throws(HashLengthError) {
        guard bytes.count == Hash.byteCount else { throw HashLengthError(actual: bytes.count) }
        self = .zero
        withUnsafeMutableBytes { destination in
            for (index, byte) in bytes.enumerated() { destination[index] = byte }
        }
    }

    /// A hash copied from the first 32 bytes of `buffer`, which must hold at least 32 bytes.
    package init(unchecked buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count >= Hash.byteCount)
        self = .zero
        withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<32])) }
    }

    /// Parses 64 hex digits (an optional `0x` prefix is allowed).
    public init(hex: String) throws(HexError) {
        let bytes = try Hex.decode(hex, count: Hash.byteCount)
        self = .zero
        withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Lower-case hex of the 32 bytes.
    public var hex: String { Hex.encode(bytes) }

    /// Calls `body` with the 32 bytes in order.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = words
        return try Swift.withUnsafeBytes(of: &copy) { (buffer) throws(E) -> R in try body(buffer) }
    }

    /// Calls `body` with the 32 bytes, to overwrite them.
    package mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &words) { try body($0) }
    }

    /// The byte at `index` (0..<32).
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < Hash.byteCount, "hash byte index out of range")
        return withUnsafeBytes { $0[index] }
    }

    /// Bit `index` (0 = the most significant bit of byte 0), as used for tree paths.
    public func bit(at index: Int) -> Bool {
        (self[index >> 3] >> (7 - UInt8(index & 7))) & 1 == 1
    }

    public static func == (lhs: Hash, rhs: Hash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    public static func < (lhs: Hash, rhs: Hash) -> Bool {
        // Words hold bytes in memory order; big-endian views compare like the bytes do.
        let left = (lhs.words.0.bigEndian, lhs.words.1.bigEndian, lhs.words.2.bigEndian, lhs.words.3.bigEndian)
        let right = (rhs.words.0.bigEndian, rhs.words.1.bigEndian, rhs.words.2.bigEndian, rhs.words.3.bigEndian)
        return left < right
    }
}

extension Hash: CustomStringConvertible {
    public var description: String { hex }
}

/// A hash was built from a byte string that is not 32 bytes long.
public struct HashLengthError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The length that was given.
    public let actual: Int
    public var description: String { "a hash is 32 bytes, got \(actual)" }
}
