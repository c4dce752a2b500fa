public import Chain
public import ChainConfiguration
internal import ChannelAdjudicator
public import Consensus
internal import DataAvailabilityModule
internal import Primitives
internal import SettlementModule
public import Storage

// The mapping from `genesis.toml` (`ChainConfiguration.Genesis`, which depends only on Primitives) onto
// the chain's own types. It lives here because this target sees Chain and Consensus.

extension ChainConfiguration.Genesis {
    /// `[fees]` as the chain's fee rule `a + b·bytes + c·steps + d·mem`.
    public var feeSchedule: FeeSchedule {
        FeeSchedule(base: fees.a, perByte: fees.b, perStep: fees.c, perMemoryByte: fees.d)
    }

    /// The consensus engine's configuration: `slot_ms` is the minimum block interval,
    /// `epoch_slots` the epoch length, `block_bytes_max` the largest proposal; the base view timer
    /// is three slots (the engine's default ratio); the rest are the engine's defaults.
    public func consensusConfiguration() -> ConsensusConfiguration {
        var configuration = ConsensusConfiguration(chainId: chain.chainId)
        configuration.minimumBlockInterval = chain.slotMilliseconds
        let (baseTimeout, overflow) = chain.slotMilliseconds.multipliedReportingOverflow(by: 3)
        configuration.baseTimeout = overflow ? .max : baseTimeout
        configuration.maximumTimeout = max(configuration.maximumTimeout, configuration.baseTimeout)
        configuration.epochLength = chain.epochSlots
        configuration.maximumBlockBytes = Int(clamping: chain.blockBytesMax)
        return configuration
    }

    /// `[staking]` and the consensus penalties as the staking module's parameters.
    public var stakingParameters: Staking.Parameters {
        let reward: Staking.RewardRule =
            switch staking.reward {
            case .fixed(let amount): .fixed(amount)
            case .inflation(let rate): .inflation(rate)
            }
        return Staking.Parameters(
            epochSlots: chain.epochSlots, unbondingDelayEpochs: staking.unbondingDelayEpochs, reward: reward,
            minCommission: staking.minCommission, maxCommission: staking.maxCommission,
            minSelfBond: staking.minSelfBond, downtimeWindow: staking.downtimeWindowSlots,
            jailThreshold: staking.jailThresholdSlots, jailEpochs: staking.jailEpochs,
            maxValidators: staking.maxValidators, slashDouble: consensus.slashDouble,
            leakDowntime: consensus.leakDowntime)
    }

    /// The address an `[[accounts]]` entry funds.
    public static func address(of account: AccountID) throws(ConfigurationError) -> Address {
        switch account {
        case .publicKey(let key): return Address(publicKey: key)
        case .address(let bytes):
            do { return try Address(bytes) } catch {
                throw ConfigurationError(
                    kind: .invalidValue, source: "genesis", key: "accounts", position: nil, message: error.description)
            }
        }
    }

    private func mappingError(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(kind: .invalidValue, source: "genesis", key: key, position: nil, message: message)
    }

    private func address(_ bytes: [UInt8], key: String) throws(ConfigurationError) -> Address {
        do { return try Address(bytes) } catch { throw mappingError(key, error.description) }
    }

    /// The bank genesis: the accounts' AIC and SWR, the validators' stakes as the balance of
    /// `Staking.pool`, and the authorities' rights.
    /// - Throws: `ConfigurationError` for two entries that are the same account (an address and a
    ///   key deriving it) or an entry that is a module account.
    public func bankGenesis() throws(ConfigurationError) -> Bank.Genesis {
        var genesis = Bank.Genesis()
        var seen: [Address: Int] = [:]
        let moduleAccounts = [Staking.pool, Bank.feeEscrow]
        for (index, account) in accounts.enumerated() {
            let address = try Self.address(of: account.id)
            guard !moduleAccounts.contains(address) else {
                throw mappingError("accounts[\(index)]", "\(address) is a module account and cannot hold a balance")
            }
            if let first = seen.updateValue(index, forKey: address) {
                throw mappingError("accounts[\(index)]", "is the same account as accounts[\(first)] (\(address))")
            }
            if account.aic > 0 {
                genesis.balances.append(Bank.Balance(address: address, denomination: .aic, amount: account.aic))
            }
            if account.swr > 0 {
                genesis.balances.append(Bank.Balance(address: address, denomination: .swr, amount: account.swr))
            }
        }
        var staked: UInt64 = 0
        for (index, validator) in validators.enumerated() {
            let (sum, overflow) = staked.addingReportingOverflow(validator.stake)
            guard !overflow else { throw mappingError("validators[\(index)].stake", "the total stake overflows") }
            staked = sum
        }
        if staked > 0 {
            genesis.balances.append(Bank.Balance(address: Staking.pool, denomination: .swr, amount: staked))
        }
        for (index, authority) in authorities.enumerated() {
            let address = try address(authority.address, key: "authorities[\(index)].address")
            var rights: Bank.Rights = []
            if authority.mint { rights.insert(.mint) }
            if authority.burn { rights.insert(.burn) }
            genesis.rights.append(
                Bank.Authority(address: address, denomination: authority.token == .aic ? .aic : .swr, rights: rights))
        }
        return genesis
    }

    /// The staking genesis: each validator self-bonded by its operator, the top `max_validators`
    /// as the set of epochs 0 and 1.
    public func stakingGenesis() throws(ConfigurationError) -> Staking.Genesis {
        var initial: [Staking.InitialValidator] = []
        for (index, validator) in validators.enumerated() {
            let operatorAddress = try address(validator.operatorAddress, key: "validators[\(index)].operator")
            guard operatorAddress != Staking.pool, operatorAddress != Bank.feeEscrow else {
                throw mappingError("validators[\(index)].operator", "\(operatorAddress) is a module account")
            }
            initial.append(
                Staking.InitialValidator(
                    operatorAddress: operatorAddress, name: validator.name, publicKey: validator.publicKey,
                    vrfPublicKey: validator.vrfPublicKey, commission: validator.commission, stake: validator.stake))
        }
        return Staking.Genesis.initial(parameters: stakingParameters, validators: initial)
    }

    /// The chain genesis: the bank's and staking's module states.
    public func chainGenesis() throws(ConfigurationError) -> ChainGenesis {
        var genesis = ChainGenesis(chainId: chain.chainId)
        genesis.set(Bank.moduleName, try bankGenesis())
        genesis.set(Staking.moduleName, try stakingGenesis())
        return genesis
    }

    /// The validator set of epochs 0 and 1 (what the consensus engine starts with).
    public func initialValidatorSet() throws(ConfigurationError) -> ValidatorSet {
        let genesis = try stakingGenesis()
        guard let first = genesis.validatorSets.first else { throw mappingError("validators", "no validator set") }
        do { return try first.validators.validatorSet() } catch { throw mappingError("validators", error.description) }
    }

    /// The L1 state machine this genesis describes, over `tree` (with its transaction signature rule).
    public func stateMachine(tree: SparseMerkleTree) throws(ChainConfigurationError) -> ChainStateMachine {
        var machine = try Staking.l1StateMachine(chainId: chain.chainId, tree: tree, fees: feeSchedule)
        machine.signatureRule = chain.transactionSignatures
        return machine
    }
}

extension Staking {
    /// The L1's application modules, in hook order: the bank (blocking transfers into the
    /// staking pool and the channel escrow), staking, data availability (domains' block
    /// commitments), the channel adjudicator and settlement (domains' payout batches and their
    /// attestations).
    public static func l1Modules() -> (modules: [any ApplicationModule], feeKeeper: Bank) {
        let bank = Bank(blockedRecipients: [pool, Adjudicator.escrow])
        return (
            [
                bank, Staking(), DataAvailabilityModule(domains: DomainKeeper()), Adjudicator(),
                SettlementModule(authority: SettlementAuthority()),
            ], bank
        )
    }

    /// The L1 state machine: accounts, bank and staking.
    public static func l1StateMachine(chainId: String, tree: SparseMerkleTree, fees: FeeSchedule)
        throws(ChainConfigurationError) -> ChainStateMachine
    {
        let (modules, bank) = l1Modules()
        return try ChainStateMachine(chainId: chainId, tree: tree, modules: modules, fees: fees, feeKeeper: bank)
    }
}
