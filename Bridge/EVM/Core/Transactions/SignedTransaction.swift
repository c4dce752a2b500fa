public import Primitives

/// An unsigned Ethereum transaction of one of the kinds we send.
public enum EthereumTransaction: Hashable, Sendable {
    /// A legacy transaction with EIP-155 replay protection.
    case legacy(LegacyTransaction)
    /// An EIP-1559 (type 0x02) transaction.
    case eip1559(EIP1559Transaction)

    /// The chain the transaction is valid on.
    public var chainId: UInt64 {
        switch self {
        case .legacy(let transaction): transaction.chainId
        case .eip1559(let transaction): transaction.chainId
        }
    }

    /// What the sender's key signs.
    public var signingHash: Hash {
        switch self {
        case .legacy(let transaction): transaction.signingHash
        case .eip1559(let transaction): transaction.signingHash
        }
    }
}

/// A signed transaction: what `eth_sendRawTransaction` takes, and what a node returns by hash.
///
/// A signature here always has a low `s` (EIP-2) and a recovery id of 0 or 1, the only forms
/// Ethereum accepts; decoding refuses the rest rather than normalising, so the bytes received are
/// the bytes whose hash identifies the transaction.
public struct SignedTransaction: Hashable, Sendable {
    /// The transaction.
    public let transaction: EthereumTransaction
    /// The sender's signature of `transaction.signingHash`.
    public let signature: Secp256k1.RecoverableSignature

    /// Pairs `transaction` with a signature made elsewhere (a hardware key, a remote signer).
    /// - Throws: `TransactionError.highS` or `.invalidV` when Ethereum would refuse the signature.
    public init(transaction: EthereumTransaction, signature: Secp256k1.RecoverableSignature) throws(TransactionError) {
        guard signature.isLowS else { throw .highS }
        guard signature.recoveryId <= 1 else { throw .invalidV }
        self.transaction = transaction
        self.signature = signature
    }

    /// Signs `transaction` with `key`.
    init(signing transaction: EthereumTransaction, with key: Secp256k1.PrivateKey) {
        let signature = key.sign(hash: transaction.signingHash)
        // libsecp256k1 signs with a low s; ids 2 and 3 need r ≥ n, which has probability ~2^-128.
        precondition(signature.isLowS && signature.recoveryId <= 1, "libsecp256k1 returned an unusable signature")
        self.transaction = transaction
        self.signature = signature
    }

    /// The signed bytes for `eth_sendRawTransaction`: the RLP list with `v, r, s` for a legacy
    /// transaction, `0x02 ‖ rlp([…, yParity, r, s])` for EIP-1559.
    public var rawEncoding: [UInt8] {
        let r = RLPItem(try! UInt256(bigEndian: signature.r))
        let s = RLPItem(try! UInt256(bigEndian: signature.s))
        switch transaction {
        case .legacy(let legacy):
            let v = LegacyTransaction.v(recoveryId: signature.recoveryId, chainId: legacy.chainId)
            return RLPItem.list(legacy.bodyFields + [RLPItem(v), r, s]).encoded
        case .eip1559(let typed):
            let yParity = RLPItem(UInt64(signature.recoveryId))
            return [EIP1559Transaction.type] + RLPItem.list(typed.bodyFields + [yParity, r, s]).encoded
        }
    }

    /// The transaction hash: Keccak-256 of `rawEncoding`.
    public var hash: Hash { Hashing.keccak256(rawEncoding) }

    /// The address whose key signed the transaction.
    /// - Throws: `TransactionError.invalidSignature` when no key recovers.
    public func sender() throws(TransactionError) -> EthereumAddress {
        do {
            return try signature.recoverPublicKey(from: transaction.signingHash).ethereumAddress
        } catch {
            throw .invalidSignature(error)
        }
    }

    /// Decodes a raw signed transaction (legacy with EIP-155, or type 0x02).
    ///
    /// The RLP must be canonical and have exactly the fields of its type; `v`/`yParity` must be
    /// valid and `s` low. The result re-encodes to exactly `raw`.
    /// - Throws: `TransactionError` naming what is wrong.
    public static func decode(raw: [UInt8]) throws(TransactionError) -> SignedTransaction {
        guard let first = raw.first else { throw .empty }
        if first >= 0xc0 { return try decodeLegacy(raw) }
        guard first == EIP1559Transaction.type else { throw .unsupportedType(first) }
        return try decodeEIP1559(Array(raw.dropFirst()))
    }

    private static func decodeLegacy(_ raw: [UInt8]) throws(TransactionError) -> SignedTransaction {
        let fields = try rlpItem(raw).fields(9)
        let (recoveryId, chainId) = try LegacyTransaction.split(v: try fields[6].uint256())
        let transaction = LegacyTransaction(
            nonce: try fields[0].uint64(), gasPrice: try fields[1].uint256(), gasLimit: try fields[2].uint64(),
            to: try fields[3].recipient(), value: try fields[4].uint256(), data: try fields[5].data(),
            chainId: chainId)
        let signature = try signature(r: fields[7], s: fields[8], recoveryId: recoveryId)
        return try SignedTransaction(transaction: .legacy(transaction), signature: signature)
    }

    private static func decodeEIP1559(_ body: [UInt8]) throws(TransactionError) -> SignedTransaction {
        let fields = try rlpItem(body).fields(12)
        guard let accessList = fields[8].listItems else { throw .malformed(.expectedList) }
        var entries: [AccessListEntry] = []
        for entry in accessList { entries.append(try AccessListEntry(rlp: entry)) }
        let transaction = EIP1559Transaction(
            chainId: try fields[0].uint64(), nonce: try fields[1].uint64(),
            maxPriorityFeePerGas: try fields[2].uint256(), maxFeePerGas: try fields[3].uint256(),
            gasLimit: try fields[4].uint64(), to: try fields[5].recipient(), value: try fields[6].uint256(),
            data: try fields[7].data(), accessList: entries)
        let yParity = try fields[9].uint64()
        guard yParity <= 1 else { throw .invalidV }
        let signature = try signature(r: fields[10], s: fields[11], recoveryId: UInt8(yParity))
        return try SignedTransaction(transaction: .eip1559(transaction), signature: signature)
    }

    private static func rlpItem(_ bytes: [UInt8]) throws(TransactionError) -> RLPItem {
        do { return try RLPItem.decode(bytes) } catch { throw .malformed(error) }
    }

    /// `r` and `s` as canonical RLP integers, left-padded to 32 bytes each.
    private static func signature(r: RLPItem, s: RLPItem, recoveryId: UInt8) throws(TransactionError)
        -> Secp256k1.RecoverableSignature
    {
        let compact = try r.uint256().bigEndianBytes + s.uint256().bigEndianBytes
        do {
            return try Secp256k1.RecoverableSignature(compact: compact, recoveryId: recoveryId)
        } catch {
            throw .invalidSignature(error)
        }
    }
}
