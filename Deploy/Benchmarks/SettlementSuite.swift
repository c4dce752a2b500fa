import BridgeRPC
import ChainPeers
import EVM
import EVMClient
import Foundation
import Primitives
import Relayer
import Settlement
import Solana
import SolanaClient
import Storage

/// `aether bench settlement`: what settling costs on the local chain peers (py-evm, LiteSVM):
/// gas to record a root with a 3-of-4 and a 67-of-100 committee, gas per claim, Solana
/// transactions and fees per 100 payouts, batches settled per minute and RPC round trips per batch.
///
/// Gas rows carry a floor computed from the same transaction as the baseline: 21,000 intrinsic gas,
/// its calldata (4 per zero byte, 16 per other), 3,000 per `ecrecover`, and the storage writes and
/// value transfer it cannot avoid; the ratio shows what the contract's logic adds on top.
public struct SettlementBenchmark: Sendable {
    public struct Configuration: Sendable {
        /// Batches per throughput run.
        public var batches = 20
        /// EVM payouts per batch in the throughput run.
        public var payoutsPerBatch = 10
        /// Repeats of each gas and Solana measurement (medians).
        public var repeats = 5
        public init() {}

        public static var quick: Configuration {
            var configuration = Configuration()
            configuration.batches = 3
            configuration.repeats = 1
            return configuration
        }
    }

    public let configuration: Configuration
    public init(configuration: Configuration) { self.configuration = configuration }

    static func key(_ index: Int) -> Secp256k1.PrivateKey {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[30] = UInt8(index >> 8)
        bytes[31] = UInt8(index & 0xff)
        return try! Secp256k1.PrivateKey(bytes)
    }

    public func run(progress: @Sendable (String) -> Void = { _ in }) async throws -> BenchmarkReport {
        var rows: [BenchmarkRow] = []
        rows += try await evmRows(progress: progress)
        rows += try await solanaRows(progress: progress)
        return BenchmarkReport(
            suite: "settlement", machine: machineDescription(), repeats: configuration.repeats, rows: rows)
    }

    // MARK: - EVM

    func evmRows(progress: @Sendable (String) -> Void) async throws -> [BenchmarkRow] {
        let peer = try await PeerProcess.start(script: "evm_rpc_shim.py", arguments: ["--chain-id", "31337"])
        defer { peer.stop() }
        let client = EVMRPCClient(url: peer.url)
        let relayerKey = Self.key(10)
        let transactor = try await EVMTransactor(
            client: client, key: relayerKey, chainId: 31_337,
            options: EVMTransactorOptions(pollInterval: .milliseconds(5)))
        let bytecode = try SettlementDeployer.bytecode(
            path: PeerProcess.root.appendingPathComponent("Bridge/Contracts/build/BatchSettlement.bin").path)
        var rows: [BenchmarkRow] = []

        // 3-of-4 and 67-of-100 committees of equal weight.
        for (size, quorum) in [(4, 3), (100, 67)] {
            let keys = (1...size).map { Self.key(0x100 + $0) }
            let receipt = try await SettlementDeployer.deploy(
                bytecode, members: keys.map { ($0.publicKey.ethereumAddress, 1) }, threshold: UInt64(quorum),
                with: transactor)
            let deployment = EVMDeployment(chainId: 31_337, contract: receipt.contractAddress!)
            var gas: [Double] = []
            var floors: [Double] = []
            for repeatIndex in 0..<configuration.repeats {
                let batch = try Self.evmBatch(
                    id: UInt64(repeatIndex + 1), count: 10, seed: UInt64(size * 100 + repeatIndex))
                let signed = AttestedBatch.sign(batch, keys: Array(keys.prefix(quorum)), deployments: [deployment])
                let digest = EVMAttestation.batchDigest(
                    chainId: 31_337, contract: deployment.contract, batchId: batch.batchId, root: batch.root)
                let ordered = try EVMAttestation.ordered(signed.evmSignatures[deployment]!, digest: digest)
                let data = SettlementContract.recordBatchCall(batch, signatures: ordered)
                let sent = try await transactor.send(to: deployment.contract, data: data)
                gas.append(Double(sent.gasUsed))
                floors.append(Double(21_000 + Self.calldataGas(data) + 22_100 + 2_100 + 3_000 * quorum))
            }
            progress("recordBatch \(quorum)-of-\(size): \(Int(median(gas))) gas")
            rows.append(
                BenchmarkRow(
                    name: "EVM: record a batch root, \(quorum)-of-\(size) committee", value: median(gas), unit: "gas",
                    baselineName: "floor: intrinsic + calldata + root SSTORE + ecrecovers",
                    baselineValue: median(floors),
                    higherIsBetter: false, target: size == 4 ? "≤ 120k gas" : nil,
                    valueTarget: size == 4 ? 120_000 : nil))
        }

        // Claims: ether to existing and fresh recipients, and an ERC-20.
        let claimKeys = (1...4).map { Self.key(0x100 + $0) }
        let receipt = try await SettlementDeployer.deploy(
            bytecode, members: claimKeys.map { ($0.publicKey.ethereumAddress, 1) }, threshold: 3, with: transactor)
        let deployment = EVMDeployment(chainId: 31_337, contract: receipt.contractAddress!)
        _ = try await transactor.send(to: deployment.contract, data: [], value: UInt256(1_000_000_000_000_000_000))
        let tokenCode = try SettlementDeployer.bytecode(
            path: PeerProcess.root.appendingPathComponent("Bridge/Contracts/build/TestToken.bin").path)
        let supply = UInt256(1_000_000_000_000)
        let token = try await transactor.send(
            to: nil, data: tokenCode + (try ABI.encode([.uint(supply)], as: [.uint256]))
        )
        .contractAddress!
        let transfer = ABIFunction(name: "transfer", inputs: [.address, .uint256], outputs: [.bool])
        _ = try await transactor.send(
            to: token, data: try transfer.encodeCall([.address(deployment.contract), .uint(supply)]))
        var random = SeededRandom(seed: 77)
        let count = max(4, configuration.repeats * 2)
        var payouts: [Payout] = []
        for index in 0..<count * 3 {
            let recipient = try EthereumAddress(random.bytes(20))
            switch index % 3 {
            case 0:  // an existing account: sent 1 wei first
                _ = try await transactor.send(to: recipient, data: [], value: 1)
                payouts.append(try Payout.evm(to: recipient, amount: 1_000_000))
            case 1: payouts.append(try Payout.evm(to: recipient, amount: 1_000_000))
            default: payouts.append(try Payout.evm(to: recipient, amount: 1_000, token: token))
            }
        }
        let batch = try SettlementBatch(batchId: 99, sourceDomain: 1, payouts: payouts)
        let signed = AttestedBatch.sign(batch, keys: Array(claimKeys.prefix(3)), deployments: [deployment])
        let store = MemoryStore(columns: [.default, RelayerStore.column])
        let settler = EVMSettler(deployment: deployment, transactor: transactor, store: RelayerStore(store: store))
        guard case .settled = await settler.settle(signed) else { throw PeerFailure("the claim batch did not settle") }
        var claimGas: [[Double]] = [[], [], []]
        var claimFloor: [[Double]] = [[], [], []]
        for index in 0..<payouts.count {
            let data = try SettlementContract.claimCall(batch, index: index)
            let sent = try await transactor.send(to: deployment.contract, data: data)
            claimGas[index % 3].append(Double(sent.gasUsed))
            // intrinsic + calldata + bitmap word (first in a word: new slot) + the payment: a value
            // transfer (9,000; 25,000 more to create an account), or a token call (2,600 cold
            // account, 5,000 to lower the contract's balance, 22,100 for a new holder's slot)
            let bitmap = index == 0 ? 22_100 : 5_000
            let payment = index % 3 == 2 ? 2_600 + 5_000 + 22_100 : (index % 3 == 0 ? 9_000 : 9_000 + 25_000)
            claimFloor[index % 3].append(Double(21_000 + Self.calldataGas(data) + bitmap + payment))
        }
        let names = ["ether to an existing account", "ether to a new account", "ERC-20 to a new holder"]
        for kind in 0..<3 {
            progress("claim \(names[kind]): \(Int(median(claimGas[kind]))) gas")
            rows.append(
                BenchmarkRow(
                    name: "EVM: claim, \(names[kind])", value: median(claimGas[kind]), unit: "gas",
                    baselineName: "floor: intrinsic + calldata + bitmap SSTORE + payment",
                    baselineValue: median(claimFloor[kind]),
                    higherIsBetter: false, target: kind == 0 ? "≤ 60k gas" : nil, valueTarget: kind == 0 ? 60_000 : nil)
            )
        }

        // Throughput: batches through the relayer end to end, with RPC round trips per batch.
        let throughputKeys = claimKeys
        let batches = try (0..<configuration.batches).map { index in
            AttestedBatch.sign(
                try Self.evmBatch(id: UInt64(1_000 + index), count: configuration.payoutsPerBatch, seed: UInt64(index)),
                keys: Array(throughputKeys.prefix(3)), deployments: [deployment])
        }
        let before = client.rpc.roundTrips
        let clock = ContinuousClock()
        let start = clock.now
        let statuses = await Relayer(evm: [settler]).run(batches, deadline: .now + .seconds(600))
        let seconds = Self.seconds(clock.now - start)
        guard statuses.allSatisfy({ if case .settled = $0.outcome { true } else { false } }) else {
            throw PeerFailure("a throughput batch did not settle: \(statuses.map(\.line))")
        }
        let trips = Double(client.rpc.roundTrips - before) / Double(batches.count)
        progress("EVM: \(batches.count) batches in \(String(format: "%.1f", seconds)) s, \(trips) round trips each")
        rows.append(
            BenchmarkRow(
                name: "EVM: batches settled per minute (\(configuration.payoutsPerBatch) payouts, 1 confirmation)",
                value: Double(batches.count) / seconds * 60, unit: "batches/min", baselineName: "-", baselineValue: nil,
                higherIsBetter: true))
        rows.append(
            BenchmarkRow(
                name: "EVM: RPC round trips per batch", value: trips, unit: "requests", baselineName: "-",
                baselineValue: nil, higherIsBetter: false))
        return rows
    }

    // MARK: - Solana

    func solanaRows(progress: @Sendable (String) -> Void) async throws -> [BenchmarkRow] {
        let peer = try await PeerProcess.start(script: "solana_rpc_shim.py")
        defer { peer.stop() }
        let client = SolanaRPCClient(url: peer.url)
        let payer = try Ed25519.PrivateKey(seed: [UInt8](repeating: 0x55, count: 32))
        _ = try await client.requestAirdrop(SolanaPublicKey(payer.publicKey), lamports: 10_000_000_000_000)
        let keys = (1...4).map { try! Ed25519.PrivateKey(seed: [UInt8](repeating: UInt8(0x40 + $0), count: 32)) }
        let committee = try Committee(
            epoch: 0,
            members: keys.enumerated().map { index, key in
                CommitteeMember(
                    evmAddress: Self.key(0x100 + index + 1).publicKey.ethereumAddress, ed25519Key: key.publicKey,
                    weight: 1)
            }, threshold: 3)
        let store = MemoryStore(columns: [.default, RelayerStore.column])
        var settler = try await SolanaSettler(
            client: client, payer: payer, committee: committee, store: RelayerStore(store: store))
        settler.pollInterval = .milliseconds(5)
        var transactions: [Double] = []
        var fees: [Double] = []
        var trips: [Double] = []
        var seconds: [Double] = []
        let markerRent = try await client.minimumBalanceForRentExemption(bytes: 0)
        for repeatIndex in 0..<max(1, configuration.repeats) {
            var random = SeededRandom(seed: UInt64(500 + repeatIndex))
            let payouts = try (0..<100).map { _ in try Payout.solana(to: random.bytes(32), amount: 1_000_000) }
            let batch = try SettlementBatch(batchId: UInt64(repeatIndex + 1), sourceDomain: 2, payouts: payouts)
            let attested = AttestedBatch(batch: batch, evmSignatures: [:]).signed(
                for: settler.cluster, keys: Array(keys.prefix(3)))
            let before = client.rpc.roundTrips
            let clock = ContinuousClock()
            let start = clock.now
            guard case .settled(_, _, let paid) = await settler.settle(attested) else {
                throw PeerFailure("a Solana batch did not settle")
            }
            seconds.append(Self.seconds(clock.now - start))
            trips.append(Double(client.rpc.roundTrips - before))
            let chunks = try SolanaSettlementPlan.chunks(
                batch: batch, payer: settler.payerKey,
                attestation: attested.solanaSignatures[settler.cluster]!.sorted { $0.key < $1.key },
                genesisHash: settler.cluster.genesisHash, markerLamports: markerRent)
            transactions.append(Double(chunks.count))
            fees.append(Double(paid ?? 0))
        }
        progress("Solana: \(Int(median(transactions))) transactions, \(Int(median(fees))) lamports per 100 payouts")
        return [
            BenchmarkRow(
                name: "Solana: transactions per 100 payouts (3 attestation signatures each)",
                value: median(transactions),
                unit: "transactions", baselineName: "one transfer per transaction: 100", baselineValue: 100,
                higherIsBetter: false),
            BenchmarkRow(
                name: "Solana: fees per 100 payouts (plus \(markerRent) lamports locked per marker)",
                value: median(fees),
                unit: "lamports", baselineName: "one transfer per transaction: 100 × 5,000", baselineValue: 500_000,
                higherIsBetter: false),
            BenchmarkRow(
                name: "Solana: batches of 100 payouts settled per minute", value: 60 / median(seconds),
                unit: "batches/min",
                baselineName: "-", baselineValue: nil, higherIsBetter: true),
            BenchmarkRow(
                name: "Solana: RPC round trips per batch of 100 payouts", value: median(trips), unit: "requests",
                baselineName: "-", baselineValue: nil, higherIsBetter: false),
        ]
    }

    // MARK: - Helpers

    static func evmBatch(id: UInt64, count: Int, seed: UInt64) throws -> SettlementBatch {
        var random = SeededRandom(seed: seed)
        let payouts = try (0..<count).map { _ in
            try Payout.evm(to: try EthereumAddress(random.bytes(20)), amount: UInt256(1_000 + random.next() % 1_000))
        }
        return try SettlementBatch(batchId: id, sourceDomain: 1, payouts: payouts)
    }

    /// EIP-2028 calldata gas: 4 per zero byte, 16 per other byte.
    static func calldataGas(_ data: [UInt8]) -> Int { data.reduce(0) { $0 + ($1 == 0 ? 4 : 16) } }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
