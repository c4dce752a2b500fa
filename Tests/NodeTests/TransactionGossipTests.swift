import Chain
import Primitives
import Testing

@testable import Node

@Suite("Transaction gossip")
struct TransactionGossipTests {
    @Test("a batch round-trips through its canonical encoding")
    func roundTrip() throws {
        var generator = SeededRandom(seed: 0x60551)
        let batch = TransactionBatch((0..<50).map { _ in generator.bytes(Int.random(in: 1...300, using: &generator)) })
        #expect(try TransactionBatch.decode(Canonical.encode(batch)) == batch)
        #expect(try TransactionBatch.decode(Canonical.encode(TransactionBatch([]))) == TransactionBatch([]))
    }

    @Test("a batch over the count limit, with an oversized transaction, truncated or padded is refused")
    func refusals() {
        let tooMany = TransactionBatch(Array(repeating: [1], count: TransactionBatch.maximumCount + 1))
        #expect(throws: CodecError.self) { try TransactionBatch.decode(Canonical.encode(tooMany)) }
        let oversized = TransactionBatch([[UInt8](repeating: 7, count: SignedTransaction.maxEncodedSize + 1)])
        #expect(throws: CodecError.self) { try TransactionBatch.decode(Canonical.encode(oversized)) }
        let encoded = Canonical.encode(TransactionBatch([[1, 2, 3], [4, 5]]))
        #expect(throws: CodecError.self) { try TransactionBatch.decode(Array(encoded.dropLast())) }
        #expect(throws: CodecError.self) { try TransactionBatch.decode(encoded + [0]) }
    }

    @Test("the buffer asks for a timer once, flushes when full, and empties on take")
    func buffer() {
        var gossip = TransactionGossip()
        #expect(gossip.take() == nil)
        #expect(gossip.append([1]) == .scheduleTimer)
        #expect(gossip.append([2]) == .wait)
        #expect(gossip.take() == TransactionBatch([[1], [2]]))
        #expect(gossip.isEmpty && gossip.bytes == 0)
        // The timer is still running until the node says it fired.
        #expect(gossip.append([3]) == .wait)
        gossip.timerScheduled = false
        _ = gossip.take()
        var next = TransactionGossip.Next.wait
        var count = 0
        while next != .flush {
            next = gossip.append([UInt8](repeating: 9, count: 100))
            count += 1
        }
        #expect(count == TransactionBatch.maximumCount)
        let large = [UInt8](repeating: 1, count: SignedTransaction.maxEncodedSize)
        var bytesFull = TransactionGossip()
        var appended = 0
        while bytesFull.append(large) != .flush { appended += 1 }
        #expect(bytesFull.bytes <= TransactionBatch.maximumBytes)
        #expect(appended + 1 == TransactionBatch.maximumBytes / SignedTransaction.maxEncodedSize)
    }
}
