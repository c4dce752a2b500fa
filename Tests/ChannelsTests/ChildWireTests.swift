import ChannelCore
import Foundation
import PeerNetwork
import Primitives
import RocksDBStorage
import Testing

@testable import ChannelWire

/// A virtual channel over real links (ADR 0016): A and B each have a ledger channel with hub H and
/// open `V = (A, B)` with no transaction. H holds A's lock until B's arrives, V streams payments
/// directly between A and B, and both ledgers release V's final balances.
@Suite("Virtual channels on the wire", .serialized)
struct ChildWireTests {
    static let chainID = ChannelFixture.chainID

    final class Party {
        let key: Ed25519.PrivateKey
        let network: ChannelNetwork
        let rocks: RocksDBStore
        let store: ChannelStateStore

        init(seed: UInt8, directory: URL, peers: [PeerAddress], allowed: Set<Ed25519.PublicKey>) throws {
            key = try Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))
            network = try ChannelNetwork(key: key, chainID: ChildWireTests.chainID, peers: peers, allowed: allowed)
            (rocks, store) = try WireTests.store(directory, "party-\(seed)")
        }

        var publicKey: Ed25519.PublicKey { key.publicKey }

        func endpoint(_ parameters: ChannelParameters, _ initial: SignedState) async throws -> ChannelEndpoint {
            let endpoint = try ChannelEndpoint(
                parameters: parameters, chainID: ChildWireTests.chainID, key: key, initial: initial, store: store,
                network: network)
            await endpoint.setUpdateTimeout(.seconds(60))
            _ = try await endpoint.start()
            return endpoint
        }
    }

    static func parameters(_ a: Party, _ b: Party, nonce: UInt64) -> ChannelParameters {
        try! ChannelParameters(
            participants: [a.publicKey, b.publicKey], challengeDuration: 10, nonce: nonce, appID: .zero)
    }

    static func signed(_ parameters: ChannelParameters, _ balances: [UInt64], by keys: [Party]) -> SignedState {
        let state = ChannelState(
            channelID: parameters.channelID(chainID: chainID), version: 0, allocation: Allocation(balances: balances))
        let bytes = state.signBytes(chainID: chainID)
        return SignedState(state: state, signatures: keys.map { $0.key.sign(bytes) })
    }

    static func waitConnected(_ network: ChannelNetwork, _ peers: [Ed25519.PublicKey]) async throws {
        for _ in 0..<1_000 where !peers.allSatisfy({ network.isConnected($0) }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(peers.allSatisfy { network.isConnected($0) }, "not connected")
    }

    @Test(
        "V is funded in both ledgers with no transaction, streams payments, and both ledgers release it; the hub nets zero"
    )
    func virtualChannelOverTheWire() async throws {
        let directory = WireTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let aKey = try Ed25519.PrivateKey(seed: [UInt8](repeating: 21, count: 32)).publicKey
        let bKey = try Ed25519.PrivateKey(seed: [UInt8](repeating: 23, count: 32)).publicKey
        let hub = try Party(seed: 22, directory: directory, peers: [], allowed: [aKey, bKey])
        let hubPort = try await hub.network.start()
        let hubAddress = PeerAddress(host: "127.0.0.1", port: hubPort, key: hub.publicKey)
        let b = try Party(seed: 23, directory: directory, peers: [hubAddress], allowed: [hub.publicKey, aKey])
        let bPort = try await b.network.start()
        let a = try Party(
            seed: 21, directory: directory,
            peers: [hubAddress, PeerAddress(host: "127.0.0.1", port: bPort, key: b.publicKey)], allowed: [])
        _ = try await a.network.start()
        defer { for party in [a, b, hub] { party.rocks.close() } }
        try await Self.waitConnected(a.network, [hub.publicKey, b.publicKey])
        try await Self.waitConnected(b.network, [hub.publicKey])

        // The ledgers (funded on chain in real life; here their version 0 is signed by hand).
        let ah = Self.parameters(a, hub, nonce: 1)
        let hb = Self.parameters(hub, b, nonce: 2)
        let ah0 = Self.signed(ah, [500, 500], by: [a, hub])
        let hb0 = Self.signed(hb, [600, 50], by: [hub, b])
        let ahA = try await a.endpoint(ah, ah0)
        let ahH = try await hub.endpoint(ah, ah0)
        let hbH = try await hub.endpoint(hb, hb0)
        let hbB = try await b.endpoint(hb, hb0)
        let virtualHub = VirtualHub(holdTimeout: .seconds(30))
        await ahH.joinHub(virtualHub)
        await hbH.joinHub(virtualHub)

        // V = (A, B): A puts in 400. Its version 0 is signed by both; each locks it in its ledger.
        let v = Self.parameters(a, b, nonce: 3)
        let v0 = Self.signed(v, [400, 0], by: [a, b])
        let aLock = Task { try await ahA.lockChild(parameters: v, signed: v0) }
        // The hub holds A's lock until B's arrives.
        for _ in 0..<3_000 where virtualHub.waitingChildren.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(virtualHub.waitingChildren == [v.channelID(chainID: Self.chainID)])
        #expect(await ahA.current.state.version == 0)
        let bLocked = try await hbB.lockChild(parameters: v, signed: v0)
        let aLocked = try await aLock.value
        #expect(aLocked.state.allocation.balances == [100, 500])
        #expect(bLocked.state.allocation.balances == [200, 50])
        #expect(await ahH.current == aLocked)
        #expect(virtualHub.waitingChildren.isEmpty)

        // V runs directly between A and B: 25 payments of 10.
        let vA = try await a.endpoint(v, v0)
        let vB = try await b.endpoint(v, v0)
        for _ in 0..<25 { _ = try await vA.pay(10) }
        var final = await vA.current.state.next()
        final.isFinal = true
        let closed = try await vA.propose(final)
        #expect(closed.state.allocation.balances == [150, 250])
        #expect(await vB.current == closed)

        // Each side releases V in its ledger from the final state; the hub checks it against V's signatures.
        let aSettled = try await ahA.settleChild(parameters: v, final: closed)
        let bSettled = try await hbB.settleChild(parameters: v, final: closed)
        #expect(aSettled.state.allocation.balances == [250, 750])
        #expect(bSettled.state.allocation.balances == [350, 300])
        #expect(aSettled.state.allocation.locked.isEmpty && bSettled.state.allocation.locked.isEmpty)
        // The hub: 500 + 600 before, 750 + 350 after.
        #expect(aSettled.state.allocation.balances[1] + bSettled.state.allocation.balances[0] == 1_100)
        for endpoint in [ahA, ahH, hbH, hbB, vA, vB] { await endpoint.stop() }
        for party in [a, b, hub] { await party.network.stop() }
    }

    @Test("a lock with no match on the hub's other ledger is rejected after the hold; a forged child is refused")
    func unmatchedLockRejected() async throws {
        let directory = WireTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let aKey = try Ed25519.PrivateKey(seed: [UInt8](repeating: 31, count: 32)).publicKey
        let hub = try Party(seed: 32, directory: directory, peers: [], allowed: [aKey])
        let hubPort = try await hub.network.start()
        let a = try Party(
            seed: 31, directory: directory,
            peers: [PeerAddress(host: "127.0.0.1", port: hubPort, key: hub.publicKey)], allowed: [])
        _ = try await a.network.start()
        defer { for party in [a, hub] { party.rocks.close() } }
        try await Self.waitConnected(a.network, [hub.publicKey])
        let b = try Ed25519.PrivateKey(seed: [UInt8](repeating: 33, count: 32))

        let ah = Self.parameters(a, hub, nonce: 1)
        let ah0 = Self.signed(ah, [500, 500], by: [a, hub])
        let ahA = try await a.endpoint(ah, ah0)
        let ahH = try await hub.endpoint(ah, ah0)
        let virtualHub = VirtualHub(holdTimeout: .milliseconds(300))
        await ahH.joinHub(virtualHub)
        let v = try ChannelParameters(
            participants: [a.publicKey, b.publicKey], challengeDuration: 10, nonce: 3, appID: .zero)
        let state = ChannelState(
            channelID: v.channelID(chainID: Self.chainID), version: 0, allocation: Allocation(balances: [400, 0]))
        let bytes = state.signBytes(chainID: Self.chainID)
        let v0 = SignedState(state: state, signatures: [a.key.sign(bytes), b.sign(bytes)])
        await #expect {
            _ = try await ahA.lockChild(parameters: v, signed: v0)
        } throws: { error in
            guard case EndpointError.rejectedByPeer(.appRule(let reason)) = error else { return false }
            return reason.contains("did not reach the hub in time")
        }
        #expect(virtualHub.waitingChildren.isEmpty)
        // The ledger goes on: a payment after the rejected lock.
        #expect(try await ahA.pay(5).state.allocation.balances == [495, 505])
        #expect(await ahH.current == ahA.current)

        // A child state that B did not sign is refused at once on A's side.
        let forged = SignedState(state: state, signatures: [a.key.sign(bytes), a.key.sign(bytes)])
        await #expect(throws: ChannelError.self) { _ = try await ahA.lockChild(parameters: v, signed: forged) }
        for endpoint in [ahA, ahH] { await endpoint.stop() }
        for party in [a, hub] { await party.network.stop() }
    }
}
