public import Chain
public import ChainConfiguration
public import Consensus
public import Primitives

// Messages of the staking module. Route `staking/<kind>`; bodies are canonical encodings
// (ADR 0001); the sender is the transaction's sender. Rules: README.md and Docs/spec/staking.md.

extension Staking {
    /// Registers a validator operated by the sender, self-bonding `selfBond` SWR (kind 1).
    ///
    /// `possessionProof` is the signing key's signature of `possessionMessage(chainId:operator:
    /// vrfPublicKey:)`: nobody can register (and so block) a key they do not hold.
    public struct CreateValidator: ModuleMessage, Hashable {
        /// `staking`, kind 1.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 1)
        /// A name for people (1–64 bytes).
        public var name: String
        /// The signing key.
        public var publicKey: Ed25519.PublicKey
        /// The VRF key.
        public var vrfPublicKey: Ed25519.PublicKey
        /// The commission (within the genesis bounds).
        public var commission: Ratio
        /// SWR moved from the sender into the pool (at least `min_self_bond`).
        public var selfBond: UInt64
        /// The signing key's signature of `possessionMessage`.
        public var possessionProof: Ed25519.Signature

        /// A message from its parts.
        public init(
            name: String, publicKey: Ed25519.PublicKey, vrfPublicKey: Ed25519.PublicKey, commission: Ratio,
            selfBond: UInt64, possessionProof: Ed25519.Signature
        ) {
            self.name = name
            self.publicKey = publicKey
            self.vrfPublicKey = vrfPublicKey
            self.commission = commission
            self.selfBond = selfBond
            self.possessionProof = possessionProof
        }

        /// A message whose proof is signed here with the validator's signing key.
        public init(
            name: String, signingKey: Ed25519.PrivateKey, vrfPublicKey: Ed25519.PublicKey, commission: Ratio,
            selfBond: UInt64, chainId: String, operatorAddress: Address
        ) {
            let proof = signingKey.sign(
                Self.possessionMessage(chainId: chainId, operatorAddress: operatorAddress, vrfPublicKey: vrfPublicKey))
            self.init(
                name: name, publicKey: signingKey.publicKey, vrfPublicKey: vrfPublicKey, commission: commission,
                selfBond: selfBond, possessionProof: proof)
        }

        /// `canonical("aether/staking/create-validator/v1") ‖ canonical(chain id) ‖ operator ‖ VRF key`.
        public static func possessionMessage(chainId: String, operatorAddress: Address, vrfPublicKey: Ed25519.PublicKey)
            -> [UInt8]
        {
            var encoder = CanonicalEncoder()
            encoder.write("aether/staking/create-validator/v1")
            encoder.write(chainId)
            encoder.write(operatorAddress)
            encoder.write(vrfPublicKey)
            return encoder.bytes
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(name)
            encoder.write(publicKey)
            encoder.write(vrfPublicKey)
            encoder.write(commission)
            encoder.write(selfBond)
            encoder.write(possessionProof)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            name = try decoder.read(String.self, maxLength: Staking.maximumNameBytes)
            publicKey = try decoder.read(Ed25519.PublicKey.self)
            vrfPublicKey = try decoder.read(Ed25519.PublicKey.self)
            commission = try decoder.read(Ratio.self)
            selfBond = try decoder.read(UInt64.self)
            possessionProof = try decoder.read(Ed25519.Signature.self)
        }
    }

    /// Bonds `amount` more SWR of the sender to its own validator (kind 2).
    public struct Bond: ModuleMessage, Hashable {
        /// `staking`, kind 2.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 2)
        /// SWR base units (positive).
        public var amount: UInt64

        /// A bond of `amount`.
        public init(_ amount: UInt64) { self.amount = amount }

        public func encode(to encoder: inout CanonicalEncoder) { encoder.write(amount) }
        public init(from decoder: inout CanonicalDecoder) throws(CodecError) { amount = try decoder.read(UInt64.self) }
    }

    /// Starts unbonding `amount` SWR of the operator's self-bond (kind 3).
    public struct Unbond: ModuleMessage, Hashable {
        /// `staking`, kind 3.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 3)
        /// SWR base units (positive).
        public var amount: UInt64

        /// An unbond of `amount`.
        public init(_ amount: UInt64) { self.amount = amount }

        public func encode(to encoder: inout CanonicalEncoder) { encoder.write(amount) }
        public init(from decoder: inout CanonicalDecoder) throws(CodecError) { amount = try decoder.read(UInt64.self) }
    }

    /// Delegates `amount` SWR of the sender to `validator` (kind 4).
    public struct Delegate: ModuleMessage, Hashable {
        /// `staking`, kind 4.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 4)
        /// The validator's operator.
        public var validator: Address
        /// SWR base units (positive).
        public var amount: UInt64

        /// A delegation of `amount` to `validator`.
        public init(to validator: Address, _ amount: UInt64) {
            self.validator = validator
            self.amount = amount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(validator)
            encoder.write(amount)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            validator = try decoder.read(Address.self)
            amount = try decoder.read(UInt64.self)
        }
    }

    /// Starts unbonding `amount` SWR of the sender's delegation to `validator` (kind 5).
    public struct Undelegate: ModuleMessage, Hashable {
        /// `staking`, kind 5.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 5)
        /// The validator's operator.
        public var validator: Address
        /// SWR base units (positive, at most the delegation's unlocked value).
        public var amount: UInt64

        /// An undelegation of `amount` from `validator`.
        public init(from validator: Address, _ amount: UInt64) {
            self.validator = validator
            self.amount = amount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(validator)
            encoder.write(amount)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            validator = try decoder.read(Address.self)
            amount = try decoder.read(UInt64.self)
        }
    }

    /// Moves `amount` SWR of the sender's delegation from `source` to `destination` at once; the
    /// moved stake stays locked at the destination until the unbonding delay has passed (kind 6).
    public struct Redelegate: ModuleMessage, Hashable {
        /// `staking`, kind 6.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 6)
        /// The validator the stake leaves.
        public var source: Address
        /// The validator it joins.
        public var destination: Address
        /// SWR base units (positive).
        public var amount: UInt64

        /// A redelegation of `amount` from `source` to `destination`.
        public init(from source: Address, to destination: Address, _ amount: UInt64) {
            self.source = source
            self.destination = destination
            self.amount = amount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(source)
            encoder.write(destination)
            encoder.write(amount)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            source = try decoder.read(Address.self)
            destination = try decoder.read(Address.self)
            amount = try decoder.read(UInt64.self)
        }
    }

    /// Lets the sender's jailed validator back into future sets after its jail time (kind 7).
    public struct Unjail: ModuleMessage, Hashable {
        /// `staking`, kind 7.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 7)

        /// The message (it has no fields).
        public init() {}

        public func encode(to encoder: inout CanonicalEncoder) {}
        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {}
    }

    /// Double-sign evidence, from anyone: slashes and tombstones the signer (kind 8).
    ///
    /// `domain` is empty for the L1's own consensus; otherwise it is the domain's chain id, the
    /// evidence must be for that chain, and the signer must be (or have recently been) in the
    /// domain's opt-in set.
    public struct SubmitEvidence: ModuleMessage, Hashable {
        /// `staking`, kind 8.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 8)
        /// Empty for the L1, else the domain's chain id.
        public var domain: String
        /// Two conflicting signed votes or proposals.
        public var evidence: Evidence

        /// Evidence from the L1 (`domain` empty) or a domain.
        public init(_ evidence: Evidence, domain: String = "") {
            self.domain = domain
            self.evidence = evidence
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(domain)
            encoder.write(evidence)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            domain = try decoder.read(String.self, maxLength: Staking.maximumDomainBytes)
            evidence = try decoder.read(Evidence.self)
        }
    }

    /// Adds the sender's validator to a domain's opt-in set (kind 9).
    public struct JoinDomain: ModuleMessage, Hashable {
        /// `staking`, kind 9.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 9)
        /// The domain's chain id.
        public var domain: String

        /// A join of `domain`.
        public init(_ domain: String) { self.domain = domain }

        public func encode(to encoder: inout CanonicalEncoder) { encoder.write(domain) }
        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            domain = try decoder.read(String.self, maxLength: Staking.maximumDomainBytes)
        }
    }

    /// Takes the sender's validator out of a domain's opt-in set; it stays slashable for the
    /// domain for the unbonding delay (kind 10).
    public struct LeaveDomain: ModuleMessage, Hashable {
        /// `staking`, kind 10.
        public static let route = MessageRoute(module: Staking.moduleName, kind: 10)
        /// The domain's chain id.
        public var domain: String

        /// A departure from `domain`.
        public init(_ domain: String) { self.domain = domain }

        public func encode(to encoder: inout CanonicalEncoder) { encoder.write(domain) }
        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            domain = try decoder.read(String.self, maxLength: Staking.maximumDomainBytes)
        }
    }
}
