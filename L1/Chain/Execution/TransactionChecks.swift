import Primitives

/// Why a transaction cannot be included at all: the checks before its messages run.
///
/// A block that contains such a transaction is invalid (`ChainStateMachine.execute` throws), the
/// proposer's `propose` leaves it out, and the mempool refuses it with the same reason. Failures
/// of the messages themselves are different: the transaction is included, charged and recorded
/// with a `TransactionFailure` in its receipt.
public enum TransactionRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are too large or not a canonical signed transaction.
    case malformed(TransactionDecodingError)
    /// The transaction names another chain.
    case wrongChainID(expected: String, actual: String)
    /// The signature does not verify under the sender's key for these sign bytes.
    case invalidSignature
    /// The nonce is not the account's next nonce (lower: a replay or an already-used nonce).
    case nonceMismatch(expected: UInt64, actual: UInt64)
    /// The account has used every nonce.
    case nonceExhausted
    /// `maxFee` does not cover `a + b·bytes` plus the priority fee (nil: that sum overflows).
    case feeBelowMinimum(required: UInt64?, maxFee: UInt64)
    /// The sender's AIC balance does not cover `maxFee`.
    case insufficientFeeBalance(balance: UInt64, maxFee: UInt64)

    public var description: String {
        switch self {
        case .malformed(let error): "\(error)"
        case .wrongChainID(let expected, let actual):
            "transaction is for chain '\(actual)', this chain is '\(expected)'"
        case .invalidSignature: "the signature does not verify under the sender's key"
        case .nonceMismatch(let expected, let actual):
            actual < expected
                ? "nonce \(actual) is already used (replay); the account's next nonce is \(expected)"
                : "nonce \(actual) is ahead of the account's next nonce \(expected)"
        case .nonceExhausted: "the sender has used every nonce"
        case .feeBelowMinimum(let required, let maxFee):
            if let required {
                "max fee \(maxFee) is below the minimum \(required) (a + b·bytes + priority fee)"
            } else {
                "the minimum fee (a + b·bytes + priority fee) overflows 64 bits"
            }
        case .insufficientFeeBalance(let balance, let maxFee):
            "the sender's AIC balance \(balance) does not cover the max fee \(maxFee)"
        }
    }
}

/// A transaction that passed the stateless checks (decoding, chain id, signature, minimum fee).
struct CheckedTransaction: Sendable {
    let signed: SignedTransaction
    let encoded: [UInt8]
    let id: TransactionID
    let sender: Address
    /// `a + b·bytes`.
    let intrinsicFee: UInt64

    var transaction: Transaction { signed.transaction }

    /// `maxFee − priorityFee − intrinsicFee`: what the messages' metered fee may reach.
    var meteringBudget: UInt64 { transaction.maxFee - transaction.priorityFee - intrinsicFee }

    /// Runs the stateless checks on untrusted bytes, cheapest first (the signature last, unless
    /// `verifySignature` is false: the mempool verifies it after its cheaper stateful checks).
    static func check(
        _ encoded: [UInt8], chainId: String, fees: FeeSchedule, verifySignature: Bool = true,
        rule: SignatureRule = .cofactorless
    ) throws(TransactionRejection) -> CheckedTransaction {
        let signed: SignedTransaction
        do { signed = try SignedTransaction.decode(encoded) } catch { throw .malformed(error) }
        return try check(
            signed, encoded: encoded, chainId: chainId, fees: fees, verifySignature: verifySignature, rule: rule)
    }

    /// `check(_:chainId:fees:verifySignature:)` for a transaction already decoded from `encoded`.
    static func check(
        _ signed: SignedTransaction, encoded: [UInt8], id: TransactionID? = nil, chainId: String, fees: FeeSchedule,
        verifySignature: Bool, rule: SignatureRule = .cofactorless
    ) throws(TransactionRejection) -> CheckedTransaction {
        let transaction = signed.transaction
        guard transaction.chainId == chainId else {
            throw .wrongChainID(expected: chainId, actual: transaction.chainId)
        }
        let intrinsic = fees.intrinsicFee(bytes: encoded.count)
        guard let intrinsic, let minimum = FeeSchedule.sum(intrinsic, transaction.priorityFee),
            transaction.maxFee >= minimum
        else {
            throw .feeBelowMinimum(
                required: FeeSchedule.sum(intrinsic, transaction.priorityFee), maxFee: transaction.maxFee)
        }
        guard !verifySignature || signed.isSignatureValid(rule: rule) else { throw .invalidSignature }
        return CheckedTransaction(
            signed: signed, encoded: encoded, id: id ?? TransactionID(encoded: encoded),
            sender: transaction.senderAddress, intrinsicFee: intrinsic)
    }

    /// The checks against the sender's account: the exact next nonce and a balance covering `maxFee`.
    func checkAccount(_ account: AccountState) throws(TransactionRejection) {
        guard transaction.nonce == account.nonce else {
            throw .nonceMismatch(expected: account.nonce, actual: transaction.nonce)
        }
        guard account.nonce < UInt64.max else { throw .nonceExhausted }
        guard account.feeBalance >= transaction.maxFee else {
            throw .insufficientFeeBalance(balance: account.feeBalance, maxFee: transaction.maxFee)
        }
    }
}
