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
    // MARK: - Lifecycle

    /// Starts the network, the RPC server and the engine, and keeps handling messages until `stop()`.
    /// - Returns: the bound P2P and RPC ports (useful when the configuration asks for port 0).
    @discardableResult
    public func start() async throws(NodeError) -> (p2p: Int, rpc: Int) {
        let p2pPort: Int
        do { p2pPort = try await network.start() } catch { throw .network("\(error)") }
        var rpcConfiguration = RPCServerConfiguration(host: configuration.rpcHost, port: configuration.rpcPort)
        rpcConfiguration.maxRequestBytes = configuration.maxRequestBytes
        let server = RPCServer(configuration: rpcConfiguration, handler: NodeRPC.methods(for: self), metrics: metrics)
        let rpcPort: Int
        do { rpcPort = try await server.start() } catch {
            await network.stop()
            throw .rpc("\(error)")
        }
        rpc = server
        listeners += startInbound()
        let events = network.events
        listeners.append(
            Task { [weak self] in
                for await _ in events {
                    guard let self else { return }
                    await self.updatePeerMetrics()
                }
            })
        logger.info(
            "node started",
            metadata: [
                "moniker": "\(configuration.moniker)", "p2p": "\(p2pPort)", "rpc": "\(rpcPort)",
                "height": "\(committed.height)", "epoch": "\(epochState.epoch)",
            ])
        step(.start(now: Self.now()))
        recoverPendingBlocks()
        return (p2pPort, rpcPort)
    }

    /// Stops everything and closes the store.
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        for task in timers + listeners { task.cancel() }
        timers = []
        listeners = []
        await rpc?.stop()
        await network.stop()
        rocks.close()
    }

    /// Milliseconds since the Unix epoch: the only clock the node reads, passed to the engine as a value.
    static func now() -> UInt64 {
        UInt64(max(Date().timeIntervalSince1970, 0) * 1_000)
    }

    func updatePeerMetrics() {
        metrics.setConnectedPeers(network.connectedPeers.count)
    }

    // MARK: - Inbound

    func deliver(_ message: ConsensusMessage, from peer: Ed25519.PublicKey) {
        guard !stopped else { return }
        switch message {
        case .blockRequest(let request):
            answer(request, to: peer)
            return
        case .syncRequest(let request):
            answerSync(request, to: peer)
            return
        case .syncResponse(let response):
            applySync(response, from: peer)
            return
        default:
            break
        }
        if let epoch = message.epoch, epoch != engine.epoch {
            if epoch > engine.epoch {
                futureMessages.append((message, peer))
                if futureMessages.count > 10_000 { futureMessages.removeFirst(futureMessages.count - 10_000) }
                requestSync(from: peer)
            }
            return
        }
        if case .proposal(let proposal) = message, firstSeen[proposal.block.id] == nil {
            firstSeen[proposal.block.id] = ContinuousClock.now
        }
        step(.received(message, from: peer, now: Self.now()))
    }

    /// Queues a transaction this node admitted from a client for the next gossip batch.
    func gossip(_ encoded: [UInt8]) {
        switch gossipBuffer.append(encoded) {
        case .flush:
            flushGossip()
        case .scheduleTimer:
            Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(TransactionGossip.flushDelayMilliseconds))
                await self?.flushGossip()
            }
        case .wait:
            break
        }
    }

    /// Broadcasts the buffered transactions as one batch.
    func flushGossip() {
        gossipBuffer.timerScheduled = false
        guard !stopped, let batch = gossipBuffer.take() else { return }
        _ = try? network.broadcast(channel: Channel.transactions.rawValue, payload: Canonical.encode(batch))
    }

    // MARK: - The engine

    /// Feeds one event to the engine and performs what it asks, in order.
    func step(_ event: ConsensusEvent) {
        guard !stopped else { return }
        let actions = engine.on(event)
        for action in actions { perform(action) }
        metrics.setView(engine.view)
    }

    func perform(_ action: ConsensusAction) {
        switch action {
        case .persist(let state):
            do { try chainStore.saveSafety(state) } catch {
                // Signing without the write-ahead record could make this validator equivocate after a
                // crash: stop rather than go on.
                logger.critical("cannot persist the consensus safety state, stopping: \(error)")
                Task { await self.stop() }
                stopped = true
            }
        case .broadcast(let message):
            broadcast(message)
        case .send(let message, let peer):
            send(message, to: peer)
        case .scheduleTimer(let timer, let at):
            schedule(timer, at: at)
        case .buildBlock(let template):
            var batch = WriteBatch()
            let block: Block
            let started = ContinuousClock.now
            do {
                block = try application.build(template, stateBatch: &batch)
                metrics.recordBlockExecution(.now - started, building: true)
                try chainStore.writeState(batch)
            } catch {
                logger.error("cannot build a block on \(template.parent.id): \(error)")
                return
            }
            let stored = (try? chainStore.savePending(block)) != nil
            executedParents[block.id] = (template.parent, template.isEpochSuffix, stored)
            firstSeen[block.id] = ContinuousClock.now
            extended(by: block.header)
            step(.blockBuilt(block, now: Self.now()))
        case .checkBlock(let block, let parent, let isSuffix):
            var accepted = false
            let started = ContinuousClock.now
            // The availability rule: no vote for a block committing to domain data not held here.
            let missing = missingDomainData(block)
            let verdict: ChainApplication.CheckResult =
                if let first = missing.first {
                    .refused("it commits to domain data \(first) this node does not hold (asked the peers for it)")
                } else {
                    application.check(block, parent: parent, isEpochSuffix: isSuffix)
                }
            requestMissingDomainData(missing)
            metrics.recordBlockExecution(.now - started, building: false)
            switch verdict {
            case .accepted(let batch):
                do {
                    try chainStore.writeState(batch)
                    try chainStore.savePending(block)
                    accepted = true
                    executedParents[block.id] = (parent, isSuffix, true)
                    extended(by: block.header)
                } catch {
                    logger.error("cannot write the state of block \(block.id): \(error)")
                }
            case .refused(let reason):
                logger.warning("refusing block \(block.header.height) from \(block.header.proposer): \(reason)")
            }
            step(.blockChecked(block.id, accepted: accepted, now: Self.now()))
        case .commit(let blocks, let certificate, let epochState):
            commit(blocks, certificate: certificate, epochState: epochState)
        case .reportEvidence(let evidence):
            submitEvidence(evidence)
        case .epochEnded(let base, let epochState):
            startEpoch(base: base, epochState: epochState)
        }
    }

    /// A block joined this node's chain (built or accepted, not yet final): `newHeads` and the
    /// height gauge follow the newest one.
    func extended(by header: BlockHeader) {
        guard header.height > newestHeight else { return }
        newestHeight = header.height
        metrics.setHeight(header.height)
        rpc?.publish(topic: .newHeads, value: NodeRPC.json(header))
    }

    func schedule(_ timer: ConsensusTimer, at: UInt64) {
        let generation = generation
        let delay = at > Self.now() ? at - Self.now() : 0
        let task = Task { [weak self] in
            if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
            guard !Task.isCancelled, let self else { return }
            await self.fire(timer, generation: generation)
        }
        timers.append(task)
        if timers.count > 256 { timers.removeAll { $0.isCancelled } }
        if timers.count > 1_024 { timers.removeFirst(timers.count - 1_024) }
    }

    func fire(_ timer: ConsensusTimer, generation: UInt64) {
        guard generation == self.generation else { return }
        step(.timerFired(timer, now: Self.now()))
    }

    func broadcast(_ message: ConsensusMessage) {
        if configuration.equivocate, equivocate(message) { return }
        _ = try? network.broadcast(channel: Channel.of(message).rawValue, payload: Canonical.encode(message))
    }

    /// Sends one consensus message to one peer on its channel (delivery is best effort: the engine
    /// asks again when an answer does not come).
    func send(_ message: ConsensusMessage, to peer: Ed25519.PublicKey) {
        try? network.send(to: peer, channel: Channel.of(message).rawValue, payload: Canonical.encode(message))
    }

    /// After a restart, hands the engine the stored blocks between the committed tip and the high
    /// QC, as if a peer had sent them: when every validator restarts, nobody else has them.
    func recoverPendingBlocks() {
        let highQC = engine.safety.highQC
        guard highQC.epoch == engine.epoch, highQC.blockID != committed.id, !highQC.isGenesis else { return }
        var chain: [Block] = []
        var cursor = highQC.blockID
        while cursor != committed.id, chain.count < Int(BlockRequest.maximumCount) {
            guard let block = try? chainStore.block(id: cursor) else { return }
            chain.append(block)
            cursor = block.header.parentID
        }
        guard cursor == committed.id else { return }
        let certified = chain.reversed().map { block in
            CertifiedBlock(block: block, certificate: block.id == highQC.blockID ? highQC : nil)
        }
        logger.info("recovered \(certified.count) uncommitted blocks up to view \(highQC.view)")
        step(.received(.blockResponse(certified), from: identity.signer.publicKey, now: Self.now()))
    }

    // MARK: - Committing

    func commit(_ blocks: [Block], certificate: CommitCertificate, epochState: EpochState) {
        var committedBlocks: [CommittedBlock] = []
        var parent = committed
        for block in blocks {
            let (knownParent, isSuffix, stored) =
                executedParents.removeValue(forKey: block.id) ?? (parent, false, false)
            var batch = WriteBatch()
            do {
                let (receipts, _) = try application.commit(
                    block, parent: knownParent, isEpochSuffix: isSuffix, stateBatch: &batch)
                try chainStore.writeState(batch)
                committedBlocks.append(CommittedBlock(block: block, receipts: receipts, isStored: stored))
            } catch {
                logger.critical("cannot execute committed block \(block.header.height): \(error); stopping")
                Task { await self.stop() }
                stopped = true
                return
            }
            parent = block.header
        }
        do {
            try chainStore.commit(committedBlocks, certificate: certificate, epochState: epochState)
        } catch {
            logger.critical("cannot write committed blocks: \(error); stopping")
            Task { await self.stop() }
            stopped = true
            return
        }
        self.epochState = epochState
        committed = parent
        let now = ContinuousClock.now
        for block in blocks {
            // Data a quorum held when it voted; fetch what this node missed (it was down, say).
            requestMissingDomainData(missingDomainData(block))
            counters.transactionsCommitted += block.transactions.count
            if let seen = firstSeen.removeValue(forKey: block.id) {
                let latency = now - seen
                metrics.recordFinalityLatency(latency)
                let (seconds, attoseconds) = latency.components
                counters.lastFinalityMilliseconds =
                    UInt64(max(seconds, 0)) * 1_000 + UInt64(attoseconds / 1_000_000_000_000_000)
            }
            rpc?.publish(topic: .finalizedHeads, value: NodeRPC.json(block.header))
        }
        if let lastCommitAt { metrics.recordSlotTime(now - lastCommitAt) }
        lastCommitAt = now
        firstSeen = firstSeen.filter { now - $0.value < .seconds(120) }
        executedParents = executedParents.filter { $0.value.parent.height >= committed.height }
        newestHeight = max(newestHeight, committed.height)
        metrics.setHeight(newestHeight)
        metrics.setFinalizedHeight(committed.height)
        metrics.setMempoolDepth(application.mempool.count)
        metrics.recordCommittedTransactions(blocks.reduce(0) { $0 + $1.transactions.count })
    }

    /// Starts the engine of the next epoch on `base` with the set the staking state fixed for it.
    func startEpoch(base: BlockHeader, epochState: EpochState) {
        self.epochState = epochState
        let set: ValidatorSet
        do {
            set = try Self.validatorSet(
                epoch: epochState.epoch, chain: application.chain, root: base.stateRoot, cache: validatorSets)
        } catch {
            logger.critical("cannot start epoch \(epochState.epoch): \(error); stopping")
            Task { await self.stop() }
            stopped = true
            return
        }
        validatorSets[epochState.epoch] = set
        application.validatorKeys[epochState.epoch] = set.validators.map(\.publicKey)
        for old in validatorSets.keys where old + 2 < epochState.epoch { validatorSets[old] = nil }
        network.setAllowedPeers(
            validators: Set(validatorSets.values.flatMap { $0.validators.map(\.publicKey) })
                .union(registeredValidatorKeys(root: base.stateRoot)),
            fullNodes: Set(configuration.fullNodes))
        generation += 1
        let safety = try? chainStore.safety()
        engine = ConsensusEngine(
            configuration: consensusConfiguration, validators: set, base: base, epochState: epochState,
            signer: identity.signer, vrfKey: identity.vrfKey, restoring: safety)
        logger.info("epoch \(epochState.epoch) starts on height \(base.height) with \(set.count) validators")
        step(.start(now: Self.now()))
        let waiting = futureMessages.filter { $0.0.epoch == epochState.epoch }
        futureMessages.removeAll { ($0.0.epoch ?? 0) <= epochState.epoch }
        for (message, peer) in waiting { deliver(message, from: peer) }
    }

    /// The consensus keys of every registered validator that is not tombstoned (in the set,
    /// jailed or unbonding) at `root`. They may link to this node: a validator jailed while it was
    /// down must sync before it can ask to be unjailed, and it is no longer in any recent set.
    func registeredValidatorKeys(root: Hash) -> Set<Ed25519.PublicKey> {
        do {
            let staking = try application.chain.state(at: root).module(Staking.moduleName)
            var keys = Set<Ed25519.PublicKey>()
            for address in try Staking.validatorList(in: staking) {
                if let validator = try Staking.validator(address, in: staking), !validator.tombstoned {
                    keys.insert(validator.publicKey)
                }
            }
            return keys
        } catch {
            logger.warning("cannot read the registered validators: \(error); allowing the recent sets only")
            return []
        }
    }

    // MARK: - Evidence

    /// Submits evidence the engine found as a staking transaction paid by the operator account.
    func submitEvidence(_ evidence: Evidence) {
        // One equivocation is enough to slash: skip validators already tombstoned, and the same
        // validator again while an earlier report may still be on its way into a block.
        if let reported = evidenceReported[evidence.validator], committed.height < reported + 20 { return }
        do {
            let staking = try application.chain.state(at: application.committedRoot).module(Staking.moduleName)
            if let operatorAddress = try Staking.operatorAddress(ofKey: evidence.validator, in: staking),
                try Staking.validator(operatorAddress, in: staking)?.tombstoned == true
            {
                return
            }
        } catch {
            logger.error("cannot read the staking state to check evidence: \(error)")
        }
        evidenceReported[evidence.validator] = committed.height
        let sender = Address(publicKey: identity.operatorKey.publicKey)
        let accountNonce: UInt64
        do { accountNonce = try application.chain.accounts(at: application.committedRoot).account(sender).nonce } catch
        {
            logger.error("cannot read the operator account to submit evidence: \(error)")
            return
        }
        let nonce = accountNonce + UInt64(application.mempool.pending(from: sender).count)
        let transaction = Transaction(
            chainId: genesis.chain.chainId, sender: identity.operatorKey.publicKey, nonce: nonce,
            maxFee: 10_000_000, priorityFee: 1_000, messages: [Message(Staking.SubmitEvidence(evidence))])
        guard let signed = try? transaction.signed(by: identity.operatorKey) else { return }
        let encoded = signed.encoded
        do {
            try application.submit(encoded, from: MempoolSource("self"))
            gossip(encoded)
            counters.evidenceSubmitted += 1
            logger.warning("validator \(evidence.validator) equivocated in view \(evidence.view); evidence submitted")
        } catch {
            logger.error("the evidence transaction was refused: \(error)")
        }
    }

    // MARK: - Test-only faults

    /// Test only: drops every message to and from every peer (the links stay up) until `heal()`,
    /// as a network partition would.
    public func isolate() {
        var peers = Set(configuration.fullNodes)
        for set in validatorSets.values { peers.formUnion(set.validators.map(\.publicKey)) }
        peers.remove(identity.signer.publicKey)
        network.isolate(from: peers)
        logger.warning("isolated from \(peers.count) peers (test fault)")
    }

    /// Test only: ends `isolate()`.
    public func heal() {
        network.heal()
        logger.warning("healed (test fault)")
    }

    // MARK: - Test-only byzantine mode

    /// In equivocation mode, sends conflicting proposals to the two halves of the peers and a second,
    /// conflicting vote with every vote. Returns true when it handled the broadcast itself.
    func equivocate(_ message: ConsensusMessage) -> Bool {
        let chainId = genesis.chain.chainId
        switch message {
        case .proposal(let proposal):
            var header = proposal.block.header
            header.timestamp += 1
            let twinID = header.id
            let signature = identity.signer.sign(
                SignBytes.proposal(
                    chainId: chainId, epoch: header.epoch, height: header.height, view: header.view, blockID: twinID))
            let twin = Proposal(
                block: Block(header: header, transactions: proposal.block.transactions),
                timeoutCertificate: proposal.timeoutCertificate, signature: signature)
            let peers = network.connectedPeers.sorted()
            for (position, peer) in peers.enumerated() {
                let chosen = position % 2 == 0 ? proposal : twin
                send(.proposal(chosen), to: peer)
            }
            return true
        case .vote(let vote):
            let fake = Hashing.sha256(vote.blockID.bytes + [1])
            let signature = identity.signer.sign(
                SignBytes.vote(chainId: chainId, epoch: vote.epoch, height: vote.height, view: vote.view, blockID: fake)
            )
            let twin = Vote(
                epoch: vote.epoch, view: vote.view, height: vote.height, blockID: fake, voter: vote.voter,
                signature: signature)
            _ = try? network.broadcast(channel: Channel.consensus.rawValue, payload: Canonical.encode(message))
            _ = try? network.broadcast(
                channel: Channel.consensus.rawValue, payload: Canonical.encode(ConsensusMessage.vote(twin)))
            return true
        default:
            return false
        }
    }
}
