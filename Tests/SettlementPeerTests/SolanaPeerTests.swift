import BridgeRPC
import ChainPeers
import EVM
import Foundation
import Primitives
import Relayer
import Settlement
import Solana
import SolanaClient
import Storage
import Testing

/// Solana settlement against a real SVM (LiteSVM behind JSON-RPC).
@Suite("Settlement on a LiteSVM peer", .serialized)
struct SolanaPeerTests {
    static let committeeKeys = (1...4).map {
        try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(0x40 + $0), count: 32))
    }
    static let committee: Committee = {
        let members = committeeKeys.enumerated().map { index, key in
            CommitteeMember(
                evmAddress: SettlementFixture.committeeKeys[index].publicKey.ethereumAddress, ed25519Key: key.publicKey,
                weight: 1)
        }
        return try! Committee(epoch: 0, members: members, threshold: 3)
    }()
    static let payer = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x55, count: 32))

    static func batch(id: UInt64, count: Int, seed: UInt64) throws -> SettlementBatch {
        var random = SeededRandom(seed: seed)
        var payouts = try (0..<count).map { _ in
            try Payout.solana(to: random.bytes(32), amount: 1_000_000 + random.next() % 1_000_000)
        }
        payouts.append(try Payout.evm(to: try EthereumAddress(random.bytes(20)), amount: 1))
        return try SettlementBatch(batchId: id, sourceDomain: 2, payouts: payouts)
    }

    struct Setup {
        let peer: PeerProcess
        let client: SolanaRPCClient
        let settler: SolanaSettler
    }

    static func start(store: any KeyValueStore = MemoryStore(columns: [.default, RelayerStore.column])) async throws
        -> Setup
    {
        let peer = try await PeerProcess.start(script: "solana_rpc_shim.py")
        let client = SolanaRPCClient(url: peer.url)
        _ = try await client.requestAirdrop(SolanaPublicKey(payer.publicKey), lamports: 1_000_000_000_000)
        var settler = try await SolanaSettler(
            client: client, payer: payer, committee: committee, store: RelayerStore(store: store))
        settler.pollInterval = .milliseconds(20)
        return Setup(peer: peer, client: client, settler: settler)
    }

    @Test("a batch of 40 lamport payouts settles in several chunks; each recipient is paid once; reruns pay nothing")
    func settleOnce() async throws {
        let setup = try await Self.start()
        defer { setup.peer.stop() }
        let batch = try Self.batch(id: 1, count: 40, seed: 1)
        let attested = AttestedBatch(batch: batch, evmSignatures: [:])
            .signed(for: setup.settler.cluster, keys: Array(Self.committeeKeys.prefix(3)))
        guard case .settled(let transaction, _, let fees) = await setup.settler.settle(attested) else {
            Issue.record("the batch did not settle")
            return
        }
        #expect(transaction != nil && (fees ?? 0) > 0)
        let chunks = try SolanaSettlementPlan.chunks(
            batch: batch, payer: setup.settler.payerKey,
            attestation: attested.solanaSignatures[setup.settler.cluster]!.sorted { $0.key < $1.key },
            genesisHash: setup.settler.cluster.genesisHash, markerLamports: 890_880)
        #expect(chunks.count > 1)
        for chunk in chunks { #expect(try await setup.client.account(chunk.marker) != nil) }
        for index in batch.indices(of: .solana) {
            let payout = batch.payouts[index]
            #expect(try await setup.client.balance(of: SolanaPublicKey(payout.recipient)) == payout.amount.exactUInt64!)
        }
        // Another relayer with an empty store (or this one with its record lost) pays nothing again.
        var other = setup.settler
        other = try await SolanaSettler(
            client: setup.client, payer: Self.payer, committee: Self.committee,
            store: RelayerStore(store: MemoryStore(columns: [.default, RelayerStore.column])))
        guard case .settled = await other.settle(attested) else {
            Issue.record("a rerun did not report settled")
            return
        }
        for index in batch.indices(of: .solana) {
            let payout = batch.payouts[index]
            #expect(try await setup.client.balance(of: SolanaPublicKey(payout.recipient)) == payout.amount.exactUInt64!)
        }
        // A chunk re-signed with a fresh blockhash fails on chain: its marker exists.
        let blockhash = try await setup.client.latestBlockhash(.confirmed)
        let replay = try SolanaTransaction(
            message: SolanaMessage.compile(
                payer: setup.settler.payerKey, instructions: chunks[0].instructions, recentBlockhash: blockhash.hash),
            keys: [Self.payer])
        await #expect(throws: JSONRPCClientError.self) { _ = try await setup.client.sendTransaction(replay) }
    }

    @Test(
        "under-quorum and forged Solana attestations are refused, and the Ed25519 program refuses a bad signature on chain"
    )
    func refusals() async throws {
        let setup = try await Self.start()
        defer { setup.peer.stop() }
        let batch = try Self.batch(id: 2, count: 3, seed: 2)
        let plain = AttestedBatch(batch: batch, evmSignatures: [:])
        guard
            case .failed(let under) = await setup.settler.settle(
                plain.signed(for: setup.settler.cluster, keys: Array(Self.committeeKeys.prefix(2))))
        else {
            Issue.record("under quorum was not refused")
            return
        }
        #expect(under.contains("below the threshold"))
        let other = try Self.batch(id: 3, count: 3, seed: 3)
        let outsider = try Ed25519.PrivateKey(seed: [UInt8](repeating: 0x77, count: 32))
        guard
            case .failed(let forged) = await setup.settler.settle(
                AttestedBatch(batch: other, evmSignatures: [:])
                    .signed(for: setup.settler.cluster, keys: Array(Self.committeeKeys.prefix(2)) + [outsider]))
        else {
            Issue.record("a forged attestation was not refused")
            return
        }
        #expect(forged.contains("not a member"))
        // On chain: a chunk whose Ed25519 instruction carries a bad signature fails as a whole.
        let good = plain.signed(for: setup.settler.cluster, keys: Array(Self.committeeKeys.prefix(3)))
        var signatures = good.solanaSignatures[setup.settler.cluster]!.sorted { $0.key < $1.key }
        var corrupted = signatures[0].signature.bytes
        corrupted[5] ^= 1
        signatures[0] = SolanaAttestation.Signature(key: signatures[0].key, signature: try Ed25519.Signature(corrupted))
        let chunks = try SolanaSettlementPlan.chunks(
            batch: batch, payer: setup.settler.payerKey, attestation: signatures,
            genesisHash: setup.settler.cluster.genesisHash, markerLamports: 890_880)
        let blockhash = try await setup.client.latestBlockhash(.confirmed)
        let transaction = try SolanaTransaction(
            message: SolanaMessage.compile(
                payer: setup.settler.payerKey, instructions: chunks[0].instructions, recentBlockhash: blockhash.hash),
            keys: [Self.payer])
        await #expect(throws: JSONRPCClientError.self) { _ = try await setup.client.sendTransaction(transaction) }
        #expect(try await setup.client.account(chunks[0].marker) == nil)
    }

    @Test("a chunk recorded but never sent (a crash between the two) is sent again unchanged, and pays once")
    func resumeUnsentChunk() async throws {
        let store = MemoryStore(columns: [.default, RelayerStore.column])
        let setup = try await Self.start(store: store)
        defer { setup.peer.stop() }
        let batch = try Self.batch(id: 9, count: 3, seed: 9)
        let attested = AttestedBatch(batch: batch, evmSignatures: [:])
            .signed(for: setup.settler.cluster, keys: Array(Self.committeeKeys.prefix(3)))
        let chunks = try SolanaSettlementPlan.chunks(
            batch: batch, payer: setup.settler.payerKey,
            attestation: attested.solanaSignatures[setup.settler.cluster]!.sorted { $0.key < $1.key },
            genesisHash: setup.settler.cluster.genesisHash, markerLamports: 890_880)
        #expect(chunks.count == 1)
        // What a relayer that died right after recording would have left behind.
        let blockhash = try await setup.client.latestBlockhash(.confirmed)
        let unsent = try SolanaTransaction(
            message: SolanaMessage.compile(
                payer: setup.settler.payerKey, instructions: chunks[0].instructions, recentBlockhash: blockhash.hash),
            keys: [Self.payer])
        try RelayerStore(store: store).record(
            .submitted(
                expiresAt: blockhash.lastValidBlockHeight, transactionIds: [unsent.id], latest: unsent.serialized),
            target: "\(setup.settler.targetName)#0", batchId: 9)
        guard case .settled(let transaction, _, _) = await setup.settler.settle(attested) else {
            Issue.record("the batch did not settle")
            return
        }
        #expect(transaction == unsent.id)  // the recorded transaction itself, not a second one
        for index in batch.indices(of: .solana) {
            let payout = batch.payouts[index]
            #expect(try await setup.client.balance(of: SolanaPublicKey(payout.recipient)) == payout.amount.exactUInt64!)
        }
    }
}
