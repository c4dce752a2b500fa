public import Primitives

/// What the mempool needs to know about the chain to admit a transaction without state.
public struct AdmissionRules: Sendable {
    /// The chain id transactions must carry.
    public let chainId: String
    /// The fee rule (`a + b·bytes` is the least a transaction can pay).
    public let fees: FeeSchedule
    /// The modules, to reject messages no module handles or that a module finds invalid.
    public let router: MessageRouter
    /// The Ed25519 rule transaction signatures must satisfy.
    public let signatureRule: SignatureRule

    /// Rules from their parts (`ChainStateMachine.admissionRules` gives the chain's).
    public init(chainId: String, fees: FeeSchedule, router: MessageRouter, signatureRule: SignatureRule = .cofactorless)
    {
        self.chainId = chainId
        self.fees = fees
        self.router = router
        self.signatureRule = signatureRule
    }
}

/// Where a transaction came from (a peer, the local RPC), for per-source quotas.
public struct MempoolSource: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The source's id, as the caller names it (a peer id, `rpc`).
    public let id: String

    /// A source called `id`.
    public init(_ id: String) { self.id = id }

    /// Transactions submitted on this node (RPC, CLI).
    public static let local = MempoolSource("local")

    public var description: String { id }

    public static func < (lhs: MempoolSource, rhs: MempoolSource) -> Bool { lhs.id < rhs.id }
}

/// The mempool's limits and policies.
public struct MempoolConfiguration: Hashable, Sendable {
    /// The most transactions held.
    public var maxTransactions: Int
    /// The most bytes of encoded transactions held.
    public var maxBytes: Int
    /// The most transactions held from one source.
    public var maxTransactionsPerSource: Int
    /// A transaction's nonce must be below the account's next nonce plus this (bounds how far
    /// ahead one sender can fill the pool with transactions that cannot run yet).
    public var maxNoncesAhead: UInt64
    /// The least priority fee accepted (local policy; blocks may hold less).
    public var minimumPriorityFee: UInt64
    /// How much a replacement (same sender and nonce) must raise the priority fee, in percent of
    /// the old one (rounded up, and at least 1 base unit); its max fee must not be lower.
    public var replacementBumpPercent: UInt64

    /// A configuration; the defaults suit a validator on the L1.
    public init(
        maxTransactions: Int = 20_000,
        maxBytes: Int = 64 << 20,
        maxTransactionsPerSource: Int = 5_000,
        maxNoncesAhead: UInt64 = 64,
        minimumPriorityFee: UInt64 = 0,
        replacementBumpPercent: UInt64 = 10
    ) {
        self.maxTransactions = maxTransactions
        self.maxBytes = maxBytes
        self.maxTransactionsPerSource = maxTransactionsPerSource
        self.maxNoncesAhead = maxNoncesAhead
        self.minimumPriorityFee = minimumPriorityFee
        self.replacementBumpPercent = replacementBumpPercent
    }
}

/// A transaction held by the mempool.
public struct PendingTransaction: Hashable, Sendable {
    /// Its id.
    public let id: TransactionID
    /// Its bytes, as a block carries them.
    public let encoded: [UInt8]
    /// The decoded transaction (its signature verified).
    public let signed: SignedTransaction
    /// The sender's address.
    public let sender: Address
    /// Where it came from.
    public let source: MempoolSource
    /// Its admission number: among equal priority fees, the earlier admitted goes first.
    public let sequence: UInt64

    /// The sender's nonce.
    public var nonce: UInt64 { signed.transaction.nonce }
    /// The priority fee that orders it.
    public var priorityFee: UInt64 { signed.transaction.priorityFee }
    /// Its max fee.
    public var maxFee: UInt64 { signed.transaction.maxFee }
    /// Its size in bytes.
    public var size: Int { encoded.count }

    /// True when `self` goes before `other`: a higher priority fee, or the same and admitted earlier.
    func outranks(_ other: PendingTransaction) -> Bool {
        priorityFee != other.priorityFee ? priorityFee > other.priorityFee : sequence < other.sequence
    }
}

/// What an admission did.
public struct MempoolAdmission: Hashable, Sendable {
    /// The admitted transaction's id.
    public let id: TransactionID
    /// The transaction it replaced (same sender and nonce), if any.
    public let replaced: TransactionID?
    /// Transactions evicted to make room, lowest priority first.
    public let evicted: [TransactionID]
}

/// What `Mempool.update(committed:accounts:)` removed.
public struct MempoolUpdate: Hashable, Sendable {
    /// Pooled transactions that the block included.
    public let committed: [TransactionID]
    /// Transactions that can no longer run: nonce below the account's, or the account's balance no
    /// longer covers their max fees. Sorted by id.
    public let stale: [TransactionID]
}

/// Why the mempool refused a transaction.
public enum MempoolRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// Too large, or not a canonical signed transaction.
    case malformed(TransactionDecodingError)
    /// For another chain.
    case wrongChainID(expected: String, actual: String)
    /// The signature does not verify.
    case invalidSignature
    /// The nonce is below the account's next nonce: a replay or an already-used nonce.
    case nonceTooLow(accountNonce: UInt64, nonce: UInt64)
    /// The nonce is too far ahead of the account's next nonce.
    case nonceTooFarAhead(accountNonce: UInt64, nonce: UInt64, maxAhead: UInt64)
    /// `maxFee` does not cover `a + b·bytes + priorityFee` (nil: that sum overflows).
    case feeBelowMinimum(required: UInt64?, maxFee: UInt64)
    /// The priority fee is below this node's minimum.
    case priorityFeeBelowMinimum(minimum: UInt64, offered: UInt64)
    /// The sender's AIC does not cover this transaction's max fee plus its other pending ones'.
    case insufficientFeeBalance(balance: UInt64, required: UInt64)
    /// A message has no module, or its module finds it invalid.
    case invalidMessage(TransactionFailure)
    /// The same transaction is already pooled.
    case alreadyKnown(TransactionID)
    /// A transaction with this sender and nonce is pooled and this one does not bump its fees enough.
    case replacementUnderpriced(existing: TransactionID, minimumPriorityFee: UInt64, minimumMaxFee: UInt64)
    /// The pool is full of transactions that rank at least as high.
    case mempoolFull
    /// The source already has its quota of pending transactions.
    case sourceQuotaExceeded(source: MempoolSource, limit: Int)
    /// The account state could not be read.
    case stateUnavailable(StateAccessError)

    init(_ rejection: TransactionRejection) {
        switch rejection {
        case .malformed(let error): self = .malformed(error)
        case .wrongChainID(let expected, let actual): self = .wrongChainID(expected: expected, actual: actual)
        case .invalidSignature: self = .invalidSignature
        case .nonceMismatch(let expected, let actual): self = .nonceTooLow(accountNonce: expected, nonce: actual)
        case .nonceExhausted: self = .nonceTooLow(accountNonce: .max, nonce: .max)
        case .feeBelowMinimum(let required, let maxFee): self = .feeBelowMinimum(required: required, maxFee: maxFee)
        case .insufficientFeeBalance(let balance, let maxFee):
            self = .insufficientFeeBalance(balance: balance, required: maxFee)
        }
    }

    public var description: String {
        switch self {
        case .malformed(let error): "\(error)"
        case .wrongChainID(let expected, let actual):
            "transaction is for chain '\(actual)', this chain is '\(expected)'"
        case .invalidSignature: "the signature does not verify under the sender's key"
        case .nonceTooLow(let accountNonce, let nonce):
            "nonce \(nonce) is already used (replay); the account's next nonce is \(accountNonce)"
        case .nonceTooFarAhead(let accountNonce, let nonce, let maxAhead):
            "nonce \(nonce) is more than \(maxAhead) ahead of the account's next nonce \(accountNonce)"
        case .feeBelowMinimum(let required, let maxFee):
            if let required {
                "max fee \(maxFee) is below the minimum \(required) (a + b·bytes + priority fee)"
            } else {
                "the minimum fee (a + b·bytes + priority fee) overflows 64 bits"
            }
        case .priorityFeeBelowMinimum(let minimum, let offered):
            "priority fee \(offered) is below this node's minimum of \(minimum)"
        case .insufficientFeeBalance(let balance, let required):
            "the sender's AIC balance \(balance) does not cover the max fees \(required) of its pending transactions"
        case .invalidMessage(let failure): "invalid message: \(failure)"
        case .alreadyKnown(let id): "transaction \(id) is already in the mempool"
        case .replacementUnderpriced(let existing, let minimumPriorityFee, let minimumMaxFee):
            "replacing \(existing) needs a priority fee of at least \(minimumPriorityFee) "
                + "and a max fee of at least \(minimumMaxFee)"
        case .mempoolFull: "the mempool is full of transactions with at least this priority fee"
        case .sourceQuotaExceeded(let source, let limit):
            "source \(source) already has \(limit) pending transactions"
        case .stateUnavailable(let error): "account state unavailable: \(error)"
        }
    }
}
