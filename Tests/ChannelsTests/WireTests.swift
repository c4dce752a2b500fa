import ChannelCore
import ChannelMetering
import Foundation
import PeerNetwork
import Primitives
import RocksDBStorage
import Storage
import Testing

@testable import ChannelWire

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

    /// Starts `endpoint` with updates that wait up to a minute for the peer: these tests run beside
    /// hundreds of others on two cores, where a 10 s answer is not guaranteed.
    static func start(_ endpoint: ChannelEndpoint) async throws -> Int {
        await endpoint.setUpdateTimeout(.seconds(60))
        return try await endpoint.start()
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
        let alice = try ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.alice,
            initial: fixture.initial,
            store: aliceStore)
        let alicePort = try await Self.start(alice)
        let aliceAddress = PeerAddress(host: "127.0.0.1", port: alicePort, key: fixture.alice.publicKey)
        var bob = try ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.bob, initial: fixture.initial,
            store: bobStore, peerAddress: aliceAddress)
        _ = try await Self.start(bob)
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
        bob = try ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.bob, initial: fixture.initial,
            store: bobStore, peerAddress: aliceAddress)
        _ = try await Self.start(bob)
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

    /// Alice and bob connected over loopback, each with a store in `directory`.
    static func pair(_ fixture: ChannelFixture, _ directory: URL) async throws -> (
        ChannelEndpoint, ChannelEndpoint, [RocksDBStore]
    ) {
        let (aliceRocks, aliceStore) = try store(directory, "alice")
        let (bobRocks, bobStore) = try store(directory, "bob")
        let alice = try ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.alice,
            initial: fixture.initial, store: aliceStore)
        let port = try await Self.start(alice)
        let bob = try ChannelEndpoint(
            parameters: fixture.parameters, chainID: ChannelFixture.chainID, key: fixture.bob, initial: fixture.initial,
            store: bobStore, peerAddress: PeerAddress(host: "127.0.0.1", port: port, key: fixture.alice.publicKey))
        _ = try await Self.start(bob)
        try await waitConnected(bob)
        try await waitConnected(alice)
        return (alice, bob, [aliceRocks, bobRocks])
    }

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("aether-wire-\(UUID().uuidString)")
    }

    @Test("thousands of concurrent payments pipeline through one link and all land")
    func pipelinedPayments() async throws {
        let fixture = ChannelFixture(balances: [100_000, 100_000], seed: 21)
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (alice, bob, stores) = try await Self.pair(fixture, directory)
        let count = 2_000
        let completed = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<count { group.addTask { try await alice.pay(3).state.version } }
            var versions: [UInt64] = []
            for try await version in group { versions.append(version) }
            return versions
        }
        #expect(completed.count == count)
        #expect(await alice.current.state.version == UInt64(count))
        for _ in 0..<200 where await bob.current != alice.current { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await bob.current == alice.current)
        #expect(
            await bob.current.state.allocation.balances == [100_000 - 3 * UInt64(count), 100_000 + 3 * UInt64(count)])
        await alice.stop()
        await bob.stop()
        for rocks in stores { rocks.close() }
    }

    static let policy = MeterOpenPolicy(minimumUnitPrice: 1, maximumCreditWindow: 64, maximumSegmentLength: 4_096)

    static func tokens(_ count: Int) -> @Sendable (MeterRequest) -> AsyncStream<[UInt8]> {
        { request in
            AsyncStream { continuation in
                for index in 0..<min(count, Int(request.maxUnits)) { continuation.yield(Array("t\(index) ".utf8)) }
                continuation.finish()
            }
        }
    }

    @Test(
        "a metered stream over the link: every unit paid as it arrives, checkpoints every K, the session ends settled")
    func meteredStream() async throws {
        let fixture = ChannelFixture(balances: [10_000, 0], seed: 22)
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (alice, bob, stores) = try await Self.pair(fixture, directory)
        await bob.provide(policy: Self.policy, source: Self.tokens(100))
        let terms = try MeterTerms(unitPrice: 7, segmentLength: 16, creditWindow: 4)
        let units = try await alice.stream(request: Array("hello".utf8), terms: terms, escrow: 2_000, maxUnits: 500)
        var received: [MeteredUnit] = []
        for try await unit in units { received.append(unit) }
        #expect(received.map(\.number) == Array(1...100))
        #expect(received.first?.payload == Array("t0 ".utf8))
        let final = await alice.current.state
        #expect(final.allocation.balances == [10_000 - 700, 700])
        #expect(final.allocation.locked.isEmpty && final.appData.isEmpty && !final.isFinal)
        // Opening + 6 checkpoints (every 16 units) + the end.
        #expect(final.version == 8)
        for _ in 0..<200 where await bob.current != alice.current { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await bob.current == alice.current)
        #expect(await bob.meterStatus == nil)
        // The channel goes on: a plain payment after the session.
        _ = try await alice.pay(5)
        await alice.stop()
        await bob.stop()
        for rocks in stores { rocks.close() }
    }

    @Test("a payer who stops paying gets W more units, then the provider ends the session and is paid what was paid")
    func payerStops() async throws {
        let fixture = ChannelFixture(balances: [10_000, 0], seed: 23)
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (alice, bob, stores) = try await Self.pair(fixture, directory)
        await bob.provide(policy: Self.policy, stallTimeout: .milliseconds(500), source: Self.tokens(1_000))
        let terms = try MeterTerms(unitPrice: 3, segmentLength: 8, creditWindow: 5)
        let units = try await alice.stream(request: [], terms: terms, escrow: 3_000, maxUnits: 1_000)
        await alice.stopPaying(after: 20)
        var received = 0
        do {
            for try await _ in units { received += 1 }
            Issue.record("the stream should end with the provider's reason")
        } catch let error as MeteringError {
            #expect(error.description.contains("stopped paying"), "\(error)")
        }
        #expect(received == 20 + 5, "served exactly W units beyond the last paid one")
        let final = await alice.current.state
        #expect(final.allocation.balances == [10_000 - 60, 60])
        #expect(final.allocation.locked.isEmpty)
        for _ in 0..<200 where await bob.current != alice.current { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await bob.current == alice.current)
        await alice.stop()
        await bob.stop()
        for rocks in stores { rocks.close() }
    }

    @Test("a forged tick ends the session: the provider stops serving and is paid only for verified units")
    func forgedTick() async throws {
        let fixture = ChannelFixture(balances: [10_000, 0], seed: 24)
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (alice, bob, stores) = try await Self.pair(fixture, directory)
        await bob.provide(policy: Self.policy, stallTimeout: .seconds(5), source: Self.tokens(1_000))
        let terms = try MeterTerms(unitPrice: 2, segmentLength: 64, creditWindow: 8)
        let units = try await alice.stream(request: [], terms: terms, escrow: 2_000, maxUnits: 1_000)
        await alice.stopPaying(after: 10)
        var received = 0
        do {
            for try await _ in units {
                received += 1
                if received == 12 {
                    // A preimage that is not the next one in the chain, as a cheating payer would send.
                    let session = try #require(await alice.metering?.id)
                    await alice.send(.meter(.ticks(sessionID: session, preimages: [Hashing.sha256([1, 2, 3])])))
                }
            }
            Issue.record("the stream should end with the provider's reason")
        } catch let error as MeteringError {
            #expect(error.description.contains("did not verify"), "\(error)")
        }
        #expect(received <= 10 + 8)
        #expect(await bob.meterStatus == nil, "the session is over on the provider's side")
        let final = await alice.current.state
        #expect(final.allocation.balances == [10_000 - 20, 20], "only the 10 verified units are paid")
        for _ in 0..<200 where await bob.current != alice.current { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await bob.current == alice.current)
        await alice.stop()
        await bob.stop()
        for rocks in stores { rocks.close() }
    }

    @Test("one provider network serves several clients on one port: openings countersigned or refused, streams at once")
    func providerServesManyClients() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chainID = ChannelFixture.chainID
        let providerKey = try Ed25519.PrivateKey(seed: [UInt8](repeating: 77, count: 32))
        let (providerRocks, providerStore) = try Self.store(directory, "provider")
        defer { providerRocks.close() }
        let provider = try ChannelNetwork(key: providerKey, chainID: chainID, admitAnyPeer: true)
        let port = try await provider.start()
        let accepted = Accepted()
        provider.acceptChannels { parameters, funding, peer in
            // The provider puts nothing in and accepts at most 5,000 from a client.
            guard funding.state.allocation.balances[parameters.index(of: providerKey.publicKey)!] == 0,
                funding.state.allocation.total ?? .max <= 5_000
            else { throw MeteringError.invalid("the provider deposits nothing and takes at most 5,000") }
            let endpoint = try ChannelEndpoint(
                parameters: parameters, chainID: chainID, key: providerKey, initial: funding, store: providerStore,
                network: provider)
            await endpoint.provide(policy: Self.policy, source: Self.tokens(40))
            _ = try await Self.start(endpoint)
            await accepted.add(endpoint)
        }
        let address = PeerAddress(host: "127.0.0.1", port: port, key: providerKey.publicKey)

        var clients: [(ChannelNetwork, ChannelEndpoint, RocksDBStore)] = []
        for index in 0..<3 {
            let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(80 + index), count: 32))
            let (rocks, store) = try Self.store(directory, "client-\(index)")
            let network = try ChannelNetwork(key: key, chainID: chainID, peers: [address])
            _ = try await network.start()
            for _ in 0..<500 where !network.isConnected(providerKey.publicKey) {
                try await Task.sleep(for: .milliseconds(10))
            }
            let parameters = try ChannelParameters(
                participants: [key.publicKey, providerKey.publicKey], challengeDuration: 10, nonce: UInt64(index),
                appID: .zero)
            let id = parameters.channelID(chainID: chainID)
            // Too much for this provider: refused, with its reason.
            let greedy = ChannelState(channelID: id, version: 0, allocation: Allocation(balances: [9_000, 0]))
            await #expect(throws: OpeningError.self) { _ = try await network.open(parameters, funding: greedy) }
            let funding = ChannelState(channelID: id, version: 0, allocation: Allocation(balances: [1_000, 0]))
            let signed = try await network.open(parameters, funding: funding)
            try signed.verify(parameters: parameters, chainID: chainID)
            let endpoint = try ChannelEndpoint(
                parameters: parameters, chainID: chainID, key: key, initial: signed, store: store, network: network)
            _ = try await Self.start(endpoint)
            clients.append((network, endpoint, rocks))
        }
        #expect(await accepted.count == 3)
        let terms = try MeterTerms(unitPrice: 3, segmentLength: 16, creditWindow: 4)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for (_, endpoint, _) in clients {
                group.addTask {
                    var units = 0
                    for try await _ in try await endpoint.stream(request: [], terms: terms, escrow: 500, maxUnits: 100)
                    {
                        units += 1
                    }
                    return units
                }
            }
            for try await units in group { #expect(units == 40) }
        }
        for (network, endpoint, rocks) in clients {
            #expect(await endpoint.current.state.allocation.balances == [1_000 - 120, 120])
            await endpoint.stop()
            await network.stop()
            rocks.close()
        }
        for endpoint in await accepted.all { await endpoint.stop() }
        await provider.stop()
    }

    actor Accepted {
        var all: [ChannelEndpoint] = []
        var count: Int { all.count }
        func add(_ endpoint: ChannelEndpoint) { all.append(endpoint) }
    }
}
