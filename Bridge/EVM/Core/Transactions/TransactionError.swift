public import Primitives

/// Why a raw transaction cannot be decoded, or a signature does not fit a transaction.
public enum TransactionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is empty.
    case empty
    /// A typed transaction of a type we do not handle (only legacy and 0x02 are supported).
    case unsupportedType(UInt8)
    /// The RLP is not canonical, or not the shape of the transaction.
    case malformed(RLPError)
    /// A legacy transaction with `v` 27 or 28: no chain id, so it could be replayed on any chain.
    case missingChainId
    /// A `v` (legacy) or `yParity` (typed) that encodes no recovery id for a chain id.
    case invalidV
    /// `s` in the upper half of the group order (EIP-2 forbids it: it would be a second valid
    /// signature for the same transaction).
    case highS
    /// `r` or `s` out of range, or no key recovers.
    case invalidSignature(KeyError)

    public var description: String {
        switch self {
        case .empty: "empty transaction bytes"
        case .unsupportedType(let type): "unsupported transaction type 0x\(Hex.encode([type]))"
        case .malformed(let error): "malformed transaction: \(error)"
        case .missingChainId: "legacy transaction without an EIP-155 chain id (v is 27 or 28)"
        case .invalidV: "signature v / yParity is not valid"
        case .highS: "signature s is in the upper half of the order (EIP-2)"
        case .invalidSignature(let error): "bad transaction signature: \(error)"
        }
    }
}
