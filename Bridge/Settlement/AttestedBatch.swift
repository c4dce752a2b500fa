public import EVM
public import Primitives
internal import Solana

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

/// A Solana cluster, named by its genesis hash.
public struct SolanaCluster: Sendable, Hashable, CustomStringConvertible {
    public let genesisHash: [UInt8]

    public init(genesisHash: [UInt8]) { self.genesisHash = genesisHash }

    public var description: String { "solana:\(Base58.encode(genesisHash))" }
}

/// A finalized batch with the committee's attestations for each target it settles on.
public struct AttestedBatch: Sendable, Hashable {
    public let batch: SettlementBatch
    /// The 65-byte secp256k1 signatures over the batch digest of each deployment.
    public let evmSignatures: [EVMDeployment: [[UInt8]]]
    /// The members' Ed25519 signatures over the batch attestation of each cluster.
    public let solanaSignatures: [SolanaCluster: [SolanaAttestation.Signature]]

    public init(
        batch: SettlementBatch, evmSignatures: [EVMDeployment: [[UInt8]]],
        solanaSignatures: [SolanaCluster: [SolanaAttestation.Signature]] = [:]
    ) {
        self.batch = batch
        self.evmSignatures = evmSignatures
        self.solanaSignatures = solanaSignatures
    }

    /// This batch with `cluster`'s attestation made by `keys` added.
    public func signed(for cluster: SolanaCluster, keys: [Ed25519.PrivateKey]) -> AttestedBatch {
        var solana = solanaSignatures
        solana[cluster] = keys.map { SolanaAttestation.sign(genesisHash: cluster.genesisHash, batch: batch, key: $0) }
        return AttestedBatch(batch: batch, evmSignatures: evmSignatures, solanaSignatures: solana)
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

    /// This batch with its attestations for `deployment` replaced by signatures of `keys`.
    public func signed(for deployment: EVMDeployment, keys: [Secp256k1.PrivateKey]) -> AttestedBatch {
        var evm = evmSignatures
        evm[deployment] = Self.sign(batch, keys: keys, deployments: [deployment]).evmSignatures[deployment]
        return AttestedBatch(batch: batch, evmSignatures: evm, solanaSignatures: solanaSignatures)
    }
}
