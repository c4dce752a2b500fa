public import Foundation
public import Primitives

/// The algorithms a keystore holds keys for.
public enum KeyAlgorithm: String, Sendable, CaseIterable, Codable {
    /// Ed25519: validator identities, transactions, Solana.
    case ed25519
    /// secp256k1: Ethereum accounts and committee signatures checked with `ecrecover`.
    case secp256k1
}

/// A decrypted key, ready to sign.
public enum UnlockedKey: Sendable {
    case ed25519(Ed25519.PrivateKey)
    case secp256k1(Secp256k1.PrivateKey)

    /// The algorithm of this key.
    public var algorithm: KeyAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .secp256k1: .secp256k1
        }
    }

    /// The raw secret (Ed25519 seed or secp256k1 scalar), 32 bytes.
    public var secret: [UInt8] {
        switch self {
        case .ed25519(let key): key.seed
        case .secp256k1(let key): key.bytes
        }
    }

    /// The public key bytes (32-byte Ed25519 key, or 33-byte compressed secp256k1 point).
    public var publicKey: [UInt8] {
        switch self {
        case .ed25519(let key): key.publicKey.bytes
        case .secp256k1(let key): key.publicKey.compressed
        }
    }

    /// Builds a key of `algorithm` from a 32-byte secret.
    public init(algorithm: KeyAlgorithm, secret: [UInt8]) throws(KeyError) {
        switch algorithm {
        case .ed25519: self = .ed25519(try Ed25519.PrivateKey(seed: secret))
        case .secp256k1: self = .secp256k1(try Secp256k1.PrivateKey(secret))
        }
    }

    /// A new random key of `algorithm`.
    public static func generate(_ algorithm: KeyAlgorithm) -> UnlockedKey {
        switch algorithm {
        case .ed25519: .ed25519(.generate())
        case .secp256k1: .secp256k1(.generate())
        }
    }
}

/// What a keystore shows about a key without its password.
public struct KeyInfo: Sendable, Equatable, Codable {
    /// The key's name (its file is `<name>.json`).
    public let name: String
    /// The algorithm.
    public let algorithm: KeyAlgorithm
    /// Hex of the public key (32-byte Ed25519, or 33-byte compressed secp256k1).
    public let publicKey: String
    /// The EIP-55 Ethereum address, for secp256k1 keys.
    public let address: String?
}

/// A directory of encrypted key files, one per key (Docs/adr/0003-key-storage.md).
///
/// Each file holds the public key in the clear and the secret sealed with Argon2id and
/// XSalsa20-Poly1305 (`SealedSecret`). Files are created with mode 0600 inside a 0700 directory,
/// written to a temporary name, synced and renamed, so a crash never leaves half a key file.
public struct Keystore: Sendable {
    /// The directory holding the key files.
    public let directory: URL

    /// A keystore in `directory` (created on first write).
    public init(directory: URL) {
        self.directory = directory
    }

    /// Generates a key, seals it under `password` and saves it as `name`.
    /// - Throws: `KeystoreError` (bad name, name taken, IO failure).
    @discardableResult
    public func create(
        name: String,
        algorithm: KeyAlgorithm,
        password: [UInt8],
        parameters: SealedSecret.Parameters = .moderate
    ) throws(KeystoreError) -> KeyInfo {
        try save(name: name, key: .generate(algorithm), password: password, parameters: parameters)
    }

    /// Seals an existing key under `password` and saves it as `name`.
    /// - Throws: `KeystoreError` (bad name, name taken, IO failure).
    @discardableResult
    public func save(
        name: String,
        key: UnlockedKey,
        password: [UInt8],
        parameters: SealedSecret.Parameters = .moderate
    ) throws(KeystoreError) -> KeyInfo {
        try Self.validate(name: name)
        let url = fileURL(for: name)
        guard !FileManager.default.fileExists(atPath: url.path) else { throw .alreadyExists(name) }
        let sealed: SealedSecret
        do { sealed = try SealedSecret.seal(key.secret, password: password, parameters: parameters) } catch {
            throw .sealing(error)
        }
        let info = Self.info(name: name, key: key)
        let file = KeyFile(info: info, sealed: sealed)
        try writeAtomically(file.encoded(), to: url)
        return info
    }

    /// The keys in the store, sorted by name. Files that are not valid key files are reported,
    /// not skipped silently.
    public func list() throws(KeystoreError) -> [KeyInfo] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw .io("cannot list \(directory.path): \(error.localizedDescription)")
        }
        return try names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map {
            file throws(KeystoreError) in
            try info(name: String(file.dropLast(5)))
        }
    }

    /// The public information of key `name`.
    public func info(name: String) throws(KeystoreError) -> KeyInfo {
        try load(name: name).info
    }

    /// Decrypts key `name`.
    /// - Throws: `KeystoreError.wrongPassword`, `.notFound`, or a format error.
    public func unlock(name: String, password: [UInt8]) throws(KeystoreError) -> UnlockedKey {
        let file = try load(name: name)
        let secret: [UInt8]
        do { secret = try file.sealed.open(password: password) } catch {
            throw error == .wrongPassword ? .wrongPassword(name) : .sealing(error)
        }
        let key: UnlockedKey
        do { key = try UnlockedKey(algorithm: file.info.algorithm, secret: secret) } catch {
            throw .invalidFile(
                name: name, reason: "decrypted secret is not a valid \(file.info.algorithm) key: \(error)")
        }
        // The public key is stored in the clear; it must be the one the secret makes.
        guard Hex.encode(key.publicKey) == file.info.publicKey.lowercased() else {
            throw .invalidFile(name: name, reason: "public key does not match the encrypted secret")
        }
        return key
    }

    /// Removes key `name` from the store.
    public func delete(name: String) throws(KeystoreError) {
        try Self.validate(name: name)
        let url = fileURL(for: name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw .notFound(name) }
        do { try FileManager.default.removeItem(at: url) } catch {
            throw .io("cannot remove \(url.path): \(error.localizedDescription)")
        }
    }

    /// The file that holds key `name`.
    public func fileURL(for name: String) -> URL {
        directory.appendingPathComponent(name + ".json")
    }

    // MARK: - Names and public info

    /// Key names: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with a dot.
    public static func validate(name: String) throws(KeystoreError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || byte == 0x2e
                || byte == 0x5f || byte == 0x2d
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed, !name.hasPrefix(".") else {
            throw .invalidName(name)
        }
    }

    static func info(name: String, key: UnlockedKey) -> KeyInfo {
        let address: String? =
            switch key {
            case .ed25519: nil
            case .secp256k1(let secret): secret.publicKey.ethereumAddress.checksummed
            }
        return KeyInfo(name: name, algorithm: key.algorithm, publicKey: Hex.encode(key.publicKey), address: address)
    }

    // MARK: - Files

    func load(name: String) throws(KeystoreError) -> KeyFile {
        try Self.validate(name: name)
        let url = fileURL(for: name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw .notFound(name) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .io("cannot read \(url.path): \(error.localizedDescription)")
        }
        guard data.count <= KeyFile.maxBytes else {
            throw .invalidFile(name: name, reason: "file is larger than \(KeyFile.maxBytes) bytes")
        }
        let file = try KeyFile.decode(data, name: name)
        guard file.info.name == name else {
            throw .invalidFile(name: name, reason: "file names key '\(file.info.name)'")
        }
        return file
    }

    /// Writes to a temporary file with mode 0600, syncs it, and renames it into place.
    private func writeAtomically(_ data: Data, to url: URL) throws(KeystoreError) {
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io("cannot create \(directory.path): \(error.localizedDescription)")
        }
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).\(UInt64.random(in: 0...UInt64.max)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw .io("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var written = 0
        let ok = data.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let result = Foundation.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += result
            }
            return fsync(descriptor) == 0
        }
        let closed = close(descriptor) == 0
        guard ok, closed else {
            unlink(temporary.path)
            throw .io("cannot write \(temporary.path): \(String(cString: strerror(errno)))")
        }
        // link() fails if the name exists, so a concurrent create of the same name cannot be overwritten.
        guard link(temporary.path, url.path) == 0 else {
            let reason = errno == EEXIST ? nil : String(cString: strerror(errno))
            unlink(temporary.path)
            if let reason { throw .io("cannot create \(url.path): \(reason)") }
            throw .alreadyExists(url.deletingPathExtension().lastPathComponent)
        }
        unlink(temporary.path)
        let directoryDescriptor = open(directory.path, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

/// Why a keystore operation failed.
public enum KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The name has characters outside `A-Z a-z 0-9 . _ -`, starts with a dot, or is too long.
    case invalidName(String)
    /// No key with this name.
    case notFound(String)
    /// A key with this name exists; keys are never overwritten.
    case alreadyExists(String)
    /// The password does not open this key (or its file was altered).
    case wrongPassword(String)
    /// The file is not a valid key file.
    case invalidFile(name: String, reason: String)
    /// Encryption or decryption failed for a reason other than the password.
    case sealing(SealedSecretError)
    /// A file-system operation failed.
    case io(String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            "invalid key name '\(name)': use 1-64 of A-Z a-z 0-9 . _ - (not starting with a dot)"
        case .notFound(let name): "no key named '\(name)'"
        case .alreadyExists(let name): "a key named '\(name)' already exists"
        case .wrongPassword(let name): "wrong password for key '\(name)' (or its file was altered)"
        case .invalidFile(let name, let reason): "key file '\(name)' is invalid: \(reason)"
        case .sealing(let error): "\(error)"
        case .io(let message): message
        }
    }
}
