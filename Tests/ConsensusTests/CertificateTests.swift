import Consensus
import Primitives
import Testing

@Suite("Validator sets, certificates and evidence")
struct CertificateTests {
    let validators = TestValidators(count: 4)

    @Test("quorum means strictly more than two thirds of the stake")
    func quorum() throws {
        let set = validators.set
        #expect(set.totalStake == 400)
        #expect(!set.isQuorum(266))
        #expect(set.isQuorum(267))
        #expect(!set.exceedsOneThird(133))
        #expect(set.exceedsOneThird(134))
        let thirds = try ValidatorSet(TestValidators(count: 3).set.validators)
        #expect(!thirds.isQuorum(200))  // exactly two thirds is not enough
        #expect(thirds.isQuorum(300))
        let huge = try ValidatorSet([
            Validator(
                publicKey: validators.signers[0].publicKey, vrfPublicKey: validators.vrfKeys[0].publicKey,
                stake: .max / 2)
        ])
        #expect(huge.isQuorum(.max / 2))
        #expect(!huge.isQuorum(.max / 4))
    }

    @Test("bad validator sets are refused")
    func badSets() {
        let key = validators.signers[0].publicKey
        let vrf = validators.vrfKeys[0].publicKey
        #expect(throws: ValidatorSetError.empty) { try ValidatorSet([]) }
        #expect(throws: ValidatorSetError.zeroStake(key)) {
            try ValidatorSet([Validator(publicKey: key, vrfPublicKey: vrf, stake: 0)])
        }
        #expect(throws: ValidatorSetError.duplicateKey(key)) {
            try ValidatorSet([
                Validator(publicKey: key, vrfPublicKey: vrf, stake: 1),
                Validator(publicKey: key, vrfPublicKey: vrf, stake: 1),
            ])
        }
        #expect(throws: ValidatorSetError.stakeOverflow) {
            try ValidatorSet([
                Validator(publicKey: key, vrfPublicKey: vrf, stake: .max),
                Validator(publicKey: validators.signers[1].publicKey, vrfPublicKey: vrf, stake: 1),
            ])
        }
    }

    @Test("quorum certificates verify only with a quorum of valid, ordered signatures")
    func quorumCertificates() throws {
        let genesisID = validators.genesis.id
        let block = Hashing.sha256([7])
        let chain = validators.chainId
        try validators.certificate(view: 3, height: 2, block: block, signers: [0, 1, 2])
            .verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        #expect(throws: CertificateError.insufficientStake(200, of: 400)) {
            try validators.certificate(view: 3, height: 2, block: block, signers: [0, 1])
                .verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        #expect(throws: CertificateError.self) {
            try validators.certificate(view: 3, height: 2, block: block, signers: [0, 1, 2])
                .verify(chainId: "other-chain", validators: validators.set, genesisID: genesisID)
        }
        let good = validators.certificate(view: 3, height: 2, block: block, signers: [0, 1, 2])
        let unsorted = QuorumCertificate(
            epoch: 0, view: 3, height: 2, blockID: block,
            signatures: [good.signatures[1], good.signatures[0], good.signatures[2]])
        #expect(throws: CertificateError.unsortedSigners) {
            try unsorted.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        let repeated = QuorumCertificate(
            epoch: 0, view: 3, height: 2, blockID: block,
            signatures: [good.signatures[0], good.signatures[0], good.signatures[1]])
        #expect(throws: CertificateError.unsortedSigners) {
            try repeated.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        let forged = QuorumCertificate(epoch: 0, view: 4, height: 2, blockID: block, signatures: good.signatures)
        #expect(throws: CertificateError.badSignature(0)) {
            try forged.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        let stranger = QuorumCertificate(
            epoch: 0, view: 3, height: 2, blockID: block,
            signatures: good.signatures + [SignerSignature(index: 9, signature: good.signatures[0].signature)])
        #expect(throws: CertificateError.unknownSigner(9)) {
            try stranger.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        try validators.genesisQC.verify(
            chainId: chain, validators: validators.set, genesisID: genesisID)
        #expect(throws: CertificateError.notGenesis) {
            try QuorumCertificate(epoch: 0, view: 0, height: 0, blockID: block, signatures: []).verify(
                chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        #expect(try Canonical.decode(QuorumCertificate.self, from: Canonical.encode(good)) == good)
    }

    @Test("timeout certificates bind each signer's high-QC view")
    func timeoutCertificates() throws {
        let genesisID = validators.genesis.id
        let chain = validators.chainId
        let highQC = validators.certificate(view: 5, height: 3, block: Hashing.sha256([5]), signers: [0, 1, 2])
        func entry(_ index: Int, highQCView: UInt64) -> TimeoutSignature {
            TimeoutSignature(
                index: ValidatorIndex(index), highQCView: highQCView,
                signature: validators.signers[index].sign(
                    SignBytes.timeout(chainId: chain, epoch: 0, view: 7, highQCView: highQCView)))
        }
        let tc = TimeoutCertificate(
            epoch: 0, view: 7, signatures: [entry(0, highQCView: 5), entry(1, highQCView: 4), entry(3, highQCView: 5)],
            highQC: highQC)
        try tc.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        #expect(tc.maxHighQCView == 5)
        // Claiming a higher QC view than was signed breaks the signature.
        let lying = TimeoutCertificate(
            epoch: 0, view: 7,
            signatures: [
                entry(0, highQCView: 5),
                TimeoutSignature(index: 1, highQCView: 6, signature: entry(1, highQCView: 4).signature),
                entry(3, highQCView: 5),
            ],
            highQC: highQC)
        #expect(throws: CertificateError.self) {
            try lying.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        // The carried QC must be the highest one signed.
        let lowQC = validators.certificate(view: 4, height: 2, block: Hashing.sha256([4]), signers: [0, 1, 2])
        let mismatched = TimeoutCertificate(epoch: 0, view: 7, signatures: tc.signatures, highQC: lowQC)
        #expect(throws: CertificateError.highQCMismatch) {
            try mismatched.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        let short = TimeoutCertificate(epoch: 0, view: 7, signatures: Array(tc.signatures.prefix(2)), highQC: highQC)
        #expect(throws: CertificateError.self) {
            try short.verify(chainId: chain, validators: validators.set, genesisID: genesisID)
        }
        #expect(try Canonical.decode(TimeoutCertificate.self, from: Canonical.encode(tc)) == tc)
    }

    @Test("evidence of double votes verifies, has one canonical form, and rejects fakes")
    func evidence() throws {
        let chain = validators.chainId
        let a = validators.vote(2, view: 9, height: 4, block: Hashing.sha256([1]))
        let b = validators.vote(2, view: 9, height: 4, block: Hashing.sha256([2]))
        let key = validators.signers[2].publicKey
        let first = SignedBlockReference(height: a.height, blockID: a.blockID, signature: a.signature)
        let second = SignedBlockReference(height: b.height, blockID: b.blockID, signature: b.signature)
        let evidence = Evidence(kind: .vote, chainId: chain, validator: key, epoch: 0, view: 9, first, second)
        try evidence.verify()
        #expect(Evidence(kind: .vote, chainId: chain, validator: key, epoch: 0, view: 9, second, first) == evidence)
        #expect(try Canonical.decode(Evidence.self, from: Canonical.encode(evidence)) == evidence)
        #expect(throws: EvidenceError.notConflicting) {
            try Evidence(kind: .vote, chainId: chain, validator: key, epoch: 0, view: 9, first, first).verify()
        }
        #expect(throws: EvidenceError.badSignature) {
            try Evidence(
                kind: .vote, chainId: chain, validator: validators.signers[1].publicKey, epoch: 0, view: 9, first,
                second
            ).verify()
        }
        #expect(throws: EvidenceError.badSignature) {
            try Evidence(kind: .proposal, chainId: chain, validator: key, epoch: 0, view: 9, first, second).verify()
        }
        #expect(throws: EvidenceError.badSignature) {
            try Evidence(kind: .vote, chainId: chain, validator: key, epoch: 0, view: 10, first, second).verify()
        }
    }
}

@Suite("Leader schedule")
struct LeaderScheduleTests {
    @Test("weighted leaders follow stake")
    func weighted() {
        let validators = TestValidators(count: 4, stakes: [100, 200, 300, 400])
        let schedule = LeaderSchedule(chainId: "aether-test", validators: validators.set)
        var counts = [Int](repeating: 0, count: 4)
        let seed = Hashing.sha256([42])
        let views = 20_000
        for view in 1...views { counts[Int(schedule.weightedLeader(view: UInt64(view), seed: seed))] += 1 }
        for (index, validator) in validators.set.validators.enumerated() {
            let expected = Double(views) * Double(validator.stake) / 1000
            // Binomial standard deviation is at most ~70 here; allow 5 of them.
            #expect(abs(Double(counts[index]) - expected) < 350, "validator \(index): \(counts[index]) vs \(expected)")
        }
        // Another seed gives another schedule.
        let other = (1...50).map { schedule.weightedLeader(view: UInt64($0), seed: Hashing.sha256([43])) }
        let first = (1...50).map { schedule.weightedLeader(view: UInt64($0), seed: seed) }
        #expect(other != first)
        #expect((0..<8).map { schedule.roundRobinLeader(view: UInt64($0)) } == [0, 1, 2, 3, 0, 1, 2, 3])
    }

    @Test("epoch seeds are fixed two epochs ahead from VRF outputs, and the state survives encoding")
    func seeds() throws {
        let validators = TestValidators(count: 4)
        var state = EpochState(chainId: "aether-test", epochLength: 4)
        #expect(state.seed(epoch: 0) == state.seed(epoch: 1))
        #expect(state.seed(epoch: 2) == nil)
        #expect(state.startHeight == 1 && state.endingHeight == 4)
        func header(height: UInt64, epoch: UInt64) -> BlockHeader {
            var header = validators.genesis
            header.height = height
            header.epoch = epoch
            return header
        }
        for height in 1...4 {
            state.recordCommitted(
                header(height: UInt64(height), epoch: 0), output: [UInt8](repeating: UInt8(height), count: 64))
        }
        state.close(on: header(height: 4, epoch: 0))
        let two = try #require(state.seed(epoch: 2))
        #expect(state.epoch == 1 && state.startHeight == 5 && state.endingHeight == 8)
        #expect(state.seed(epoch: 3) == nil)
        #expect(try Canonical.decode(EpochState.self, from: Canonical.encode(state)) == state)
        // Other VRF outputs give another seed.
        var other = EpochState(chainId: "aether-test", epochLength: 4)
        for height in 1...4 {
            other.recordCommitted(header(height: UInt64(height), epoch: 0), output: [UInt8](repeating: 9, count: 64))
        }
        other.close(on: header(height: 4, epoch: 0))
        #expect(other.seed(epoch: 2) != two)
        // Outputs of another epoch's blocks are not counted.
        var mixed = EpochState(chainId: "aether-test", epochLength: 4)
        for height in 1...4 {
            mixed.recordCommitted(
                header(height: UInt64(height), epoch: 0), output: [UInt8](repeating: UInt8(height), count: 64))
        }
        mixed.recordCommitted(header(height: 5, epoch: 7), output: [1])
        mixed.close(on: header(height: 4, epoch: 0))
        #expect(mixed.seed(epoch: 2) == two)
    }
}
