import Chain
import DataAvailability
import DataAvailabilityModule
import Primitives
import Staking
import Testing

/// The DA module on the L1 state machine, with staking as its domain keeper.
@Suite("Domain data commitments")
struct DomainDataTests {
    typealias DA = DataAvailabilityModule

    /// A chain where validators B and C serve `app-1` and the domain's set is in force.
    static func chainWithDomain() throws -> StakingChain {
        var chain = try threeValidatorChain()
        for validator in [validatorB, validatorC] {
            #expect(try chain.failure(validator.operatorAccount, Message(Staking.JoinDomain("app-1"))) == nil)
        }
        let epoch = try chain.progress.epoch
        try chain.advance(toEpoch: epoch + 2)
        return chain
    }

    static func square(seed: UInt64) throws -> CommittedSquare {
        var random = SeededRandom(seed: seed)
        let blobs = (1...5).map { Blob(namespace: Namespace(rawValue: UInt64($0)), data: random.bytes(700)) }
        return try CommittedSquare(ExtendedSquare.extend(DataSquare(blobs: blobs)))
    }

    static func proposer(_ chain: StakingChain, height: UInt64) throws -> TestValidator {
        let set = try #require(try Staking.domainValidators("app-1", epoch: try chain.progress.epoch, in: chain.reader))
        let address = try #require(Staking.DomainKeeper.proposer(of: set, domain: "app-1", height: height))
        return try #require([validatorB, validatorC].first { $0.address == address })
    }

    static func post(_ square: CommittedSquare, height: UInt64) -> Message {
        Message(
            DA.PostCommitment(
                domain: "app-1", height: height, dataRoot: square.header.dataRoot,
                originalWidth: UInt16(square.header.originalWidth)))
    }

    @Test("only the domain's proposer posts, once per height, heights increasing; the commitment is provable")
    func posting() throws {
        var chain = try Self.chainWithDomain()
        let square = try Self.square(seed: 1)
        let proposer = try Self.proposer(chain, height: 5)
        let other = proposer.address == validatorB.address ? validatorC : validatorB
        let wrong = try chain.send(other.operatorAccount, Self.post(square, height: 5))
        #expect(wrong.failure?.codespace == DA.moduleName && wrong.failure?.code == 5)
        #expect(try chain.send(delegatorD, Self.post(square, height: 5)).failure?.code == 5)
        #expect(try chain.send(proposer.operatorAccount, Self.post(square, height: 5)).failure == nil)
        #expect(try chain.send(proposer.operatorAccount, Self.post(square, height: 5)).failure?.code == 6)
        let lower = try Self.proposer(chain, height: 4)
        #expect(try chain.send(lower.operatorAccount, Self.post(square, height: 4)).failure?.code == 7)
        let noDomain = Message(
            DA.PostCommitment(domain: "app-2", height: 1, dataRoot: square.header.dataRoot, originalWidth: 2))
        #expect(try chain.send(proposer.operatorAccount, noDomain).failure?.code == 4)
        // Stateless checks (the mempool and the executor run them before the handler).
        let module = DA(domains: Staking.DomainKeeper())
        let badWidth = Message(DA.PostCommitment(domain: "app-1", height: 9, dataRoot: .zero, originalWidth: 200))
        #expect(throws: DataAvailabilityModuleError.invalidWidth(200)) { try module.validate(badWidth) }
        let badDomain = Message(DA.PostCommitment(domain: "no spaces", height: 9, dataRoot: .zero, originalWidth: 2))
        #expect(throws: DataAvailabilityModuleError.invalidDomain("no spaces")) { try module.validate(badDomain) }

        let daReader = chain.machine.state(at: chain.root).module(DA.moduleName)
        let stored = try #require(try DA.commitment(domain: "app-1", height: 5, in: daReader))
        #expect(stored.dataRoot == square.header.dataRoot && stored.poster == proposer.address && !stored.rejected)
        let proven = try chain.machine.query(DA.commitmentQuery(domain: "app-1", height: 5), root: chain.root)
        try proven.verify()
        #expect(try Canonical.decode(DA.Commitment.self, from: try #require(proven.value)) == stored)
    }

    @Test("a bad-encoding proof in parts rejects the commitment and slashes the poster; a codeword is refuted")
    func badEncoding() throws {
        var chain = try Self.chainWithDomain()
        let honest = try Self.square(seed: 2)
        var bad = honest.square
        var share = try bad.share(row: 1, column: bad.width - 1)
        share[3] ^= 0x77
        try bad.replaceShare(row: 1, column: bad.width - 1, with: share)
        let cheat = try CommittedSquare(bad)
        let proposer = try Self.proposer(chain, height: 7)
        #expect(try chain.send(proposer.operatorAccount, Self.post(cheat, height: 7)).failure == nil)

        // A correctly encoded line of the same square proves nothing: refuted, nothing slashed.
        let codeword = try cheat.lineProof(.row, index: 0)
        for part in DA.ReportBadEncoding.parts(domain: "app-1", height: 7, proof: codeword, itemsPerMessage: 1) {
            #expect(try chain.send(delegatorD, Message(part)).failure == nil)
        }
        let daReader = { chain.machine.state(at: chain.root).module(DA.moduleName) }
        #expect(try DA.commitment(domain: "app-1", height: 7, in: daReader())?.rejected == false)
        #expect(try chain.validator(proposer.address)?.tombstoned == false)

        // A share that is not the committed one is refused on arrival.
        let fraud = try #require(try cheat.badEncodingProof())
        var forged = fraud.items[0]
        var forgedShare = forged.share
        forgedShare[100] ^= 1
        forged = BadEncodingProof.Item(
            position: forged.position, share: forgedShare, proof: forged.proof, orthogonalRoot: forged.orthogonalRoot,
            orthogonalRootProof: forged.orthogonalRootProof)
        let forgedPart = BadEncodingProof(
            axis: fraud.axis, index: fraud.index, rootsRoot: fraud.rootsRoot, root: fraud.root,
            rootProof: fraud.rootProof, items: [forged])
        let refused = try chain.send(
            delegatorD, Message(DA.ReportBadEncoding(domain: "app-1", height: 7, proof: forgedPart)))
        #expect(refused.failure?.code == 12)

        let stakeBefore = try #require(try chain.validator(proposer.address)).tokens
        let parts = DA.ReportBadEncoding.parts(domain: "app-1", height: 7, proof: fraud, itemsPerMessage: 1)
        #expect(parts.count == fraud.items.count && parts.count >= 2)
        for (index, part) in parts.enumerated() {
            #expect(try chain.send(delegatorE, Message(part)).failure == nil)
            let rejected = try DA.commitment(domain: "app-1", height: 7, in: daReader())?.rejected
            #expect(rejected == (index == parts.count - 1))
        }
        let slashed = try #require(try chain.validator(proposer.address))
        #expect(slashed.tombstoned && slashed.jailed)
        #expect(slashed.tokens < stakeBefore)
        #expect(try chain.send(delegatorD, Message(parts[0])).failure?.code == 9)
    }
}
