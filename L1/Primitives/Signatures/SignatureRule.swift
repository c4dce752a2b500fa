/// Which Ed25519 equation a chain's transaction signatures must satisfy (ADR 0018); a chain picks
/// one in its genesis and keeps it.
public enum SignatureRule: String, Sendable, Hashable, CaseIterable {
    /// libsodium's check, R = [s]B − [h]A compared as encodings: every chain before ADR 0018.
    case cofactorless
    /// [8]([s]B − R − [h]A) = O with the same encoding checks (`Ed25519Cofactored`): the rule a
    /// batch of signatures can be checked under at once.
    case cofactored
}

extension Ed25519.PublicKey {
    /// True when `signature` is this key's signature on `message` under `rule`.
    ///
    /// A signature libsodium accepts satisfies the cofactored equation too, so under that rule
    /// libsodium answers first and only a signature it refuses is checked again, cofactored:
    /// honest signatures cost what they always did.
    public func isValidSignature(_ signature: Ed25519.Signature, for message: [UInt8], rule: SignatureRule) -> Bool {
        if isValidSignature(signature, for: message) { return true }
        guard rule == .cofactored else { return false }
        return Ed25519Cofactored.verify(.init(publicKey: self, signature: signature, message: message))
    }
}
