import Testing

@testable import Primitives

@Suite("Hex and Hash")
struct HexAndHashTests {
    @Test("strict hex parsing")
    func hex() throws {
        #expect(try Hex.decode("") == [])
        #expect(try Hex.decode("00ff10Ab") == [0x00, 0xff, 0x10, 0xab])
        #expect(try Hex.decode("0xDEAD") == [0xde, 0xad])
        #expect(throws: HexError.oddLength(3)) { try Hex.decode("abc") }
        #expect(throws: HexError.invalidCharacter(position: 1)) { try Hex.decode("0g") }
        #expect(throws: HexError.invalidCharacter(position: 2)) { try Hex.decode("0x 1") }
        #expect(throws: HexError.invalidCharacter(position: 0)) { try Hex.decode("-1") }
        #expect(throws: HexError.invalidCharacter(position: 3)) { try Hex.decode("0x0x00") }
        #expect(throws: HexError.wrongLength(expected: 2, actual: 1)) { try Hex.decode("00", count: 2) }
        #expect(Hex.encode([0, 1, 0xfe, 0xff]) == "0001feff")
        var generator = SeededRandom(seed: 16)
        for _ in 0..<100 {
            let bytes = generator.bytes(Int.random(in: 0...64, using: &generator))
            #expect(try Hex.decode(Hex.encode(bytes)) == bytes)
        }
    }

    @Test("hash bytes, ordering and bits")
    func hash() throws {
        let bytes = [UInt8](0..<32)
        let hash = try Hash(bytes)
        #expect(hash.bytes == bytes)
        #expect(try Hash(hex: hash.hex) == hash)
        #expect(throws: HashLengthError(actual: 31)) { try Hash([UInt8](repeating: 0, count: 31)) }
        #expect(throws: HexError.self) { try Hash(hex: "00") }
        // Ordering is lexicographic on the bytes, whatever the machine's byte order.
        var generator = SeededRandom(seed: 32)
        for _ in 0..<200 {
            let a = generator.bytes(32)
            var b = a
            b[Int.random(in: 0..<32, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            #expect((try Hash(a) < Hash(b)) == a.lexicographicallyPrecedes(b))
        }
        #expect(try Hash([0x80] + [UInt8](repeating: 0, count: 31)).bit(at: 0))
        #expect(try !Hash([0x7f] + [UInt8](repeating: 0xff, count: 31)).bit(at: 0))
        #expect(try Hash([UInt8](repeating: 0, count: 31) + [1]).bit(at: 255))
    }

    @Test("SHA-256 and SHA-512 known answers (FIPS 180-2 examples)")
    func sha2() {
        #expect(
            Hashing.sha256(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hashing.sha256([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Hex.encode(Hashing.sha512(Array("abc".utf8)))
                == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        var hasher = SHA256Hasher()
        hasher.update(byte: UInt8(ascii: "a"))
        hasher.update(Array("bc".utf8))
        #expect(hasher.finalize() == Hashing.sha256(Array("abc".utf8)))
    }
}

@Suite("Node hashing")
struct NodeHasherTests {
    @Test("the OpenSSL node path and swift-crypto give the same SHA-256 for every length and split")
    func agreesWithSwiftCrypto() throws {
        var generator = SeededRandom(seed: 65)
        for length in 0...300 {
            let data = generator.bytes(length)
            let expected = Hashing.sha256(data)
            #expect(NodeHasher.digest(data) == expected, "length \(length)")
            let split = length == 0 ? 0 : Int.random(in: 0...length, using: &generator)
            var hasher = NodeHasher()
            data.withUnsafeBytes { buffer in
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<split]))
                hasher.update(UnsafeRawBufferPointer(rebasing: buffer[split...]))
            }
            #expect(hasher.finalize() == expected, "length \(length), split \(split)")
        }
        let left = try Hash(generator.bytes(32))
        let right = try Hash(generator.bytes(32))
        #expect(MerkleTree.innerHash(left, right) == Hashing.sha256([1] + left.bytes + right.bytes))
        #expect(MerkleTree.leafHash([7, 8]) == Hashing.sha256([0, 7, 8]))
    }
}
