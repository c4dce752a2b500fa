import EVM
import Primitives
import Testing

@testable import Settlement

@Suite("Settlement batches and trees")
struct BatchTests {
    static func randomPayouts(_ count: Int, random: inout SeededRandom) -> [Payout] {
        (0..<count).map { _ in
            if random.next() % 2 == 0 {
                let recipient = try! EthereumAddress(random.bytes(20))
                let token = random.next() % 3 == 0 ? try! EthereumAddress(random.bytes(20)) : nil
                return try! Payout.evm(to: recipient, amount: UInt256(random.next() | 1), token: token)
            }
            return try! Payout.solana(to: random.bytes(32), amount: random.next() | 1)
        }
    }

    @Test(
        "every payout of random batches has a proof that verifies, and only for itself",
        arguments: [1, 2, 3, 5, 8, 33, 300])
    func proofsVerify(count: Int) throws {
        var random = SeededRandom(seed: UInt64(count))
        let batch = try SettlementBatch(
            batchId: 7, sourceDomain: 3, payouts: Self.randomPayouts(count, random: &random))
        let tree = batch.tree
        #expect(tree.depth == (count == 1 ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount))
        for index in 0..<count {
            let proof = try tree.proof(for: index)
            #expect(proof.count == tree.depth)
            #expect(
                SettlementTree.verify(
                    root: batch.root, batchId: 7, index: index, payout: batch.payouts[index], proof: proof))
            // The same payout under another batch id or index does not verify.
            #expect(
                !SettlementTree.verify(
                    root: batch.root, batchId: 8, index: index, payout: batch.payouts[index], proof: proof))
            if count > 1 {
                let other = (index + 1) % count
                #expect(
                    !SettlementTree.verify(
                        root: batch.root, batchId: 7, index: other, payout: batch.payouts[index], proof: proof))
            }
        }
        #expect(throws: SettlementError.indexOutOfRange(index: count, count: count)) { try tree.proof(for: count) }
    }

    @Test("a one-payout batch's root is its leaf; the leaf preimage is 0x00 and six ABI words")
    func singleLeaf() throws {
        let recipient = try EthereumAddress(parsing: "0x00000000000000000000000000000000000000aa")
        let payout = try Payout.evm(to: recipient, amount: 5)
        let batch = try SettlementBatch(batchId: 1, sourceDomain: 0, payouts: [payout])
        var preimage: [UInt8] = [0]
        for word: UInt8 in [1, 0, 1] { preimage += [UInt8](repeating: 0, count: 31) + [word] }
        preimage += [UInt8](repeating: 0, count: 31) + [0xaa]
        preimage += [UInt8](repeating: 0, count: 32)
        preimage += [UInt8](repeating: 0, count: 31) + [5]
        #expect(batch.root == Hashing.keccak256(preimage))
        #expect(try batch.tree.proof(for: 0).isEmpty)
    }

    @Test("payouts that break their kind's rules are refused with the reason")
    func payoutRules() throws {
        let address = try EthereumAddress([UInt8](repeating: 1, count: 20))
        #expect(throws: SettlementError.invalidPayout(index: 0, reason: "the amount must be above zero")) {
            try Payout.evm(to: address, amount: .zero)
        }
        #expect(throws: SettlementError.self) {
            try Payout.evm(to: try EthereumAddress([UInt8](repeating: 0, count: 20)), amount: 1)
        }
        #expect(throws: SettlementError.self) {
            try Payout(
                kind: .evm, recipient: [UInt8](repeating: 1, count: 32), asset: [UInt8](repeating: 0, count: 32),
                amount: 1)
        }
        #expect(throws: SettlementError.self) {
            try Payout(
                kind: .solana, recipient: [UInt8](repeating: 1, count: 32), asset: [UInt8](repeating: 0, count: 32),
                amount: .max)
        }
        #expect(throws: SettlementError.self) { try Payout.solana(to: [1, 2, 3], amount: 1) }
        #expect(throws: SettlementError.payoutCount(0)) {
            try SettlementBatch(batchId: 1, sourceDomain: 0, payouts: [])
        }
    }

    @Test("the canonical encoding round-trips and refuses garbage, truncation and broken payouts")
    func canonicalEncoding() throws {
        var random = SeededRandom(seed: 99)
        let batch = try SettlementBatch(batchId: 42, sourceDomain: 9, payouts: Self.randomPayouts(20, random: &random))
        let bytes = Canonical.encode(batch)
        #expect(try Canonical.decode(SettlementBatch.self, from: bytes) == batch)
        for cut in [0, 1, 12, bytes.count - 1] {
            #expect(throws: CodecError.self) { try Canonical.decode(SettlementBatch.self, from: Array(bytes[..<cut])) }
        }
        #expect(throws: CodecError.self) { try Canonical.decode(SettlementBatch.self, from: bytes + [0]) }
        var badKind = bytes
        badKind[13] = 9  // the first payout's kind (after id 8, domain 4, count 1)
        #expect(throws: CodecError.self) { try Canonical.decode(SettlementBatch.self, from: badKind) }
        var zeroAmount = Canonical.encode(
            try SettlementBatch(
                batchId: 1, sourceDomain: 0,
                payouts: [try Payout.solana(to: [UInt8](repeating: 4, count: 32), amount: 1)]))
        zeroAmount[zeroAmount.count - 1] = 0
        #expect(throws: CodecError.self) { try Canonical.decode(SettlementBatch.self, from: zeroAmount) }
        for seed in 0..<200 {
            var noise = SeededRandom(seed: UInt64(seed))
            _ = try? Canonical.decode(SettlementBatch.self, from: noise.bytes(Int(noise.next() % 300)))
        }
    }
}
