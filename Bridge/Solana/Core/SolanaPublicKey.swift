public import Primitives

/// A 32-byte Solana address (an Ed25519 public key or a program-derived address), written in base58.
public struct SolanaPublicKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// A key from 32 bytes.
    public init(_ bytes: [UInt8]) throws(SolanaError) {
        guard bytes.count == 32 else { throw .invalidLength(what: "a public key", expected: 32, actual: bytes.count) }
        self.bytes = bytes
    }

    /// A key from its base58 text.
    public init(base58 text: String) throws(SolanaError) {
        try self.init(Base58.decode(text, maximumLength: 44))
    }

    package init(validated bytes: [UInt8]) { self.bytes = bytes }

    /// The key of an Ed25519 public key.
    public init(_ key: Ed25519.PublicKey) { self.bytes = key.bytes }

    public var base58: String { Base58.encode(bytes) }
    public var description: String { base58 }

    public static func < (lhs: SolanaPublicKey, rhs: SolanaPublicKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// `11111111111111111111111111111111`: the system program.
    public static let systemProgram = SolanaPublicKey(validated: [UInt8](repeating: 0, count: 32))
    /// `MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr`: the SPL Memo program (v2).
    public static let memoProgram = try! SolanaPublicKey(base58: "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
    /// `Ed25519SigVerify111111111111111111111111111`: the Ed25519 signature-verification precompile.
    public static let ed25519Program = try! SolanaPublicKey(base58: "Ed25519SigVerify111111111111111111111111111")
    /// `SysvarRecentB1ockHashes11111111111111111111`: read by the durable-nonce advance instruction.
    public static let recentBlockhashesSysvar = try! SolanaPublicKey(
        base58: "SysvarRecentB1ockHashes11111111111111111111")
    /// `TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA`: the SPL Token program.
    public static let tokenProgram = try! SolanaPublicKey(base58: "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
    /// `ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL`: the SPL Associated Token Account program.
    public static let associatedTokenProgram = try! SolanaPublicKey(
        base58: "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
    /// `SysvarRent111111111111111111111111111111111`: the rent sysvar.
    public static let rentSysvar = try! SolanaPublicKey(base58: "SysvarRent111111111111111111111111111111111")
}
