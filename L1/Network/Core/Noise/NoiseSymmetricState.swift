import Crypto

/// Noise's `SymmetricState` for SHA-256: the chaining key, the handshake hash and a cipher state.
package struct NoiseSymmetricState: Sendable {
    /// The chaining key `ck`.
    private var chainingKey: [UInt8]
    /// The handshake hash `h`, which every encrypted handshake field authenticates.
    package private(set) var handshakeHash: [UInt8]
    private var cipher = NoiseCipherState()

    /// `InitializeSymmetric(protocolName)`: `h` is the name padded to 32 bytes, or its hash if longer.
    package init(protocolName: String) {
        let name = Array(protocolName.utf8)
        if name.count <= NoiseConstants.hashLength {
            handshakeHash = name + [UInt8](repeating: 0, count: NoiseConstants.hashLength - name.count)
        } else {
            handshakeHash = Self.hash(name)
        }
        chainingKey = handshakeHash
    }

    /// True once a key has been mixed in, so payloads are encrypted from here on.
    package var hasKey: Bool { cipher.hasKey }

    /// `MixKey`: derives a new chaining key and cipher key from a DH output.
    package mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let (nextChainingKey, key) = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial)
        chainingKey = nextChainingKey
        cipher = NoiseCipherState(key: key)
    }

    /// `MixHash`: `h = SHA-256(h ‖ data)`.
    package mutating func mixHash(_ data: [UInt8]) {
        var hasher = SHA256()
        hasher.update(data: handshakeHash)
        hasher.update(data: data)
        handshakeHash = Array(hasher.finalize())
    }

    /// `EncryptAndHash`: encrypts with `h` as associated data (when keyed), then mixes the ciphertext.
    package mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let ciphertext = try cipher.encrypt(plaintext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return ciphertext
    }

    /// `DecryptAndHash`: decrypts with `h` as associated data (when keyed), then mixes the ciphertext.
    package mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let plaintext = try cipher.decrypt(ciphertext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return plaintext
    }

    /// `Split`: the two transport cipher states, initiator-to-responder first.
    package func split() -> (NoiseCipherState, NoiseCipherState) {
        let (first, second) = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: [])
        return (NoiseCipherState(key: first), NoiseCipherState(key: second))
    }

    // MARK: - SHA-256 and Noise's HKDF

    static func hash(_ data: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: data))
    }

    /// Noise's `HKDF(ck, ikm, 2)`: `t = HMAC(ck, ikm)`, `o1 = HMAC(t, 0x01)`, `o2 = HMAC(t, o1 ‖ 0x02)`.
    ///
    /// This equals RFC 5869 HKDF with salt `ck` and empty info, spelled out as the Noise spec does.
    static func hkdf(chainingKey: [UInt8], inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8]) {
        let temporaryKey = SymmetricKey(data: hmac(key: SymmetricKey(data: chainingKey), inputKeyMaterial))
        let first = hmac(key: temporaryKey, [0x01])
        let second = hmac(key: temporaryKey, first + [0x02])
        return (first, second)
    }

    private static func hmac(key: SymmetricKey, _ data: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
    }
}
