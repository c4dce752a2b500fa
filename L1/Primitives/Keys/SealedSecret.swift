/// A secret encrypted under a password: Argon2id13 stretches the password into a key and
/// XSalsa20-Poly1305 (libsodium's `secretbox`) encrypts and authenticates the secret.
///
/// This is the cryptographic core of the keystore (Docs/adr/0003-key-storage.md); file handling
/// lives in the `Keystore` target.
public struct SealedSecret: Sendable, Equatable {
    /// Argon2id cost parameters.
    public struct Parameters: Sendable, Equatable {
        /// Passes over memory (libsodium's `opslimit`).
        public var operations: UInt64
        /// Memory in bytes (libsodium's `memlimit`).
        public var memoryBytes: UInt64

        /// Custom parameters (checked against `allowed` when used).
        public init(operations: UInt64, memoryBytes: UInt64) {
            self.operations = operations
            self.memoryBytes = memoryBytes
        }

        /// libsodium's MODERATE: 3 passes over 256 MiB (about a second on one core). The default.
        public static var moderate: Parameters {
            Parameters(operations: Sodium.argon2idModerateOps, memoryBytes: Sodium.argon2idModerateMemory)
        }

        /// libsodium's INTERACTIVE: 2 passes over 64 MiB. For throwaway keys (tests, localnets).
        public static var interactive: Parameters {
            Parameters(operations: Sodium.argon2idInteractiveOps, memoryBytes: Sodium.argon2idInteractiveMemory)
        }

        /// The bounds accepted when opening: a file cannot ask for more than 4 GiB or 64 passes
        /// (a cheap way to make unlocking hang), nor less than libsodium's minimums.
        public var isAllowed: Bool {
            operations >= 1 && operations <= 64 && memoryBytes >= 8192 && memoryBytes <= 4 << 30
        }
    }

    /// The Argon2id parameters used.
    public let parameters: Parameters
    /// 16 random bytes.
    public let salt: [UInt8]
    /// 24 random bytes.
    public let nonce: [UInt8]
    /// Poly1305 tag (16 bytes) followed by the encrypted secret.
    public let ciphertext: [UInt8]

    /// A sealed secret from stored parts (checked when opened).
    public init(parameters: Parameters, salt: [UInt8], nonce: [UInt8], ciphertext: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.nonce = nonce
        self.ciphertext = ciphertext
    }

    /// Encrypts `secret` under `password` with a fresh random salt and nonce.
    /// - Throws: `SealedSecretError.keyDerivationFailed` when the parameters are outside the
    ///   allowed bounds or the memory cannot be allocated.
    public static func seal(
        _ secret: [UInt8],
        password: [UInt8],
        parameters: Parameters = .moderate
    ) throws(SealedSecretError) -> SealedSecret {
        guard parameters.isAllowed else { throw .parametersOutOfRange }
        let salt = Sodium.randomBytes(Sodium.saltLength)
        let nonce = Sodium.randomBytes(Sodium.secretBoxNonceLength)
        guard var key = deriveKey(password: password, salt: salt, parameters: parameters) else {
            throw .keyDerivationFailed
        }
        defer { key.withUnsafeMutableBytes { Sodium.zero($0) } }
        let ciphertext = Sodium.secretBoxSeal(secret, nonce: nonce, key: key)
        return SealedSecret(parameters: parameters, salt: salt, nonce: nonce, ciphertext: ciphertext)
    }

    /// Decrypts the secret.
    /// - Throws: `SealedSecretError.wrongPassword` when authentication fails (wrong password or
    ///   altered data), or a format error for malformed parts.
    public func open(password: [UInt8]) throws(SealedSecretError) -> [UInt8] {
        guard parameters.isAllowed else { throw .parametersOutOfRange }
        guard salt.count == Sodium.saltLength else { throw .malformed("salt must be \(Sodium.saltLength) bytes") }
        guard nonce.count == Sodium.secretBoxNonceLength else {
            throw .malformed("nonce must be \(Sodium.secretBoxNonceLength) bytes")
        }
        guard ciphertext.count > Sodium.secretBoxTagLength else { throw .malformed("ciphertext is too short") }
        guard var key = Self.deriveKey(password: password, salt: salt, parameters: parameters) else {
            throw .keyDerivationFailed
        }
        defer { key.withUnsafeMutableBytes { Sodium.zero($0) } }
        guard let secret = Sodium.secretBoxOpen(ciphertext, nonce: nonce, key: key) else { throw .wrongPassword }
        return secret
    }

    private static func deriveKey(password: [UInt8], salt: [UInt8], parameters: Parameters) -> [UInt8]? {
        Sodium.argon2id(
            password: password, salt: salt, length: Sodium.secretBoxKeyLength,
            operations: parameters.operations, memoryLimit: parameters.memoryBytes)
    }
}

/// Why a sealed secret could not be made or opened.
public enum SealedSecretError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The password is wrong, or the sealed data was altered.
    case wrongPassword
    /// Argon2id parameters outside the accepted bounds.
    case parametersOutOfRange
    /// Argon2id could not run (usually: not enough memory for the parameters).
    case keyDerivationFailed
    /// A part has the wrong size.
    case malformed(String)

    public var description: String {
        switch self {
        case .wrongPassword: "wrong password, or the key file was altered"
        case .parametersOutOfRange: "key-derivation parameters are outside the accepted bounds"
        case .keyDerivationFailed: "key derivation failed (not enough memory for the Argon2id parameters?)"
        case .malformed(let reason): "malformed sealed secret: \(reason)"
        }
    }
}
