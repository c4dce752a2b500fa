public import Primitives

// MARK: - Transaction

/// What an account asks the chain to do: a list of messages, paid for by the sender.
///
/// Fees (Docs/spec/chain.md §2): executing the transaction costs the metered fee
/// `a + b·bytes + c·steps + d·mem` plus `priorityFee`; the sender pays that, never more than
/// `maxFee`, and every AIC base unit of it is burned. `priorityFee` is the bid that orders the
/// mempool and proposals (higher first); it is charged in full whenever the transaction is
/// included. A transaction whose metered fee would pass `maxFee − priorityFee` stops as out of fee
/// and is charged `maxFee`.
///
/// Replay protection: `nonce` must equal the sender account's nonce, which every included
/// transaction (successful or not) increments; `chainId` is signed, so a transaction is valid on
/// one chain only.
public struct Transaction: Hashable, Sendable {
    /// The longest chain id, in bytes.
    public static let maxChainIDLength = 64
    /// The most messages one transaction may carry.
    public static let maxMessages = 64

    /// The chain this transaction is for.
    public var chainId: String
    /// The account that signs and pays; its address is `Address(publicKey: sender)`.
    public var sender: Ed25519.PublicKey
    /// The sender's next nonce: 0 for its first transaction, then one more for each included one.
    public var nonce: UInt64
    /// The most AIC base units the sender will pay for this transaction, priority fee included.
    public var maxFee: UInt64
    /// AIC base units paid on top of the metered fee to be ordered earlier (burned like the rest).
    public var priorityFee: UInt64
    /// The messages, executed in order; all succeed or the transaction's writes are discarded.
    public var messages: [Message]

    /// A transaction from its fields.
    public init(
        chainId: String,
        sender: Ed25519.PublicKey,
        nonce: UInt64,
        maxFee: UInt64,
        priorityFee: UInt64 = 0,
        messages: [Message]
    ) {
        self.chainId = chainId
        self.sender = sender
        self.nonce = nonce
        self.maxFee = maxFee
        self.priorityFee = priorityFee
        self.messages = messages
    }

    /// The sender's account address.
    public var senderAddress: Address { Address(publicKey: sender) }

    /// The domain tag at the front of the sign bytes.
    public static let signDomainTag = "aether/tx/v1"

    /// What the sender signs: `canonical("aether/tx/v1") ‖ canonical(chain id) ‖ canonical(tx)`.
    ///
    /// The chain id appears twice (in the prefix and inside the transaction): the prefix is the
    /// domain separation every Aether signature has, the field is what the executor checks.
    public var signBytes: [UInt8] {
        var encoder = CanonicalEncoder(capacity: 128 + messages.count * 64)
        encoder.write(Transaction.signDomainTag)
        encoder.write(chainId)
        encoder.write(self)
        return encoder.bytes
    }

    /// This transaction signed by `key`.
    /// - Throws: `TransactionSigningError.wrongKey` when `key` is not the sender's key.
    public func signed(by key: Ed25519.PrivateKey) throws(TransactionSigningError) -> SignedTransaction {
        guard key.publicKey == sender else { throw .wrongKey(sender: sender, signer: key.publicKey) }
        return SignedTransaction(transaction: self, signature: key.sign(signBytes))
    }
}

extension Transaction: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(chainId)
        encoder.write(sender)
        encoder.write(nonce)
        encoder.write(maxFee)
        encoder.write(priorityFee)
        encoder.write(messages)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        chainId = try decoder.read(String.self, maxLength: Transaction.maxChainIDLength)
        sender = try decoder.read(Ed25519.PublicKey.self)
        nonce = try decoder.read(UInt64.self)
        maxFee = try decoder.read(UInt64.self)
        priorityFee = try decoder.read(UInt64.self)
        messages = try decoder.readArray(of: Message.self, maxCount: Transaction.maxMessages)
    }
}

// MARK: - Signed transaction

/// A transaction with the sender's Ed25519 signature over its sign bytes.
///
/// This is what blocks carry and the mempool holds, as its canonical encoding (the transaction,
/// then the 64 signature bytes). Decode untrusted bytes with `decode(_:)`, which enforces the size
/// limits before anything else.
public struct SignedTransaction: Hashable, Sendable {
    /// The largest encoded signed transaction, in bytes (64 KiB).
    public static let maxEncodedSize = 64 * 1024

    /// The transaction.
    public let transaction: Transaction
    /// The sender's signature over `transaction.signBytes`.
    public let signature: Ed25519.Signature

    /// A signed transaction from its parts (the signature is checked by `isSignatureValid`).
    public init(transaction: Transaction, signature: Ed25519.Signature) {
        self.transaction = transaction
        self.signature = signature
    }

    /// The canonical encoding: what blocks carry and what `id` hashes.
    public var encoded: [UInt8] { Canonical.encode(self) }

    /// The id: SHA-256 of `encoded`.
    public var id: TransactionID { TransactionID(encoded: encoded) }

    /// True when `signature` is the sender's signature over the sign bytes (libsodium's check).
    public var isSignatureValid: Bool {
        transaction.sender.isValidSignature(signature, for: transaction.signBytes)
    }

    /// True when `signature` is the sender's signature over the sign bytes under `rule`.
    public func isSignatureValid(rule: SignatureRule) -> Bool {
        transaction.sender.isValidSignature(signature, for: transaction.signBytes, rule: rule)
    }

    /// This transaction's signature as an item of a batch check (`Ed25519Cofactored`).
    public var signatureItem: Ed25519Cofactored.Item {
        Ed25519Cofactored.Item(publicKey: transaction.sender, signature: signature, message: transaction.signBytes)
    }

    /// The decoder limits for one signed transaction: the whole input within `maxEncodedSize`.
    public static let codecLimits = CodecLimits(
        maxInputBytes: maxEncodedSize,
        maxByteStringLength: Message.maxBodyLength,
        maxCollectionCount: Transaction.maxMessages,
        maxDepth: 8
    )

    /// Decodes untrusted bytes: checks the size, then reads exactly one canonical signed transaction.
    /// - Throws: `TransactionDecodingError` saying what is wrong; never traps.
    public static func decode(_ bytes: [UInt8]) throws(TransactionDecodingError) -> SignedTransaction {
        guard bytes.count <= maxEncodedSize else { throw .tooLarge(size: bytes.count, limit: maxEncodedSize) }
        do {
            return try Canonical.decode(SignedTransaction.self, from: bytes, limits: codecLimits)
        } catch {
            throw .malformed(error)
        }
    }
}

extension SignedTransaction: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(transaction)
        encoder.write(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        transaction = try decoder.read(Transaction.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

// MARK: - Transaction id

/// A transaction's id: SHA-256 of its signed canonical encoding.
///
/// The signature is inside the hashed bytes, and Ed25519 signatures are deterministic and
/// non-malleable under libsodium's checks, so one transaction has one id.
public struct TransactionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32-byte hash.
    public let hash: Hash

    /// An id from its hash.
    public init(hash: Hash) { self.hash = hash }

    /// The id of a signed transaction's canonical encoding.
    public init(encoded: [UInt8]) { hash = Hashing.sha256(encoded) }

    public var description: String { hash.hex }

    public static func < (lhs: TransactionID, rhs: TransactionID) -> Bool { lhs.hash < rhs.hash }
}

extension TransactionID: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(hash) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) { hash = try decoder.read(Hash.self) }
}

// MARK: - Errors

/// Why bytes are not an acceptable signed transaction.
public enum TransactionDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The encoding is larger than `SignedTransaction.maxEncodedSize`.
    case tooLarge(size: Int, limit: Int)
    /// The bytes are not the canonical encoding of a signed transaction within the field limits.
    case malformed(CodecError)

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit): "transaction of \(size) bytes exceeds the limit of \(limit) bytes"
        case .malformed(let error): "malformed transaction: \(error)"
        }
    }
}

/// Why a transaction could not be signed.
public enum TransactionSigningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The signing key is not the transaction's sender.
    case wrongKey(sender: Ed25519.PublicKey, signer: Ed25519.PublicKey)

    public var description: String {
        switch self {
        case .wrongKey(let sender, let signer):
            "key \(signer) cannot sign a transaction whose sender is \(sender)"
        }
    }
}
