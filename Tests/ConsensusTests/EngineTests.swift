import Consensus
import Primitives
import Testing

/// The engine driven one event at a time: each voting and timeout rule of Docs/spec/consensus.md.
@Suite("Consensus engine rules")
struct EngineTests {
    let validators = TestValidators(count: 4)

    /// The weighted leader of view 1 (epoch 0 uses the genesis seed).
    var firstLeader: Int {
        let schedule = LeaderSchedule(chainId: validators.chainId, validators: validators.set)
        let seed = validators.epochState.seed(epoch: 0)!
        return Int(schedule.weightedLeader(view: 1, seed: seed))
    }

    /// A valid proposal by `leader` for `view`, built by hand (so tests can make conflicting ones).
    func proposal(
        view: UInt64, leader: Int, parent: BlockHeader, justify: QuorumCertificate, payload: [UInt8],
        timeout: TimeoutCertificate? = nil, timestamp: UInt64 = 1_000
    ) throws -> Proposal {
        let height = parent.height + 1
        let alpha = LeaderSchedule.vrfInput(chainId: validators.chainId, epoch: 0, view: view)
        let header = BlockHeader(
            chainId: validators.chainId, epoch: 0, height: height, view: view, parentID: parent.id, stateRoot: .zero,
            transactionRoot: MerkleTree.root([payload]), receiptRoot: .zero, dataAvailabilityRoot: .zero,
            validatorSetHash: validators.set.hash, nextValidatorSetHash: validators.set.hash,
            proposer: validators.signers[leader].publicKey,
            vrfProof: try VRF.prove(alpha, secretKey: validators.vrfKeys[leader]), timestamp: timestamp,
            justify: justify)
        let id = header.id
        let signature = validators.signers[leader].sign(
            SignBytes.proposal(chainId: validators.chainId, epoch: 0, height: height, view: view, blockID: id))
        return Proposal(
            block: Block(header: header, transactions: [payload]), timeoutCertificate: timeout, signature: signature)
    }

    func sender(_ index: Int) -> Ed25519.PublicKey { validators.signers[index].publicKey }

    @Test("the leader builds, persists its proposal, broadcasts it, and votes only after persisting")
    func leaderProposes() throws {
        let leader = firstLeader
        var engines = (0..<4).map { validators.engine($0) }
        var templates: [BlockTemplate] = []
        for index in 0..<4 { templates += engines[index].on(.start(now: 1_000)).templates }
        #expect(templates.count == 1, "exactly one leader for view 1")
        let template = try #require(templates.first)
        #expect(template.header.proposer == sender(leader))
        #expect(template.header.view == 1 && template.header.height == 1)

        let actions = engines[leader].on(.blockBuilt(fill(template), now: 1_001))
        let proposalAt = try #require(actions.firstIndex { if case .broadcast(.proposal) = $0 { true } else { false } })
        let voteAt = try #require(actions.firstIndex { if case .broadcast(.vote) = $0 { true } else { false } })
        let persists = actions.enumerated().compactMap { entry -> (Int, SafetyState)? in
            if case .persist(let state) = entry.element { (entry.offset, state) } else { nil }
        }
        #expect(persists.contains { $0.0 < proposalAt && $0.1.lastProposedView == 1 }, "proposal persisted first")
        #expect(persists.contains { $0.0 < voteAt && $0.1.lastVotedView == 1 }, "vote persisted first")
    }

    @Test("a leader's justification carries the votes that arrived after the quorum, for liveness records")
    func fullestJustification() throws {
        var configuration = validators.configuration
        configuration.minimumBlockInterval = 500
        var engines = (0..<4).map {
            ConsensusEngine(
                configuration: configuration, validators: validators.set, base: validators.genesis,
                epochState: validators.epochState, signer: validators.signers[$0], vrfKey: validators.vrfKeys[$0],
                restoring: nil)
        }
        var templates: [(Int, BlockTemplate)] = []
        for index in 0..<4 { templates += engines[index].on(.start(now: 1_000)).templates.map { (index, $0) } }
        let (leader, template) = try #require(templates.first)
        let block = fill(template)
        let built = engines[leader].on(.blockBuilt(block, now: 1_001))
        let proposal = try #require(built.proposals.first)
        var votes = built.votes
        for index in 0..<4 where index != leader {
            _ = engines[index].on(.received(.proposal(proposal), from: sender(leader), now: 1_002))
            votes += engines[index].on(.blockChecked(block.id, accepted: true, now: 1_003)).votes
        }
        #expect(votes.count == 4)

        // The leader of view 2 forms the QC from a quorum, waits for its slot, and meanwhile the
        // fourth vote arrives: the proposal's justification names all four voters.
        var found = false
        for next in 0..<4 {
            var engine = engines[next]
            let straggler = try #require(votes.first { Int($0.voter) != next })
            var scheduled = false
            for vote in votes where vote.voter != straggler.voter && Int(vote.voter) != next {
                let actions = engine.on(.received(.vote(vote), from: sender(Int(vote.voter)), now: 1_100))
                scheduled =
                    scheduled
                    || actions.contains { if case .scheduleTimer(.propose(2), _) = $0 { true } else { false } }
            }
            guard scheduled else { continue }
            found = true
            _ = engine.on(.received(.vote(straggler), from: sender(Int(straggler.voter)), now: 1_200))
            let next = try #require(engine.on(.timerFired(.propose(2), now: 1_500)).templates.first)
            #expect(next.header.justify.blockID == block.id)
            #expect(next.header.justify.signatures.count == 4)
        }
        #expect(found, "one validator leads view 2")
    }

    @Test("followers execute the block before voting, and never vote for a refused block")
    func followersCheckThenVote() throws {
        let leader = firstLeader
        let genesis = validators.genesis
        let proposal = try proposal(
            view: 1, leader: leader, parent: genesis, justify: validators.genesisQC, payload: [1])
        let follower = (leader + 1) % 4
        var engine = validators.engine(follower)
        _ = engine.on(.start(now: 1_000))
        let received = engine.on(.received(.proposal(proposal), from: sender(leader), now: 1_010))
        #expect(received.checks.map(\.id) == [proposal.block.id])
        #expect(received.votes.isEmpty, "no vote before the application accepts the block")
        let accepted = engine.on(.blockChecked(proposal.block.id, accepted: true, now: 1_020))
        #expect(accepted.votes.count == 1 && accepted.votes[0].blockID == proposal.block.id)

        var refusing = validators.engine((leader + 2) % 4)
        _ = refusing.on(.start(now: 1_000))
        _ = refusing.on(.received(.proposal(proposal), from: sender(leader), now: 1_010))
        #expect(refusing.on(.blockChecked(proposal.block.id, accepted: false, now: 1_020)).votes.isEmpty)
    }

    @Test("a proposal from a validator that is not the leader is ignored")
    func wrongLeader() throws {
        let leader = firstLeader
        let impostor = (leader + 1) % 4
        let genesis = validators.genesis
        let forged = try proposal(
            view: 1, leader: impostor, parent: genesis, justify: validators.genesisQC, payload: [1])
        var engine = validators.engine((leader + 2) % 4)
        _ = engine.on(.start(now: 1_000))
        #expect(engine.on(.received(.proposal(forged), from: sender(impostor), now: 1_010)).checks.isEmpty)
    }

    @Test("an equivocating leader is caught, and still gets one vote at most")
    func equivocatingLeader() throws {
        let leader = firstLeader
        let genesis = validators.genesis
        let a = try proposal(view: 1, leader: leader, parent: genesis, justify: validators.genesisQC, payload: [1])
        let b = try proposal(view: 1, leader: leader, parent: genesis, justify: validators.genesisQC, payload: [2])
        var engine = validators.engine((leader + 1) % 4)
        _ = engine.on(.start(now: 1_000))
        _ = engine.on(.received(.proposal(a), from: sender(leader), now: 1_010))
        let voted = engine.on(.blockChecked(a.block.id, accepted: true, now: 1_011))
        #expect(voted.votes.count == 1)
        let second = engine.on(.received(.proposal(b), from: sender(leader), now: 1_012))
        let evidence = try #require(second.evidence.first)
        #expect(evidence.kind == .proposal && evidence.validator == sender(leader) && evidence.view == 1)
        try evidence.verify()
        let afterB = engine.on(.blockChecked(b.block.id, accepted: true, now: 1_013))
        #expect(afterB.votes.isEmpty, "one vote per view")
    }

    @Test("after a restart a validator does not vote again in a view it voted in")
    func restartKeepsVotes() throws {
        let leader = firstLeader
        let genesis = validators.genesis
        let a = try proposal(view: 1, leader: leader, parent: genesis, justify: validators.genesisQC, payload: [1])
        let b = try proposal(view: 1, leader: leader, parent: genesis, justify: validators.genesisQC, payload: [2])
        let follower = (leader + 1) % 4
        var engine = validators.engine(follower)
        _ = engine.on(.start(now: 1_000))
        _ = engine.on(.received(.proposal(a), from: sender(leader), now: 1_010))
        let actions = engine.on(.blockChecked(a.block.id, accepted: true, now: 1_011))
        let persisted = try #require(
            actions.compactMap { if case .persist(let state) = $0 { state } else { nil } }.last)

        var restarted = validators.engine(follower, restoring: persisted)
        _ = restarted.on(.start(now: 2_000))
        _ = restarted.on(.received(.proposal(b), from: sender(leader), now: 2_010))
        #expect(restarted.on(.blockChecked(b.block.id, accepted: true, now: 2_011)).votes.isEmpty)
    }

    @Test("a double vote is reported as evidence and counted once")
    func doubleVote() throws {
        var engine = validators.engine(0)
        _ = engine.on(.start(now: 1_000))
        let a = validators.vote(3, view: 1, height: 1, block: Hashing.sha256([1]))
        let b = validators.vote(3, view: 1, height: 1, block: Hashing.sha256([2]))
        #expect(engine.on(.received(.vote(a), from: sender(3), now: 1_001)).evidence.isEmpty)
        #expect(
            engine.on(.received(.vote(a), from: sender(3), now: 1_002)).evidence.isEmpty, "a duplicate is not evidence")
        let evidence = try #require(engine.on(.received(.vote(b), from: sender(3), now: 1_003)).evidence.first)
        try evidence.verify()
        #expect(evidence.kind == .vote && evidence.validator == sender(3))
        // Forged votes are dropped silently.
        let forged = Vote(epoch: 0, view: 1, height: 1, blockID: Hashing.sha256([3]), voter: 2, signature: a.signature)
        #expect(engine.on(.received(.vote(forged), from: sender(2), now: 1_004)).isEmpty)
        let stranger = Vote(epoch: 0, view: 1, height: 1, blockID: a.blockID, voter: 77, signature: a.signature)
        #expect(engine.on(.received(.vote(stranger), from: sender(2), now: 1_005)).isEmpty)
    }

    @Test("timing out persists first, a quorum of timeouts moves the view, and the round-robin leader proposes")
    func timeouts() throws {
        var engines = (0..<4).map { validators.engine($0) }
        for index in 0..<4 { _ = engines[index].on(.start(now: 1_000)) }
        var sent: [Timeout] = []
        for index in 0..<4 {
            let actions = engines[index].on(.timerFired(.view(1), now: 3_000))
            let persistAt = try #require(actions.firstIndex { if case .persist = $0 { true } else { false } })
            let timeoutAt = try #require(
                actions.firstIndex { if case .broadcast(.timeout) = $0 { true } else { false } })
            #expect(persistAt < timeoutAt)
            sent += actions.timeouts
        }
        #expect(sent.count == 4)
        // View 2 is entered through TC(1); its leader is validator 2 mod 4.
        let roundRobin = 2
        var actions: [ConsensusAction] = []
        for timeout in sent where Int(timeout.voter) != roundRobin {
            actions += engines[roundRobin].on(
                .received(.timeout(timeout), from: sender(Int(timeout.voter)), now: 3_010))
        }
        #expect(engines[roundRobin].view == 2)
        let template = try #require(actions.templates.first)
        #expect(template.header.view == 2 && template.header.justify.isGenesis)
        let built = engines[roundRobin].on(.blockBuilt(fill(template), now: 3_011))
        let proposal = try #require(built.proposals.first)
        #expect(proposal.timeoutCertificate?.view == 1)

        // Another validator accepts it: the TC justifies the gap, and rule 3 holds.
        var follower = engines[0]
        for timeout in sent where timeout.voter != 0 {
            _ = follower.on(.received(.timeout(timeout), from: sender(Int(timeout.voter)), now: 3_010))
        }
        let checked = follower.on(.received(.proposal(proposal), from: sender(roundRobin), now: 3_020))
        #expect(checked.checks.count == 1)
        #expect(follower.on(.blockChecked(proposal.block.id, accepted: true, now: 3_021)).votes.count == 1)
        engines[0] = follower
    }

    @Test("timeouts from more than a third pull a validator into timing out too")
    func amplification() throws {
        var engines = (0..<4).map { validators.engine($0) }
        for index in 0..<4 { _ = engines[index].on(.start(now: 1_000)) }
        let first = engines[1].on(.timerFired(.view(1), now: 2_000)).timeouts
        let second = engines[2].on(.timerFired(.view(1), now: 2_000)).timeouts
        #expect(engines[0].on(.received(.timeout(first[0]), from: sender(1), now: 2_001)).timeouts.isEmpty)
        let joined = engines[0].on(.received(.timeout(second[0]), from: sender(2), now: 2_002))
        #expect(joined.timeouts.map(\.view) == [1], "two of four is more than a third")
    }

    @Test("every message survives encoding; garbage is a typed error")
    func encoding() throws {
        let genesis = validators.genesis
        let proposal = try proposal(
            view: 1, leader: firstLeader, parent: genesis, justify: validators.genesisQC, payload: [9])
        let vote = validators.vote(1, view: 1, height: 1, block: proposal.block.id)
        let timeout = Timeout(
            epoch: 0, view: 2, highQC: validators.genesisQC, voter: 1,
            signature: validators.signers[1].sign(
                SignBytes.timeout(chainId: validators.chainId, epoch: 0, view: 2, highQCView: 0)))
        let messages: [ConsensusMessage] = [
            .proposal(proposal), .vote(vote), .timeout(timeout),
            .blockRequest(BlockRequest(blockID: proposal.block.id, count: 9)),
            .blockResponse([CertifiedBlock(block: proposal.block, certificate: nil)]),
        ]
        for message in messages {
            #expect(try Canonical.decode(ConsensusMessage.self, from: Canonical.encode(message)) == message)
        }
        #expect(throws: CodecError.self) { try Canonical.decode(ConsensusMessage.self, from: [9, 1, 2]) }
        var generator = SeededRandom(seed: 7)
        let bytes = Canonical.encode(ConsensusMessage.proposal(proposal))
        for _ in 0..<300 {
            var mutated = bytes
            mutated[Int.random(in: 0..<mutated.count, using: &generator)] ^= UInt8.random(
                in: 1...255, using: &generator)
            _ = try? Canonical.decode(ConsensusMessage.self, from: mutated)  // must not trap
        }
        for length in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: CodecError.self) {
                try Canonical.decode(ConsensusMessage.self, from: Array(bytes[..<length]))
            }
        }
    }

    @Test("a commit certificate proves finality to anyone with the validator set")
    func commitCertificate() throws {
        let genesis = validators.genesis
        let leader = firstLeader
        let first = try proposal(view: 1, leader: leader, parent: genesis, justify: validators.genesisQC, payload: [1])
        let firstQC = validators.certificate(view: 1, height: 1, block: first.block.id, signers: [0, 1, 2])
        let child = try proposal(view: 2, leader: 0, parent: first.block.header, justify: firstQC, payload: [2])
        let childQC = validators.certificate(view: 2, height: 2, block: child.block.id, signers: [1, 2, 3])
        let certificate = CommitCertificate(child: child.block.header, childCertificate: childQC)
        try certificate.verify(finalizes: first.block.header, validators: validators.set, genesisID: genesis.id)
        #expect(throws: CertificateError.notAChild) {
            try certificate.verify(finalizes: child.block.header, validators: validators.set, genesisID: genesis.id)
        }
        let weak = CommitCertificate(
            child: child.block.header,
            childCertificate: validators.certificate(view: 2, height: 2, block: child.block.id, signers: [1, 2]))
        #expect(throws: CertificateError.self) {
            try weak.verify(finalizes: first.block.header, validators: validators.set, genesisID: genesis.id)
        }
    }
}

@Suite("Epochs")
struct EpochTests {
    @Test("committing the ending block closes the epoch on it, and the engine then does nothing")
    func closesOnEndingBlock() throws {
        let validators = TestValidators(count: 4)
        var configuration = validators.configuration
        configuration.epochLength = 2
        let state = EpochState(chainId: validators.chainId, epochLength: 2)
        var engines = (0..<4).map {
            ConsensusEngine(
                configuration: configuration, validators: validators.set, base: validators.genesis, epochState: state,
                signer: validators.signers[$0], vrfKey: validators.vrfKeys[$0])
        }
        // A perfect synchronous network: deliver every broadcast to every other engine at once,
        // build and accept every block, until nothing is left to do.
        var queue: [(Int, ConsensusEvent)] = (0..<4).map { ($0, .start(now: 1_000)) }
        var ended: [Int: (BlockHeader, EpochState)] = [:]
        var committedHeights: [Int: [UInt64]] = [:]
        var steps = 0
        while !queue.isEmpty, steps < 10_000 {
            steps += 1
            let (index, event) = queue.removeFirst()
            for action in engines[index].on(event) {
                switch action {
                case .broadcast(let message):
                    for other in 0..<4 where other != index {
                        queue.append((other, .received(message, from: validators.signers[index].publicKey, now: 1_000)))
                    }
                case .buildBlock(let template):
                    let block = Block(
                        header: template.header, transactions: template.isEpochSuffix ? [] : [[UInt8(index)]])
                    queue.append((index, .blockBuilt(block, now: 1_000)))
                case .checkBlock(let block, _, let isSuffix):
                    queue.append(
                        (index, .blockChecked(block.id, accepted: !isSuffix || block.transactions.isEmpty, now: 1_000)))
                case .commit(let blocks, let certificate, _):
                    committedHeights[index, default: []] += blocks.map(\.header.height)
                    if let last = blocks.last {
                        try certificate.verify(
                            finalizes: last.header, validators: validators.set, genesisID: validators.genesis.id)
                    }
                case .epochEnded(let base, let next):
                    ended[index] = (base, next)
                case .scheduleTimer(.propose(let view), let at):
                    queue.append((index, .timerFired(.propose(view), now: at)))
                default:
                    break
                }
            }
        }
        #expect(ended.count == 4, "every validator closes the epoch (committed \(committedHeights), \(steps) steps)")
        for (index, (base, next)) in ended {
            #expect(base.height == 2, "validator \(index) closed on height \(base.height)")
            #expect(next.epoch == 1 && next.startHeight == 3 && next.seed(epoch: 2) != nil)
            #expect(committedHeights[index] == [1, 2], "suffix blocks are never committed")
            #expect(engines[index].finished)
            #expect(engines[index].on(.timerFired(.view(engines[index].view), now: 9_000)).isEmpty)
        }
        #expect(Set(ended.values.map { $0.0.id }).count == 1, "one base for all")
    }
}
