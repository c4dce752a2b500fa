public import Chain
public import ChainConfiguration
public import Consensus
public import Primitives

// MARK: - Validators and delegations

extension Staking {
    /// A validator's record: keys, commission, bonded tokens and the shares delegators hold in
    /// them, and its standing (jail, tombstone, liveness counters).
    ///
    /// Delegations are shares of `tokens`: a delegation of `s` shares is worth
    /// `⌊s × tokens / shares⌋` SWR. Rewards add to `tokens` and slashes take from it, so they reach
    /// every delegator in proportion without touching each delegation.
    public struct Validator: Hashable, Sendable {
        /// The account that controls the validator (its id).
        public var operatorAddress: Address
        /// A name for people (1–64 bytes).
        public var name: String
        /// The Ed25519 key that signs proposals and votes.
        public var publicKey: Ed25519.PublicKey
        /// The VRF key of the leader schedule.
        public var vrfPublicKey: Ed25519.PublicKey
        /// The share of rewards the operator keeps.
        public var commission: Ratio
        /// Bonded SWR base units (held in the staking pool).
        public var tokens: UInt64
        /// The delegators' shares, summed.
        public var shares: UInt64
        /// Jailed validators are left out of new sets and earn nothing.
        public var jailed: Bool
        /// The first epoch in which a jailed validator may unjail.
        public var jailedUntilEpoch: UInt64
        /// Slashed for double-signing: jailed for good, its key never usable again.
        public var tombstoned: Bool
        /// The liveness window the miss counter belongs to (`height / downtimeWindow`).
        public var livenessWindow: UInt64
        /// Misses in that window.
        public var missedInWindow: UInt64
        /// Misses in the current epoch (the downtime leak is charged on them when it closes).
        public var missedInEpoch: UInt64

        /// A new, unjailed validator with no misses.
        public init(
            operatorAddress: Address, name: String, publicKey: Ed25519.PublicKey, vrfPublicKey: Ed25519.PublicKey,
            commission: Ratio, tokens: UInt64, shares: UInt64
        ) {
            self.operatorAddress = operatorAddress
            self.name = name
            self.publicKey = publicKey
            self.vrfPublicKey = vrfPublicKey
            self.commission = commission
            self.tokens = tokens
            self.shares = shares
            self.jailed = false
            self.jailedUntilEpoch = 0
            self.tombstoned = false
            self.livenessWindow = 0
            self.missedInWindow = 0
            self.missedInEpoch = 0
        }

        /// The SWR value of `shares` of this validator, rounded down.
        public func value(ofShares held: UInt64) -> UInt64 {
            guard shares > 0 else { return 0 }
            return StakeMath.mulDivFloor(held, tokens, shares) ?? tokens
        }

        /// True when the validator may be chosen for a set: not jailed, not tombstoned, some stake.
        public var isEligible: Bool { !jailed && !tombstoned && tokens > 0 }
    }

    /// Stake moved in by a redelegation that is still locked: it cannot be moved on or unbonded
    /// until the redelegation matures, so a slash of the source validator can still reach it.
    public struct IncomingRedelegation: Hashable, Sendable {
        /// The validator the stake came from.
        public var source: Address
        /// Shares of this delegation that are locked.
        public var shares: UInt64
        /// The epoch of the redelegation.
        public var creationEpoch: UInt64
        /// The epoch whose close unlocks the shares.
        public var maturityEpoch: UInt64

        /// A lock from its parts.
        public init(source: Address, shares: UInt64, creationEpoch: UInt64, maturityEpoch: UInt64) {
            self.source = source
            self.shares = shares
            self.creationEpoch = creationEpoch
            self.maturityEpoch = maturityEpoch
        }
    }

    /// One delegator's shares of one validator, and the locks on them.
    public struct Delegation: Hashable, Sendable {
        /// Shares held (locked ones included).
        public var shares: UInt64
        /// Redelegated shares still locked, oldest first.
        public var incoming: [IncomingRedelegation]

        /// A delegation from its parts.
        public init(shares: UInt64, incoming: [IncomingRedelegation] = []) {
            self.shares = shares
            self.incoming = incoming
        }

        /// Shares that may be unbonded or redelegated (not locked).
        public var availableShares: UInt64 {
            let locked = incoming.reduce(UInt64(0)) { StakeMath.add($0, $1.shares) ?? .max }
            return shares > locked ? shares - locked : 0
        }
    }

    /// SWR on its way out: paid from the pool to the delegator when `maturityEpoch` closes.
    public struct UnbondingEntry: Hashable, Sendable {
        /// Who is paid.
        public var delegator: Address
        /// SWR base units (reduced by slashes for infractions it was bonded during).
        public var amount: UInt64
        /// The epoch of the unbonding.
        public var creationEpoch: UInt64
        /// The epoch whose close pays it.
        public var maturityEpoch: UInt64

        /// An entry from its parts.
        public init(delegator: Address, amount: UInt64, creationEpoch: UInt64, maturityEpoch: UInt64) {
            self.delegator = delegator
            self.amount = amount
            self.creationEpoch = creationEpoch
            self.maturityEpoch = maturityEpoch
        }
    }

    /// A redelegation away from a validator, kept until it matures so the source's slashes can
    /// follow the stake to its destination.
    public struct RedelegationEntry: Hashable, Sendable {
        /// Who moved stake.
        public var delegator: Address
        /// Where it went.
        public var destination: Address
        /// SWR base units moved (reduced by slashes).
        public var amount: UInt64
        /// The epoch of the redelegation.
        public var creationEpoch: UInt64
        /// The epoch whose close ends the entry (and the lock at the destination).
        public var maturityEpoch: UInt64

        /// An entry from its parts.
        public init(
            delegator: Address, destination: Address, amount: UInt64, creationEpoch: UInt64, maturityEpoch: UInt64
        ) {
            self.delegator = delegator
            self.destination = destination
            self.amount = amount
            self.creationEpoch = creationEpoch
            self.maturityEpoch = maturityEpoch
        }
    }
}

// MARK: - Epochs, totals and domains

extension Staking {
    /// One member of an epoch's validator set, as fixed when the set was chosen.
    public struct SetMember: Hashable, Sendable {
        /// The validator's operator.
        public var operatorAddress: Address
        /// Its signing key.
        public var publicKey: Ed25519.PublicKey
        /// Its VRF key.
        public var vrfPublicKey: Ed25519.PublicKey
        /// Its bonded tokens when the set was chosen (its voting power for the epoch).
        public var stake: UInt64

        /// A member from its parts.
        public init(
            operatorAddress: Address, publicKey: Ed25519.PublicKey, vrfPublicKey: Ed25519.PublicKey, stake: UInt64
        ) {
            self.operatorAddress = operatorAddress
            self.publicKey = publicKey
            self.vrfPublicKey = vrfPublicKey
            self.stake = stake
        }
    }

    /// The validators of one epoch (of the L1 or of a domain), ascending by public key.
    public struct EpochValidators: Hashable, Sendable {
        /// The members, ascending by public key (the consensus `ValidatorSet` order).
        public var members: [SetMember]

        /// A set from members in any order (sorted here).
        public init(_ members: [SetMember]) {
            self.members = members.sorted { $0.publicKey < $1.publicKey }
        }

        /// The sum of the stakes.
        public var totalStake: UInt64 { members.reduce(0) { StakeMath.add($0, $1.stake) ?? .max } }

        /// The member with `publicKey`.
        public func member(withKey publicKey: Ed25519.PublicKey) -> SetMember? {
            members.first { $0.publicKey == publicKey }
        }

        /// The consensus engine's view of the set.
        /// - Throws: `ValidatorSetError` for an empty set (never stored) or a repeated key.
        public func validatorSet() throws(ValidatorSetError) -> ValidatorSet {
            try ValidatorSet(
                members.map {
                    Consensus.Validator(publicKey: $0.publicKey, vrfPublicKey: $0.vrfPublicKey, stake: $0.stake)
                })
        }
    }

    /// Where the module is in its epochs: it counts executed blocks, `epochSlots` per epoch.
    public struct EpochProgress: Hashable, Sendable {
        /// The epoch of the last executed block.
        public var epoch: UInt64
        /// Blocks of that epoch executed so far.
        public var blocks: UInt64
        /// True once the epoch's last block ran its end-block hook (the next block opens `epoch + 1`).
        public var closed: Bool

        /// Progress from its parts.
        public init(epoch: UInt64, blocks: UInt64, closed: Bool) {
            self.epoch = epoch
            self.blocks = blocks
            self.closed = closed
        }

        /// A new chain: epoch 0, no blocks yet.
        public static let genesis = EpochProgress(epoch: 0, blocks: 0, closed: false)
    }

    /// SWR the module has minted (rewards, commission) and burned (slashes, leaks) since genesis.
    public struct Totals: Hashable, Sendable {
        /// Minted, in base units.
        public var minted: UInt64
        /// Burned, in base units.
        public var burned: UInt64

        /// Totals from their parts.
        public init(minted: UInt64 = 0, burned: UInt64 = 0) {
            self.minted = minted
            self.burned = burned
        }
    }

    /// A validator's membership of a domain's opt-in set.
    public struct DomainMember: Hashable, Sendable {
        /// The validator's operator.
        public var operatorAddress: Address
        /// The epoch it joined (or last rejoined).
        public var joinedEpoch: UInt64
        /// The epoch it left, while it is still answerable for the domain (nil: a member).
        public var leftEpoch: UInt64?

        /// A membership from its parts.
        public init(operatorAddress: Address, joinedEpoch: UInt64, leftEpoch: UInt64? = nil) {
            self.operatorAddress = operatorAddress
            self.joinedEpoch = joinedEpoch
            self.leftEpoch = leftEpoch
        }
    }
}

// MARK: - Canonical encodings

extension Staking.Validator: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(operatorAddress)
        encoder.write(name)
        encoder.write(publicKey)
        encoder.write(vrfPublicKey)
        encoder.write(commission)
        encoder.write(tokens)
        encoder.write(shares)
        encoder.write(jailed)
        encoder.write(jailedUntilEpoch)
        encoder.write(tombstoned)
        encoder.write(livenessWindow)
        encoder.write(missedInWindow)
        encoder.write(missedInEpoch)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        operatorAddress = try decoder.read(Address.self)
        name = try decoder.read(String.self, maxLength: Staking.maximumNameBytes)
        publicKey = try decoder.read(Ed25519.PublicKey.self)
        vrfPublicKey = try decoder.read(Ed25519.PublicKey.self)
        commission = try decoder.read(Ratio.self)
        tokens = try decoder.read(UInt64.self)
        shares = try decoder.read(UInt64.self)
        jailed = try decoder.read(Bool.self)
        jailedUntilEpoch = try decoder.read(UInt64.self)
        tombstoned = try decoder.read(Bool.self)
        livenessWindow = try decoder.read(UInt64.self)
        missedInWindow = try decoder.read(UInt64.self)
        missedInEpoch = try decoder.read(UInt64.self)
    }
}

extension Staking.IncomingRedelegation: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(source)
        encoder.write(shares)
        encoder.write(creationEpoch)
        encoder.write(maturityEpoch)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        source = try decoder.read(Address.self)
        shares = try decoder.read(UInt64.self)
        creationEpoch = try decoder.read(UInt64.self)
        maturityEpoch = try decoder.read(UInt64.self)
    }
}

extension Staking.Delegation: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(shares)
        encoder.write(incoming)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        shares = try decoder.read(UInt64.self)
        incoming = try decoder.readArray(of: Staking.IncomingRedelegation.self)
    }
}

extension Staking.UnbondingEntry: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(delegator)
        encoder.write(amount)
        encoder.write(creationEpoch)
        encoder.write(maturityEpoch)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        delegator = try decoder.read(Address.self)
        amount = try decoder.read(UInt64.self)
        creationEpoch = try decoder.read(UInt64.self)
        maturityEpoch = try decoder.read(UInt64.self)
    }
}

extension Staking.RedelegationEntry: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(delegator)
        encoder.write(destination)
        encoder.write(amount)
        encoder.write(creationEpoch)
        encoder.write(maturityEpoch)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        delegator = try decoder.read(Address.self)
        destination = try decoder.read(Address.self)
        amount = try decoder.read(UInt64.self)
        creationEpoch = try decoder.read(UInt64.self)
        maturityEpoch = try decoder.read(UInt64.self)
    }
}

extension Staking.SetMember: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(operatorAddress)
        encoder.write(publicKey)
        encoder.write(vrfPublicKey)
        encoder.write(stake)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        operatorAddress = try decoder.read(Address.self)
        publicKey = try decoder.read(Ed25519.PublicKey.self)
        vrfPublicKey = try decoder.read(Ed25519.PublicKey.self)
        stake = try decoder.read(UInt64.self)
    }
}

extension Staking.EpochValidators: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(members) }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        let members = try decoder.readArray(of: Staking.SetMember.self, maxCount: ValidatorSet.maximumSize)
        for (previous, next) in zip(members, members.dropFirst()) where !(previous.publicKey < next.publicKey) {
            throw .invalidValue(offset: offset, reason: "validator set members are not in ascending key order")
        }
        self.members = members
    }
}

extension Staking.EpochProgress: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(blocks)
        encoder.write(closed)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        blocks = try decoder.read(UInt64.self)
        closed = try decoder.read(Bool.self)
    }
}

extension Staking.Totals: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(minted)
        encoder.write(burned)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        minted = try decoder.read(UInt64.self)
        burned = try decoder.read(UInt64.self)
    }
}

extension Staking.DomainMember: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(operatorAddress)
        encoder.write(joinedEpoch)
        encoder.write(leftEpoch)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        operatorAddress = try decoder.read(Address.self)
        joinedEpoch = try decoder.read(UInt64.self)
        leftEpoch = try decoder.readOptional(UInt64.self)
    }
}

/// A list of addresses stored as one value (the validator list, maturity queues).
struct AddressList: Hashable, Sendable, CanonicalCodable {
    var addresses: [Address]

    init(_ addresses: [Address]) { self.addresses = addresses }

    func encode(to encoder: inout CanonicalEncoder) { encoder.write(addresses) }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        addresses = try decoder.readArray(of: Address.self)
    }

    /// Inserts `address` keeping ascending order; false when it was already there.
    @discardableResult
    mutating func insert(_ address: Address) -> Bool {
        let index = addresses.firstIndex { !($0 < address) } ?? addresses.count
        guard index == addresses.count || addresses[index] != address else { return false }
        addresses.insert(address, at: index)
        return true
    }
}

/// A maturity queue: which validators have unbonding entries, and which sources have
/// redelegations, that mature when one epoch closes.
struct MaturityQueue: Hashable, Sendable, CanonicalCodable {
    var unbonding: AddressList
    var redelegations: AddressList

    init(unbonding: AddressList = AddressList([]), redelegations: AddressList = AddressList([])) {
        self.unbonding = unbonding
        self.redelegations = redelegations
    }

    var isEmpty: Bool { unbonding.addresses.isEmpty && redelegations.addresses.isEmpty }

    func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(unbonding)
        encoder.write(redelegations)
    }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        unbonding = try decoder.read(AddressList.self)
        redelegations = try decoder.read(AddressList.self)
    }
}

/// The domains that have ever had a member, ascending.
struct DomainList: Hashable, Sendable, CanonicalCodable {
    var domains: [String]

    func encode(to encoder: inout CanonicalEncoder) { encoder.write(domains) }

    init(_ domains: [String]) { self.domains = domains }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        domains = []
        for _ in 0..<(try decoder.readLength(limit: 1 << 16)) {
            domains.append(try decoder.read(String.self, maxLength: Staking.maximumDomainBytes))
        }
    }
}

/// A list of canonical values stored under one key.
struct StoredList<Element: CanonicalCodable & Hashable & Sendable>: Hashable, Sendable, CanonicalCodable {
    var elements: [Element]

    init(_ elements: [Element]) { self.elements = elements }

    func encode(to encoder: inout CanonicalEncoder) { encoder.write(elements) }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        elements = try decoder.readArray(of: Element.self)
    }
}
