public import Chain
public import Consensus
public import Primitives
internal import Storage

// MARK: - Queries

extension Staking {
    /// The state key answering a query (the chain proves the value with ICS-23):
    ///
    /// | path | arguments | value |
    /// |---|---|---|
    /// | `parameters` | none | `Parameters` |
    /// | `progress` | none | `EpochProgress` |
    /// | `totals` | none | `Totals` |
    /// | `validator` | operator (20) | `Validator` |
    /// | `validator_by_key` | signing key (32) | operator (20 bytes) |
    /// | `delegation` | delegator (20) ‖ validator (20) | `Delegation` |
    /// | `unbonding` | validator (20) | `[UnbondingEntry]` |
    /// | `redelegations` | source (20) | `[RedelegationEntry]` |
    /// | `validators` | none | every operator, ascending |
    /// | `validator_set` | epoch (u64) | `EpochValidators` |
    /// | `domain_members` | domain (string) | `[DomainMember]` |
    /// | `domain_set` | epoch (u64) ‖ domain (string) | `EpochValidators` |
    /// | `domains` | none | every domain id, ascending |
    public func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8] {
        do {
            switch query.path {
            case "parameters": return Keys.parameters
            case "progress": return Keys.progress
            case "totals": return Keys.totals
            case "validators": return Keys.validatorList
            case "domains": return Keys.domainList
            case "validator": return Keys.validator(try Canonical.decode(Address.self, from: query.arguments))
            case "validator_by_key":
                return Keys.keyIndex(try Canonical.decode(Ed25519.PublicKey.self, from: query.arguments))
            case "delegation":
                let pair = try Canonical.decode(AddressPair.self, from: query.arguments)
                return Keys.delegation(pair.first, pair.second)
            case "unbonding": return Keys.unbonding(try Canonical.decode(Address.self, from: query.arguments))
            case "redelegations": return Keys.redelegations(try Canonical.decode(Address.self, from: query.arguments))
            case "validator_set": return Keys.validatorSet(try Canonical.decode(UInt64.self, from: query.arguments))
            case "domain_members":
                return Keys.domainMembers(try Canonical.decode(String.self, from: query.arguments))
            case "domain_set":
                let arguments = try Canonical.decode(EpochDomain.self, from: query.arguments)
                return Keys.domainSet(arguments.domain, epoch: arguments.epoch)
            default: throw QueryError.unsupportedQuery(module: name, path: query.path)
            }
        } catch let error as QueryError {
            throw error
        } catch {
            throw .invalidArguments(module: name, path: query.path, reason: String(describing: error))
        }
    }

    /// The query for the L1 validator set of `epoch` (decode the value as `EpochValidators`).
    public static func validatorSetQuery(epoch: UInt64) -> ModuleQuery {
        ModuleQuery(module: moduleName, path: "validator_set", arguments: Canonical.encode(epoch))
    }

    /// The query for `domain`'s validator set of `epoch`.
    public static func domainSetQuery(_ domain: String, epoch: UInt64) -> ModuleQuery {
        ModuleQuery(
            module: moduleName, path: "domain_set",
            arguments: Canonical.encode(EpochDomain(epoch: epoch, domain: domain)))
    }

    /// The query for a validator's record.
    public static func validatorQuery(_ operatorAddress: Address) -> ModuleQuery {
        ModuleQuery(module: moduleName, path: "validator", arguments: Canonical.encode(operatorAddress))
    }

    /// The query for `delegator`'s delegation to `validator`.
    public static func delegationQuery(_ delegator: Address, _ validator: Address) -> ModuleQuery {
        ModuleQuery(
            module: moduleName, path: "delegation",
            arguments: Canonical.encode(AddressPair(first: delegator, second: validator)))
    }

    // MARK: - Typed reads for the node

    /// The consensus validator set of the L1 for `epoch`: what the node gives the consensus engine.
    ///
    /// Sets are fixed when epoch `epoch − 2` closes (those of epochs 0 and 1 at genesis) and kept
    /// for `unbondingDelayEpochs` epochs after. nil: not fixed yet, or pruned.
    public static func validatorSet(epoch: UInt64, in state: some ModuleStateReading) throws(StateAccessError)
        -> ValidatorSet?
    {
        guard let set = try epochValidators(epoch, in: state) else { return nil }
        do { return try set.validatorSet() } catch {
            throw .storage(.corrupted("the stored validator set of epoch \(epoch) is invalid: \(error)"))
        }
    }

    /// `domain`'s consensus validator set for `epoch` (nil: none fixed, or pruned).
    public static func domainValidatorSet(_ domain: String, epoch: UInt64, in state: some ModuleStateReading)
        throws(StateAccessError) -> ValidatorSet?
    {
        guard let set = try domainValidators(domain, epoch: epoch, in: state) else { return nil }
        do { return try set.validatorSet() } catch {
            throw .storage(.corrupted("the stored set of domain \(domain), epoch \(epoch), is invalid: \(error)"))
        }
    }
}

extension ChainStateMachine {
    /// The L1 validator set of `epoch` in the state at `root` (the staking module must be registered).
    public func validatorSet(epoch: UInt64, root: Hash) throws(StateAccessError) -> ValidatorSet? {
        try Staking.validatorSet(epoch: epoch, in: state(at: root).module(Staking.moduleName))
    }

    /// Where staking is in its epochs at `root`.
    public func stakingProgress(root: Hash) throws(StateAccessError) -> Staking.EpochProgress {
        try Staking.progress(in: state(at: root).module(Staking.moduleName))
    }
}

/// Two addresses: the arguments of the `delegation` query.
struct AddressPair: CanonicalCodable {
    let first: Address
    let second: Address

    init(first: Address, second: Address) {
        self.first = first
        self.second = second
    }

    func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(first)
        encoder.write(second)
    }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        first = try decoder.read(Address.self)
        second = try decoder.read(Address.self)
    }
}

/// An epoch and a domain: the arguments of the `domain_set` query.
struct EpochDomain: CanonicalCodable {
    let epoch: UInt64
    let domain: String

    init(epoch: UInt64, domain: String) {
        self.epoch = epoch
        self.domain = domain
    }

    func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(domain)
    }

    init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        domain = try decoder.read(String.self, maxLength: Staking.maximumDomainBytes)
    }
}

// MARK: - Invariants

extension Staking {
    /// `pool`: the pool's SWR equals the bonded tokens plus the unbonding entries. `shares`: each
    /// validator's shares are the sum of its delegations; no delegation locks more than it holds;
    /// a validator without shares has no tokens. `index`: the key index, the validator list and
    /// the maturity queues match the records they are derived from. `sets`: stored sets are
    /// non-empty with positive stakes.
    public func checkInvariants(_ state: ModuleStateReader) throws -> [InvariantViolation] {
        var violations: [InvariantViolation] = []
        func violation(_ invariant: String, _ message: String) {
            violations.append(InvariantViolation(module: name, invariant: invariant, message: message))
        }
        let genesis = try Canonical.decode(Genesis.self, from: try exportGenesis(state))

        var bonded: UInt64 = 0
        var sharesByValidator: [Address: UInt64] = [:]
        for validator in genesis.validators {
            bonded = StakeMath.add(bonded, validator.tokens) ?? .max
            sharesByValidator[validator.operatorAddress] = 0
            if validator.shares == 0 && validator.tokens > 0 {
                violation(
                    "shares", "validator \(validator.operatorAddress) has \(validator.tokens) tokens and no shares")
            }
            if try Self.operatorAddress(ofKey: validator.publicKey, in: state) != validator.operatorAddress {
                violation("index", "the key of \(validator.operatorAddress) does not map to it")
            }
        }
        var unbonding: UInt64 = 0
        var queues: [UInt64: MaturityQueue] = [:]
        for record in genesis.unbonding {
            for entry in record.entries {
                unbonding = StakeMath.add(unbonding, entry.amount) ?? .max
                queues[entry.maturityEpoch, default: MaturityQueue()].unbonding.insert(record.validator)
            }
        }
        for record in genesis.redelegations {
            for entry in record.entries {
                queues[entry.maturityEpoch, default: MaturityQueue()].redelegations.insert(record.source)
            }
        }
        for record in genesis.delegations {
            sharesByValidator[record.validator] =
                StakeMath.add(sharesByValidator[record.validator] ?? 0, record.delegation.shares) ?? .max
            if record.delegation.availableShares + record.delegation.incoming.reduce(0, { $0 + $1.shares })
                != record.delegation.shares
            {
                violation("shares", "the delegation of \(record.delegator) to \(record.validator) over-locks")
            }
        }
        for validator in genesis.validators where sharesByValidator[validator.operatorAddress] != validator.shares {
            violation(
                "shares",
                "delegations to \(validator.operatorAddress) hold \(sharesByValidator[validator.operatorAddress] ?? 0) "
                    + "shares, the validator \(validator.shares)")
        }
        let poolBalance = try bank.balance(of: Self.pool, in: state.reader.module(bank.moduleName))
        let expected = StakeMath.add(bonded, unbonding) ?? .max
        if poolBalance != expected {
            violation(
                "pool", "the pool holds \(poolBalance) SWR; bonded \(bonded) + unbonding \(unbonding) = \(expected)")
        }

        var storedQueues: [UInt64: MaturityQueue] = [:]
        var keyIndexCount = 0
        for (key, value) in try state.entries() {
            switch key.first {
            case Tag.maturity?:
                guard let epoch = Self.readEpoch(key.dropFirst()) else { continue }
                storedQueues[epoch] = try? Canonical.decode(MaturityQueue.self, from: value)
            case Tag.keyIndex?: keyIndexCount += 1
            default: continue
            }
        }
        if storedQueues != queues { violation("index", "the maturity queues do not match the entries") }
        if keyIndexCount != genesis.validators.count {
            violation("index", "\(keyIndexCount) key index entries for \(genesis.validators.count) validators")
        }
        if try Self.validatorList(in: state) != genesis.validators.map(\.operatorAddress) {
            violation("index", "the validator list does not match the validator records")
        }
        for record in genesis.validatorSets
        where record.validators.members.isEmpty
            || record.validators.members.contains(where: { $0.stake == 0 })
        {
            violation("sets", "the set of epoch \(record.epoch) is empty or has a zero stake")
        }
        return violations
    }
}
