public import Primitives

/// The genesis of an Aether L1, as written in `genesis.toml`: chain, consensus, fee and rent
/// parameters, staking parameters, the initial validators, accounts and mint/burn authorities.
///
/// `Genesis.load` parses and validates a file (every problem is a `ConfigurationError` naming
/// the line, column and key); `render()` writes a file that loads back to the same value;
/// `validate()` checks a value built in code. Fractions are exact `Ratio`s and amounts are
/// integer base units, never floating point. The mapping onto the chain's own types (fee
/// schedule, bank and staking genesis, consensus configuration) lives in the `Staking` target,
/// which may depend on `Chain`; this target depends only on `Primitives`. Format: Docs/spec/genesis.md.
public struct Genesis: Hashable, Sendable {
    /// `[chain]`.
    public var chain: ChainParameters
    /// `[consensus]`.
    public var consensus: ConsensusParameters
    /// `[fees]`.
    public var fees: FeeParameters
    /// `[rent]`.
    public var rent: RentParameters
    /// `[staking]`.
    public var staking: StakingParameters
    /// `[[validators]]`, in file order.
    public var validators: [Validator]
    /// `[[accounts]]`, in file order.
    public var accounts: [Account]
    /// `[[authorities]]`, in file order.
    public var authorities: [Authority]

    /// A genesis from its parts (check it with `validate()`).
    public init(
        chain: ChainParameters, consensus: ConsensusParameters, fees: FeeParameters, rent: RentParameters,
        staking: StakingParameters, validators: [Validator], accounts: [Account] = [], authorities: [Authority] = []
    ) {
        self.chain = chain
        self.consensus = consensus
        self.fees = fees
        self.rent = rent
        self.staking = staking
        self.validators = validators
        self.accounts = accounts
        self.authorities = authorities
    }

    // MARK: - Sections

    /// `[chain]`: identity, slot, block size, epoch length and start time.
    public struct ChainParameters: Hashable, Sendable {
        /// `chain_id`: 1–64 bytes of letters, digits, `.`, `_` and `-`.
        public var chainId: String
        /// `genesis_time_ms`: the genesis block's timestamp, milliseconds since the Unix epoch.
        public var genesisTimeMilliseconds: UInt64
        /// `slot_ms`: the target block interval (the consensus `minimumBlockInterval`).
        public var slotMilliseconds: UInt64
        /// `block_bytes_max`: the largest encoded block a validator accepts.
        public var blockBytesMax: UInt64
        /// `epoch_slots`: blocks per epoch; validator sets change only between epochs.
        public var epochSlots: UInt64
        /// `tx_signatures`: the Ed25519 rule transaction signatures must satisfy, `"cofactored"`
        /// (checked in batches; `aether node init` writes it) or `"cofactorless"` (libsodium's
        /// check; the rule when the key is absent, as on chains made before it existed). ADR 0018.
        public var transactionSignatures: SignatureRule

        /// The parameters from their values.
        public init(
            chainId: String, genesisTimeMilliseconds: UInt64, slotMilliseconds: UInt64, blockBytesMax: UInt64,
            epochSlots: UInt64, transactionSignatures: SignatureRule = .cofactorless
        ) {
            self.chainId = chainId
            self.genesisTimeMilliseconds = genesisTimeMilliseconds
            self.slotMilliseconds = slotMilliseconds
            self.blockBytesMax = blockBytesMax
            self.epochSlots = epochSlots
            self.transactionSignatures = transactionSignatures
        }
    }

    /// `[consensus]`: the fractions the protocol and its penalties use.
    public struct ConsensusParameters: Hashable, Sendable {
        /// `tau`: a fraction in [0, 1] carried for the consensus engine; staking does not use it.
        public var tau: Ratio
        /// `quorum`: the stake fraction a certificate must exceed; this consensus needs exactly 2/3.
        public var quorum: Ratio
        /// `slash_double`: the fraction of bonded stake burned for double-signing.
        public var slashDouble: Ratio
        /// `leak_downtime` (λ): the fraction of bonded stake burned per missed slot.
        public var leakDowntime: Ratio

        /// The parameters from their values.
        public init(tau: Ratio, quorum: Ratio = .twoThirds, slashDouble: Ratio, leakDowntime: Ratio) {
            self.tau = tau
            self.quorum = quorum
            self.slashDouble = slashDouble
            self.leakDowntime = leakDowntime
        }
    }

    /// `[fees]`: the fee rule `a + b·bytes + c·steps + d·mem`, in AIC base units.
    public struct FeeParameters: Hashable, Sendable {
        /// `a`: per transaction.
        public var a: UInt64
        /// `b`: per byte of the signed transaction.
        public var b: UInt64
        /// `c`: per metered state access.
        public var c: UInt64
        /// `d`: per metered byte written.
        public var d: UInt64

        /// The parameters from their values.
        public init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
            self.a = a
            self.b = b
            self.c = c
            self.d = d
        }
    }

    /// `[rent]`: state rent (charged by app-chain markets; the L1 carries the values).
    public struct RentParameters: Hashable, Sendable {
        /// `rho_per_byte_per_epoch`: AIC base units per stored byte per epoch.
        public var rhoPerBytePerEpoch: UInt64
        /// `horizon_epochs`: how many epochs of rent are paid ahead (at least 1).
        public var horizonEpochs: UInt64

        /// The parameters from their values.
        public init(rhoPerBytePerEpoch: UInt64, horizonEpochs: UInt64) {
            self.rhoPerBytePerEpoch = rhoPerBytePerEpoch
            self.horizonEpochs = horizonEpochs
        }
    }

    /// How much SWR each epoch mints as staking rewards.
    public enum RewardRule: Hashable, Sendable {
        /// `reward_per_epoch`: a fixed amount of SWR base units.
        case fixed(UInt64)
        /// `inflation_per_epoch`: this fraction of the SWR supply at the epoch's end (rounded down).
        case inflation(Ratio)
    }

    /// `[staking]`: bonding, rewards, commission, downtime and set size.
    public struct StakingParameters: Hashable, Sendable {
        /// `unbonding_delay_epochs`: unbonded stake is paid out at the end of the epoch this many
        /// epochs after the one it was unbonded in (at least 2: stake still counts in the two
        /// validator sets already fixed when it leaves, and must stay slashable meanwhile).
        public var unbondingDelayEpochs: UInt64
        /// `reward_per_epoch` or `inflation_per_epoch`.
        public var reward: RewardRule
        /// `min_commission`: the least commission a validator may charge.
        public var minCommission: Ratio
        /// `max_commission`: the most commission a validator may charge.
        public var maxCommission: Ratio
        /// `min_self_bond`: the least SWR an operator keeps bonded to its own validator.
        public var minSelfBond: UInt64
        /// `downtime_window_slots`: the length of the (tumbling) window misses are counted in.
        public var downtimeWindowSlots: UInt64
        /// `jail_threshold_slots`: this many misses within one window jail the validator.
        public var jailThresholdSlots: UInt64
        /// `jail_epochs`: the least number of epochs a jailed validator waits before unjailing.
        public var jailEpochs: UInt64
        /// `max_validators`: the most validators in an epoch's set (top stakes).
        public var maxValidators: UInt64

        /// The parameters from their values.
        public init(
            unbondingDelayEpochs: UInt64, reward: RewardRule, minCommission: Ratio, maxCommission: Ratio,
            minSelfBond: UInt64, downtimeWindowSlots: UInt64, jailThresholdSlots: UInt64, jailEpochs: UInt64,
            maxValidators: UInt64
        ) {
            self.unbondingDelayEpochs = unbondingDelayEpochs
            self.reward = reward
            self.minCommission = minCommission
            self.maxCommission = maxCommission
            self.minSelfBond = minSelfBond
            self.downtimeWindowSlots = downtimeWindowSlots
            self.jailThresholdSlots = jailThresholdSlots
            self.jailEpochs = jailEpochs
            self.maxValidators = maxValidators
        }

        /// Defaults for new networks (`aether node init`, localnets); review before a real launch.
        public static let defaults = StakingParameters(
            unbondingDelayEpochs: 14, reward: .fixed(1_000_000_000), minCommission: .zero,
            maxCommission: (try? Ratio(1, 5)) ?? .one, minSelfBond: 1_000_000, downtimeWindowSlots: 10_000,
            jailThresholdSlots: 5_000, jailEpochs: 1, maxValidators: 100)
    }

    /// `[[validators]]`: a validator bonded at genesis.
    public struct Validator: Hashable, Sendable {
        /// `name`: 1–64 bytes, unique; for people (logs, RPC).
        public var name: String
        /// `public_key`: the Ed25519 key that signs proposals and votes (64 hex digits).
        public var publicKey: Ed25519.PublicKey
        /// `vrf_public_key`: the key of the leader-schedule VRF (64 hex digits).
        public var vrfPublicKey: Ed25519.PublicKey
        /// `stake`: SWR base units self-bonded by the operator at genesis (at least `min_self_bond`).
        public var stake: UInt64
        /// `operator`: the 20-byte account that controls the validator (40 hex digits).
        public var operatorAddress: [UInt8]
        /// `commission`: the share of rewards the operator keeps (default `min_commission`).
        public var commission: Ratio

        /// A validator from its parts.
        public init(
            name: String, publicKey: Ed25519.PublicKey, vrfPublicKey: Ed25519.PublicKey, stake: UInt64,
            operatorAddress: [UInt8], commission: Ratio
        ) {
            self.name = name
            self.publicKey = publicKey
            self.vrfPublicKey = vrfPublicKey
            self.stake = stake
            self.operatorAddress = operatorAddress
            self.commission = commission
        }
    }

    /// Who an `[[accounts]]` entry funds: an address, or a public key whose address the chain derives.
    public enum AccountID: Hashable, Sendable {
        /// `address`: 20 bytes (40 hex digits).
        case address([UInt8])
        /// `public_key`: an Ed25519 key (64 hex digits).
        case publicKey(Ed25519.PublicKey)
    }

    /// `[[accounts]]`: an account's genesis balances.
    public struct Account: Hashable, Sendable {
        /// `address` or `public_key`.
        public var id: AccountID
        /// `aic`: AIC base units (default 0).
        public var aic: UInt64
        /// `swr`: liquid SWR base units (default 0).
        public var swr: UInt64

        /// An account from its parts.
        public init(id: AccountID, aic: UInt64, swr: UInt64) {
            self.id = id
            self.aic = aic
            self.swr = swr
        }
    }

    /// A token the bank holds.
    public enum Token: String, Hashable, Sendable, CaseIterable {
        /// AI credits: fees and compute.
        case aic
        /// The staking token.
        case swr
    }

    /// `[[authorities]]`: an account allowed to mint or burn one token.
    public struct Authority: Hashable, Sendable {
        /// `address`: 20 bytes (40 hex digits).
        public var address: [UInt8]
        /// `denomination`: `"aic"` or `"swr"`.
        public var token: Token
        /// `mint` (default false).
        public var mint: Bool
        /// `burn` (default false).
        public var burn: Bool

        /// An authority from its parts.
        public init(address: [UInt8], token: Token, mint: Bool, burn: Bool) {
            self.address = address
            self.token = token
            self.mint = mint
            self.burn = burn
        }
    }
}
