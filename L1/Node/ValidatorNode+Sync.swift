import Application
import Chain
import ChainConfiguration
import Consensus
import Foundation
import Logging
import PeerNetwork
import Primitives
import RPC
import RocksDBStorage
import Staking
import Storage

extension ValidatorNode {
    /// Answers a peer's request for a block and its ancestors, from memory or the store.
    func answer(_ request: BlockRequest, to peer: Ed25519.PublicKey) {
        var found: [CertifiedBlock] = []
        var cursor = request.blockID
        while found.count < Int(request.count) {
            guard let block = engine.block(cursor) ?? (try? chainStore.block(id: cursor)) ?? nil else { break }
            found.append(CertifiedBlock(block: block, certificate: engine.certificate(for: cursor)))
            if block.header.height <= 1 { break }
            cursor = block.header.parentID
        }
        guard !found.isEmpty else { return }
        let reply = ConsensusMessage.blockResponse(found.reversed())
        send(reply, to: peer)
    }

    /// Asks `peer` for the committed blocks after ours (at most every 300 ms), no further than the
    /// end of the epoch after the current one: the state at our tip holds the validator sets of
    /// those two epochs only, so an answer reaching further could not be verified. A node more
    /// than an epoch behind (restarted late, or started from a snapshot) catches up an epoch or
    /// two per answer.
    func requestSync(from peer: Ed25519.PublicKey) {
        let now = Self.now()
        guard now >= lastSyncRequest + 300 else { return }
        lastSyncRequest = now
        let horizon = epochState.endingHeight &+ epochState.epochLength
        let wanted = horizon > committed.height ? horizon - committed.height : 1
        let request = ConsensusMessage.syncRequest(
            SyncRequest(
                fromHeight: committed.height + 1, count: UInt32(min(UInt64(BlockRequest.maximumCount), wanted))))
        send(request, to: peer)
    }

    /// Serves committed blocks from the store, ending at the last one in range with its own certificate.
    func answerSync(_ request: SyncRequest, to peer: Ed25519.PublicKey) {
        guard request.fromHeight >= 1, request.fromHeight <= committed.height else { return }
        var blocks: [Block] = []
        var certificate: CommitCertificate?
        var lastWithCertificate = 0
        let end = min(committed.height, request.fromHeight + UInt64(request.count) - 1)
        for height in request.fromHeight...end {
            guard let block = try? chainStore.block(height: height) else { break }
            blocks.append(block)
            if let found = try? chainStore.certificate(id: block.id) {
                certificate = found
                lastWithCertificate = blocks.count
            }
        }
        guard let certificate, lastWithCertificate > 0 else { return }
        let reply = ConsensusMessage.syncResponse(
            SyncResponse(blocks: Array(blocks[..<lastWithCertificate]), certificate: certificate))
        send(reply, to: peer)
    }

    /// Checks committed blocks from a peer, executes and stores them, and restarts the engine on the
    /// new tip (in a later epoch when the blocks crossed one).
    func applySync(_ response: SyncResponse, from peer: Ed25519.PublicKey) {
        lastSyncRequest = 0
        let sets = validatorSets
        let chain = application.chain
        let root = committed.stateRoot
        do {
            try ChainSync.verify(response, extending: committed) { epoch in
                sets[epoch] ?? ((try? chain.validatorSet(epoch: epoch, root: root)) ?? nil)
            }
        } catch .unknownValidatorSet(let epoch) {
            // Our state cannot check that far yet (an answer to an older, longer request): not the peer's fault.
            logger.info("a sync response reaches epoch \(epoch), whose validator set is not known here yet")
            return
        } catch {
            network.penalize(peer: peer, reason: "bad sync response: \(error)")
            return
        }
        var state = epochState
        var parent = committed
        var stored: [CommittedBlock] = []
        for block in response.blocks {
            if block.header.epoch == state.epoch + 1 {
                state.close(on: parent)
                guard adoptValidatorSet(epoch: state.epoch, root: parent.stateRoot) else { return }
            }
            let isSuffix = parent.height >= state.endingHeight
            guard let set = validatorSets[block.header.epoch], let proposer = set.index(of: block.header.proposer),
                let vrfKey = set[proposer]?.vrfPublicKey,
                let output = try? VRF.verify(
                    LeaderSchedule.vrfInput(
                        chainId: block.header.chainId, epoch: block.header.epoch, view: block.header.view),
                    proof: block.header.vrfProof, publicKey: vrfKey)
            else {
                logger.error("synced block \(block.header.height) has no valid proposer proof; stopping the sync")
                return
            }
            var batch = WriteBatch()
            do {
                let (receipts, computedRoot) = try application.commit(
                    block, parent: parent, isEpochSuffix: isSuffix, stateBatch: &batch)
                guard computedRoot == block.header.stateRoot else {
                    logger.critical("synced block \(block.header.height) executes to another state root; stopping")
                    return
                }
                try chainStore.writeState(batch)
                stored.append(CommittedBlock(block: block, receipts: receipts))
            } catch {
                logger.critical("cannot execute synced block \(block.header.height): \(error)")
                return
            }
            state.recordCommitted(block.header, output: output)
            parent = block.header
        }
        let closes = parent.height >= state.endingHeight
        if closes { state.close(on: parent) }
        do { try chainStore.commit(stored, certificate: response.certificate, epochState: state) } catch {
            logger.critical("cannot store synced blocks: \(error)")
            return
        }
        counters.syncs += 1
        counters.transactionsCommitted += stored.reduce(0) { $0 + $1.block.transactions.count }
        requestMissingDomainData(stored.flatMap { missingDomainData($0.block) })
        committed = parent
        metrics.setHeight(committed.height)
        metrics.setFinalizedHeight(committed.height)
        logger.info("caught up to height \(parent.height) (epoch \(state.epoch)) from \(peer)")
        if closes { guard adoptValidatorSet(epoch: state.epoch, root: parent.stateRoot) else { return } }
        startEpoch(base: parent, epochState: state)
    }

    /// Loads the validator set of `epoch` from the state at `root` into the cache, and gives the
    /// application its keys: executing a block reads who signed its parent from them (liveness),
    /// so a synced block of a new epoch must see the same keys a live validator did.
    func adoptValidatorSet(epoch: UInt64, root: Hash) -> Bool {
        do {
            let set =
                try validatorSets[epoch]
                ?? Self.validatorSet(epoch: epoch, chain: application.chain, root: root, cache: validatorSets)
            validatorSets[epoch] = set
            application.validatorKeys[epoch] = set.validators.map(\.publicKey)
            return true
        } catch {
            logger.critical("cannot catch up into epoch \(epoch): \(error)")
            return false
        }
    }
}
