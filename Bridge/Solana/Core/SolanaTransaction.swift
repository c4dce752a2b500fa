public import Primitives

/// A signed Solana transaction: one 64-byte Ed25519 signature per required signer, then the message.
public struct SolanaTransaction: Hashable, Sendable {
    /// The largest serialized transaction a validator accepts (IPv6 MTU minus headers).
    public static let maximumBytes = 1_232

    public let signatures: [[UInt8]]
    public let message: SolanaMessage

    /// Signs `message` with `keys`, which must be exactly its signers (in any order).
    /// - Throws: `SolanaError` for a missing or extra key.
    public init(message: SolanaMessage, keys: [Ed25519.PrivateKey]) throws(SolanaError) {
        let bytes = message.serialized
        var byKey: [SolanaPublicKey: Ed25519.PrivateKey] = [:]
        for key in keys { byKey[SolanaPublicKey(key.publicKey)] = key }
        var signatures: [[UInt8]] = []
        for signer in message.signers {
            guard let key = byKey.removeValue(forKey: signer) else { throw .malformed("no key for signer \(signer)") }
            signatures.append(key.sign(bytes).bytes)
        }
        guard byKey.isEmpty else { throw .malformed("a key was given that is not a signer of the message") }
        self.signatures = signatures
        self.message = message
    }

    /// A transaction from its parts, unchecked signatures (for parsing).
    public init(signatures: [[UInt8]], message: SolanaMessage) throws(SolanaError) {
        guard signatures.count == Int(message.header.requiredSignatures) else {
            throw .malformed("\(signatures.count) signatures for \(message.header.requiredSignatures) signers")
        }
        for signature in signatures where signature.count != 64 {
            throw .invalidLength(what: "a signature", expected: 64, actual: signature.count)
        }
        self.signatures = signatures
        self.message = message
    }

    /// The wire bytes (`sendTransaction` takes them base64-encoded).
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        CompactU16.append(signatures.count, to: &out)
        for signature in signatures { out += signature }
        out += message.serialized
        return out
    }

    /// The transaction id: its first signature in base58.
    public var id: String { Base58.encode(signatures.first ?? []) }

    /// True when every signature verifies over the message.
    public var isFullySigned: Bool {
        let bytes = message.serialized
        return zip(signatures, message.signers).allSatisfy { signature, signer in
            guard let key = try? Ed25519.PublicKey(signer.bytes), let parsed = try? Ed25519.Signature(signature) else {
                return false
            }
            return key.isValidSignature(parsed, for: bytes)
        }
    }

    /// Parses wire bytes.
    public static func parse(_ bytes: [UInt8]) throws(SolanaError) -> SolanaTransaction {
        guard bytes.count <= 4 * maximumBytes else {
            throw .limit("a transaction of \(bytes.count) bytes is too large")
        }
        var offset = 0
        let count = try CompactU16.read(bytes, at: &offset)
        guard count * 64 <= bytes.count - offset else { throw .malformed("the signatures end early") }
        var signatures: [[UInt8]] = []
        for _ in 0..<count {
            signatures.append(Array(bytes[offset..<offset + 64]))
            offset += 64
        }
        let message = try SolanaMessage.parse(bytes, at: &offset)
        guard offset == bytes.count else { throw .malformed("\(bytes.count - offset) bytes after the message") }
        return try SolanaTransaction(signatures: signatures, message: message)
    }
}
