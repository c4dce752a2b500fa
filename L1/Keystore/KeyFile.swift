import Foundation
import Primitives

/// The JSON form of one key file (version 1):
///
/// ```json
/// { "version": 1, "name": "validator", "algorithm": "ed25519", "publicKey": "<hex>",
///   "address": "0x…" (secp256k1 only),
///   "kdf": { "name": "argon2id13", "operations": 3, "memoryBytes": 268435456, "salt": "<hex>" },
///   "cipher": { "name": "xsalsa20poly1305", "nonce": "<hex>", "ciphertext": "<hex>" } }
/// ```
struct KeyFile {
    static let version = 1
    static let maxBytes = 16 * 1024

    let info: KeyInfo
    let sealed: SealedSecret

    private struct JSONForm: Codable {
        struct KDF: Codable {
            var name: String
            var operations: UInt64
            var memoryBytes: UInt64
            var salt: String
        }
        struct Cipher: Codable {
            var name: String
            var nonce: String
            var ciphertext: String
        }
        var version: Int
        var name: String
        var algorithm: String
        var publicKey: String
        var address: String?
        var kdf: KDF
        var cipher: Cipher
    }

    func encoded() -> Data {
        let form = JSONForm(
            version: Self.version, name: info.name, algorithm: info.algorithm.rawValue, publicKey: info.publicKey,
            address: info.address,
            kdf: .init(
                name: "argon2id13", operations: sealed.parameters.operations,
                memoryBytes: sealed.parameters.memoryBytes, salt: Hex.encode(sealed.salt)),
            cipher: .init(
                name: "xsalsa20poly1305", nonce: Hex.encode(sealed.nonce), ciphertext: Hex.encode(sealed.ciphertext)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain strings and integers cannot fail.
        return (try? encoder.encode(form)) ?? Data()
    }

    static func decode(_ data: Data, name: String) throws(KeystoreError) -> KeyFile {
        func invalid(_ reason: String) -> KeystoreError { .invalidFile(name: name, reason: reason) }
        let form: JSONForm
        do { form = try JSONDecoder().decode(JSONForm.self, from: data) } catch {
            throw invalid("not a key file: \(error)")
        }
        guard form.version == version else {
            throw invalid("unsupported version \(form.version) (expected \(version))")
        }
        guard let algorithm = KeyAlgorithm(rawValue: form.algorithm) else {
            throw invalid("unknown algorithm '\(form.algorithm)'")
        }
        guard form.kdf.name == "argon2id13" else { throw invalid("unknown key derivation '\(form.kdf.name)'") }
        guard form.cipher.name == "xsalsa20poly1305" else { throw invalid("unknown cipher '\(form.cipher.name)'") }
        let parameters = SealedSecret.Parameters(operations: form.kdf.operations, memoryBytes: form.kdf.memoryBytes)
        guard parameters.isAllowed else { throw invalid("key-derivation parameters are outside the accepted bounds") }
        let publicKey: [UInt8]
        let salt: [UInt8]
        let nonce: [UInt8]
        let ciphertext: [UInt8]
        do {
            publicKey = try Hex.decode(form.publicKey)
            salt = try Hex.decode(form.kdf.salt)
            nonce = try Hex.decode(form.cipher.nonce)
            ciphertext = try Hex.decode(form.cipher.ciphertext)
        } catch {
            throw invalid("bad hex: \(error)")
        }
        let expectedKeyLength = algorithm == .ed25519 ? 32 : 33
        guard publicKey.count == expectedKeyLength else {
            throw invalid("public key must be \(expectedKeyLength) bytes for \(algorithm)")
        }
        // The address is derived from the public key, never trusted from the file.
        var address: String? = nil
        if algorithm == .secp256k1 {
            do { address = try Secp256k1.PublicKey(publicKey).ethereumAddress.checksummed } catch {
                throw invalid("public key is not a secp256k1 point")
            }
        }
        guard form.address == address else { throw invalid("address does not match the public key") }
        let info = KeyInfo(name: form.name, algorithm: algorithm, publicKey: Hex.encode(publicKey), address: address)
        return KeyFile(
            info: info, sealed: SealedSecret(parameters: parameters, salt: salt, nonce: nonce, ciphertext: ciphertext))
    }
}
