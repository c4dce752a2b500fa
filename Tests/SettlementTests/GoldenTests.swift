import EVM
import Foundation
import Primitives
import Testing

@testable import Settlement

/// Batches built and signed by the Ethereum Python tooling (eth_abi, eth_utils, eth_account) in
/// `Tests/Vectors/settlement`: our leaves, roots, proofs, digests, signatures and call data must
/// match byte for byte.
@Suite("Settlement golden vectors (eth_abi, eth_account)")
struct GoldenTests {
    struct File: Decodable {
        struct PayoutEntry: Decodable {
            let kind: UInt8
            let recipient: String
            let asset: String
            let amount: String
        }
        struct ProofEntry: Decodable {
            let index: Int
            let siblings: [String]
        }
        struct BatchEntry: Decodable {
            let batchId: String
            let payouts: [PayoutEntry]
            let leaves: [String]
            let root: String
            let proofs: [ProofEntry]
            let digest: String
            let signatures: [String]
            let recordBatchCall: String
        }
        struct Rotation: Decodable {
            let members: [String]
            let weights: [UInt64]
            let threshold: UInt64
            let epoch: UInt64
            let committeeHash: String
            let digest: String
        }
        let chainId: UInt64
        let contract: String
        let committeeKeys: [String]
        let batches: [BatchEntry]
        let rotation: Rotation
    }

    static let file: File = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Vectors/settlement/settlement.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    static func bytes(_ hex: String) throws -> [UInt8] {
        try Hex.decode(hex.hasPrefix("0x") ? String(hex.dropFirst(2)) : hex)
    }

    @Test(
        "leaves, roots, proofs, batch digests, signatures and recordBatch call data match (10 batches, 1–300 payouts)")
    func batches() throws {
        let contract = try EthereumAddress(parsing: Self.file.contract)
        let keys = try Self.file.committeeKeys.map { try Secp256k1.PrivateKey(Self.bytes($0)) }
        for entry in Self.file.batches {
            let batchId = UInt64(entry.batchId)!
            let payouts = try entry.payouts.map { payout in
                try Payout(
                    kind: PayoutKind(rawValue: payout.kind)!, recipient: Self.bytes(payout.recipient),
                    asset: Self.bytes(payout.asset), amount: UInt256(decimal: payout.amount))
            }
            let batch = try SettlementBatch(batchId: batchId, sourceDomain: 0, payouts: payouts)
            for (index, payout) in payouts.enumerated() {
                #expect(
                    SettlementTree.leaf(batchId: batchId, index: UInt64(index), payout: payout).hex
                        == entry.leaves[index])
            }
            #expect(batch.root.hex == entry.root)
            for proof in entry.proofs {
                #expect(try batch.tree.proof(for: proof.index).map(\.hex) == proof.siblings)
            }
            let digest = EVMAttestation.batchDigest(
                chainId: Self.file.chainId, contract: contract, batchId: batchId, root: batch.root)
            #expect(digest.hex == entry.digest)
            let ours = keys.prefix(3).map { EVMAttestation.sign(digest, with: $0) }
            #expect(try ours.map(Hex.encode) == entry.signatures.map { Hex.encode(try Self.bytes($0)) })
            #expect(Hex.encode(SettlementContract.recordBatchCall(batch, signatures: ours)) == entry.recordBatchCall)
        }
    }

    @Test("the committee hash and rotation digest match")
    func rotation() throws {
        let rotation = Self.file.rotation
        let members = try zip(rotation.members, rotation.weights).enumerated().map { index, pair in
            CommitteeMember(
                evmAddress: try EthereumAddress(parsing: pair.0),
                ed25519Key: try Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(index + 1), count: 32)).publicKey,
                weight: pair.1)
        }
        let next = try Committee(epoch: rotation.epoch, members: members, threshold: rotation.threshold)
        #expect(EVMAttestation.committeeHash(next).hex == rotation.committeeHash)
        let contract = try EthereumAddress(parsing: Self.file.contract)
        #expect(
            EVMAttestation.rotationDigest(chainId: Self.file.chainId, contract: contract, next: next).hex
                == rotation.digest)
    }
}
