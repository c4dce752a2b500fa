public import EVM
public import EVMClient
public import Primitives
public import Settlement
internal import Synchronization

/// What became of one batch on one target in one attempt.
public enum SettlementOutcome: Sendable, Hashable {
    /// Recorded on chain. `transaction` is ours (EVM: the hash in hex; Solana: the last chunk's
    /// id; nil when it was there already, from an earlier run or another relayer); `gasUsed` (EVM
    /// gas, Solana lamports) when we paid for it in this attempt.
    case settled(transaction: String?, block: UInt64, gasUsed: UInt64?)
    /// Refused for good; retrying cannot help.
    case failed(String)
    /// A transient failure (the endpoint, a timeout); the relayer tries again later.
    case retry(String)
}

/// Settles batches on one EVM deployment of the settlement contract, exactly once: the chain is
/// the source of truth (`roots(batchId)` is read before anything is sent), every broadcast is
/// persisted before the relayer waits on it, and a restart looks for those transactions' receipts
/// before sending again. The contract refuses a second recording, so even a transaction sent twice
/// records the root once.
public struct EVMSettler: Sendable {
    public let deployment: EVMDeployment
    public let transactor: EVMTransactor
    public let store: RelayerStore
    /// How long a restart waits for the receipt of a transaction an earlier run sent.
    public var resumeWait: Duration
    /// The contract's committee as read so far, for the current epoch.
    private let committee = CommitteeCache()

    public init(
        deployment: EVMDeployment, transactor: EVMTransactor, store: RelayerStore, resumeWait: Duration = .seconds(5)
    ) {
        self.deployment = deployment
        self.transactor = transactor
        self.store = store
        self.resumeWait = resumeWait
    }

    /// The progress store's name for this target.
    public var targetName: String { deployment.description }

    /// Brings `attested` to settled on this deployment, or says why not.
    public func settle(_ attested: AttestedBatch) async -> SettlementOutcome {
        let batch = attested.batch
        do {
            switch try store.progress(target: targetName, batchId: batch.batchId) {
            case .settled(let transaction, let block):
                return .settled(transaction: transaction, block: block, gasUsed: nil)
            case .failed(let reason):
                return .failed(reason)
            case .submitted:
                return try fail(batch, "the progress store holds a Solana record for an EVM target")
            case .sent(_, let hashes):
                if let receipt = try await transactor.awaitReceipt(of: hashes, within: resumeWait) {
                    return try finish(batch, receipt: receipt)
                }
            case nil:
                break
            }
            if let settled = try await recordedOnChain(batch) { return settled }
            guard let signatures = attested.evmSignatures[deployment] else {
                return try fail(batch, "no attestation for \(deployment)")
            }
            let ordered: [[UInt8]]
            do { ordered = try await checkQuorum(batch, signatures: signatures) } catch let error as SettlementError {
                return try fail(batch, "attestation refused: \(error)")
            }
            let store = self.store
            let target = targetName
            let receipt = try await transactor.send(
                to: deployment.contract, data: SettlementContract.recordBatchCall(batch, signatures: ordered)
            ) { sent in
                let previous = try? store.progress(target: target, batchId: batch.batchId)
                var hashes: [Hash] = []
                if case .sent(let nonce, let earlier) = previous, nonce == sent.nonce { hashes = earlier }
                try? store.record(
                    .sent(nonce: sent.nonce, hashes: hashes + [sent.hash]), target: target, batchId: batch.batchId)
            }
            return try finish(batch, receipt: receipt)
        } catch let error as EVMSendError {
            return await outcome(of: error, batch: batch)
        } catch {
            return .retry("\(error)")
        }
    }

    /// The root the contract holds for `batch`'s id, checked against the batch's.
    private func recordedOnChain(_ batch: SettlementBatch) async throws -> SettlementOutcome? {
        let output = try await transactor.call(
            to: deployment.contract, data: SettlementContract.rootsCall(batchId: batch.batchId))
        let root = try SettlementContract.roots.decodeOutput(output).first?.bytes32Value ?? .zero
        if root == .zero { return nil }
        guard root == batch.root else {
            return try fail(batch, "batch id \(batch.batchId) is already recorded with another root \(root.hex)")
        }
        let block = try await transactor.client.blockNumber()
        try store.record(.settled(transaction: nil, block: block), target: targetName, batchId: batch.batchId)
        return .settled(transaction: nil, block: block, gasUsed: nil)
    }

    /// Orders the signatures as the contract wants and checks them against the committee the
    /// contract holds now, so a forged or under-quorum attestation costs no gas.
    private func checkQuorum(_ batch: SettlementBatch, signatures: [[UInt8]]) async throws -> [[UInt8]] {
        let digest = EVMAttestation.batchDigest(
            chainId: deployment.chainId, contract: deployment.contract, batchId: batch.batchId, root: batch.root)
        let ordered = try EVMAttestation.ordered(signatures, digest: digest)
        // The committee changes only with the epoch: one epoch() read per batch, the threshold and
        // each member's weight read once per epoch.
        let epochOutput = try await transactor.call(
            to: deployment.contract, data: SettlementContract.epoch.encodeCall([]))
        let epoch = try SettlementContract.epoch.decodeOutput(epochOutput).first?.uintValue ?? .zero
        let threshold: UInt256
        if let cached = committee.threshold(epoch: epoch) {
            threshold = cached
        } else {
            let output = try await transactor.call(
                to: deployment.contract, data: SettlementContract.threshold.encodeCall([]))
            threshold = try SettlementContract.threshold.decodeOutput(output).first?.uintValue ?? .zero
            committee.start(epoch: epoch, threshold: threshold)
        }
        var weight = UInt256.zero
        var last: EthereumAddress?
        for (position, signature) in ordered.enumerated() {
            let signer = try EVMAttestation.signer(of: signature, digest: digest, position: position)
            if let last, !(last < signer) { throw SettlementError.signersNotAscending(position: position) }
            last = signer
            let memberWeight: UInt256
            if let cached = committee.weight(of: signer, epoch: epoch) {
                memberWeight = cached
            } else {
                let output = try await transactor.call(
                    to: deployment.contract, data: SettlementContract.weightOf.encodeCall([.address(signer)]))
                memberWeight = try SettlementContract.weightOf.decodeOutput(output).first?.uintValue ?? .zero
                committee.remember(signer, weight: memberWeight, epoch: epoch)
            }
            guard memberWeight != .zero else { throw SettlementError.notAMember(description: "\(signer)") }
            weight = weight.addingReportingOverflow(memberWeight).partialValue
        }
        guard weight >= threshold else {
            throw SettlementError.belowThreshold(
                weight: weight.exactUInt64 ?? .max, threshold: threshold.exactUInt64 ?? .max)
        }
        return ordered
    }

    private func finish(_ batch: SettlementBatch, receipt: EVMReceipt) throws -> SettlementOutcome {
        let transaction = "0x" + receipt.transactionHash.hex
        try store.record(
            .settled(transaction: transaction, block: receipt.blockNumber), target: targetName, batchId: batch.batchId)
        return .settled(transaction: transaction, block: receipt.blockNumber, gasUsed: receipt.gasUsed)
    }

    private func fail(_ batch: SettlementBatch, _ reason: String) throws -> SettlementOutcome {
        try store.record(.failed(reason), target: targetName, batchId: batch.batchId)
        return .failed(reason)
    }

    /// Sorts a send failure into settled (the root is there after all), failed or retry.
    private func outcome(of error: EVMSendError, batch: SettlementBatch) async -> SettlementOutcome {
        switch error {
        case .wouldRevert, .reverted:
            // Another transaction (ours from before a crash, or another relayer's) may have won.
            if let settled = try? await recordedOnChain(batch) { return settled }
            if case .wouldRevert(let reason) = error {
                return (try? fail(batch, "the contract refuses the batch: \(reason)")) ?? .failed(reason)
            }
            return .retry(error.description)
        case .wrongChain:
            return .failed(error.description)
        case .feeCapReached, .timedOut, .rpc:
            return .retry(error.description)
        }
    }
}

/// The contract's threshold and members' weights for one epoch, read lazily and dropped when the
/// epoch changes (a rotation).
final class CommitteeCache: Sendable {
    private struct Entry {
        var epoch: UInt256
        var threshold: UInt256
        var weights: [EthereumAddress: UInt256] = [:]
    }

    private let entry = Mutex<Entry?>(nil)

    func threshold(epoch: UInt256) -> UInt256? {
        entry.withLock { $0?.epoch == epoch ? $0?.threshold : nil }
    }

    func start(epoch: UInt256, threshold: UInt256) {
        entry.withLock { $0 = Entry(epoch: epoch, threshold: threshold) }
    }

    func weight(of member: EthereumAddress, epoch: UInt256) -> UInt256? {
        entry.withLock { $0?.epoch == epoch ? $0?.weights[member] : nil }
    }

    func remember(_ member: EthereumAddress, weight: UInt256, epoch: UInt256) {
        entry.withLock { if $0?.epoch == epoch { $0?.weights[member] = weight } }
    }
}
