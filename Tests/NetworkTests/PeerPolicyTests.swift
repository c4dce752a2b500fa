import Primitives
import Testing

@testable import NetworkCore
@testable import PeerNetwork

@Suite("Rate limits, scores, de-duplication, framing")
struct PeerPolicyTests {
    @Test("a token bucket allows its burst, then the refill rate")
    func tokenBucket() {
        var bucket = TokenBucket(capacity: 10, refillPerSecond: 5, now: .zero)
        let burst = (0..<15).filter { _ in bucket.take(1, now: .zero) }.count
        #expect(burst == 10)
        let takes = [
            bucket.take(1, now: .milliseconds(100)),  // 0.5 tokens so far
            bucket.take(1, now: .milliseconds(200)),  // 1 token
            bucket.take(1, now: .milliseconds(200)),
            // Refill never exceeds the capacity, and going back in time adds nothing.
            bucket.take(11, now: .seconds(100)),
            bucket.take(10, now: .seconds(100)),
            bucket.take(1, now: .seconds(50)),
        ]
        #expect(takes == [false, true, false, false, true, false])
    }

    @Test("a score drops by penalties and recovers toward zero, never above")
    func score() {
        var score = PeerScore(now: .zero)
        let values = [
            score.penalize(50, now: .zero, recoveryPerSecond: 1),
            score.penalize(50, now: .seconds(10), recoveryPerSecond: 1),
            score.current(now: .seconds(40), recoveryPerSecond: 1),
            score.current(now: .seconds(1_000), recoveryPerSecond: 1),
        ]
        #expect(values == [-50, -90, -60, 0])
    }

    @Test("the recent set keeps the most recently used keys")
    func recentSet() {
        var set = RecentSet<Int>(capacity: 3)
        let inserted = [set.insert(1), set.insert(2), set.insert(3), set.insert(1), set.insert(4)]
        // Inserting 1 again refreshes it, so 4 evicts 2, the least recently used.
        #expect(inserted == [true, true, true, false, true])
        #expect(set.contains(1) && !set.contains(2) && set.contains(3) && set.contains(4))
        #expect(set.count == 3)
        // A long run keeps exactly the last `capacity` keys.
        var big = RecentSet<Int>(capacity: 100)
        for key in 0..<10_000 { big.insert(key) }
        #expect(big.count == 100)
        #expect((9_900..<10_000).allSatisfy { big.contains($0) })
        #expect(!big.contains(9_899))
    }

    @Test("redial delays double up to the cap")
    func redialBackoff() {
        let policy = RedialPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1))
        let delays = (0..<6).map { policy.delay(attempt: $0) }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1),
                .seconds(1),
            ])
        #expect(policy.delay(attempt: 1_000) == .seconds(1))
    }

    @Test("the largest payload fills a frame exactly", arguments: [1_024, 65_536, 8 << 20])
    func payloadLimit(maxFrameBytes: Int) {
        let payload = Framing.maxPayloadBytes(maxFrameBytes: maxFrameBytes)
        #expect(Framing.ciphertextBytes(forPayloadCount: payload) <= maxFrameBytes)
        #expect(Framing.ciphertextBytes(forPayloadCount: payload + 1) > maxFrameBytes)
        let message = WireMessage(channel: 9, payload: [UInt8](repeating: 1, count: payload))
        #expect(Canonical.encode(message).count + 16 == Framing.ciphertextBytes(forPayloadCount: payload))
    }

    @Test("wire messages decode strictly")
    func wireMessageDecoding() throws {
        let message = WireMessage(channel: 3, payload: [1, 2, 3])
        let bytes = Canonical.encode(message)
        #expect(bytes == [3, 3, 1, 2, 3])
        #expect(try Canonical.decode(WireMessage.self, from: bytes) == message)
        #expect(throws: CodecError.self) { try Canonical.decode(WireMessage.self, from: bytes + [0]) }
        #expect(throws: CodecError.self) { try Canonical.decode(WireMessage.self, from: [3, 0x83, 0x00]) }
        #expect(throws: CodecError.self) { try Canonical.decode(WireMessage.self, from: [3, 9, 1]) }
    }

    @Test("configuration mistakes are reported")
    func configurationValidation() {
        let key = Ed25519.PrivateKey.generate().publicKey
        var configuration = NetworkConfiguration(chainId: "c", validators: [])
        configuration.peers = [PeerAddress(host: "127.0.0.1", port: 1, key: key)]
        #expect(throws: NetworkError.self) { try configuration.validate() }
        configuration.validators = [key]
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.rateLimit.byteBurst = 1_000
        #expect(throws: NetworkError.self) { try configuration.validate() }
    }
}
