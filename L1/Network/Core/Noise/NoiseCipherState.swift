import Crypto

/// Noise's `CipherState` for ChaChaPoly: a 32-byte key (or none yet) and a 64-bit counter nonce.
///
/// The nonce is 32 zero bits followed by the counter in little-endian order (Noise §12.3). The
/// counter only moves forward, so each (key, nonce) pair is used once; the value 2^64 − 1 is
/// reserved by the spec and treated as exhaustion.
package struct NoiseCipherState: Sendable {
    private var key: SymmetricKey?
    /// The nonce the next encryption or decryption uses.
    package private(set) var nonce: UInt64 = 0

    /// A cipher state with no key: encryption and decryption pass bytes through unchanged.
    package init() {}

    /// A cipher state with `key` (32 bytes) and nonce 0.
    package init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// True once a key is set (after the first `MixKey`).
    package var hasKey: Bool { key != nil }

    /// `EncryptWithAd`: the ciphertext with its 16-byte tag, or `plaintext` when there is no key.
    package mutating func encrypt(_ plaintext: [UInt8], associatedData: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key else { return plaintext }
        let sealed: ChaChaPoly.SealedBox
        do {
            sealed = try ChaChaPoly.seal(
                plaintext, using: key, nonce: try currentNonce(), authenticating: associatedData)
        } catch let error as NoiseError {
            throw error
        } catch {
            throw .cipherFailure(String(describing: error))
        }
        nonce += 1
        var output = [UInt8](sealed.ciphertext)
        output.append(contentsOf: sealed.tag)
        return output
    }

    /// `DecryptWithAd`: the plaintext, or `plaintext` unchanged when there is no key.
    ///
    /// - Throws: `NoiseError.decryptionFailed` when the tag does not verify (tampering, a wrong key,
    ///   a replayed or reordered message); the nonce does not advance then.
    package mutating func decrypt(_ ciphertext: [UInt8], associatedData: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key else { return ciphertext }
        guard ciphertext.count >= NoiseConstants.tagLength else { throw .decryptionFailed }
        let split = ciphertext.count - NoiseConstants.tagLength
        let plaintext: [UInt8]
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: try currentNonce(), ciphertext: ciphertext[..<split], tag: ciphertext[split...])
            plaintext = Array(try ChaChaPoly.open(box, using: key, authenticating: associatedData))
        } catch let error as NoiseError {
            throw error
        } catch {
            throw .decryptionFailed
        }
        nonce += 1
        return plaintext
    }

    private func currentNonce() throws(NoiseError) -> ChaChaPoly.Nonce {
        guard nonce < UInt64.max else { throw .nonceExhausted }
        var bytes = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes(of: nonce.littleEndian) { bytes.append(contentsOf: $0) }
        do {
            return try ChaChaPoly.Nonce(data: bytes)
        } catch {
            throw .cipherFailure("a 12-byte nonce was refused: \(error)")
        }
    }
}

/// Sizes fixed by `Noise_XX_25519_ChaChaPoly_SHA256`.
package enum NoiseConstants {
    /// The protocol name, hashed into the initial handshake state.
    package static let protocolName = "Noise_XX_25519_ChaChaPoly_SHA256"
    /// X25519 public keys and DH outputs.
    package static let keyLength = 32
    /// SHA-256 output, the chaining key and handshake hash size.
    package static let hashLength = 32
    /// The Poly1305 tag appended to every ciphertext.
    package static let tagLength = 16
    /// The largest Noise message (the spec's limit; our frames are smaller still).
    package static let maxMessageLength = 65_535
}

/// Why a Noise operation failed. Every case means the session is unusable and must be dropped.
package enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A ciphertext did not authenticate: tampered, replayed, or keyed differently (another prologue).
    case decryptionFailed
    /// A message is shorter than its pattern requires, or longer than Noise allows.
    case malformedMessage(String)
    /// A public key is not usable for X25519 (a low-order point gives an all-zero secret).
    case invalidKey(String)
    /// The 64-bit nonce counter is used up.
    case nonceExhausted
    /// A method was called in the wrong state (writing out of turn, splitting before the end).
    case outOfOrder(String)
    /// The underlying cipher refused an operation it should not refuse.
    case cipherFailure(String)

    package var description: String {
        switch self {
        case .decryptionFailed: "a ciphertext failed authentication"
        case .malformedMessage(let reason): "malformed Noise message: \(reason)"
        case .invalidKey(let reason): "unusable X25519 key: \(reason)"
        case .nonceExhausted: "the nonce counter is exhausted"
        case .outOfOrder(let reason): "Noise call out of order: \(reason)"
        case .cipherFailure(let reason): "ChaCha20-Poly1305 failed: \(reason)"
        }
    }
}
