import BridgeRPC
import ChainPeers
import EVM
import EVMClient
import Foundation
import Primitives
import RPC
import Relayer
import Settlement
import Storage
import Testing

/// The EVM adapter, the contract and the relayer against a real EVM (py-evm behind JSON-RPC).
@Suite("Settlement on a py-evm peer", .serialized)
struct RelayerPeerTests {
    @Test("the transactor refuses a node of another chain, and sends ether with fees from eth_feeHistory")
    func transactor() async throws {
        let peer = try await PeerProcess.start(script: "evm_rpc_shim.py", arguments: ["--chain-id", "31337"])
        defer { peer.stop() }
        let client = EVMRPCClient(url: peer.url)
        await #expect(throws: EVMSendError.wrongChain(expected: 1, actual: 31_337)) {
            _ = try await EVMTransactor(client: client, key: SettlementFixture.relayerKey, chainId: 1)
        }
        let sender = try await EVMTransactor(
            client: client, key: SettlementFixture.relayerKey, chainId: 31_337,
            options: EVMTransactorOptions(pollInterval: .milliseconds(20)))
        let recipient = try EthereumAddress([UInt8](repeating: 0x42, count: 20))
        for _ in 0..<3 {
            let receipt = try await sender.send(to: recipient, data: [], value: UInt256(1_000))
            #expect(receipt.succeeded && receipt.gasUsed == 21_000)
        }
        #expect(try await client.balance(of: recipient) == UInt256(3_000))
        let history = try await client.feeHistory(blocks: 3, percentiles: [50])
        #expect(history.baseFeePerGas.count == history.reward.count + 1)
        // A call that reverts is refused before anything is sent, with the node's reason.
        await #expect(throws: EVMSendError.self) {
            _ = try await sender.send(to: nil, data: [0xfe])
        }
    }

    @Test("batches settle once; claims pay the right amount once; replays and bad proofs are refused")
    func settleAndClaim() async throws {
        let fixture = try await SettlementFixture.start()
        defer { fixture.peer.stop() }
        let batches = try (1...3).map {
            try fixture.attest(SettlementFixture.batch(id: UInt64($0), count: 2 + $0, seed: UInt64($0)))
        }
        let store = MemoryStore(columns: [.default, RelayerStore.column])
        let relayer = Relayer(evm: [fixture.settler(store: store)])
        let statuses = await relayer.run(batches, deadline: .now + .seconds(60))
        for (status, attested) in zip(statuses, batches) {
            guard case .settled(let transaction, _, let gas) = status.outcome else {
                Issue.record("batch \(status.batchId): \(status.line)")
                continue
            }
            #expect(transaction != nil && (gas ?? 0) > 0)
            #expect(try await fixture.recordedRoot(attested.batch.batchId) == attested.batch.root)
        }
        // A second run finds every batch done (from its store) and sends nothing.
        let again = await relayer.run(batches, deadline: .now + .seconds(10))
        #expect(again.allSatisfy { if case .settled(_, _, nil) = $0.outcome { true } else { false } })
        // A fresh store (another relayer) reads the chain and sends nothing either.
        let other = await Relayer(evm: [fixture.settler(store: MemoryStore(columns: [.default, RelayerStore.column]))])
            .run(batches, deadline: .now + .seconds(10))
        #expect(other.allSatisfy { if case .settled(nil, _, nil) = $0.outcome { true } else { false } })
        for attested in batches { #expect(try await fixture.recordings(of: attested.batch.batchId) == 1) }

        // Claims: anyone sends them, the recipient is paid its amount, once.
        let claimant = try await EVMTransactor(
            client: fixture.client, key: SettlementFixture.claimantKey, chainId: SettlementFixture.chainId,
            options: EVMTransactorOptions(pollInterval: .milliseconds(20)))
        let batch = batches[2].batch
        for index in batch.indices(of: .evm) {
            let payout = batch.payouts[index]
            let before = try await fixture.client.balance(of: payout.evmRecipient!)
            _ = try await claimant.send(
                to: fixture.deployment.contract, data: try SettlementContract.claimCall(batch, index: index))
            let after = try await fixture.client.balance(of: payout.evmRecipient!)
            #expect(after == before.addingReportingOverflow(payout.amount).partialValue)
            await #expect(throws: EVMSendError.self) {
                _ = try await claimant.send(
                    to: fixture.deployment.contract, data: try SettlementContract.claimCall(batch, index: index))
            }
        }
        // A claim for more than the payout (a proof that does not match) is refused.
        let forged = try SettlementBatch(
            batchId: batch.batchId, sourceDomain: batch.sourceDomain,
            payouts: batch.payouts.enumerated().map { index, payout in
                index == 0 ? try Payout.evm(to: payout.evmRecipient!, amount: UInt256(10_000_000_000_000)) : payout
            })
        await #expect(throws: EVMSendError.self) {
            _ = try await claimant.send(
                to: fixture.deployment.contract, data: try SettlementContract.claimCall(forged, index: 0))
        }
        // The Solana payout has no EVM claim.
        #expect(throws: SettlementError.self) {
            try SettlementContract.claimCall(batch, index: batch.payouts.count - 1)
        }
    }

    @Test("under-quorum, forged and conflicting attestations are refused by the relayer, and by the contract")
    func refusals() async throws {
        let fixture = try await SettlementFixture.start()
        defer { fixture.peer.stop() }
        let store = MemoryStore(columns: [.default, RelayerStore.column])
        let settler = fixture.settler(store: store)
        let batch = try SettlementFixture.batch(id: 10, count: 3, seed: 10)

        let underQuorum = fixture.attest(batch, keys: Array(SettlementFixture.committeeKeys.prefix(2)))
        guard case .failed(let reason) = await settler.settle(underQuorum) else {
            Issue.record("an under-quorum batch was not refused")
            return
        }
        #expect(reason.contains("below the threshold"))

        let forgedBatch = try SettlementFixture.batch(id: 11, count: 3, seed: 11)
        let forged = fixture.attest(
            forgedBatch, keys: Array(SettlementFixture.committeeKeys.prefix(2)) + [SettlementFixture.key(7)])
        guard case .failed(let forgedReason) = await settler.settle(forged) else {
            Issue.record("a forged attestation was not refused")
            return
        }
        #expect(forgedReason.contains("not a member"))

        // The contract refuses them on its own too (a relayer that skips its checks gains nothing).
        let digest = EVMAttestation.batchDigest(
            chainId: SettlementFixture.chainId, contract: fixture.deployment.contract, batchId: 10, root: batch.root)
        let two = try EVMAttestation.ordered(underQuorum.evmSignatures[fixture.deployment]!, digest: digest)
        await #expect(throws: EVMSendError.self) {
            _ = try await fixture.relayer.send(
                to: fixture.deployment.contract, data: SettlementContract.recordBatchCall(batch, signatures: two),
                gasLimit: 300_000)
        }
        #expect(try await fixture.recordedRoot(10) == .zero)

        // Settled once; the same id with another root is a conflict, reported and not sent.
        let good = try SettlementFixture.batch(id: 12, count: 2, seed: 12)
        guard case .settled = await settler.settle(fixture.attest(good)) else {
            Issue.record("a good batch did not settle")
            return
        }
        let conflicting = try SettlementFixture.batch(id: 12, count: 2, seed: 13)
        let fresh = fixture.settler(store: MemoryStore(columns: [.default, RelayerStore.column]))
        guard case .failed(let conflict) = await fresh.settle(fixture.attest(conflicting)) else {
            Issue.record("a conflicting root was not refused")
            return
        }
        #expect(conflict.contains("another root"))
        #expect(try await fixture.recordings(of: 12) == 1)
    }

    @Test(
        "with an endpoint that drops a third of requests (half after acting), fails and stalls some, every batch settles exactly once"
    )
    func faultyEndpoint() async throws {
        let fixture = try await SettlementFixture.start()
        defer { fixture.peer.stop() }
        let proxy = try PeerProcess(
            script: "flaky_proxy.py",
            arguments: [
                "--target", fixture.peer.url, "--drop", "0.33", "--fail", "0.1", "--stall", "0.03", "--seed", "7",
            ])
        defer { proxy.stop() }
        let client = EVMRPCClient(
            url: proxy.url,
            policy: JSONRPCPolicy(requestTimeout: .seconds(2), maximumAttempts: 8, initialBackoff: .milliseconds(20)))
        let transactor = try await EVMTransactor(
            client: client, key: SettlementFixture.relayerKey, chainId: SettlementFixture.chainId,
            options: EVMTransactorOptions(pollInterval: .milliseconds(20)))
        let store = MemoryStore(columns: [.default, RelayerStore.column])
        var relayer = Relayer(evm: [fixture.settler(store: store, transactor: transactor)])
        relayer.initialBackoff = .milliseconds(20)
        let batches = try (20..<28).map {
            try fixture.attest(SettlementFixture.batch(id: UInt64($0), count: 2, seed: UInt64($0)))
        }
        let statuses = await relayer.run(batches, deadline: .now + .seconds(120))
        for status in statuses {
            guard case .settled = status.outcome else {
                Issue.record("\(status.line)")
                continue
            }
        }
        for attested in batches {
            #expect(try await fixture.recordings(of: attested.batch.batchId) == 1)
            #expect(try await fixture.recordedRoot(attested.batch.batchId) == attested.batch.root)
        }
    }
}

@Suite("EVM transactor against reorgs", .serialized)
struct ReorgTests {
    @Test("a receipt reorged out before its confirmations is not taken; the transaction is mined again, once")
    func reorg() async throws {
        let peer = try await PeerProcess.start(script: "evm_rpc_shim.py", arguments: ["--chain-id", "31337"])
        defer { peer.stop() }
        let client = EVMRPCClient(url: peer.url)
        let sender = try await EVMTransactor(
            client: client, key: SettlementFixture.relayerKey, chainId: 31_337,
            options: EVMTransactorOptions(confirmations: 3, pollInterval: .milliseconds(20)))
        let recipient = try EthereumAddress([UInt8](repeating: 0x24, count: 20))
        let snapshot = try await client.rpc.call("evm_snapshot")
        let task = Task { try await sender.send(to: recipient, data: [], value: UInt256(777)) }
        // Wait until it is mined (block 1), then orphan that block and build three empty ones.
        var first: UInt64 = 0
        while first == 0 {
            first = try await client.blockNumber()
            try await Task.sleep(for: .milliseconds(10))
        }
        _ = try await client.rpc.call("evm_revert", [snapshot])
        _ = try await client.rpc.call("evm_mine", ["0x3"])
        // The transactor sees block 1's hash change, rebroadcasts, and the transaction lands in
        // block 4; three more blocks confirm it.
        var mined = false
        for _ in 0..<500 where !mined {
            try await Task.sleep(for: .milliseconds(20))
            mined = try await client.blockNumber() >= 4
        }
        #expect(mined)
        _ = try await client.rpc.call("evm_mine", ["0x3"])
        let receipt = try await task.value
        #expect(receipt.blockNumber == 4 && receipt.succeeded)
        #expect(try await client.balance(of: recipient) == UInt256(777))
        #expect(try await client.transactionCount(of: SettlementFixture.relayerKey.publicKey.ethereumAddress) == 1)
    }
}

@Suite("Committee rotation on a py-evm peer", .serialized)
struct RotationTests {
    @Test("the current committee hands over to a new one; the old one can no longer record; a replayed rotation fails")
    func rotate() async throws {
        let fixture = try await SettlementFixture.start()
        defer { fixture.peer.stop() }
        let newKeys = (5...8).map { SettlementFixture.key(UInt8($0)) }
        let members = newKeys.enumerated().map { index, key in
            CommitteeMember(
                evmAddress: key.publicKey.ethereumAddress,
                ed25519Key: try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(50 + index), count: 32)).publicKey,
                weight: UInt64(index + 1))
        }
        let next = try Committee(epoch: 1, members: members, threshold: Committee.twoThirdsThreshold(totalWeight: 10))
        let digest = EVMAttestation.rotationDigest(
            chainId: SettlementFixture.chainId, contract: fixture.deployment.contract, next: next)
        let signatures = try EVMAttestation.ordered(
            SettlementFixture.committeeKeys.prefix(3).map { EVMAttestation.sign(digest, with: $0) }, digest: digest)
        // An under-quorum hand-over is refused by the contract.
        await #expect(throws: EVMSendError.self) {
            _ = try await fixture.relayer.send(
                to: fixture.deployment.contract,
                data: SettlementContract.rotateCommitteeCall(next, signatures: Array(signatures.prefix(2))))
        }
        _ = try await fixture.relayer.send(
            to: fixture.deployment.contract, data: SettlementContract.rotateCommitteeCall(next, signatures: signatures))
        let epoch = try await fixture.client.call(
            EVMCall(to: fixture.deployment.contract, data: try SettlementContract.epoch.encodeCall([])))
        #expect(try SettlementContract.epoch.decodeOutput(epoch).first?.uintValue == UInt256(1))
        // The same signatures again would hand over to epoch 2: they no longer verify.
        await #expect(throws: EVMSendError.self) {
            _ = try await fixture.relayer.send(
                to: fixture.deployment.contract,
                data: SettlementContract.rotateCommitteeCall(next, signatures: signatures))
        }
        let store = MemoryStore(columns: [.default, RelayerStore.column])
        let settler = fixture.settler(store: store)
        let old = fixture.attest(try SettlementFixture.batch(id: 70, count: 2, seed: 70))
        guard case .failed(let reason) = await settler.settle(old) else {
            Issue.record("the old committee's attestation was not refused")
            return
        }
        #expect(reason.contains("not a member"))
        // Weights 3 + 4 = 7 reach the new threshold.
        let fresh = fixture.attest(
            try SettlementFixture.batch(id: 71, count: 2, seed: 71), keys: Array(newKeys.suffix(2)))
        guard case .settled = await settler.settle(fresh) else {
            Issue.record("the new committee's attestation did not settle")
            return
        }
        #expect(try await fixture.recordings(of: 71) == 1)
    }
}
