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
/// - Transaction batches go to a second task at a lower priority, which takes everything queued
///   at once (`GossipInbox`), verifies it in parallel and hands the actor only the stateful
///   mempool checks, in one hop; domain data squares are extended, committed and stored there
///   too, off the actor. Its queue is bounded by bytes: past that the oldest batches are dropped
///   (gossip is best effort) and counted.
extension ValidatorNode {
    /// Bytes of gossiped batches waiting for verification; older ones are dropped past this
    /// (16 MiB: some 100,000 transfers, seconds of the most this machine finalizes).
    static let queuedGossipBytes = 16 << 20
    /// Concurrent tasks verifying the signatures of one batch or proposal.
    static let verificationLanes = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Starts the listener tasks; the caller keeps them to cancel on stop.
    func startInbound() -> [Task<Void, Never>] {
        let messages = network.messages
        let network = network
        let signatures = signatures
        let domainData = domainData
        let lanes = Self.verificationLanes
        let inbox = GossipInbox(capacityBytes: Self.queuedGossipBytes)
        let consensus = Task { [weak self] in
            for await message in messages {
                switch Channel(rawValue: message.channel) {
                case .transactions, .domainData:
                    let dropped = inbox.push(message)
                    if dropped > 0 { await self?.countDroppedBatches(dropped) }
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
            inbox.finish()
        }
        let transactions = Task(priority: .utility) { [weak self] in
            await inbox.forEach { messages in
                var transactions: [[UInt8]] = []
                var senders: [(peer: Ed25519.PublicKey, count: Int)] = []
                var malformed = 0
                for message in messages {
                    if message.channel == Channel.domainData.rawValue {
                        Self.handleDomainData(message.payload, from: message.peer, data: domainData, network: network)
                        continue
                    }
                    do {
                        let batch = try TransactionBatch.decode(message.payload)
                        transactions += batch.transactions
                        senders.append((message.peer, batch.transactions.count))
                    } catch {
                        network.penalize(peer: message.peer, reason: "malformed transaction batch: \(error)")
                        malformed += 1
                    }
                }
                // A proposal may have brought some of these first; their signatures are not checked twice.
                let results = await VerifiedTransaction.verify(
                    transactions, lanes: lanes, isKnownValid: { signatures.contains($0) }, rule: signatures.rule)
                signatures.insert(results.compactMap { try? $0.get().id })
                let batches = Self.split(results, by: senders)
                Self.penalizeForgers(batches, network: network)
                await self?.admit(batches, malformedBatches: malformed)
            }
        }
        return [consensus, transactions]
    }

    /// The verification outcomes of gossiped batches, one batch per peer message.
    typealias GossipedBatch = (peer: Ed25519.PublicKey, outcomes: ArraySlice<VerifiedTransaction.Outcome>)

    /// Cuts `results` (the transactions of every batch, in order) back into their batches.
    nonisolated static func split(
        _ results: [VerifiedTransaction.Outcome], by senders: [(peer: Ed25519.PublicKey, count: Int)]
    ) -> [GossipedBatch] {
        var next = results.startIndex
        return senders.map { peer, count in
            defer { next += count }
            return (peer, results[next..<next + count])
        }
    }

    /// Pools the transactions of gossiped batches whose signatures were checked off the actor.
    func admit(_ batches: [GossipedBatch], malformedBatches: Int = 0) {
        counters.rejectedMessages += malformedBatches
        guard !stopped else { return }
        for (peer, outcomes) in batches {
            let source = MempoolSource(peer.description)
            for result in outcomes {
                do { try application.submit(result.get(), from: source) } catch {
                    // Duplicates are expected with gossip; other rejections are counted, not punished
                    // (a transaction valid when sent may be stale by the time it arrives).
                    if case .alreadyKnown = error { continue }
                    counters.rejectedMessages += 1
                }
            }
        }
        metrics.setMempoolDepth(application.mempool.count)
    }

    /// Penalizes each peer whose batch held a transaction no honest node relays: bytes that do not
    /// decode or a signature that does not verify (neither can turn bad in transit or with state).
    nonisolated static func penalizeForgers(_ batches: [GossipedBatch], network: NetworkNode) {
        for (peer, outcomes) in batches {
            let forged = outcomes.lazy.compactMap { result -> MempoolRejection? in
                guard case .failure(let rejection) = result else { return nil }
                switch rejection {
                case .invalidSignature, .malformed: return rejection
                default: return nil
                }
            }.first
            if let forged { network.penalize(peer: peer, reason: "gossiped an invalid transaction: \(forged)") }
        }
    }

    func countRejected(_ count: Int) { counters.rejectedMessages += count }

    func countDroppedBatches(_ count: Int) { counters.droppedTransactionBatches += count }
}
