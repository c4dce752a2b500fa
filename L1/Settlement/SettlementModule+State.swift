public import Chain
public import EVM
public import Primitives
public import Settlement

// The records the settlement module keeps (Docs/spec/settlement.md, "Batches from the L1"). All
// are canonical encodings (ADR 0001); their layout is part of the state machine.

extension SettlementModule {
    /// A batch as the L1 recorded it.
    public struct BatchRecord: Hashable, Sendable, CanonicalCodable {
        /// The batch: the id and source-domain number the L1 assigned, the payouts and their root.
        public var batch: SettlementBatch
        /// The domain's chain id (the batch carries its number).
        public var domain: String
        /// The domain validator that submitted it.
        public var submitter: Address
        /// The L1 height of the block that recorded it.
        public var height: UInt64
        /// The L1 epoch whose validator set attests it.
        public var epoch: UInt64
        /// That set as it was when the batch was recorded: each operator's stake, ascending by
        /// operator. Attestations are weighed against it, however long they take to come in.
        public var committee: [CommitteeStake]

        public init(
            batch: SettlementBatch, domain: String, submitter: Address, height: UInt64, epoch: UInt64,
            committee: [CommitteeStake]
        ) {
            self.batch = batch
            self.domain = domain
            self.submitter = submitter
            self.height = height
            self.epoch = epoch
            self.committee = committee.sorted { $0.operatorAddress < $1.operatorAddress }
        }

        /// The committee's total stake: attestations must reach more than two thirds of it.
        public var totalStake: UInt64 { committee.reduce(0) { $0 &+ $1.stake } }

        /// The stake `operatorAddress` attests with (nil: not in the committee).
        public func stake(of operatorAddress: Address) -> UInt64? {
            committee.first { $0.operatorAddress == operatorAddress }?.stake
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(batch)
            encoder.write(domain)
            encoder.write(submitter)
            encoder.write(height)
            encoder.write(epoch)
            encoder.write(committee)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                batch: try decoder.read(SettlementBatch.self),
                domain: try decoder.read(String.self, maxLength: SettlementModule.maximumDomainBytes),
                submitter: try decoder.read(Address.self), height: try decoder.read(UInt64.self),
                epoch: try decoder.read(UInt64.self),
                committee: try decoder.readArray(of: CommitteeStake.self, maxCount: SettlementModule.maximumAttestors))
        }
    }

    /// One member of a batch's committee and its stake.
    public struct CommitteeStake: Hashable, Sendable, CanonicalCodable {
        public var operatorAddress: Address
        public var stake: UInt64

        public init(operatorAddress: Address, stake: UInt64) {
            self.operatorAddress = operatorAddress
            self.stake = stake
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(operatorAddress)
            encoder.write(stake)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(operatorAddress: try decoder.read(Address.self), stake: try decoder.read(UInt64.self))
        }
    }

    /// A validator's bridge keys: its secp256k1 address (EVM `ecrecover`) and its Ed25519 key
    /// (Solana's Ed25519 program), each proven by a signature when registered.
    public struct Signer: Hashable, Sendable, CanonicalCodable {
        public var evmAddress: EthereumAddress
        public var ed25519Key: Ed25519.PublicKey

        public init(evmAddress: EthereumAddress, ed25519Key: Ed25519.PublicKey) {
            self.evmAddress = evmAddress
            self.ed25519Key = ed25519Key
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(fixed: evmAddress.bytes)
            encoder.write(ed25519Key)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                evmAddress: try! EthereumAddress(try decoder.readFixed(count: 20)),
                ed25519Key: try decoder.read(Ed25519.PublicKey.self))
        }
    }

    /// One validator's secp256k1 signature of a batch for one EVM deployment.
    public struct EVMSignature: Hashable, Sendable, CanonicalCodable {
        public var chainId: UInt64
        public var contract: EthereumAddress
        /// `r ‖ s ‖ v`, 65 bytes, over `EVMAttestation.batchDigest`.
        public var signature: [UInt8]

        public init(chainId: UInt64, contract: EthereumAddress, signature: [UInt8]) {
            self.chainId = chainId
            self.contract = contract
            self.signature = signature
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(chainId)
            encoder.write(fixed: contract.bytes)
            encoder.write(fixed: signature)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                chainId: try decoder.read(UInt64.self),
                contract: try! EthereumAddress(try decoder.readFixed(count: 20)),
                signature: try decoder.readFixed(count: 65))
        }
    }

    /// One validator's Ed25519 signature of a batch for one Solana cluster.
    public struct SolanaSignature: Hashable, Sendable, CanonicalCodable {
        /// The cluster's genesis hash (32 bytes).
        public var genesisHash: [UInt8]
        /// Over `SolanaAttestation.message`.
        public var signature: Ed25519.Signature

        public init(genesisHash: [UInt8], signature: Ed25519.Signature) {
            self.genesisHash = genesisHash
            self.signature = signature
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(fixed: genesisHash)
            encoder.write(signature)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                genesisHash: try decoder.readFixed(count: 32), signature: try decoder.read(Ed25519.Signature.self))
        }
    }

    /// One validator's attestation of a batch: its signatures for each target, and the stake it
    /// counted with.
    public struct Attestation: Hashable, Sendable, CanonicalCodable {
        public var operatorAddress: Address
        public var stake: UInt64
        /// The signer's keys when it attested (a later re-registration does not change them).
        public var signer: Signer
        public var evm: [EVMSignature]
        public var solana: [SolanaSignature]

        public init(
            operatorAddress: Address, stake: UInt64, signer: Signer, evm: [EVMSignature], solana: [SolanaSignature]
        ) {
            self.operatorAddress = operatorAddress
            self.stake = stake
            self.signer = signer
            self.evm = evm
            self.solana = solana
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(operatorAddress)
            encoder.write(stake)
            encoder.write(signer)
            encoder.write(evm)
            encoder.write(solana)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            self.init(
                operatorAddress: try decoder.read(Address.self), stake: try decoder.read(UInt64.self),
                signer: try decoder.read(Signer.self),
                evm: try decoder.readArray(of: EVMSignature.self, maxCount: SettlementModule.maximumTargets),
                solana: try decoder.readArray(of: SolanaSignature.self, maxCount: SettlementModule.maximumTargets))
        }
    }

    /// Every attestation of one batch, by operator, and whether they reach the quorum.
    public struct Attestations: Hashable, Sendable, CanonicalCodable {
        /// In ascending operator order, one each.
        public var entries: [Attestation]
        /// The sum of the entries' stakes.
        public var stake: UInt64
        /// The L1 height at which the stake first exceeded two thirds of the batch's epoch set.
        public var quorumHeight: UInt64?

        public init(entries: [Attestation] = [], stake: UInt64 = 0, quorumHeight: UInt64? = nil) {
            self.entries = entries
            self.stake = stake
            self.quorumHeight = quorumHeight
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(entries)
            encoder.write(stake)
            encoder.write(quorumHeight != nil)
            if let quorumHeight { encoder.write(quorumHeight) }
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            let entries = try decoder.readArray(of: Attestation.self, maxCount: SettlementModule.maximumAttestors)
            let stake = try decoder.read(UInt64.self)
            let quorumHeight: UInt64? = try decoder.read(Bool.self) ? try decoder.read(UInt64.self) : nil
            self.init(entries: entries, stake: stake, quorumHeight: quorumHeight)
        }

        /// The batch with every signature collected, by target: what relayers carry.
        public func attested(_ batch: SettlementBatch) -> Settlement.AttestedBatch {
            var evm: [EVMDeployment: [[UInt8]]] = [:]
            var solana: [SolanaCluster: [SolanaAttestation.Signature]] = [:]
            for entry in entries {
                for signature in entry.evm {
                    evm[EVMDeployment(chainId: signature.chainId, contract: signature.contract), default: []]
                        .append(signature.signature)
                }
                for signature in entry.solana {
                    solana[SolanaCluster(genesisHash: signature.genesisHash), default: []].append(
                        SolanaAttestation.Signature(key: entry.signer.ed25519Key, signature: signature.signature))
                }
            }
            return Settlement.AttestedBatch(batch: batch, evmSignatures: evm, solanaSignatures: solana)
        }
    }
}
