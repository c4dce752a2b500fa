public import Chain
public import EVM
public import Primitives
public import Settlement

// Messages of the settlement module. Route `settlement/<kind>`; bodies are canonical encodings
// (ADR 0001); the sender is the transaction's sender. Rules: Docs/spec/settlement.md, "Batches
// from the L1".

extension SettlementModule {
    /// Registers (or replaces) the sender validator's bridge keys (kind 1). Each key proves
    /// possession by signing `SettlementModule.signerMessage(chainId:operator:)`: the secp256k1
    /// key as an EIP-191 signature of its Keccak-256, the Ed25519 key over the bytes.
    public struct RegisterSigner: ModuleMessage, Hashable {
        /// `settlement`, kind 1.
        public static let route = MessageRoute(module: SettlementModule.moduleName, kind: 1)
        /// 65 bytes `r ‖ s ‖ v`; the address it recovers is the validator's EVM signer.
        public var evmProof: [UInt8]
        public var ed25519Key: Ed25519.PublicKey
        public var ed25519Proof: Ed25519.Signature

        public init(evmProof: [UInt8], ed25519Key: Ed25519.PublicKey, ed25519Proof: Ed25519.Signature) {
            self.evmProof = evmProof
            self.ed25519Key = ed25519Key
            self.ed25519Proof = ed25519Proof
        }

        /// The registration of `evmKey` and `ed25519Key` for `operatorAddress` on `chainId`.
        public init(
            chainId: String, operatorAddress: Address, evmKey: Secp256k1.PrivateKey, ed25519Key: Ed25519.PrivateKey
        ) {
            let message = SettlementModule.signerMessage(chainId: chainId, operatorAddress: operatorAddress)
            self.init(
                evmProof: EVMAttestation.sign(EVMAttestation.eip191(Hashing.keccak256(message)), with: evmKey),
                ed25519Key: ed25519Key.publicKey, ed25519Proof: ed25519Key.sign(message))
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(fixed: evmProof)
            encoder.write(ed25519Key)
            encoder.write(ed25519Proof)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                evmProof: try decoder.readFixed(count: 65), ed25519Key: try decoder.read(Ed25519.PublicKey.self),
                ed25519Proof: try decoder.read(Ed25519.Signature.self))
        }
    }

    /// Records a batch of `domain`'s payouts (kind 2). The sender must be in the domain's
    /// validator set for the current L1 epoch; the L1 assigns the batch id (the next of one
    /// counter for all domains) and the domain's number (on its first batch).
    public struct SubmitBatch: ModuleMessage, Hashable {
        /// `settlement`, kind 2.
        public static let route = MessageRoute(module: SettlementModule.moduleName, kind: 2)
        public var domain: String
        public var payouts: [Payout]

        public init(domain: String, payouts: [Payout]) {
            self.domain = domain
            self.payouts = payouts
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(domain)
            encoder.write(payouts)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                domain: try decoder.read(String.self, maxLength: SettlementModule.maximumDomainBytes),
                payouts: try decoder.readArray(of: Payout.self, maxCount: SettlementBatch.maximumPayouts))
        }
    }

    /// The sender validator's signatures of batch `batchId` for some targets (kind 3). Every
    /// signature must verify with the sender's registered keys; a later attestation by the same
    /// validator replaces its earlier one.
    public struct Attest: ModuleMessage, Hashable {
        /// `settlement`, kind 3.
        public static let route = MessageRoute(module: SettlementModule.moduleName, kind: 3)
        public var batchId: UInt64
        public var evm: [EVMSignature]
        public var solana: [SolanaSignature]

        public init(batchId: UInt64, evm: [EVMSignature], solana: [SolanaSignature]) {
            self.batchId = batchId
            self.evm = evm
            self.solana = solana
        }

        /// The attestation of `batch` by keys `evmKey` (for each of `deployments`) and
        /// `ed25519Key` (for each Solana genesis hash in `clusters`).
        public init(
            batch: SettlementBatch, evmKey: Secp256k1.PrivateKey?, deployments: [EVMDeployment],
            ed25519Key: Ed25519.PrivateKey?, clusters: [SolanaCluster]
        ) {
            let evm = evmKey.map { key in
                deployments.map { deployment in
                    EVMSignature(
                        chainId: deployment.chainId, contract: deployment.contract,
                        signature: EVMAttestation.sign(
                            EVMAttestation.batchDigest(
                                chainId: deployment.chainId, contract: deployment.contract, batchId: batch.batchId,
                                root: batch.root), with: key))
                }
            }
            let solana = ed25519Key.map { key in
                clusters.map { cluster in
                    SolanaSignature(
                        genesisHash: cluster.genesisHash,
                        signature: SolanaAttestation.sign(genesisHash: cluster.genesisHash, batch: batch, key: key)
                            .signature)
                }
            }
            self.init(batchId: batch.batchId, evm: evm ?? [], solana: solana ?? [])
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(batchId)
            encoder.write(evm)
            encoder.write(solana)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                batchId: try decoder.read(UInt64.self),
                evm: try decoder.readArray(of: EVMSignature.self, maxCount: SettlementModule.maximumTargets),
                solana: try decoder.readArray(of: SolanaSignature.self, maxCount: SettlementModule.maximumTargets))
        }
    }
}
