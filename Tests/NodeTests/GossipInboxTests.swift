import PeerNetwork
import Primitives
import Testing

@testable import Node

@Suite("Gossip inbox")
struct GossipInboxTests {
    static let peer = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 3, count: 32)).publicKey

    static func message(_ byte: UInt8, bytes: Int) -> InboundMessage {
        InboundMessage(peer: peer, channel: 2, payload: [UInt8](repeating: byte, count: bytes))
    }

    @Test("everything queued is taken at once, oldest first, and the byte bound drops the oldest")
    func takeAllAndBound() {
        let inbox = GossipInbox(capacityBytes: 1_000)
        #expect(inbox.takeAll().isEmpty)
        for byte in 0..<4 { #expect(inbox.push(Self.message(UInt8(byte), bytes: 200)) == 0) }
        #expect(inbox.takeAll().map { $0.payload[0] } == [0, 1, 2, 3])
        #expect(inbox.takeAll().isEmpty)
        // 6 × 200 bytes: the two oldest go to stay within 1,000.
        var dropped = 0
        for byte in 0..<6 { dropped += inbox.push(Self.message(UInt8(byte), bytes: 200)) }
        #expect(dropped == 1)
        #expect(inbox.takeAll().map { $0.payload[0] } == [1, 2, 3, 4, 5])
        // A message larger than the bound alone is still delivered (its frame passed the network's limit).
        #expect(inbox.push(Self.message(9, bytes: 400)) == 0)
        #expect(inbox.push(Self.message(8, bytes: 2_000)) == 1)
        #expect(inbox.takeAll().map { $0.payload[0] } == [8])
    }

    @Test("forEach hands over what arrived since the last call and ends after finish")
    func forEachDrains() async {
        let inbox = GossipInbox(capacityBytes: 1 << 20)
        for byte in 0..<3 { inbox.push(Self.message(UInt8(byte), bytes: 10)) }
        inbox.finish()
        var rounds: [[UInt8]] = []
        await inbox.forEach { messages in rounds.append(messages.map { $0.payload[0] }) }
        #expect(rounds == [[0, 1, 2]])
    }
}
