import Foundation
import Testing

@testable import Primitives

/// The cofactored Ed25519 rule and its batch check (ADR 0018), against libsodium and RFC 8032.
@Suite("Ed25519 cofactored and batch verification")
struct Ed25519CofactoredTests {
    /// A point of order 8 (one of the small-order encodings libsodium refuses).
    static let orderEight = try! Hex.decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")

    static func point(_ encoding: [UInt8]) -> EdwardsPoint? {
        encoding.withUnsafeBytes { EdwardsPoint(decoding: $0, at: 0) }
    }

    static func scalar(_ random: inout SeededRandom) -> [UInt8] {
        Sodium.scalarReduce((0..<64).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    @Test("field and group arithmetic agree with libsodium on random points and scalars")
    func arithmetic() throws {
        var random = SeededRandom(seed: 2018)
        for _ in 0..<40 {
            let p = try #require(Sodium.scalarMultiplyBase(Self.scalar(&random)))
            let q = try #require(Sodium.scalarMultiplyBase(Self.scalar(&random)))
            let ours = try #require(Self.point(p))
            let theirs = try #require(Self.point(q))
            #expect(ours.encoded == p, "decoding and encoding round-trip")
            #expect(ours.adding(theirs.cached).encoded == Sodium.pointAdd(p, q))
            #expect(ours.subtracting(theirs.cached).encoded == Sodium.pointSubtract(p, q))
            #expect(ours.doubled().encoded == Sodium.pointAdd(p, p))
            let n = Self.scalar(&random)
            #expect(MultiScalar.sum([ours], [n]).encoded == Sodium.scalarMultiply(n, p))
            let m = Self.scalar(&random)
            let combined = try #require(Sodium.pointAdd(Sodium.scalarMultiply(n, p)!, Sodium.scalarMultiply(m, q)!))
            #expect(MultiScalar.sum([ours, theirs], [n, m]).encoded == combined)
            // Field identities on the coordinates.
            let x = ours.x
            let y = ours.y
            #expect((x * x.inverted()).isEqual(to: .one))
            #expect((x + y).squared().isEqual(to: x.squared() + (x * y) + (x * y) + y.squared()))
            #expect((x - y + y).isEqual(to: x))
        }
        // Many points: the window width and bucket paths of a large sum.
        let points = (0..<70).map { _ in Sodium.scalarMultiplyBase(Self.scalar(&random))! }
        let scalars = (0..<70).map { _ in Self.scalar(&random) }
        var expected = Sodium.scalarMultiply(scalars[0], points[0])!
        for index in 1..<70 {
            expected = Sodium.pointAdd(expected, Sodium.scalarMultiply(scalars[index], points[index])!)!
        }
        #expect(MultiScalar.sum(points.map { Self.point($0)! }, scalars).encoded == expected)
    }

    @Test("encodings: non-canonical y and x = 0 with the sign bit are refused, small order is seen")
    func encodings() throws {
        // y = p (non-canonical zero) and y = p + 1 (non-canonical one).
        var p = [UInt8](repeating: 0xFF, count: 32)
        p[0] = 0xED
        p[31] = 0x7F
        #expect(Self.point(p) == nil)
        var pPlusOne = p
        pPlusOne[0] = 0xEE
        #expect(Self.point(pPlusOne) == nil)
        // The identity (y = 1) decodes, has small order; with the sign bit set it is refused.
        var identity = [UInt8](repeating: 0, count: 32)
        identity[0] = 1
        #expect(try #require(Self.point(identity)).hasSmallOrder)
        identity[31] = 0x80
        #expect(Self.point(identity) == nil)
        let eight = try #require(Self.point(Self.orderEight))
        #expect(eight.hasSmallOrder && !eight.doubled().doubled().isIdentity)
        #expect(!EdwardsPoint.base.hasSmallOrder)
        #expect(Ed25519Cofactored.isCanonicalScalar(Ed25519Cofactored.order.enumerated().map { $0 == 0 ? $1 - 1 : $1 }))
        #expect(!Ed25519Cofactored.isCanonicalScalar(Ed25519Cofactored.order))
    }

    struct Vector: Decodable {
        let name: String
        let pk: String
        let msg: String
        let sig: String
    }

    struct VectorFile: Decodable { let vectors: [Vector] }

    @Test("RFC 8032 signatures are valid under the cofactored rule, one by one and as a batch")
    func rfc8032() throws {
        let vectors = try Vectors.jsonFiles(in: "ed25519").flatMap {
            try Vectors.decode(VectorFile.self, from: $0).vectors
        }
        #expect(!vectors.isEmpty)
        let items = try vectors.map { vector in
            Ed25519Cofactored.Item(
                publicKey: try Ed25519.PublicKey(try Hex.decode(vector.pk)),
                signature: try Ed25519.Signature(try Hex.decode(vector.sig)), message: try Hex.decode(vector.msg))
        }
        for (vector, item) in zip(vectors, items) {
            #expect(Ed25519Cofactored.verify(item), "\(vector.name)")
            let longer = Ed25519Cofactored.Item(
                publicKey: item.publicKey, signature: item.signature, message: item.message + [0])
            #expect(!Ed25519Cofactored.verify(longer), "\(vector.name): longer message")
        }
        #expect(Ed25519Cofactored.verifyAll(items))
    }

    @Test(
        "batches agree with libsodium on valid and corrupted signatures, and name the bad ones", arguments: [1, 7, 64])
    func batchesAgree(size: Int) throws {
        var random = SeededRandom(seed: UInt64(size))
        let keys = (0..<5).map { _ in
            try! Ed25519.PrivateKey(seed: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        var items: [Ed25519Cofactored.Item] = (0..<size).map { index in
            let key = keys[index % keys.count]
            let message = (0..<(index % 50)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return Ed25519Cofactored.Item(publicKey: key.publicKey, signature: key.sign(message), message: message)
        }
        #expect(Ed25519Cofactored.verifyAll(items))
        #expect(Ed25519Cofactored.verifyEach(items).allSatisfy { $0 })
        // Corrupt some: a flipped signature bit, another key, another message, s + L.
        var bad: Set<Int> = []
        for index in stride(from: 0, to: size, by: 3) {
            let item = items[index]
            var signature = item.signature.bytes
            var key = item.publicKey
            var message = item.message
            switch index % 4 {
            case 0: signature[Int.random(in: 0..<64, using: &random)] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1: key = keys[(index + 1) % keys.count].publicKey
            case 2: message.append(1)
            default:
                var carry = 0
                for byte in 32..<64 {
                    let sum = Int(signature[byte]) + Int(Ed25519Cofactored.order[byte - 32]) + carry
                    signature[byte] = UInt8(sum & 0xFF)
                    carry = sum >> 8
                }
            }
            items[index] = Ed25519Cofactored.Item(
                publicKey: key, signature: try Ed25519.Signature(signature), message: message)
            bad.insert(index)
        }
        let verdicts = Ed25519Cofactored.verifyEach(items)
        for (index, item) in items.enumerated() {
            let sodium = item.publicKey.isValidSignature(item.signature, for: item.message)
            #expect(verdicts[index] == sodium, "signature \(index)")
            #expect(verdicts[index] == !bad.contains(index), "signature \(index)")
        }
        #expect(!Ed25519Cofactored.verifyAll(items))
    }

    @Test("small-order keys and R are refused; a torsion component in R is where the two rules differ")
    func rulesDiffer() throws {
        var random = SeededRandom(seed: 9)
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let key = try Ed25519.PrivateKey(seed: seed)
        let message = Array("torsion".utf8)
        // A small-order key signs nothing.
        var identity = [UInt8](repeating: 0, count: 32)
        identity[0] = 1
        let signature = key.sign(message)
        #expect(
            !Ed25519Cofactored.verify(
                .init(publicKey: try Ed25519.PublicKey(identity), signature: signature, message: message)))
        // R of small order: refused.
        let smallR = try Ed25519.Signature(Self.orderEight + Array(signature.bytes[32...]))
        #expect(!Ed25519Cofactored.verify(.init(publicKey: key.publicKey, signature: smallR, message: message)))

        // A signature made with R = [r]B + T (T of order 8): s = r + h·a, so [s]B − [h]A = [r]B ≠ R,
        // and libsodium refuses it, while [8]([s]B − R − [h]A) = −[8]T is the identity.
        var expanded = Hashing.sha512(seed)
        expanded[0] &= 248
        expanded[31] &= 127
        expanded[31] |= 64
        let a = Sodium.scalarReduce(Array(expanded[..<32]) + [UInt8](repeating: 0, count: 32))
        let r = Self.scalar(&random)
        let rB = try #require(Sodium.scalarMultiplyBase(r))
        let bigR = try #require(Sodium.pointAdd(rB, Self.orderEight))
        let h = Sodium.scalarReduce(Hashing.sha512(bigR + key.publicKey.bytes + message))
        let s = Sodium.scalarMultiplyAdd(h, a, r)
        let torsioned = try Ed25519.Signature(bigR + s)
        #expect(!key.publicKey.isValidSignature(torsioned, for: message))
        let item = Ed25519Cofactored.Item(publicKey: key.publicKey, signature: torsioned, message: message)
        #expect(Ed25519Cofactored.verify(item))
        #expect(Ed25519Cofactored.verifyEach([item]) == [true])
    }
}
