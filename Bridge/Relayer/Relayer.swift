internal import Metrics
public import Primitives
public import Settlement

/// The status of one batch on one target after a relayer run.
public struct BatchStatus: Sendable, Hashable {
    public let batchId: UInt64
    public let target: String
    public let outcome: SettlementOutcome
    /// Attempts made in this run.
    public let attempts: Int

    /// One line for people: `batch 7 evm:31337:0x… settled in block 12 by 0x…`.
    public var line: String {
        switch outcome {
        case .settled(let transaction, let block, let gasUsed):
            let by = transaction.map { " by \($0)" } ?? " (already on chain)"
            let unit = target.hasPrefix("solana:") ? "lamports in fees" : "gas"
            let gas = gasUsed.map { ", \($0) \(unit)" } ?? ""
            return "batch \(batchId) \(target): settled in block \(block)\(by)\(gas)"
        case .failed(let reason): return "batch \(batchId) \(target): FAILED: \(reason)"
        case .retry(let reason):
            return "batch \(batchId) \(target): not settled after \(attempts) attempts: \(reason)"
        }
    }
}

/// One external chain the relayer settles on.
public protocol SettlementTarget: Sendable {
    /// A stable name: the progress store's key space and the status lines' label.
    var targetName: String { get }
    /// Brings one batch to settled on this target, or says why not.
    func settle(_ attested: AttestedBatch) async -> SettlementOutcome
}

extension EVMSettler: SettlementTarget {}
extension SolanaSettler: SettlementTarget {}

/// Carries attested batches to every configured target and sees each settle exactly once.
///
/// Batches go in order, each to every target; a transient failure is retried with back-off until
/// the run's deadline, a permanent one is recorded and reported. Progress lives in the targets'
/// `RelayerStore`, so a run that is killed and started again resumes where it stopped.
public struct Relayer: Sendable {
    public let targets: [any SettlementTarget]
    /// Pause after the first transient failure; doubles up to `maximumBackoff`.
    public var initialBackoff: Duration = .milliseconds(200)
    public var maximumBackoff: Duration = .seconds(10)

    public init(targets: [any SettlementTarget]) { self.targets = targets }

    public init(evm: [EVMSettler], solana: [SolanaSettler] = []) { self.targets = evm + solana }

    /// Settles `batches` on every target, giving transient failures until `deadline`.
    /// `report` gets each status as it is known.
    public func run(
        _ batches: [AttestedBatch], deadline: ContinuousClock.Instant,
        report: @Sendable (BatchStatus) -> Void = { _ in }
    ) async -> [BatchStatus] {
        var statuses: [BatchStatus] = []
        for attested in batches {
            for settler in targets {
                let start = ContinuousClock.now
                let status = await settle(attested, with: settler, deadline: deadline)
                let elapsed = (ContinuousClock.now - start).components
                Timer(label: "aether_settlement_batch_seconds", dimensions: [("target", settler.targetName)])
                    .recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
                Counter(
                    label: "aether_settlement_batches_total",
                    dimensions: [
                        ("target", settler.targetName), ("outcome", Self.outcomeLabel(status.outcome)),
                    ]
                ).increment()
                report(status)
                statuses.append(status)
            }
        }
        return statuses
    }

    private func settle(
        _ attested: AttestedBatch, with settler: any SettlementTarget, deadline: ContinuousClock.Instant
    ) async
        -> BatchStatus
    {
        var backoff = initialBackoff
        var attempts = 0
        while true {
            attempts += 1
            let outcome = await settler.settle(attested)
            if case .retry = outcome, ContinuousClock.now + backoff < deadline, !Task.isCancelled {
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maximumBackoff)
                continue
            }
            return BatchStatus(
                batchId: attested.batch.batchId, target: settler.targetName, outcome: outcome, attempts: attempts)
        }
    }

    static func outcomeLabel(_ outcome: SettlementOutcome) -> String {
        switch outcome {
        case .settled: "settled"
        case .failed: "failed"
        case .retry: "unsettled"
        }
    }
}
