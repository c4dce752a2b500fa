import Application
import Chain
import Consensus
import Foundation
import PeerNetwork
import Primitives
import RPC

/// How messages from peers reach the node: decoding and signature checks happen on the listener
/// tasks, off the actor, so the actor spends its time on consensus and state.
///
/// - Consensus and sync messages are decoded by the listener; a proposal's transactions whose
///   signatures are not in the `SignatureCache` yet are verified there, in parallel, before the
///   proposal reaches the actor, so the block check verifies none of them again.
/// - Transaction batches go to a second task at a lower priority, which verifies them in parallel
///   and hands the actor only the stateful mempool checks; domain data squares are extended,
///   committed and stored there too, off the actor. Its queue is bounded: when it is full the
///   oldest batches are dropped (gossip is best effort) and counted.
extension ValidatorNode {
    /// Gossiped transaction batches waiting for verification; older ones are dropped past this.
    static let queuedTransactionBatches = 64
    /// Concurrent tasks verifying the signatures of one batch or proposal.
    static let verificationLanes = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Starts the listener tasks; the caller keeps them to cancel on stop.
    func startInbound() -> [Task<Void, Never>] {
        let messages = network.messages
        let network = network
        let signatures = signatures
        let domainData = domainData
        let lanes = Self.verificationLanes
        let (batches, batchSink) = AsyncStream.makeStream(
            of: InboundMessage.self, bufferingPolicy: .bufferingNewest(Self.queuedTransactionBatches))
        let consensus = Task { [weak self] in
            for await message in messages {
                switch Channel(rawValue: message.channel) {
                case .transactions, .domainData:
                    if case .dropped = batchSink.yield(message) { await self?.countDroppedBatch() }
                case .consensus, .sync:
                    let decoded: ConsensusMessage
                    do { decoded = try Canonical.decode(ConsensusMessage.self, from: message.payload) } catch {
                        network.penalize(peer: message.peer, reason: "malformed consensus message: \(error)")
                        await self?.countRejected(1)
                        continue
                    }
                    if case .proposal(let proposal) = decoded {
                        await signatures.verifyMissing(proposal.block.transactions, lanes: lanes)
                    }
                    guard let self else { return }
                    await self.deliver(decoded, from: message.peer)
                case nil:
                    network.penalize(peer: message.peer, reason: "unknown channel \(message.channel)")
                }
            }
            batchSink.finish()
        }
        let transactions = Task(priority: .utility) { [weak self] in
            for await message in batches {
                if message.channel == Channel.domainData.rawValue {
                    Self.handleDomainData(message.payload, from: message.peer, data: domainData, network: network)
                    continue
                }
                let batch: TransactionBatch
                do { batch = try TransactionBatch.decode(message.payload) } catch {
                    network.penalize(peer: message.peer, reason: "malformed transaction batch: \(error)")
                    await self?.countRejected(1)
                    continue
                }
                // A proposal may have brought some of these first; their signatures are not checked twice.
                let results = await VerifiedTransaction.verify(
                    batch.transactions, lanes: lanes, isKnownValid: { signatures.contains($0) })
                signatures.insert(results.compactMap { try? $0.get().id })
                guard let self else { return }
                await self.admit(results, from: message.peer)
            }
        }
        return [consensus, transactions]
    }

    /// Pools the transactions of a gossiped batch whose signatures were checked off the actor.
    func admit(_ results: [VerifiedTransaction.Outcome], from peer: Ed25519.PublicKey) {
        guard !stopped else { return }
        let source = MempoolSource(peer.description)
        for result in results {
            do { try application.submit(result.get(), from: source) } catch {
                // Duplicates are expected with gossip; other rejections are counted, not punished
                // (a transaction valid when sent may be stale by the time it arrives).
                if case .alreadyKnown = error { continue }
                counters.rejectedMessages += 1
            }
        }
        metrics.setMempoolDepth(application.mempool.count)
    }

    func countRejected(_ count: Int) { counters.rejectedMessages += count }

    func countDroppedBatch() { counters.droppedTransactionBatches += 1 }
}
