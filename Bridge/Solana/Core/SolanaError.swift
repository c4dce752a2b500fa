/// Why Solana bytes or text are refused.
public enum SolanaError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidBase58(String)
    /// A public key, signature or hash of the wrong length.
    case invalidLength(what: String, expected: Int, actual: Int)
    /// Bytes that are not a well-formed message or transaction (the reason says where).
    case malformed(String)
    /// A message that breaks a limit (more than 256 accounts, a transaction over 1,232 bytes).
    case limit(String)
    /// Seeds that give no program-derived address (the message says why).
    case invalidProgramAddress(String)

    public var description: String {
        switch self {
        case .invalidBase58(let reason): "invalid base58: \(reason)"
        case .invalidLength(let what, let expected, let actual): "\(what) must be \(expected) bytes, not \(actual)"
        case .malformed(let reason): "malformed Solana bytes: \(reason)"
        case .limit(let reason): reason
        case .invalidProgramAddress(let reason): "no program address: \(reason)"
        }
    }
}
