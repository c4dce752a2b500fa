import ChannelCore
import ChannelWire
import Foundation
import PeerNetwork
import Primitives
import RocksDBStorage
import Storage
import Testing

/// Two channel endpoints over loopback TCP (the L1's authenticated, encrypted links), each with its
/// own RocksDB store.
@Suite("Channel wire", .serialized)
struct WireTests {
    static func store(_ directory: URL, _ name: String) throws -> (RocksDBStore, ChannelStateStore) {
        let path = directory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let rocks = try RocksDBStore(path: path, columns: [.default, ChannelStateStore.column])
        return (rocks, ChannelStateStore(store: rocks))
    }

    static func waitConnected(_ endpoint: ChannelEndpoint) async throws {
        for _ in 0..<500 {
            if await endpoint.isConnected { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the endpoints did not connect")
    }

    @Test("payments both ways over the link; a side stopped mid-stream restarts from disk, resyncs and goes on")
    func paymentsAndResync() async throws {
        let fixture = ChannelFixture(balances: [10_000, 10_000], seed: 9)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "aether-wire-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (aliceRocks, aliceStore) = try Self.store(directory, "alice")
        defer { aliceRocks.close() }
        var (bobRocks, bobStore) = try Self.store(directory, "bob")
        let alice = try await ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.alice,
            initial: fixture.initial,
            store: aliceStore)
        let alicePort = try await alice.start()
        let aliceAddress = PeerAddress(host: "127.0.0.1", port: alicePort, key: fixture.alice.publicKey)
        var bob = try await ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.bob, initial: fixture.initial,
            store: bobStore, peerAddress: aliceAddress)
        _ = try await bob.start()
        try await Self.waitConnected(bob)

        for round in 0..<60 {
            if round % 3 == 0 { _ = try await bob.pay(7) } else { _ = try await alice.pay(5) }
        }
        #expect(await alice.current == bob.current)
        #expect(await alice.current.state.version == 60)
        let expected: [UInt64] = [10_000 - 200 + 140, 10_000 + 200 - 140]  // alice paid 40 × 5, bob 20 × 7
        let balances = await alice.current.state.allocation.balances
        #expect(balances == expected)

        // Bob goes away while alice's next update is in flight; she sees it fail, not hang.
        await bob.stop()
        bobRocks.close()
        await #expect(throws: EndpointError.self) { _ = try await alice.pay(1) }

        // Bob restarts from his store: the link comes back, both resync to the same latest state.
        (bobRocks, bobStore) = try Self.store(directory, "bob")
        defer { bobRocks.close() }
        bob = try await ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.bob, initial: fixture.initial,
            store: bobStore, peerAddress: aliceAddress)
        _ = try await bob.start()
        try await Self.waitConnected(bob)
        for _ in 0..<200 where await alice.current != bob.current { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await alice.current == bob.current)
        #expect(await bob.current.state.version >= 60)
        for _ in 0..<10 { _ = try await alice.pay(3) }
        #expect(await alice.current == bob.current)
        #expect(await bob.current.state.allocation.total == 20_000)
        // What each side has on disk is its latest state.
        let id = fixture.parameters.channelID(chainID: ChannelFixture.chainID)
        #expect(try bobStore.load(id)?.latest == (await bob.current))
        #expect(try aliceStore.load(id)?.latest == (await alice.current))
        await alice.stop()
        await bob.stop()
    }

    @Test("wire messages round-trip and garbage is refused")
    func encoding() throws {
        let fixture = ChannelFixture()
        let message = WireMessage.sync(fixture.initial)
        #expect(try Canonical.decode(WireMessage.self, from: Canonical.encode(message)) == message)
        #expect(throws: CodecError.self) { try Canonical.decode(WireMessage.self, from: [7]) }
        var random = SeededRandom(seed: 4)
        for _ in 0..<300 { _ = try? Canonical.decode(WireMessage.self, from: random.bytes(Int(random.next() % 200))) }
    }
}
