public import EVM
public import Primitives
public import Settlement

/// One EVM deployment of the settlement contract.
public struct EVMDeployment: Sendable, Hashable, CustomStringConvertible {
    public let chainId: UInt64
    public let contract: EthereumAddress

    public init(chainId: UInt64, contract: EthereumAddress) {
        self.chainId = chainId
        self.contract = contract
    }

    public var description: String { "evm:\(chainId):\(contract)" }
}

/// A finalized batch with the committee's attestations for each target it settles on.
public struct AttestedBatch: Sendable, Hashable {
    public let batch: SettlementBatch
    /// The 65-byte secp256k1 signatures over the batch digest of each deployment.
    public let evmSignatures: [EVMDeployment: [[UInt8]]]

    public init(batch: SettlementBatch, evmSignatures: [EVMDeployment: [[UInt8]]]) {
        self.batch = batch
        self.evmSignatures = evmSignatures
    }

    /// A batch signed by `keys` for each of `deployments` (what the L1 committee produces; used by
    /// `aether settle sign` and the tests).
    public static func sign(
        _ batch: SettlementBatch, keys: [Secp256k1.PrivateKey], deployments: [EVMDeployment]
    ) -> AttestedBatch {
        var signatures: [EVMDeployment: [[UInt8]]] = [:]
        for deployment in deployments {
            let digest = EVMAttestation.batchDigest(
                chainId: deployment.chainId, contract: deployment.contract, batchId: batch.batchId, root: batch.root)
            signatures[deployment] = keys.map { EVMAttestation.sign(digest, with: $0) }
        }
        return AttestedBatch(batch: batch, evmSignatures: signatures)
    }
}
