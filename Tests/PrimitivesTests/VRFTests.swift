import Testing

@testable import Primitives

@Suite("ECVRF")
struct VRFTests {
    @Test("proofs verify, and the output is unique per key and input")
    func roundTrip() throws {
        var generator = SeededRandom(seed: 9381)
        for _ in 0..<16 {
            let key = try VRF.SecretKey(seed: generator.bytes(32))
            let alpha = generator.bytes(Int.random(in: 0...100, using: &generator))
            let proof = try VRF.prove(alpha, secretKey: key)
            let beta = try VRF.verify(alpha, proof: proof, publicKey: key.publicKey)
            #expect(beta.count == 64)
            #expect(try VRF.prove(alpha, secretKey: key) == proof, "proving is deterministic")
            let other = try VRF.SecretKey(seed: generator.bytes(32))
            #expect(throws: VRFError.self) { try VRF.verify(alpha, proof: proof, publicKey: other.publicKey) }
        }
    }

    @Test("tampered proofs are rejected with the failing check")
    func tampering() throws {
        let key = try VRF.SecretKey(seed: [UInt8](repeating: 7, count: 32))
        let alpha = Array("block 42".utf8)
        let proof = try VRF.prove(alpha, secretKey: key).bytes
        // Any single flipped bit in c or s breaks the challenge; flips in Gamma break decoding or the challenge.
        for index in stride(from: 0, to: 80, by: 3) {
            var bad = proof
            bad[index] ^= 0x04
            #expect(throws: VRFError.self) {
                try VRF.verify(alpha, proof: try VRF.Proof(bad), publicKey: key.publicKey)
            }
        }
        // s ≥ L is non-canonical.
        var highS = proof
        for index in 48..<80 { highS[index] = 0xff }
        #expect(throws: VRFError.nonCanonicalScalar) {
            try VRF.verify(alpha, proof: try VRF.Proof(highS), publicKey: key.publicKey)
        }
        // The identity as a public key (small order) is refused.
        let identity = try Ed25519.PublicKey([1] + [UInt8](repeating: 0, count: 31))
        #expect(throws: VRFError.invalidPublicKey) {
            try VRF.verify(alpha, proof: try VRF.Proof(proof), publicKey: identity)
        }
        #expect(throws: KeyError.invalidLength(expected: 80, actual: 79)) { try VRF.Proof(Array(proof.dropLast())) }
    }

    @Test("RFC 8032 point decoding rejects non-canonical encodings")
    func pointDecoding() {
        // y = p (non-canonical encoding of y = 0).
        let yEqualsP: [UInt8] = [0xed] + [UInt8](repeating: 0xff, count: 30) + [0x7f]
        #expect(!VRF.isCanonicalEncoding(yEqualsP))
        // y = 1 with the sign bit set: x = 0 cannot be negative.
        #expect(!VRF.isCanonicalEncoding([1] + [UInt8](repeating: 0, count: 30) + [0x80]))
        #expect(VRF.isCanonicalEncoding(VRF.identity))
        #expect(!VRF.isCanonicalEncoding([UInt8](repeating: 0, count: 31)))
        // y = p − 1 without the sign bit is canonical; with a set top bit beyond p it is not.
        #expect(VRF.isCanonicalEncoding([0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f]))
        #expect(!VRF.isCanonicalEncoding([0xee] + [UInt8](repeating: 0xff, count: 30) + [0x7f]))
    }
}
