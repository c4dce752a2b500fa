package import Crypto

/// The `XX` handshake of `Noise_XX_25519_ChaChaPoly_SHA256`, exactly as the Noise spec (rev. 34)
/// defines it, with opaque payloads:
///
/// ```
/// -> e
/// <- e, ee, s, es
/// -> s, se
/// ```
///
/// Pure: no IO and no clock. The ephemeral key can be injected so published vectors replay
/// byte for byte; normally it is fresh. Any thrown error leaves the handshake unusable.
package struct NoiseXXHandshake: Sendable {
    /// Which side of the handshake this is.
    package enum Role: Sendable, Equatable {
        /// Sends messages 1 and 3 (the dialer).
        case initiator
        /// Sends message 2 (the listener).
        case responder
    }

    private enum Token {
        case ephemeral, `static`, ephemeralEphemeral, ephemeralStatic, staticEphemeral
    }

    // e | e, ee, s, es | s, se
    private static let pattern: [[Token]] = [
        [.ephemeral],
        [.ephemeral, .ephemeralEphemeral, .static, .ephemeralStatic],
        [.static, .staticEphemeral],
    ]

    /// This side's role.
    package let role: Role
    private var symmetric: NoiseSymmetricState
    private let localStatic: Curve25519.KeyAgreement.PrivateKey
    private let localEphemeral: Curve25519.KeyAgreement.PrivateKey
    private var remoteEphemeral: Curve25519.KeyAgreement.PublicKey?
    private var remoteStatic: Curve25519.KeyAgreement.PublicKey?
    private var messageIndex = 0

    /// A handshake for `role` with `prologue` (both sides must use the same bytes or message 2
    /// fails to decrypt) and this side's static key. `ephemeralKey` is for test vectors only.
    package init(
        role: Role,
        prologue: [UInt8],
        staticKey: Curve25519.KeyAgreement.PrivateKey,
        ephemeralKey: Curve25519.KeyAgreement.PrivateKey = Curve25519.KeyAgreement.PrivateKey()
    ) {
        self.role = role
        self.localStatic = staticKey
        self.localEphemeral = ephemeralKey
        symmetric = NoiseSymmetricState(protocolName: NoiseConstants.protocolName)
        symmetric.mixHash(prologue)
    }

    /// A handshake from raw 32-byte X25519 private keys (for published test vectors).
    package init(role: Role, prologue: [UInt8], staticKey: [UInt8], ephemeralKey: [UInt8]) throws(NoiseError) {
        let keys: (Curve25519.KeyAgreement.PrivateKey, Curve25519.KeyAgreement.PrivateKey)
        do {
            keys = (
                try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: staticKey),
                try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: ephemeralKey)
            )
        } catch {
            throw .invalidKey("an X25519 private key is 32 bytes: \(error)")
        }
        self.init(role: role, prologue: prologue, staticKey: keys.0, ephemeralKey: keys.1)
    }

    /// True after all three messages have been written or read.
    package var isComplete: Bool { messageIndex == Self.pattern.count }

    /// True when the next step is `writeMessage` (false: `readMessage`, or complete).
    package var isOurTurn: Bool {
        !isComplete && (messageIndex % 2 == 0) == (role == .initiator)
    }

    /// The peer's static X25519 public key, once its `s` token has been read.
    package var remoteStaticKey: [UInt8]? { remoteStatic.map { [UInt8]($0.rawRepresentation) } }

    /// The handshake hash `h` (equal on both sides at the end; usable as a channel binding).
    package var handshakeHash: [UInt8] { symmetric.handshakeHash }

    /// Writes the next handshake message carrying `payload` (encrypted once a key is mixed in).
    package mutating func writeMessage(payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard isOurTurn else { throw .outOfOrder("writeMessage when it is not our turn") }
        var message: [UInt8] = []
        for token in Self.pattern[messageIndex] {
            switch token {
            case .ephemeral:
                let publicKey = [UInt8](localEphemeral.publicKey.rawRepresentation)
                message += publicKey
                symmetric.mixHash(publicKey)
            case .static:
                message += try symmetric.encryptAndHash([UInt8](localStatic.publicKey.rawRepresentation))
            default:
                try mixDiffieHellman(token)
            }
        }
        message += try symmetric.encryptAndHash(payload)
        guard message.count <= NoiseConstants.maxMessageLength else {
            throw .malformedMessage("a handshake message of \(message.count) bytes is over Noise's limit")
        }
        messageIndex += 1
        return message
    }

    /// Reads the peer's next handshake message and returns its payload.
    package mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !isComplete, !isOurTurn else { throw .outOfOrder("readMessage when it is our turn to write") }
        guard message.count <= NoiseConstants.maxMessageLength else {
            throw .malformedMessage("a handshake message of \(message.count) bytes is over Noise's limit")
        }
        var rest = message[...]
        for token in Self.pattern[messageIndex] {
            switch token {
            case .ephemeral:
                let bytes = try take(NoiseConstants.keyLength, from: &rest, field: "ephemeral key")
                remoteEphemeral = try Self.publicKey(bytes)
                symmetric.mixHash(bytes)
            case .static:
                let length = NoiseConstants.keyLength + (symmetric.hasKey ? NoiseConstants.tagLength : 0)
                let field = try take(length, from: &rest, field: "static key")
                remoteStatic = try Self.publicKey(try symmetric.decryptAndHash(field))
            default:
                try mixDiffieHellman(token)
            }
        }
        let payload = try symmetric.decryptAndHash(Array(rest))
        messageIndex += 1
        return payload
    }

    /// The transport cipher states once the handshake is complete: (ours to send, ours to receive).
    package func split() throws(NoiseError) -> (send: NoiseCipherState, receive: NoiseCipherState) {
        guard isComplete else { throw .outOfOrder("split before the handshake is complete") }
        let (initiatorToResponder, responderToInitiator) = symmetric.split()
        return role == .initiator
            ? (initiatorToResponder, responderToInitiator)
            : (responderToInitiator, initiatorToResponder)
    }

    // MARK: - Helpers

    private mutating func mixDiffieHellman(_ token: Token) throws(NoiseError) {
        // es: initiator's ephemeral with responder's static; se: initiator's static with responder's
        // ephemeral. Each side picks its own half of the pair.
        let local: Curve25519.KeyAgreement.PrivateKey
        let remote: Curve25519.KeyAgreement.PublicKey?
        switch (token, role) {
        case (.ephemeralEphemeral, _):
            (local, remote) = (localEphemeral, remoteEphemeral)
        case (.ephemeralStatic, .initiator), (.staticEphemeral, .responder):
            (local, remote) = (localEphemeral, remoteStatic)
        case (.ephemeralStatic, .responder), (.staticEphemeral, .initiator):
            (local, remote) = (localStatic, remoteEphemeral)
        default:
            throw .outOfOrder("token \(token) is not a DH token")
        }
        guard let remote else { throw .outOfOrder("DH before the peer's key was read") }
        let shared: [UInt8]
        do {
            shared = try local.sharedSecretFromKeyAgreement(with: remote).withUnsafeBytes { [UInt8]($0) }
        } catch {
            throw .invalidKey("X25519 failed: \(error)")
        }
        // A low-order peer key yields all zeros; refuse it rather than key the session with it.
        guard shared.contains(where: { $0 != 0 }) else { throw .invalidKey("the DH output is all zeros") }
        symmetric.mixKey(shared)
    }

    private func take(
        _ count: Int, from rest: inout ArraySlice<UInt8>, field: String
    ) throws(NoiseError) -> [UInt8] {
        guard rest.count >= count else {
            throw .malformedMessage("\(field) needs \(count) bytes, \(rest.count) left")
        }
        let bytes = Array(rest.prefix(count))
        rest = rest.dropFirst(count)
        return bytes
    }

    private static func publicKey(_ bytes: [UInt8]) throws(NoiseError) -> Curve25519.KeyAgreement.PublicKey {
        do {
            return try Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes)
        } catch {
            throw .invalidKey("\(bytes.count) bytes are not an X25519 public key")
        }
    }
}
