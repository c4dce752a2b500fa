import ChainPeers
import EVM
import EVMClient
import Foundation
import Primitives
import Relayer
import Settlement
import Storage

/// A py-evm peer with the settlement contract deployed and funded, committee keys 0x…01–0x…04
/// (weights 1, threshold 3) and a relayer key 0x…0a (the peer prefunds keys 0x…01–0x…0a).
struct SettlementFixture {
    static let chainId: UInt64 = 31_337

    static func key(_ byte: UInt8) -> Secp256k1.PrivateKey {
        try! Secp256k1.PrivateKey([UInt8](repeating: 0, count: 31) + [byte])
    }

    static let committeeKeys = (1...4).map { key(UInt8($0)) }
    static let relayerKey = key(0x0a)
    static let claimantKey = key(0x09)

    static var bytecode: [UInt8] {
        get throws {
            try SettlementDeployer.bytecode(
                path: PeerProcess.root.appendingPathComponent("Bridge/Contracts/build/BatchSettlement.bin").path)
        }
    }

    let peer: PeerProcess
    let client: EVMRPCClient
    let relayer: EVMTransactor
    let deployment: EVMDeployment

    /// Starts a peer, deploys the contract with `members` (default: the four committee keys at
    /// weight 1, threshold 3) and sends it `funding` wei.
    static func start(funding: UInt256 = UInt256(100_000_000_000_000_000)) async throws -> SettlementFixture {
        let peer = try await PeerProcess.start(script: "evm_rpc_shim.py", arguments: ["--chain-id", String(chainId)])
        let client = EVMRPCClient(url: peer.url)
        let relayer = try await EVMTransactor(
            client: client, key: relayerKey, chainId: chainId,
            options: EVMTransactorOptions(pollInterval: .milliseconds(20)))
        let receipt = try await SettlementDeployer.deploy(
            try bytecode, members: committeeKeys.map { ($0.publicKey.ethereumAddress, 1) }, threshold: 3, with: relayer)
        guard let contract = receipt.contractAddress else { throw PeerFailure("deployment has no contract address") }
        _ = try await relayer.send(to: contract, data: [], value: funding)
        return SettlementFixture(
            peer: peer, client: client, relayer: relayer,
            deployment: EVMDeployment(chainId: chainId, contract: contract))
    }

    /// A batch of `count` ether payouts to fresh addresses (plus one Solana payout the EVM side ignores).
    static func batch(id: UInt64, count: Int, seed: UInt64) throws -> SettlementBatch {
        var random = SeededRandom(seed: seed)
        var payouts = try (0..<count).map { _ in
            try Payout.evm(
                to: try EthereumAddress(random.bytes(20)),
                amount: UInt256(1_000_000_000 + random.next() % 1_000_000_000))
        }
        payouts.append(try Payout.solana(to: random.bytes(32), amount: 5_000))
        return try SettlementBatch(batchId: id, sourceDomain: 1, payouts: payouts)
    }

    func attest(_ batch: SettlementBatch, keys: [Secp256k1.PrivateKey] = Array(committeeKeys.prefix(3)))
        -> AttestedBatch
    {
        AttestedBatch.sign(batch, keys: keys, deployments: [deployment])
    }

    func settler(store: any KeyValueStore, transactor: EVMTransactor? = nil) -> EVMSettler {
        EVMSettler(deployment: deployment, transactor: transactor ?? relayer, store: RelayerStore(store: store))
    }

    /// How many times the contract logged a recording of `batchId` (exactly-once means 1).
    func recordings(of batchId: UInt64) async throws -> Int {
        let topic = Hashing.keccak256(Array("BatchRecorded(uint256,bytes32,uint256,uint256)".utf8))
        let logs = try await client.logs(
            address: deployment.contract, topic0: topic, fromBlock: .number(0), toBlock: .latest)
        let word = try ABI.encode([.uint(UInt256(batchId))], as: [.uint256])
        return logs.filter { log in
            (log.topics.count > 1 && log.topics[1].bytes == word)
                || (log.topics.count == 1 && Array(log.data.prefix(32)) == word)
        }.count
    }

    /// The root the contract holds for `batchId`.
    func recordedRoot(_ batchId: UInt64) async throws -> Hash {
        let output = try await client.call(
            EVMCall(to: deployment.contract, data: SettlementContract.rootsCall(batchId: batchId)))
        return try SettlementContract.roots.decodeOutput(output)[0].bytes32Value!
    }
}
