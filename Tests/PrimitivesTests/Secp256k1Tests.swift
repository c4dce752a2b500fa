import Testing

@testable import Primitives

@Suite("secp256k1 and Ethereum addresses")
struct Secp256k1Tests {
    // Known answers cross-checked with eth-account 0.13 (Account.from_key / sign_message).
    static let webKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

    @Test("addresses of known keys")
    func addresses() throws {
        let key = try Secp256k1.PrivateKey(try Hex.decode(Self.webKey))
        #expect(key.publicKey.ethereumAddress.checksummed == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")
        let one = try Secp256k1.PrivateKey([UInt8](repeating: 0, count: 31) + [1])
        #expect(one.publicKey.ethereumAddress.checksummed == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        // The generator point G, compressed.
        #expect(
            Hex.encode(one.publicKey.compressed) == "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        )
    }

    @Test("RFC 6979 signature of an EIP-191 message matches eth-account byte for byte")
    func knownSignature() throws {
        let key = try Secp256k1.PrivateKey(try Hex.decode(Self.webKey))
        let message = Array("\u{19}Ethereum Signed Message:\n9Some data".utf8)
        let digest = Hashing.keccak256(message)
        #expect(digest.hex == "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655")
        let signature = key.sign(hash: digest)
        #expect(
            Hex.encode(signature.compact)
                == "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
                + "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a029")
        #expect(signature.recoveryId + 27 == 0x1c)
        let parsed = try Secp256k1.RecoverableSignature(signature.compact + [0x1c])
        #expect(try parsed.recoverPublicKey(from: digest) == key.publicKey)
    }

    @Test("sign, verify and recover round trip; low-s normalisation")
    func roundTrip() throws {
        var generator = SeededRandom(seed: 256)
        for _ in 0..<20 {
            let key = try Secp256k1.PrivateKey(generator.bytes(32))
            let digest = Hashing.keccak256(generator.bytes(40))
            let signature = key.sign(hash: digest)
            #expect(signature.isLowS)
            #expect(key.publicKey.isValidSignature(signature, for: digest))
            #expect(try signature.recoverPublicKey(from: digest) == key.publicKey)
            #expect(try Secp256k1.PublicKey(key.publicKey.compressed) == key.publicKey)
            #expect(try Secp256k1.PublicKey(key.publicKey.uncompressed) == key.publicKey)

            // The malleable twin (r, n − s, v ⊕ 1) recovers the same key but is refused by default.
            let high = try Secp256k1.RecoverableSignature(
                compact: signature.r + Self.subtractFromOrder(signature.s), recoveryId: signature.recoveryId ^ 1)
            #expect(!high.isLowS)
            #expect(throws: KeyError.self) { try high.recoverPublicKey(from: digest) }
            #expect(try high.recoverPublicKey(from: digest, requireLowS: false) == key.publicKey)
            #expect(!key.publicKey.isValidSignature(high, for: digest))
            #expect(high.normalized == signature)

            var otherDigest = digest.bytes
            otherDigest[0] ^= 1
            #expect(!key.publicKey.isValidSignature(signature, for: try Hash(otherDigest)))
        }
    }

    @Test("bad keys and signatures give typed errors")
    func badInput() throws {
        #expect(throws: KeyError.invalidLength(expected: 32, actual: 31)) {
            try Secp256k1.PrivateKey([UInt8](repeating: 1, count: 31))
        }
        #expect(throws: KeyError.self) { try Secp256k1.PrivateKey([UInt8](repeating: 0, count: 32)) }
        #expect(throws: KeyError.self) { try Secp256k1.PrivateKey([UInt8](repeating: 0xff, count: 32)) }
        #expect(throws: KeyError.self) { try Secp256k1.PublicKey([0x02] + [UInt8](repeating: 0xff, count: 32)) }
        #expect(throws: KeyError.self) { try Secp256k1.PublicKey([0x05] + [UInt8](repeating: 1, count: 32)) }
        #expect(throws: KeyError.self) { try Secp256k1.RecoverableSignature([UInt8](repeating: 1, count: 64) + [4]) }
        #expect(throws: KeyError.self) { try Secp256k1.RecoverableSignature([UInt8](repeating: 0xff, count: 65)) }
        #expect(throws: KeyError.invalidLength(expected: 65, actual: 64)) {
            try Secp256k1.RecoverableSignature([UInt8](repeating: 1, count: 64))
        }
    }

    @Test("EIP-55 checksums (the EIP's own examples)")
    func checksums() throws {
        let examples = [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ]
        for example in examples {
            #expect(try EthereumAddress(parsing: example).checksummed == example)
            #expect(try EthereumAddress(parsing: example.lowercased()).checksummed == example)
            // Flip the case of one letter: still mixed case, so the checksum must now fail.
            var characters = Array(example)
            let letter = try #require(characters.indices.dropFirst(2).first { characters[$0].isLetter })
            let flipped =
                characters[letter].isUppercase ? characters[letter].lowercased() : characters[letter].uppercased()
            characters[letter] = Character(flipped)
            #expect(throws: EthereumAddressError.self) { try EthereumAddress(parsing: String(characters)) }
        }
        #expect(throws: EthereumAddressError.self) { try EthereumAddress(parsing: "0x1234") }
    }

    /// n − s for a 32-byte big-endian s (test helper).
    static func subtractFromOrder(_ s: [UInt8]) -> [UInt8] {
        let order: [UInt8] = try! Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            var digit = Int(order[index]) - Int(s[index]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            out[index] = UInt8(digit)
        }
        return out
    }
}
