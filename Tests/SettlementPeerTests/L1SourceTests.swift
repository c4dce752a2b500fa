import Chain
import EVM
import Foundation
import Primitives
import RPC
import Relayer
import Settlement
import SettlementModule
import Testing

/// `L1BatchSource` against a node that serves settlement state from a table: attested and
/// waiting batches are told apart, and a node that answers wrongly gets a clear error.
@Suite("Batches read from an L1 node")
struct L1SourceTests {
    typealias Module = SettlementModule

    /// A fake node: `getStatus` with a height (or `status` as given) and `getProof` over `state`
    /// (module-relative keys of the settlement module).
    static func withNode(
        state: [[UInt8]: [UInt8]], status: JSONValue = .object(["height": JSONValue(UInt64(7))]),
        _ body: @escaping @Sendable (L1BatchSource) throws -> Void
    ) async throws {
        var methods = RPCMethods()
        methods.register("getStatus") { _ throws(RPCError) in status }
        let prefix = Array("\(Module.moduleName)/".utf8)
        methods.register("getProof", params: ["key", "height"]) { arguments throws(RPCError) in
            let key = try arguments.required("key", as: HexBytes.self).bytes
            guard key.starts(with: prefix), let value = state[Array(key.dropFirst(prefix.count))] else {
                return .object(["exists": .bool(false)])
            }
            return .object(["exists": .bool(true), "value": .string(Hex.encode(value))])
        }
        var configuration = RPCServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.shutdownGracePeriod = .seconds(1)
        let server = RPCServer(configuration: configuration, handler: methods)
        let port = try await server.start()
        defer { Task { await server.stop() } }
        // The client blocks: off the cooperative pool, which the server's handlers need.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try body(L1BatchSource(client: try RPCClient(url: "http://127.0.0.1:\(port)"))) })
            }
        }
    }

    static let operators = (1...4).map { Address(publicKey: testKey($0).publicKey) }
    static let deployment = EVMDeployment(
        chainId: 31_337, contract: try! EthereumAddress([UInt8](repeating: 0xC0, count: 20)))

    static func testKey(_ index: UInt8) -> Ed25519.PrivateKey {
        try! Ed25519.PrivateKey(seed: [UInt8](repeating: index, count: 32))
    }

    static func evmKey(_ index: UInt8) -> Secp256k1.PrivateKey {
        try! Secp256k1.PrivateKey([UInt8](repeating: 0, count: 31) + [index])
    }

    static func record(_ id: UInt64) throws -> Module.BatchRecord {
        let payout = try Payout.evm(to: try EthereumAddress([UInt8](repeating: 0xB1, count: 20)), amount: UInt256(5))
        return Module.BatchRecord(
            batch: try SettlementBatch(batchId: id, sourceDomain: 1, payouts: [payout]), domain: "app-1",
            submitter: operators[0], height: 3, epoch: 1,
            committee: operators.map { Module.CommitteeStake(operatorAddress: $0, stake: 10) })
    }

    /// Attestations of `batch` by members `signers` (1-based keys); quorum when more than two thirds.
    static func attestations(_ batch: SettlementBatch, signers: [UInt8]) -> Module.Attestations {
        let entries = signers.map { index in
            let attest = Module.Attest(
                batch: batch, evmKey: evmKey(index), deployments: [deployment], ed25519Key: nil, clusters: [])
            return Module.Attestation(
                operatorAddress: operators[Int(index) - 1], stake: 10,
                signer: Module.Signer(
                    evmAddress: evmKey(index).publicKey.ethereumAddress, ed25519Key: testKey(index).publicKey),
                evm: attest.evm, solana: [])
        }
        let stake = UInt64(entries.count) * 10
        return Module.Attestations(
            entries: entries, stake: stake, quorumHeight: Module.isQuorum(stake, of: 40) ? 5 : nil)
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    @Test("attested batches come with every signature by target; the rest are reported waiting")
    func attestedAndWaiting() async throws {
        let one = try Self.record(1)
        let two = try Self.record(2)
        let state: [[UInt8]: [UInt8]] = [
            Module.Keys.nextBatch: Self.bigEndian(3),
            Module.Keys.batch(1): Canonical.encode(one),
            Module.Keys.attestations(1): Canonical.encode(Self.attestations(one.batch, signers: [1, 2, 3])),
            Module.Keys.batch(2): Canonical.encode(two),
            Module.Keys.attestations(2): Canonical.encode(Self.attestations(two.batch, signers: [4])),
        ]
        try await Self.withNode(state: state) { source in
            source.pageSize = 1  // pages of one batch: the paging loop is exercised too
            let snapshot = try source.read()
            #expect(snapshot.height == 7 && snapshot.nextBatchId == 3)
            #expect(snapshot.attested.map(\.batch) == [one.batch])
            let signatures = try #require(snapshot.attested.first?.evmSignatures[Self.deployment])
            #expect(signatures.count == 3)
            let digest = EVMAttestation.batchDigest(
                chainId: Self.deployment.chainId, contract: Self.deployment.contract, batchId: 1, root: one.batch.root)
            let committee = try Committee(
                epoch: 0,
                members: (1...4).map {
                    CommitteeMember(
                        evmAddress: Self.evmKey($0).publicKey.ethereumAddress, ed25519Key: Self.testKey($0).publicKey,
                        weight: 1)
                }, threshold: 3)
            #expect(
                try EVMAttestation.verifyQuorum(
                    try EVMAttestation.ordered(signatures, digest: digest), digest: digest, committee: committee) == 3)
            #expect(snapshot.pending.map { [$0.batchId, $0.stake, $0.totalStake] } == [[2, 10, 40]])
            #expect(try source.read(from: 2).attested.isEmpty)
        }
        // A chain with no batches yet.
        try await Self.withNode(state: [:]) { source in
            let snapshot = try source.read()
            #expect(snapshot.nextBatchId == 1 && snapshot.attested.isEmpty && snapshot.pending.isEmpty)
        }
    }

    @Test("a node that answers wrongly gets an error naming what is wrong")
    func malformedNode() async throws {
        let one = try Self.record(1)
        func expectError(_ state: [[UInt8]: [UInt8]], status: JSONValue? = nil, _ fragment: String) async throws {
            try await Self.withNode(state: state, status: status ?? .object(["height": JSONValue(UInt64(7))])) {
                source in
                do {
                    _ = try source.read()
                    Issue.record("no error; expected one with \(fragment)")
                } catch {
                    #expect("\(error)".contains(fragment), "\(error)")
                }
            }
        }
        try await expectError([:], status: .object(["chainId": .string("x")]), "no height")
        try await expectError([Module.Keys.nextBatch: [1, 2, 3]], "the next batch id is 3 bytes")
        try await expectError(
            [Module.Keys.nextBatch: Self.bigEndian(2)], "batch 1 is below the next id 2 but not recorded")
        try await expectError(
            [Module.Keys.nextBatch: Self.bigEndian(2), Module.Keys.batch(1): [0xFF, 0x00]], "batch 1 does not decode")
        try await expectError(
            [
                Module.Keys.nextBatch: Self.bigEndian(3), Module.Keys.batch(1): Canonical.encode(one),
                Module.Keys.batch(2): Canonical.encode(one),
            ],
            "the record under batch 2 holds batch 1")
        try await expectError(
            [
                Module.Keys.nextBatch: Self.bigEndian(2), Module.Keys.batch(1): Canonical.encode(one),
                Module.Keys.attestations(1): [0x05],
            ],
            "batch 1 does not decode")
    }
}
