public import ChainConfiguration
public import Primitives

extension Staking {
    /// How much SWR each epoch mints as rewards.
    public enum RewardRule: Hashable, Sendable {
        /// A fixed amount of SWR base units per epoch.
        case fixed(UInt64)
        /// This fraction of the SWR supply at the epoch's end, rounded down.
        case inflation(Ratio)
    }

    /// The module's parameters: stored in state at genesis and read by every message and hook.
    ///
    /// Units: epochs, blocks ("slots": executed blocks), SWR base units and exact fractions.
    public struct Parameters: Hashable, Sendable {
        /// Executed blocks per epoch (genesis `epoch_slots`).
        public var epochSlots: UInt64
        /// Unbonded stake is paid out when epoch `unbonding epoch + unbondingDelayEpochs` closes.
        public var unbondingDelayEpochs: UInt64
        /// The epoch reward.
        public var reward: RewardRule
        /// The least commission a validator may set.
        public var minCommission: Ratio
        /// The most commission a validator may set.
        public var maxCommission: Ratio
        /// The least SWR an operator keeps bonded to its own validator.
        public var minSelfBond: UInt64
        /// Blocks per liveness window (tumbling: windows are `height / downtimeWindow`).
        public var downtimeWindow: UInt64
        /// Misses within one window that jail a validator.
        public var jailThreshold: UInt64
        /// Epochs a jailed validator waits before it may unjail.
        public var jailEpochs: UInt64
        /// The most validators in an epoch's set.
        public var maxValidators: UInt64
        /// The fraction of stake burned for double-signing (`slash_double`).
        public var slashDouble: Ratio
        /// λ: the fraction of bonded stake burned per missed block (`leak_downtime`).
        public var leakDowntime: Ratio
        /// The most unbonding (or redelegation) entries one delegator may have per validator.
        public var maxEntries: UInt64

        /// Parameters from their values (checked by `validate()` and on genesis import).
        public init(
            epochSlots: UInt64, unbondingDelayEpochs: UInt64, reward: RewardRule, minCommission: Ratio,
            maxCommission: Ratio, minSelfBond: UInt64, downtimeWindow: UInt64, jailThreshold: UInt64,
            jailEpochs: UInt64, maxValidators: UInt64, slashDouble: Ratio, leakDowntime: Ratio,
            maxEntries: UInt64 = 7
        ) {
            self.epochSlots = epochSlots
            self.unbondingDelayEpochs = unbondingDelayEpochs
            self.reward = reward
            self.minCommission = minCommission
            self.maxCommission = maxCommission
            self.minSelfBond = minSelfBond
            self.downtimeWindow = downtimeWindow
            self.jailThreshold = jailThreshold
            self.jailEpochs = jailEpochs
            self.maxValidators = maxValidators
            self.slashDouble = slashDouble
            self.leakDowntime = leakDowntime
            self.maxEntries = maxEntries
        }

        /// Checks the ranges `genesis.toml` documents.
        /// - Throws: `StakingError.invalidParameters` naming the parameter.
        public func validate() throws(StakingError) {
            func check(_ condition: Bool, _ reason: String) throws(StakingError) {
                guard condition else { throw .invalidParameters(reason) }
            }
            try check(epochSlots > 0, "epoch_slots must be positive")
            try check(unbondingDelayEpochs >= 2, "the unbonding delay must be at least 2 epochs")
            if case .inflation(let rate) = reward { try check(rate.isAtMostOne, "inflation must be at most 1") }
            try check(maxCommission.isAtMostOne, "max_commission must be at most 1")
            try check(minCommission <= maxCommission, "min_commission must not exceed max_commission")
            try check(minSelfBond > 0, "min_self_bond must be positive")
            try check(downtimeWindow > 0, "the downtime window must be positive")
            try check((1...downtimeWindow).contains(jailThreshold), "the jail threshold must be within the window")
            try check(jailEpochs > 0, "jail_epochs must be positive")
            try check((1...10_000).contains(maxValidators), "max_validators must be between 1 and 10000")
            try check(slashDouble.isAtMostOne, "slash_double must be at most 1")
            try check(leakDowntime.isAtMostOne, "leak_downtime must be at most 1")
            try check(maxEntries > 0, "max_entries must be positive")
        }
    }
}

extension Staking.RewardRule: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .fixed(let amount):
            encoder.write(UInt8(0))
            encoder.write(amount)
        case .inflation(let rate):
            encoder.write(UInt8(1))
            encoder.write(rate)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0: self = .fixed(try decoder.read(UInt64.self))
        case 1: self = .inflation(try decoder.read(Ratio.self))
        case let tag: throw .unknownTag(offset: offset, tag: UInt64(tag), type: "Staking.RewardRule")
        }
    }
}

extension Staking.Parameters: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epochSlots)
        encoder.write(unbondingDelayEpochs)
        encoder.write(reward)
        encoder.write(minCommission)
        encoder.write(maxCommission)
        encoder.write(minSelfBond)
        encoder.write(downtimeWindow)
        encoder.write(jailThreshold)
        encoder.write(jailEpochs)
        encoder.write(maxValidators)
        encoder.write(slashDouble)
        encoder.write(leakDowntime)
        encoder.write(maxEntries)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epochSlots = try decoder.read(UInt64.self)
        unbondingDelayEpochs = try decoder.read(UInt64.self)
        reward = try decoder.read(Staking.RewardRule.self)
        minCommission = try decoder.read(Ratio.self)
        maxCommission = try decoder.read(Ratio.self)
        minSelfBond = try decoder.read(UInt64.self)
        downtimeWindow = try decoder.read(UInt64.self)
        jailThreshold = try decoder.read(UInt64.self)
        jailEpochs = try decoder.read(UInt64.self)
        maxValidators = try decoder.read(UInt64.self)
        slashDouble = try decoder.read(Ratio.self)
        leakDowntime = try decoder.read(Ratio.self)
        maxEntries = try decoder.read(UInt64.self)
    }
}
