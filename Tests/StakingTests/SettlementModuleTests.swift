import Chain
import EVM
import Primitives
import Settlement
import SettlementModule
import Staking
import Testing

/// The settlement module on the L1 state machine: validators' bridge keys, domains' batches and
/// the attestations relayers carry to EVM chains and Solana.
@Suite("Settlement batches on the L1")
struct SettlementModuleTests {
    typealias Module = SettlementModule

    static func evmKey(_ index: UInt8) -> Secp256k1.PrivateKey {
        try! Secp256k1.PrivateKey([UInt8](repeating: 0, count: 31) + [index])
    }

    static func bridgeKey(_ index: UInt8) -> Ed25519.PrivateKey { testKey(200 &+ index) }

    static func register(_ validator: TestValidator, evm: UInt8, ed25519: UInt8) -> Message {
        Message(
            Module.RegisterSigner(
                chainId: testChainID, operatorAddress: validator.address, evmKey: evmKey(evm),
                ed25519Key: bridgeKey(ed25519)))
    }

    static let deployment = EVMDeployment(
        chainId: 31_337, contract: try! EthereumAddress(Array(repeating: 0xC0, count: 20)))
    static let cluster = SolanaCluster(genesisHash: Array(repeating: 7, count: 32))

    static func payouts(_ count: Int) -> [Payout] {
        var payouts: [Payout] = []
        for index in 0..<count {
            let recipient = try! EthereumAddress([UInt8](repeating: UInt8(index + 1), count: 20))
            let amount = UInt256(UInt64(1_000 + index))
            payouts.append(try! Payout.evm(to: recipient, amount: amount, token: nil))
        }
        return payouts
    }

    /// A chain where B and C serve `app-1` (their domain set in force) and A, B and C registered
    /// bridge keys 1, 2 and 3.
    static func chainWithSigners() throws -> StakingChain {
        var chain = try DomainDataTests.chainWithDomain()
        for (index, validator) in [validatorA, validatorB, validatorC].enumerated() {
            let key = UInt8(index + 1)
            #expect(
                try chain.send(validator.operatorAccount, register(validator, evm: key, ed25519: key)).failure == nil)
        }
        return chain
    }

    static func attest(_ batch: SettlementBatch, key: UInt8) -> Message {
        Message(
            Module.Attest(
                batch: batch, evmKey: evmKey(key), deployments: [deployment], ed25519Key: bridgeKey(key),
                clusters: [cluster]))
    }

    func state(_ chain: StakingChain) -> ModuleStateReader {
        chain.machine.state(at: chain.root).module(Module.moduleName)
    }

    @Test("bridge keys are registered by validators only, with proofs of possession, each key by one validator")
    func registration() throws {
        var chain = try DomainDataTests.chainWithDomain()
        let notValidator = try chain.send(delegatorD, Self.register(validatorA, evm: 1, ed25519: 1))
        #expect(notValidator.failure?.codespace == Module.moduleName && notValidator.failure?.code == 6)
        // Proofs made for A's address do not register B.
        let stolen = try chain.send(validatorB.operatorAccount, Self.register(validatorA, evm: 1, ed25519: 1))
        #expect(stolen.failure?.code == 7)
        #expect(
            try chain.send(validatorA.operatorAccount, Self.register(validatorA, evm: 1, ed25519: 1)).failure == nil)
        let signer = try #require(try Module.signer(validatorA.address, in: state(chain)))
        #expect(signer.evmAddress == Self.evmKey(1).publicKey.ethereumAddress)
        #expect(signer.ed25519Key == Self.bridgeKey(1).publicKey)
        // B cannot take A's EVM key, nor its Ed25519 key.
        #expect(
            try chain.send(validatorB.operatorAccount, Self.register(validatorB, evm: 1, ed25519: 2)).failure?.code == 8
        )
        #expect(
            try chain.send(validatorB.operatorAccount, Self.register(validatorB, evm: 2, ed25519: 1)).failure?.code == 8
        )
        // A moves to new keys: the old ones are free again.
        #expect(
            try chain.send(validatorA.operatorAccount, Self.register(validatorA, evm: 9, ed25519: 9)).failure == nil)
        #expect(
            try chain.send(validatorB.operatorAccount, Self.register(validatorB, evm: 1, ed25519: 1)).failure == nil)
        // The proof is bound to the chain id.
        let otherChain = Message(
            Module.RegisterSigner(
                chainId: "another-chain", operatorAddress: validatorC.address, evmKey: Self.evmKey(3),
                ed25519Key: Self.bridgeKey(3)))
        #expect(try chain.send(validatorC.operatorAccount, otherChain).failure?.code == 7)
    }

    @Test("domain members submit batches; the L1 numbers batches and domains; bad batches are refused")
    func submission() throws {
        var chain = try Self.chainWithSigners()
        let outsider = try chain.send(
            validatorA.operatorAccount, Message(Module.SubmitBatch(domain: "app-1", payouts: Self.payouts(3))))
        #expect(outsider.failure?.code == 9)
        let first = try chain.send(
            validatorB.operatorAccount, Message(Module.SubmitBatch(domain: "app-1", payouts: Self.payouts(3))))
        #expect(first.failure == nil)
        let event = try #require(first.events.first { $0.module == Module.moduleName && $0.kind == "batch" })
        #expect(event.attributes.first { $0.key == "batch_id" }?.value == "1")
        #expect(
            try chain.send(
                validatorC.operatorAccount, Message(Module.SubmitBatch(domain: "app-1", payouts: Self.payouts(2)))
            ).failure == nil)
        let one = try #require(try Module.batch(1, in: state(chain)))
        let two = try #require(try Module.batch(2, in: state(chain)))
        #expect(one.batch.sourceDomain == 1 && two.batch.sourceDomain == 1 && two.batch.batchId == 2)
        #expect(one.batch.root == (try SettlementBatch(batchId: 1, sourceDomain: 1, payouts: Self.payouts(3))).root)
        #expect(one.submitter == validatorB.address && one.domain == "app-1")
        #expect(try Module.nextBatchId(in: state(chain)) == 3)
        // No domain set, no batch.
        #expect(
            try chain.send(
                validatorB.operatorAccount, Message(Module.SubmitBatch(domain: "app-2", payouts: Self.payouts(1)))
            ).failure?.code == 9)
        // Stateless rules: empty batches, bad domain ids.
        let module = Module(authority: Staking.SettlementAuthority())
        #expect(throws: SettlementModuleError.invalidBatch(.payoutCount(0))) {
            try module.validate(Message(Module.SubmitBatch(domain: "app-1", payouts: [])))
        }
        #expect(throws: SettlementModuleError.invalidDomain("no spaces")) {
            try module.validate(Message(Module.SubmitBatch(domain: "no spaces", payouts: Self.payouts(1))))
        }
        // The record is provable from the state root.
        let proven = try chain.machine.query(
            ModuleQuery(module: Module.moduleName, path: "batch", arguments: Canonical.encode(UInt64(1))),
            root: chain.root)
        try proven.verify()
        #expect(try Canonical.decode(Module.BatchRecord.self, from: try #require(proven.value)) == one)
    }

    @Test("attestations verify against registered keys, count stake once each, and reach a quorum the contract accepts")
    func attestation() throws {
        var chain = try Self.chainWithSigners()
        #expect(
            try chain.send(
                validatorB.operatorAccount, Message(Module.SubmitBatch(domain: "app-1", payouts: Self.payouts(4)))
            ).failure == nil)
        let record = try #require(try Module.batch(1, in: state(chain)))
        let batch = record.batch
        #expect(
            try chain.send(validatorA.operatorAccount, Message(Module.Attest(batchId: 9, evm: [], solana: []))).failure
                != nil)
        #expect(
            try chain.send(
                validatorA.operatorAccount,
                Self.attest(try SettlementBatch(batchId: 9, sourceDomain: 1, payouts: Self.payouts(4)), key: 1)
            ).failure?.code == 12)
        // Signatures by someone else's key, or over another root, are refused.
        let forged = Message(
            Module.Attest(
                batch: batch, evmKey: Self.evmKey(2), deployments: [Self.deployment], ed25519Key: nil, clusters: []))
        #expect(try chain.send(validatorA.operatorAccount, forged).failure?.code == 15)
        let otherRoot = try SettlementBatch(batchId: 1, sourceDomain: 1, payouts: Self.payouts(5))
        #expect(try chain.send(validatorA.operatorAccount, Self.attest(otherRoot, key: 1)).failure?.code == 15)
        #expect(try chain.send(delegatorD, Self.attest(batch, key: 1)).failure?.code == 13)

        let stakes = try #require(try chain.set(record.epoch)).members
        func stake(_ validator: TestValidator) -> UInt64 {
            stakes.first { $0.operatorAddress == validator.address }!.stake
        }
        #expect(try chain.send(validatorA.operatorAccount, Self.attest(batch, key: 1)).failure == nil)
        // Again: it replaces the first, and the stake counts once.
        #expect(try chain.send(validatorA.operatorAccount, Self.attest(batch, key: 1)).failure == nil)
        var attestations = try #require(try Module.attestations(1, in: state(chain)))
        #expect(attestations.entries.count == 1 && attestations.stake == stake(validatorA))
        #expect(attestations.quorumHeight == nil)
        let quorumReceipt = try chain.send(validatorC.operatorAccount, Self.attest(batch, key: 3))
        #expect(quorumReceipt.failure == nil)
        attestations = try #require(try Module.attestations(1, in: state(chain)))
        #expect(Module.isQuorum(stake(validatorA) + stake(validatorC), of: record.totalStake))
        #expect(attestations.quorumHeight == chain.height)
        #expect(quorumReceipt.events.contains { $0.kind == "batch_attested" })

        // What the relayer reads passes the contract's and the Solana verifier's quorum rules for a
        // committee of the three validators weighted by stake.
        let committee = try Committee(
            epoch: 0,
            members: [(validatorA, UInt8(1)), (validatorB, 2), (validatorC, 3)].map { validator, key in
                CommitteeMember(
                    evmAddress: Self.evmKey(key).publicKey.ethereumAddress, ed25519Key: Self.bridgeKey(key).publicKey,
                    weight: stake(validator))
            },
            threshold: Committee.twoThirdsThreshold(totalWeight: record.totalStake))
        let attested = attestations.attested(batch)
        let digest = EVMAttestation.batchDigest(
            chainId: Self.deployment.chainId, contract: Self.deployment.contract, batchId: 1, root: batch.root)
        let ordered = try EVMAttestation.ordered(try #require(attested.evmSignatures[Self.deployment]), digest: digest)
        #expect(
            try EVMAttestation.verifyQuorum(ordered, digest: digest, committee: committee) == stake(validatorA)
                + stake(validatorC))
        _ = try SolanaAttestation.verifyQuorum(
            try #require(attested.solanaSignatures[Self.cluster]), genesisHash: Self.cluster.genesisHash, batch: batch,
            committee: committee)
    }
}
