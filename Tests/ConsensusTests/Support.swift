import Consensus
import Dispatch
import Primitives
import Simulator

/// Deterministic validator keys for tests.
struct TestValidators {
    let signers: [Ed25519.PrivateKey]
    let vrfKeys: [VRF.SecretKey]
    let set: ValidatorSet
    let chainId = "aether-test"

    init(count: Int, stakes: [UInt64]? = nil) {
        var signers: [Ed25519.PrivateKey] = []
        var vrfKeys: [VRF.SecretKey] = []
        for index in 0..<count {
            signers.append(try! Ed25519.PrivateKey(seed: Hashing.sha256(Array("test-key-\(index)".utf8)).bytes))
            vrfKeys.append(try! VRF.SecretKey(seed: Hashing.sha256(Array("test-vrf-\(index)".utf8)).bytes))
        }
        let validators = (0..<count).map {
            Validator(publicKey: signers[$0].publicKey, vrfPublicKey: vrfKeys[$0].publicKey, stake: stakes?[$0] ?? 100)
        }
        set = try! ValidatorSet(validators)
        // Reorder the keys to the set's canonical order, so index i is validator i.
        let order = set.validators.map { validator in signers.firstIndex { $0.publicKey == validator.publicKey }! }
        self.signers = order.map { signers[$0] }
        self.vrfKeys = order.map { vrfKeys[$0] }
    }

    var genesis: BlockHeader {
        BlockHeader(
            chainId: chainId, epoch: 0, height: 0, view: 0, parentID: .zero, stateRoot: .zero, transactionRoot: .zero,
            receiptRoot: .zero, dataAvailabilityRoot: .zero, validatorSetHash: set.hash, nextValidatorSetHash: set.hash,
            proposer: set.validators[0].publicKey, vrfProof: try! VRF.Proof([UInt8](repeating: 0, count: 80)),
            timestamp: 0, justify: QuorumCertificate(epoch: 0, view: 0, height: 0, blockID: .zero, signatures: []))
    }

    var configuration: ConsensusConfiguration {
        var configuration = ConsensusConfiguration(chainId: chainId)
        configuration.minimumBlockInterval = 0
        return configuration
    }

    var epochState: EpochState { EpochState(chainId: chainId, epochLength: configuration.epochLength) }

    /// The certificate the first block of epoch 0 carries.
    var genesisQC: QuorumCertificate { .genesis(genesis, epoch: 0) }

    func engine(_ index: Int, restoring: SafetyState? = nil) -> ConsensusEngine {
        ConsensusEngine(
            configuration: configuration, validators: set, base: genesis, epochState: epochState,
            signer: signers[index], vrfKey: vrfKeys[index], restoring: restoring)
    }

    func vote(_ index: Int, view: UInt64, height: UInt64, block: Hash) -> Vote {
        let signature = signers[index].sign(
            SignBytes.vote(chainId: chainId, epoch: 0, height: height, view: view, blockID: block))
        return Vote(
            epoch: 0, view: view, height: height, blockID: block, voter: ValidatorIndex(index), signature: signature)
    }

    func certificate(view: UInt64, height: UInt64, block: Hash, signers indices: [Int]) -> QuorumCertificate {
        QuorumCertificate(
            epoch: 0, view: view, height: height, blockID: block,
            signatures: indices.sorted().map {
                SignerSignature(
                    index: ValidatorIndex($0), signature: vote($0, view: view, height: height, block: block).signature)
            })
    }
}

extension Array where Element == ConsensusAction {
    var broadcasts: [ConsensusMessage] {
        compactMap { if case .broadcast(let message) = $0 { message } else { nil } }
    }

    var votes: [Vote] { broadcasts.compactMap { if case .vote(let vote) = $0 { vote } else { nil } } }

    var proposals: [Proposal] {
        broadcasts.compactMap { if case .proposal(let proposal) = $0 { proposal } else { nil } }
    }

    var timeouts: [Timeout] { broadcasts.compactMap { if case .timeout(let timeout) = $0 { timeout } else { nil } } }

    var templates: [BlockTemplate] { compactMap { if case .buildBlock(let template) = $0 { template } else { nil } } }

    var checks: [Block] { compactMap { if case .checkBlock(let block, _, _) = $0 { block } else { nil } } }

    var evidence: [Evidence] { compactMap { if case .reportEvidence(let evidence) = $0 { evidence } else { nil } } }

    var commits: [[Block]] { compactMap { if case .commit(let blocks, _, _) = $0 { blocks } else { nil } } }

    /// The position of the first action matching `predicate`.
    func firstIndex(of kind: (ConsensusAction) -> Bool) -> Int? { firstIndex(where: kind) }
}

/// A block made from a template, with a payload.
func fill(_ template: BlockTemplate, payload: [UInt8] = [1]) -> Block {
    var header = template.header
    header.transactionRoot = MerkleTree.root([payload])
    return Block(header: header, transactions: [payload])
}

/// The queue every CPU-bound simulation in this target runs on. A campaign is hundreds of cases;
/// run on the cooperative pool they would hold both of its threads on a 2-core machine and the
/// network and RPC suites, which await IO on that pool, would time out behind them. `make test`
/// runs the fault campaigns in a pass of their own, where this queue keeps both cores busy.
private let simulationLane = DispatchQueue(label: "aether.tests.simulation", attributes: .concurrent)

/// Runs a seeded simulation off the cooperative pool and returns its report.
func simulate(_ parameters: SimulationParameters) async -> SimulationReport {
    await withCheckedContinuation { continuation in
        simulationLane.async {
            var simulation = Simulation(parameters)
            continuation.resume(returning: simulation.run())
        }
    }
}
