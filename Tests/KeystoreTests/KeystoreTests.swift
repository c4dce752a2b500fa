import Foundation
import Keystore
import Primitives
import Testing

/// Cheap Argon2id parameters so the suite stays fast; one test uses the real presets.
private let cheap = SealedSecret.Parameters(operations: 1, memoryBytes: 8192)
private let password = Array("correct horse battery staple".utf8)

private func withKeystore<T>(_ body: (Keystore) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aether-keys-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(Keystore(directory: directory))
}

@Suite("Encrypted keystore")
struct KeystoreTests {
    @Test("keys are created, listed, unlocked and exported for both algorithms")
    func lifecycle() throws {
        try withKeystore { keystore in
            let ed = try keystore.create(name: "validator", algorithm: .ed25519, password: password, parameters: cheap)
            let eth = try keystore.create(
                name: "relayer.eth", algorithm: .secp256k1, password: password, parameters: cheap)
            #expect(ed.address == nil)
            #expect(eth.address?.hasPrefix("0x") == true)
            #expect(try keystore.list().map(\.name) == ["relayer.eth", "validator"])
            #expect(try keystore.info(name: "validator") == ed)

            let unlocked = try keystore.unlock(name: "validator", password: password)
            guard case .ed25519(let key) = unlocked else {
                Issue.record("expected an Ed25519 key")
                return
            }
            #expect(key.publicKey.description == ed.publicKey)
            let message = Array("hello".utf8)
            #expect(key.publicKey.isValidSignature(key.sign(message), for: message))

            guard case .secp256k1(let ethKey) = try keystore.unlock(name: "relayer.eth", password: password) else {
                Issue.record("expected a secp256k1 key")
                return
            }
            #expect(ethKey.publicKey.ethereumAddress.checksummed == eth.address)
        }
    }

    @Test("key files are private: mode 0600 in a 0700 directory, never overwritten")
    func permissions() throws {
        try withKeystore { keystore in
            try keystore.create(name: "k1", algorithm: .ed25519, password: password, parameters: cheap)
            let file = try FileManager.default.attributesOfItem(atPath: keystore.fileURL(for: "k1").path)
            #expect((file[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let directory = try FileManager.default.attributesOfItem(atPath: keystore.directory.path)
            #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            #expect(throws: KeystoreError.alreadyExists("k1")) {
                try keystore.create(name: "k1", algorithm: .ed25519, password: password, parameters: cheap)
            }
            // No temporary files are left behind.
            let names = try FileManager.default.contentsOfDirectory(atPath: keystore.directory.path)
            #expect(names == ["k1.json"])
        }
    }

    @Test("import and export round-trip a known secret")
    func importExport() throws {
        try withKeystore { keystore in
            let seed = try Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            let info = try keystore.save(
                name: "rfc8032", key: try UnlockedKey(algorithm: .ed25519, secret: seed), password: password,
                parameters: cheap)
            // RFC 8032 TEST 1 public key.
            #expect(info.publicKey == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            #expect(try keystore.unlock(name: "rfc8032", password: password).secret == seed)
        }
    }

    @Test("wrong passwords, tampering and bad files give clear errors")
    func badInput() throws {
        try withKeystore { keystore in
            try keystore.create(name: "k", algorithm: .secp256k1, password: password, parameters: cheap)
            #expect(throws: KeystoreError.wrongPassword("k")) {
                try keystore.unlock(name: "k", password: Array("wrong".utf8))
            }
            #expect(throws: KeystoreError.notFound("missing")) {
                try keystore.unlock(name: "missing", password: password)
            }
            for name in ["", ".hidden", "a/b", "../escape", String(repeating: "x", count: 65), "space name"] {
                #expect(throws: KeystoreError.invalidName(name)) {
                    try keystore.create(name: name, algorithm: .ed25519, password: password, parameters: cheap)
                }
            }

            let url = keystore.fileURL(for: "k")
            let original = try String(contentsOf: url, encoding: .utf8)
            func write(_ text: String, as name: String) throws {
                try text.write(to: keystore.fileURL(for: name), atomically: true, encoding: .utf8)
            }
            // Swap in another key's public key: the secret no longer matches what the file claims.
            let other = try keystore.create(name: "other", algorithm: .secp256k1, password: password, parameters: cheap)
            let mine = try keystore.info(name: "k")
            try write(original.replacingOccurrences(of: mine.publicKey, with: other.publicKey), as: "k")
            #expect(throws: KeystoreError.self) { try keystore.unlock(name: "k", password: password) }
            // A flipped ciphertext byte fails authentication.
            try write(original, as: "k")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(original.utf8)) as? [String: Any])
            let cipher = try #require(json["cipher"] as? [String: Any])
            let ciphertext = try #require(cipher["ciphertext"] as? String)
            var flipped = Array(ciphertext)
            flipped[40] = flipped[40] == "0" ? "1" : "0"
            try write(original.replacingOccurrences(of: ciphertext, with: String(flipped)), as: "k")
            #expect(throws: KeystoreError.wrongPassword("k")) { try keystore.unlock(name: "k", password: password) }
            // Hostile key-derivation parameters are refused before any work is done.
            try write(
                original.replacingOccurrences(of: "\"memoryBytes\" : 8192", with: "\"memoryBytes\" : 999999999999"),
                as: "k")
            #expect(throws: KeystoreError.self) { try keystore.unlock(name: "k", password: password) }
            for junk in ["", "{", "[]", "{\"version\": 2}", String(repeating: "x", count: 20_000)] {
                try write(junk, as: "junk")
                #expect(throws: KeystoreError.self) { try keystore.info(name: "junk") }
            }
        }
    }

    @Test("the real presets seal and open (libsodium's interactive cost)")
    func presets() throws {
        let sealed = try SealedSecret.seal([1, 2, 3], password: password, parameters: .interactive)
        #expect(try sealed.open(password: password) == [1, 2, 3])
        #expect(throws: SealedSecretError.wrongPassword) { try sealed.open(password: [1]) }
        #expect(SealedSecret.Parameters.moderate.isAllowed)
    }
}
