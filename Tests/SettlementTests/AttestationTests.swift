import EVM
import Primitives
import Testing

@testable import Settlement

@Suite("Committee attestations (EVM)")
struct AttestationTests {
    /// Committee keys 0x…01 … 0x…0n, the same keys the contract tests use.
    static func keys(_ count: Int) -> [Secp256k1.PrivateKey] {
        (1...count).map { try! Secp256k1.PrivateKey([UInt8](repeating: 0, count: 31) + [UInt8($0)]) }
    }

    static func committee(_ keys: [Secp256k1.PrivateKey], weights: [UInt64]? = nil, epoch: UInt64 = 0) throws
        -> Committee
    {
        let weights = weights ?? Array(repeating: 1, count: keys.count)
        let members = zip(keys, weights).enumerated().map { index, pair in
            CommitteeMember(
                evmAddress: pair.0.publicKey.ethereumAddress,
                ed25519Key: try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(index + 1), count: 32)).publicKey,
                weight: pair.1)
        }
        let total = weights.reduce(0, +)
        return try Committee(
            epoch: epoch, members: members, threshold: Committee.twoThirdsThreshold(totalWeight: total))
    }

    static let contract = try! EthereumAddress(parsing: "0x5fbdb2315678afecb367f032d93f642f64180aa3")

    @Test("two-thirds thresholds are the smallest weight above two thirds")
    func thresholds() {
        #expect(Committee.twoThirdsThreshold(totalWeight: 4) == 3)
        #expect(Committee.twoThirdsThreshold(totalWeight: 3) == 3)
        #expect(Committee.twoThirdsThreshold(totalWeight: 100) == 67)
        #expect(Committee.twoThirdsThreshold(totalWeight: 5) == 4)
        #expect(Committee.twoThirdsThreshold(totalWeight: .max) > UInt64.max / 3 * 2)
    }

    @Test("a quorum in ascending order verifies; every broken rule is named")
    func quorumRules() throws {
        let keys = Self.keys(4)
        let committee = try Self.committee(keys)
        let digest = EVMAttestation.batchDigest(
            chainId: 31_337, contract: Self.contract, batchId: 1, root: Hashing.keccak256([1]))
        let signatures = keys.map { EVMAttestation.sign(digest, with: $0) }
        let ordered = try EVMAttestation.ordered(Array(signatures[0..<3]), digest: digest)
        #expect(try EVMAttestation.verifyQuorum(ordered, digest: digest, committee: committee) == 3)
        #expect(throws: SettlementError.belowThreshold(weight: 2, threshold: 3)) {
            try EVMAttestation.verifyQuorum(Array(ordered[0..<2]), digest: digest, committee: committee)
        }
        #expect(throws: SettlementError.signersNotAscending(position: 1)) {
            try EVMAttestation.verifyQuorum([ordered[1], ordered[0], ordered[2]], digest: digest, committee: committee)
        }
        #expect(throws: SettlementError.signersNotAscending(position: 1)) {
            try EVMAttestation.verifyQuorum([ordered[0], ordered[0], ordered[1]], digest: digest, committee: committee)
        }
        let outsider = try Secp256k1.PrivateKey([UInt8](repeating: 0x77, count: 32))
        let withOutsider = try EVMAttestation.ordered(
            Array(signatures[0..<2]) + [EVMAttestation.sign(digest, with: outsider)], digest: digest)
        #expect(throws: SettlementError.notAMember(description: "\(outsider.publicKey.ethereumAddress)")) {
            try EVMAttestation.verifyQuorum(withOutsider, digest: digest, committee: committee)
        }
        var badV = ordered[0]
        badV[64] = 1
        #expect(throws: SettlementError.self) {
            try EVMAttestation.verifyQuorum([badV], digest: digest, committee: committee)
        }
        // A signature for another chain or contract recovers someone else: not a member.
        let elsewhere = EVMAttestation.batchDigest(
            chainId: 1, contract: Self.contract, batchId: 1, root: Hashing.keccak256([1]))
        #expect(throws: SettlementError.self) {
            try EVMAttestation.verifyQuorum(
                try EVMAttestation.ordered(
                    keys.prefix(3).map { EVMAttestation.sign(elsewhere, with: $0) }, digest: elsewhere),
                digest: digest, committee: committee)
        }
    }

    @Test("high-s twins of valid signatures are refused")
    func highS() throws {
        let key = Self.keys(1)[0]
        let digest = EVMAttestation.eip191(Hashing.keccak256([9]))
        var signature = EVMAttestation.sign(digest, with: key)
        // s' = n − s flips the recovery parity: the same signer, a malleated encoding.
        let order = try Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
        signature.replaceSubrange(32..<64, with: Self.subtract(order, Array(signature[32..<64])))
        signature[64] = signature[64] == 27 ? 28 : 27
        #expect(throws: SettlementError.self) { try EVMAttestation.signer(of: signature, digest: digest) }
    }

    @Test("batch and rotation digests differ in their tag; rotation binds the next committee")
    func rotationDigest() throws {
        let keys = Self.keys(4)
        let next = try Self.committee(keys, weights: [1, 2, 3, 4], epoch: 1)
        let rotation = EVMAttestation.rotationDigest(chainId: 31_337, contract: Self.contract, next: next)
        let batch = EVMAttestation.batchDigest(
            chainId: 31_337, contract: Self.contract, batchId: 1, root: EVMAttestation.committeeHash(next))
        #expect(rotation != batch)
        let other = try Self.committee(keys, weights: [1, 2, 3, 5], epoch: 1)
        #expect(EVMAttestation.rotationDigest(chainId: 31_337, contract: Self.contract, next: other) != rotation)
        #expect(throws: SettlementError.self) { try Self.committee(keys, weights: [1, 0, 1, 1]) }
        #expect(throws: SettlementError.self) { try Committee(epoch: 0, members: [], threshold: 1) }
        #expect(throws: SettlementError.self) { try Committee(epoch: 0, members: next.members, threshold: 6) }
        #expect(throws: SettlementError.self) {
            try Committee(epoch: 0, members: next.members + next.members, threshold: 20)
        }
    }

    /// `a − b` for 32-byte big-endian values with `a ≥ b`.
    static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in stride(from: 31, through: 0, by: -1) {
            var digit = Int(a[index]) - Int(b[index]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            out[index] = UInt8(digit)
        }
        return out
    }
}
