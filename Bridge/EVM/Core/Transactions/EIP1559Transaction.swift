public import Primitives

/// An EIP-1559 (type 0x02) Ethereum transaction: a base fee burned per block plus a tip.
///
/// Signed over `0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to,
/// value, data, accessList])`; the signature carries `yParity` (the recovery id, 0 or 1) instead of
/// EIP-155's `v`, the chain id being a field of its own.
public struct EIP1559Transaction: Hashable, Sendable {
    /// The EIP-2718 type byte.
    public static let type: UInt8 = 0x02

    /// The chain the transaction is valid on.
    public var chainId: UInt64
    /// The sender's transaction count.
    public var nonce: UInt64
    /// The most wei per gas paid to the block producer above the base fee.
    public var maxPriorityFeePerGas: UInt256
    /// The most wei per gas paid in total (base fee plus tip).
    public var maxFeePerGas: UInt256
    /// The most gas the transaction may use.
    public var gasLimit: UInt64
    /// The recipient; nil creates a contract from `data`.
    public var to: EthereumAddress?
    /// Wei sent to the recipient.
    public var value: UInt256
    /// Call data, or init code when `to` is nil.
    public var data: [UInt8]
    /// Accounts and storage slots declared in advance (EIP-2930).
    public var accessList: [AccessListEntry]

    /// A transaction with every field given.
    public init(
        chainId: UInt64, nonce: UInt64, maxPriorityFeePerGas: UInt256, maxFeePerGas: UInt256, gasLimit: UInt64,
        to: EthereumAddress?, value: UInt256, data: [UInt8] = [], accessList: [AccessListEntry] = []
    ) {
        self.chainId = chainId
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
    }

    /// The nine fields the signature covers.
    var bodyFields: [RLPItem] {
        [
            RLPItem(chainId), RLPItem(nonce), RLPItem(maxPriorityFeePerGas), RLPItem(maxFeePerGas), RLPItem(gasLimit),
            RLPItem(recipient: to), RLPItem(value), .bytes(data), .list(accessList.map(\.rlp)),
        ]
    }

    /// The bytes that are hashed and signed: the type byte, then the RLP of the nine fields.
    public var signingPayload: [UInt8] {
        [Self.type] + RLPItem.list(bodyFields).encoded
    }

    /// Keccak-256 of `signingPayload`: what the sender's key signs.
    public var signingHash: Hash { Hashing.keccak256(signingPayload) }

    /// This transaction signed by `key` (low `s`, RFC 6979 nonce).
    public func signed(with key: Secp256k1.PrivateKey) -> SignedTransaction {
        SignedTransaction(signing: .eip1559(self), with: key)
    }
}
