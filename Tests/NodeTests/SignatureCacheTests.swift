import Chain
import Primitives
import Testing

@testable import Node

@Suite("Signature cache")
struct SignatureCacheTests {
    /// `count` signed transfers of distinct seeded senders, and one with another transaction's signature.
    static func transactions(_ count: Int) throws -> (good: [[UInt8]], forged: [UInt8]) {
        let good = try (0..<count).map { index in
            let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(index + 1), count: 32))
            let transaction = Transaction(
                chainId: "aether-test", sender: key.publicKey, nonce: UInt64(index), maxFee: 10_000, priorityFee: 1,
                messages: [])
            return try transaction.signed(by: key).encoded
        }
        let first = try SignedTransaction.decode(good[0])
        let second = try SignedTransaction.decode(good[1])
        let forged = SignedTransaction(transaction: first.transaction, signature: second.signature).encoded
        return (good, forged)
    }

    @Test("verifies only what it has not seen, records what passed, and counts what failed")
    func verifyMissing() async throws {
        let (good, forged) = try Self.transactions(12)
        let cache = SignatureCache(capacity: 64)
        cache.insert(good.prefix(4).map { TransactionID(encoded: $0) })
        let failed = await cache.verifyMissing(good + [forged, [0x00, 0x01]], lanes: 3)
        #expect(failed == 2)
        for encoded in good { #expect(cache.contains(TransactionID(encoded: encoded))) }
        #expect(!cache.contains(TransactionID(encoded: forged)))
        #expect(await cache.verifyMissing(good, lanes: 2) == 0)
    }

    @Test("keeps at most its capacity, forgetting the least recently used")
    func capacity() throws {
        let cache = SignatureCache(capacity: 3)
        let ids = (0..<5).map { TransactionID(encoded: [UInt8($0)]) }
        cache.insert(ids)
        #expect(!cache.contains(ids[0]) && !cache.contains(ids[1]))
        #expect(ids[2...].allSatisfy(cache.contains))
    }
}
