package import Crypto
public import Primitives

/// A node's network identity: its long-term Ed25519 public key (the key the validator set names).
public typealias PeerKey = Ed25519.PublicKey

/// Binds a Noise static X25519 key to an Ed25519 identity for one chain: the Ed25519 public key and
/// its signature of `canonical("aether/network/static-key/v1", chain id, X25519 public key)`.
///
/// Sent encrypted inside handshake messages 2 and 3 (96 bytes). On its own a proof proves nothing
/// about the sender: the Noise handshake must also show the sender holds the X25519 private key.
package struct IdentityProof: Sendable, Equatable, CanonicalCodable {
    /// The encoded size: a 32-byte key and a 64-byte signature.
    package static let byteCount = 96
    /// The domain tag of the signed message.
    package static let domain = "aether/network/static-key/v1"

    /// The Ed25519 identity this proof claims.
    package let identity: PeerKey
    /// The signature of `signedMessage(staticKey:chainId:)` under `identity`.
    package let signature: Ed25519.Signature

    /// A proof from its parts (tests use this to forge bad ones).
    package init(identity: PeerKey, signature: Ed25519.Signature) {
        self.identity = identity
        self.signature = signature
    }

    /// Signs `staticKey` for `chainId` with `signingKey`.
    package init(signingKey: Ed25519.PrivateKey, staticKey: [UInt8], chainId: String) {
        identity = signingKey.publicKey
        signature = signingKey.sign(Self.signedMessage(staticKey: staticKey, chainId: chainId))
    }

    /// The bytes an identity signs to vouch for a static key on one chain.
    package static func signedMessage(staticKey: [UInt8], chainId: String) -> [UInt8] {
        var encoder = CanonicalEncoder(capacity: 96)
        encoder.write(domain)
        encoder.write(chainId)
        encoder.write(fixed: staticKey)
        return encoder.bytes
    }

    /// True when the signature vouches for `staticKey` on `chainId`.
    package func isValid(staticKey: [UInt8], chainId: String) -> Bool {
        identity.isValidSignature(signature, for: Self.signedMessage(staticKey: staticKey, chainId: chainId))
    }

    package func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(identity)
        encoder.write(signature)
    }

    package init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        identity = try decoder.read(PeerKey.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

/// What this node presents in handshakes: a fresh X25519 static key and the proof binding it to
/// the node's Ed25519 identity for one chain.
package struct LocalIdentity: Sendable {
    /// The Ed25519 identity.
    package var key: PeerKey { proof.identity }
    /// The Noise static key (fresh per `NetworkNode`; not persisted).
    package let staticKey: Curve25519.KeyAgreement.PrivateKey
    /// The proof sent in the handshake.
    package let proof: IdentityProof

    /// A fresh static key signed by `signingKey` for `chainId`.
    package init(signingKey: Ed25519.PrivateKey, chainId: String) {
        let staticKey = Curve25519.KeyAgreement.PrivateKey()
        self.staticKey = staticKey
        proof = IdentityProof(
            signingKey: signingKey, staticKey: [UInt8](staticKey.publicKey.rawRepresentation), chainId: chainId)
    }

    /// An identity from explicit parts (tests: a proof for another chain, or for another key).
    package init(staticKey: Curve25519.KeyAgreement.PrivateKey, proof: IdentityProof) {
        self.staticKey = staticKey
        self.proof = proof
    }
}
