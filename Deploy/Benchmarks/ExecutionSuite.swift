import Chain
import ChainConfiguration
public import Foundation
import Node
import Primitives
import RocksDBStorage
import Staking
import Storage
import Synchronization

/// `aether bench execution`: the L1's block execution on one core, without the network.
///
/// The localnet's genesis (4 validators, every L1 module) funds `senders` accounts; blocks of
/// `transfersPerBlock` signed transfers (each sender to the next one) are executed against a
/// RocksDB store behind the node's sparse-Merkle node cache, as a validator does: signatures are
/// taken as verified (the mempool checked them at admission). Per block, interleaved: checking a
/// received block (`execute`), building one from the same candidates (`propose`), writing its state
/// changes to RocksDB, and the baseline, verifying the block's Ed25519 signatures, which every
/// validator does once per transfer. Figures are microseconds per transfer, medians over blocks.
public struct ExecutionBenchmark: Sendable {
    /// Block sizes and counts.
    public struct Configuration: Sendable {
        public var senders = 512
        public var transfersPerBlock = 2_500
        /// Blocks executed and committed before measuring (the state and caches fill).
        public var warmupBlocks = 4
        /// Blocks measured (each figure is the median over these).
        public var blocks = 9

        /// The full benchmark.
        public init() {}

        /// A smoke run: small blocks, few of them.
        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.senders = 16
            configuration.transfersPerBlock = 64
            configuration.warmupBlocks = 1
            configuration.blocks = 3
            return configuration
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let configuration: Configuration
    let workDirectory: URL

    /// A benchmark with `configuration`, keeping its store under `workDirectory` (removed after).
    public init(configuration: Configuration = .init(), workDirectory: URL) {
        self.configuration = configuration
        self.workDirectory = workDirectory
    }

    /// Runs the blocks, reporting each row to `progress` as it completes.
    public func run(progress: (BenchmarkRow) -> Void = { _ in }) throws -> BenchmarkReport {
        let configuration = self.configuration
        try? FileManager.default.removeItem(at: workDirectory)
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workDirectory) }

        let keys = try (0..<configuration.senders).map { index in
            try Ed25519.PrivateKey(seed: Hashing.sha256(Array("aether-bench-execution-\(index)".utf8)).bytes)
        }
        let plan = LocalnetPlan(count: 4, chainId: "aether-bench-execution", epochSlots: 1_000_000)
        let validators = try plan.create(
            under: workDirectory, genesisTime: 1_700_000_000_000, fundedAccounts: keys.map(\.publicKey))
        let genesis = try plan.home(0, under: workDirectory).genesis()

        let rocks = try RocksDBStore(
            path: workDirectory.appendingPathComponent("state").path, columns: ChainStore.columns)
        defer { rocks.close() }
        let machine = try genesis.stateMachine(tree: SparseMerkleTree(store: rocks, cache: SparseMerkleNodeCache()))
        var genesisBatch = WriteBatch()
        var root = try machine.initGenesis(try genesis.chainGenesis(), batch: &genesisBatch)
        try rocks.write(genesisBatch, sync: true)

        let blockCount = configuration.warmupBlocks + configuration.blocks
        let blocks = try Self.signBlocks(
            keys: keys, chainId: plan.chainId, configuration: configuration, count: blockCount)
        let signers = validators.map(\.validator)
        var check: [Double] = []
        var build: [Double] = []
        var write: [Double] = []
        var verify: [Double] = []
        for (index, transactions) in blocks.enumerated() {
            let context = BlockContext(
                chainId: plan.chainId, height: UInt64(index + 1), timestamp: 1_700_000_000_000 + UInt64(index) * 250,
                proposer: Address(publicKey: signers[index % signers.count]), parentSigners: signers, epoch: 0)
            var execution: BlockExecution?
            let checkSeconds = try Stopwatch.time {
                execution = try machine.execute(transactions, context: context, parentRoot: root) { _ in true }
            }
            guard let execution else { throw Failure(description: "block \(index + 1) did not execute") }
            guard execution.receipts.allSatisfy({ $0.failure == nil }) else {
                throw Failure(description: "block \(index + 1): a transfer failed; the load is wrong")
            }
            var proposal: BlockProposal?
            let buildSeconds = try Stopwatch.time {
                proposal = try machine.propose(transactions, context: context, parentRoot: root) { _ in true }
            }
            guard proposal?.execution.stateRoot == execution.stateRoot, proposal?.skipped.isEmpty == true else {
                throw Failure(description: "block \(index + 1): building it gave another block than checking it")
            }
            let verifySeconds = try Stopwatch.time {
                for encoded in transactions where !(try SignedTransaction.decode(encoded).isSignatureValid) {
                    throw Failure(description: "block \(index + 1) holds a bad signature")
                }
            }
            let writeSeconds = try Stopwatch.time { try rocks.write(execution.writeBatch, sync: false) }
            root = execution.stateRoot
            guard index >= configuration.warmupBlocks else { continue }
            let perTransfer = 1e6 / Double(transactions.count)
            check.append(checkSeconds * perTransfer)
            build.append(buildSeconds * perTransfer)
            write.append(writeSeconds * perTransfer)
            verify.append(verifySeconds * perTransfer)
        }

        let baseline = median(verify)
        let size = "blocks of \(configuration.transfersPerBlock)"
        let verifyName = "Ed25519 verify of the same transfers, libsodium"
        let rows = [
            BenchmarkRow(
                name: "check a received block (\(size)), µs per transfer", value: median(check), unit: "µs",
                baselineName: verifyName, baselineValue: baseline, higherIsBetter: false),
            BenchmarkRow(
                name: "build a block from candidates (\(size)), µs per transfer", value: median(build), unit: "µs",
                baselineName: verifyName, baselineValue: baseline, higherIsBetter: false),
            BenchmarkRow(
                name: "write its state changes to RocksDB, µs per transfer", value: median(write), unit: "µs",
                baselineName: verifyName, baselineValue: baseline, higherIsBetter: false),
        ]
        rows.forEach(progress)
        return BenchmarkReport(
            suite: "execution", machine: machineDescription(), repeats: configuration.blocks, rows: rows)
    }

    /// `count` blocks of transfers: in each, every sender sends its share in nonce order to the next
    /// sender, so both accounts of a transfer exist and every nonce follows the last block's.
    static func signBlocks(
        keys: [Ed25519.PrivateKey], chainId: String, configuration: Configuration, count: Int
    ) throws -> [[[UInt8]]] {
        let perBlock = configuration.transfersPerBlock
        let senders = keys.count
        // Transfer t of a block is sent by sender t % senders; its nonce counts that sender's earlier
        // ones. The first `perBlock % senders` senders send one more per block than the rest.
        let perSender = (perBlock + senders - 1) / senders * count
        let signed = Mutex([[[UInt8]]](repeating: [], count: senders))
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: senders) { index in
            do {
                let recipient = Address(publicKey: keys[(index + 1) % senders].publicKey)
                var list: [[UInt8]] = []
                list.reserveCapacity(perSender)
                for nonce in 0..<UInt64(perSender) {
                    let transaction = Transaction(
                        chainId: chainId, sender: keys[index].publicKey, nonce: nonce, maxFee: 1_000_000,
                        priorityFee: 0, messages: [Message(Bank.Transfer(to: recipient, 1, .aic))])
                    list.append(try transaction.signed(by: keys[index]).encoded)
                }
                signed.withLock { $0[index] = list }
            } catch {
                failure.withLock { $0 = error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        let bySender = signed.withLock { $0 }
        var next = [Int](repeating: 0, count: senders)
        var blocks: [[[UInt8]]] = []
        for _ in 0..<count {
            var block: [[UInt8]] = []
            block.reserveCapacity(perBlock)
            for slot in 0..<perBlock {
                let sender = slot % senders
                block.append(bySender[sender][next[sender]])
                next[sender] += 1
            }
            blocks.append(block)
        }
        return blocks
    }
}
