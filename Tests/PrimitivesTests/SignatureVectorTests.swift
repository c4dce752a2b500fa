import Foundation
import Testing

@testable import Primitives

/// Runs every vector file in Tests/Vectors/ed25519 and Tests/Vectors/ecvrf.
@Suite("Published signature and VRF vectors")
struct SignatureVectorTests {
    struct Ed25519Vector: Decodable {
        let name: String
        let sk: String
        let pk: String
        let msg: String
        let sig: String
    }

    struct Ed25519File: Decodable { let vectors: [Ed25519Vector] }

    @Test("RFC 8032 Ed25519", arguments: try Vectors.jsonFiles(in: "ed25519"))
    func ed25519(file: URL) throws {
        let vectors = try Vectors.decode(Ed25519File.self, from: file).vectors
        #expect(!vectors.isEmpty, "\(file.lastPathComponent) has no vectors")
        for vector in vectors {
            let key = try Ed25519.PrivateKey(seed: try Hex.decode(vector.sk))
            let message = try Hex.decode(vector.msg)
            #expect(key.publicKey.bytes.hex == vector.pk, "\(vector.name): public key")
            let signature = key.sign(message)
            #expect(signature.bytes.hex == vector.sig, "\(vector.name): signature")
            let published = try Ed25519.Signature(try Hex.decode(vector.sig))
            #expect(key.publicKey.isValidSignature(published, for: message), "\(vector.name): verify")
            #expect(!key.publicKey.isValidSignature(published, for: message + [0]), "\(vector.name): longer message")
            var flipped = published.bytes
            flipped[0] ^= 1
            #expect(!key.publicKey.isValidSignature(try Ed25519.Signature(flipped), for: message))
        }
    }

    struct VRFVector: Decodable {
        let sk: String
        let pk: String
        let alpha: String
        let h: String?
        let pi: String
        let beta: String
    }

    struct VRFFile: Decodable { let vectors: [VRFVector] }

    @Test("RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI", arguments: try Vectors.jsonFiles(in: "ecvrf"))
    func ecvrf(file: URL) throws {
        let vectors = try Vectors.decode(VRFFile.self, from: file).vectors
        #expect(!vectors.isEmpty, "\(file.lastPathComponent) has no vectors")
        for vector in vectors {
            let key = try VRF.SecretKey(seed: try Hex.decode(vector.sk))
            let alpha = try Hex.decode(vector.alpha)
            #expect(key.publicKey.bytes.hex == vector.pk)
            if let h = vector.h {
                #expect(try VRF.encodeToCurve(publicKey: key.publicKey.bytes, alpha: alpha).hex == h)
            }
            let proof = try VRF.prove(alpha, secretKey: key)
            #expect(proof.bytes.hex == vector.pi)
            let beta = try VRF.verify(alpha, proof: try VRF.Proof(try Hex.decode(vector.pi)), publicKey: key.publicKey)
            #expect(beta.hex == vector.beta)
            #expect(proof.unverifiedOutput?.hex == vector.beta)
            #expect(throws: VRFError.verificationFailed) {
                try VRF.verify(alpha + [0], proof: proof, publicKey: key.publicKey)
            }
        }
    }
}
