public import Chain
public import Primitives

/// Transactions as they travel between nodes: a batch per network message, not one message each.
///
/// At thousands of transactions a second, one message per transaction costs every link a frame,
/// an encryption, a write and, on the receiving side, a hop into the node's actor, each one; a
/// batch pays those once for hundreds of transactions. A node buffers what it admitted from its
/// clients for at most `TransactionGossip.flushDelayMilliseconds` (or until the buffer is full)
/// and broadcasts the buffer as one `TransactionBatch`.
///
/// Wire format (Docs/spec/network.md, "Transactions channel"): the canonical encoding of a list
/// of byte strings, each one signed transaction's canonical encoding.
public struct TransactionBatch: Equatable, Sendable {
    /// The encoded signed transactions.
    public var transactions: [[UInt8]]

    /// The most transactions one batch may carry.
    public static let maximumCount = 1_024
    /// The most bytes of transactions one batch may carry (well below the frame limit).
    public static let maximumBytes = 1 << 20

    /// A batch of `transactions`.
    public init(_ transactions: [[UInt8]]) { self.transactions = transactions }

    /// The decoder limits of one batch.
    static let limits = CodecLimits(
        maxInputBytes: maximumBytes + 8 * maximumCount, maxByteStringLength: SignedTransaction.maxEncodedSize,
        maxCollectionCount: maximumCount, maxDepth: 4)

    /// Decodes a batch a peer sent.
    /// - Throws: `CodecError` when the bytes are not a batch within the limits.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> TransactionBatch {
        try Canonical.decode(TransactionBatch.self, from: bytes, limits: limits)
    }
}

extension TransactionBatch: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeLength(transactions.count)
        for transaction in transactions { encoder.write(bytes: transaction) }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let count = try decoder.readLength(limit: Self.maximumCount)
        var transactions: [[UInt8]] = []
        transactions.reserveCapacity(count)
        for _ in 0..<count { transactions.append(try decoder.readBytes(maxLength: SignedTransaction.maxEncodedSize)) }
        self.transactions = transactions
    }
}

/// The transactions a node admitted and has not broadcast yet. Pure: the node decides when to
/// flush from what `append` answers and from a timer of `flushDelayMilliseconds`.
struct TransactionGossip {
    /// How long a transaction may wait for others before it is sent.
    static let flushDelayMilliseconds: UInt64 = 5

    private(set) var pending: [[UInt8]] = []
    private(set) var bytes = 0
    /// True while a flush timer is running.
    var timerScheduled = false

    var isEmpty: Bool { pending.isEmpty }

    /// What the node should do after `append`.
    enum Next: Equatable {
        /// The buffer is full: send it now.
        case flush
        /// The first transaction in an empty buffer: start the timer.
        case scheduleTimer
        /// Nothing: the timer will send it.
        case wait
    }

    /// Buffers one admitted transaction.
    mutating func append(_ transaction: [UInt8]) -> Next {
        pending.append(transaction)
        bytes += transaction.count
        if pending.count >= TransactionBatch.maximumCount
            || bytes + SignedTransaction.maxEncodedSize > TransactionBatch.maximumBytes
        {
            return .flush
        }
        if timerScheduled { return .wait }
        timerScheduled = true
        return .scheduleTimer
    }

    /// Empties the buffer and returns it as a batch, or nil when empty.
    mutating func take() -> TransactionBatch? {
        guard !pending.isEmpty else { return nil }
        defer {
            pending = []
            bytes = 0
        }
        return TransactionBatch(pending)
    }
}
