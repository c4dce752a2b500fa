public import Primitives

/// A legacy (untyped) Ethereum transaction signed with EIP-155 replay protection.
///
/// The signing hash covers `[nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0]`, and the
/// signature's `v` is `recoveryId + 35 + 2·chainId`, so a signature is valid on one chain only.
public struct LegacyTransaction: Hashable, Sendable {
    /// The sender's transaction count.
    public var nonce: UInt64
    /// Wei paid per unit of gas.
    public var gasPrice: UInt256
    /// The most gas the transaction may use.
    public var gasLimit: UInt64
    /// The recipient; nil creates a contract from `data`.
    public var to: EthereumAddress?
    /// Wei sent to the recipient.
    public var value: UInt256
    /// Call data, or init code when `to` is nil.
    public var data: [UInt8]
    /// The EIP-155 chain id.
    public var chainId: UInt64

    /// A transaction with every field given.
    public init(
        nonce: UInt64, gasPrice: UInt256, gasLimit: UInt64, to: EthereumAddress?, value: UInt256,
        data: [UInt8] = [], chainId: UInt64
    ) {
        self.nonce = nonce
        self.gasPrice = gasPrice
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.chainId = chainId
    }

    /// The six fields every legacy encoding starts with.
    var bodyFields: [RLPItem] {
        [RLPItem(nonce), RLPItem(gasPrice), RLPItem(gasLimit), RLPItem(recipient: to), RLPItem(value), .bytes(data)]
    }

    /// The bytes that are hashed and signed (EIP-155).
    public var signingPayload: [UInt8] {
        RLPItem.list(bodyFields + [RLPItem(chainId), .bytes([]), .bytes([])]).encoded
    }

    /// Keccak-256 of `signingPayload`: what the sender's key signs.
    public var signingHash: Hash { Hashing.keccak256(signingPayload) }

    /// This transaction signed by `key` (low `s`, RFC 6979 nonce).
    public func signed(with key: Secp256k1.PrivateKey) -> SignedTransaction {
        SignedTransaction(signing: .legacy(self), with: key)
    }

    /// `v = recoveryId + 35 + 2·chainId`, computed in 128 bits so no chain id overflows.
    static func v(recoveryId: UInt8, chainId: UInt64) -> UInt256 {
        let (low, carry) = (chainId << 1).addingReportingOverflow(35 + UInt64(recoveryId))
        return UInt256(limbs: (0, 0, (chainId >> 63) + (carry ? 1 : 0), low))
    }

    /// The recovery id and chain id in an EIP-155 `v`.
    /// - Throws: `TransactionError.missingChainId` for 27/28, `.invalidV` for anything else that
    ///   is not `35 + 2·chainId + {0,1}` with a 64-bit chain id.
    static func split(v: UInt256) throws(TransactionError) -> (recoveryId: UInt8, chainId: UInt64) {
        if v == 27 || v == 28 { throw .missingChainId }
        guard v >= 35, v.limbs.0 == 0, v.limbs.1 == 0 else { throw .invalidV }
        let (low, borrow) = v.limbs.3.subtractingReportingOverflow(35)
        let high = v.limbs.2 - (borrow ? 1 : 0)
        guard high >> 1 == 0 else { throw .invalidV }
        return (UInt8(low & 1), high << 63 | low >> 1)
    }
}
