public import Chain
public import ChainConfiguration
public import Primitives
internal import Storage

extension Staking {
    /// The staking genesis: everything the module stores, except what it derives (the key index,
    /// the validator list and the maturity queues are rebuilt on import, so a genesis cannot
    /// contradict itself there). Export lists every part in ascending key order; importing an
    /// export gives the same state root (tested).
    public struct Genesis: Hashable, Sendable {
        /// The parameters.
        public var parameters: Parameters
        /// Where the epochs are.
        public var progress: EpochProgress
        /// SWR minted and burned so far.
        public var totals: Totals
        /// Every validator, ascending by operator.
        public var validators: [Validator]
        /// Every delegation, ascending by delegator then validator.
        public var delegations: [DelegationRecord]
        /// Unbonding entries per validator.
        public var unbonding: [UnbondingRecord]
        /// Redelegations per source validator.
        public var redelegations: [RedelegationRecord]
        /// The L1 validator sets still kept, ascending by epoch.
        public var validatorSets: [EpochSetRecord]
        /// Every domain that has had members, with its current members.
        public var domains: [DomainRecord]
        /// Domain validator sets still kept.
        public var domainSets: [DomainSetRecord]
        /// Evidence ids already used.
        public var usedEvidence: [Hash]

        /// A genesis from its parts.
        public init(
            parameters: Parameters, progress: EpochProgress = .genesis, totals: Totals = Totals(),
            validators: [Validator] = [], delegations: [DelegationRecord] = [], unbonding: [UnbondingRecord] = [],
            redelegations: [RedelegationRecord] = [], validatorSets: [EpochSetRecord] = [],
            domains: [DomainRecord] = [], domainSets: [DomainSetRecord] = [], usedEvidence: [Hash] = []
        ) {
            self.parameters = parameters
            self.progress = progress
            self.totals = totals
            self.validators = validators
            self.delegations = delegations
            self.unbonding = unbonding
            self.redelegations = redelegations
            self.validatorSets = validatorSets
            self.domains = domains
            self.domainSets = domainSets
            self.usedEvidence = usedEvidence
        }

        /// A new chain's staking: each validator self-bonded (one share per base unit), and the
        /// top `maxValidators` by stake as the set of epochs 0 and 1.
        ///
        /// The SWR behind the stakes must be in the bank genesis as the balance of `Staking.pool`.
        public static func initial(parameters: Parameters, validators: [InitialValidator]) -> Genesis {
            let records = validators.map {
                Validator(
                    operatorAddress: $0.operatorAddress, name: $0.name, publicKey: $0.publicKey,
                    vrfPublicKey: $0.vrfPublicKey, commission: $0.commission, tokens: $0.stake, shares: $0.stake)
            }
            .sorted { $0.operatorAddress < $1.operatorAddress }
            let set = Ledger.topValidators(records, maxValidators: parameters.maxValidators)
            return Genesis(
                parameters: parameters, validators: records,
                delegations: records.map {
                    DelegationRecord(
                        delegator: $0.operatorAddress, validator: $0.operatorAddress,
                        delegation: Delegation(shares: $0.shares))
                },
                validatorSets: [EpochSetRecord(epoch: 0, validators: set), EpochSetRecord(epoch: 1, validators: set)])
        }
    }

    /// A validator bonded at genesis.
    public struct InitialValidator: Hashable, Sendable {
        /// Its operator.
        public var operatorAddress: Address
        /// Its name.
        public var name: String
        /// Its signing key.
        public var publicKey: Ed25519.PublicKey
        /// Its VRF key.
        public var vrfPublicKey: Ed25519.PublicKey
        /// Its commission.
        public var commission: Ratio
        /// Its self-bond, SWR base units.
        public var stake: UInt64

        /// A genesis validator from its parts.
        public init(
            operatorAddress: Address, name: String, publicKey: Ed25519.PublicKey, vrfPublicKey: Ed25519.PublicKey,
            commission: Ratio, stake: UInt64
        ) {
            self.operatorAddress = operatorAddress
            self.name = name
            self.publicKey = publicKey
            self.vrfPublicKey = vrfPublicKey
            self.commission = commission
            self.stake = stake
        }
    }

    /// A delegation and whose it is.
    public struct DelegationRecord: Hashable, Sendable {
        /// The delegator.
        public var delegator: Address
        /// The validator's operator.
        public var validator: Address
        /// The shares and locks.
        public var delegation: Delegation

        /// A record from its parts.
        public init(delegator: Address, validator: Address, delegation: Delegation) {
            self.delegator = delegator
            self.validator = validator
            self.delegation = delegation
        }
    }

    /// A validator's unbonding entries.
    public struct UnbondingRecord: Hashable, Sendable {
        /// The validator's operator.
        public var validator: Address
        /// Its entries, in creation order.
        public var entries: [UnbondingEntry]

        /// A record from its parts.
        public init(validator: Address, entries: [UnbondingEntry]) {
            self.validator = validator
            self.entries = entries
        }
    }

    /// A source validator's redelegations.
    public struct RedelegationRecord: Hashable, Sendable {
        /// The source validator's operator.
        public var source: Address
        /// Its entries, in creation order.
        public var entries: [RedelegationEntry]

        /// A record from its parts.
        public init(source: Address, entries: [RedelegationEntry]) {
            self.source = source
            self.entries = entries
        }
    }

    /// An epoch's L1 validator set.
    public struct EpochSetRecord: Hashable, Sendable {
        /// The epoch.
        public var epoch: UInt64
        /// The set.
        public var validators: EpochValidators

        /// A record from its parts.
        public init(epoch: UInt64, validators: EpochValidators) {
            self.epoch = epoch
            self.validators = validators
        }
    }

    /// A domain and its opt-in members.
    public struct DomainRecord: Hashable, Sendable {
        /// The domain's chain id.
        public var domain: String
        /// Its members, ascending by operator.
        public var members: [DomainMember]

        /// A record from its parts.
        public init(domain: String, members: [DomainMember]) {
            self.domain = domain
            self.members = members
        }
    }

    /// A domain's validator set of one epoch.
    public struct DomainSetRecord: Hashable, Sendable {
        /// The domain's chain id.
        public var domain: String
        /// The epoch.
        public var epoch: UInt64
        /// The set.
        public var validators: EpochValidators

        /// A record from its parts.
        public init(domain: String, epoch: UInt64, validators: EpochValidators) {
            self.domain = domain
            self.epoch = epoch
            self.validators = validators
        }
    }

    // MARK: - Import and export

    /// Writes a `Staking.Genesis` into the empty key space, deriving the key index, the validator
    /// list and the maturity queues.
    /// - Throws: `StakingError.invalidGenesis` or `.invalidParameters` for an inconsistent
    ///   genesis; `CodecError` for bytes that are not one.
    public func initGenesis(_ genesis: [UInt8], store: ModuleStore) throws {
        let decoded = try Canonical.decode(Genesis.self, from: genesis)
        try decoded.parameters.validate()
        func invalid(_ reason: String) -> StakingError { .invalidGenesis(reason) }

        var keys: Set<Ed25519.PublicKey> = []
        var sharesByValidator: [Address: UInt64] = [:]
        var previous: Address? = nil
        for validator in decoded.validators {
            if let previous, !(previous < validator.operatorAddress) {
                throw invalid(
                    "validators are not in ascending, distinct operator order at \(validator.operatorAddress)")
            }
            previous = validator.operatorAddress
            guard keys.insert(validator.publicKey).inserted else {
                throw invalid("signing key \(validator.publicKey) is used twice")
            }
            guard validator.shares > 0 || validator.tokens == 0 else {
                throw invalid("validator \(validator.operatorAddress) has tokens but no shares")
            }
            guard (1...Self.maximumNameBytes).contains(validator.name.utf8.count) else {
                throw invalid("validator \(validator.operatorAddress) has an empty or long name")
            }
            sharesByValidator[validator.operatorAddress] = 0
            try Self.saveValidator(validator, in: store)
            try store.set(Keys.keyIndex(validator.publicKey), validator.operatorAddress.bytes)
        }
        try Self.save(AddressList(decoded.validators.map(\.operatorAddress)), Keys.validatorList, in: store)

        var seenDelegations: Set<[UInt8]> = []
        for record in decoded.delegations {
            guard let sum = sharesByValidator[record.validator] else {
                throw invalid("a delegation names validator \(record.validator), which does not exist")
            }
            let key = Keys.delegation(record.delegator, record.validator)
            guard seenDelegations.insert(key).inserted else {
                throw invalid("the delegation of \(record.delegator) to \(record.validator) is listed twice")
            }
            guard record.delegation.shares > 0 || !record.delegation.incoming.isEmpty else {
                throw invalid("the delegation of \(record.delegator) to \(record.validator) is empty")
            }
            let locked = record.delegation.incoming.reduce(UInt64(0)) { StakeMath.add($0, $1.shares) ?? .max }
            guard locked <= record.delegation.shares else {
                throw invalid("the delegation of \(record.delegator) locks more shares than it holds")
            }
            guard let total = StakeMath.add(sum, record.delegation.shares) else {
                throw invalid("the shares of \(record.validator) overflow")
            }
            sharesByValidator[record.validator] = total
            try Self.save(record.delegation, key, in: store)
        }
        for validator in decoded.validators where sharesByValidator[validator.operatorAddress] != validator.shares {
            throw invalid("the delegations to \(validator.operatorAddress) do not sum to its shares")
        }

        var queues: [UInt64: MaturityQueue] = [:]
        for record in decoded.unbonding {
            guard sharesByValidator[record.validator] != nil, !record.entries.isEmpty else {
                throw invalid("unbonding entries for \(record.validator) name no validator, or are empty")
            }
            guard try store.get(Keys.unbonding(record.validator)) == nil else {
                throw invalid("the unbonding entries of \(record.validator) are listed twice")
            }
            for entry in record.entries {
                queues[entry.maturityEpoch, default: MaturityQueue()].unbonding.insert(record.validator)
            }
            try Self.saveList(record.entries, Keys.unbonding(record.validator), in: store)
        }
        for record in decoded.redelegations {
            guard sharesByValidator[record.source] != nil, !record.entries.isEmpty else {
                throw invalid("redelegations from \(record.source) name no validator, or are empty")
            }
            guard try store.get(Keys.redelegations(record.source)) == nil else {
                throw invalid("the redelegations from \(record.source) are listed twice")
            }
            for entry in record.entries {
                queues[entry.maturityEpoch, default: MaturityQueue()].redelegations.insert(record.source)
            }
            try Self.saveList(record.entries, Keys.redelegations(record.source), in: store)
        }
        for (epoch, queue) in queues { try Self.saveQueue(queue, epoch, in: store) }

        for record in decoded.validatorSets {
            guard !record.validators.members.isEmpty else { throw invalid("the set of epoch \(record.epoch) is empty") }
            try Self.save(record.validators, Keys.validatorSet(record.epoch), in: store)
        }
        let progress = decoded.progress
        guard try store.get(Keys.validatorSet(progress.closed ? progress.epoch + 1 : progress.epoch)) != nil else {
            throw invalid("there is no validator set for the current epoch")
        }

        var domains: [String] = []
        for record in decoded.domains {
            guard Self.isDomainID(record.domain),
                domains.last.map({ $0.utf8.lexicographicallyPrecedes(record.domain.utf8) }) ?? true
            else { throw invalid("domain '\(record.domain)' is not a domain id, or the domains are not ascending") }
            domains.append(record.domain)
            try Self.saveList(record.members, Keys.domainMembers(record.domain), in: store)
        }
        if !domains.isEmpty { try Self.save(DomainList(domains), Keys.domainList, in: store) }
        for record in decoded.domainSets {
            guard domains.contains(record.domain), !record.validators.members.isEmpty else {
                throw invalid("a set for domain '\(record.domain)' names no listed domain, or is empty")
            }
            try Self.save(record.validators, Keys.domainSet(record.domain, epoch: record.epoch), in: store)
        }
        for id in decoded.usedEvidence { try store.set(Keys.usedEvidence(id), [1]) }
        try Self.save(decoded.parameters, Keys.parameters, in: store)
        try Self.save(progress, Keys.progress, in: store)
        try Self.save(decoded.totals, Keys.totals, in: store)
    }

    /// The module's state as a genesis, every part ascending by key.
    public func exportGenesis(_ state: ModuleStateReader) throws -> [UInt8] {
        var genesis = Genesis(parameters: try Self.parameters(in: state))
        genesis.progress = try Self.progress(in: state)
        genesis.totals = try Self.totals(in: state)
        func decode<T: CanonicalDecodable>(_ type: T.Type, _ value: [UInt8], _ key: [UInt8]) throws -> T {
            do { return try Canonical.decode(T.self, from: value) } catch {
                throw StateAccessError.storage(.corrupted("staking key \(Hex.encode(key)) does not decode: \(error)"))
            }
        }
        func address(_ bytes: ArraySlice<UInt8>) throws -> Address {
            do { return try Address(Array(bytes)) } catch {
                throw StateAccessError.storage(.corrupted("a staking key holds a malformed address"))
            }
        }
        var domainSets: [DomainSetRecord] = []
        for (key, value) in try state.entries() {
            guard let tag = key.first else { continue }
            let rest = key.dropFirst()
            switch tag {
            case Tag.validator: genesis.validators.append(try decode(Validator.self, value, key))
            case Tag.delegation where rest.count == 40:
                genesis.delegations.append(
                    DelegationRecord(
                        delegator: try address(rest.prefix(20)), validator: try address(rest.suffix(20)),
                        delegation: try decode(Delegation.self, value, key)))
            case Tag.unbonding:
                genesis.unbonding.append(
                    UnbondingRecord(
                        validator: try address(rest),
                        entries: try decode(StoredList<UnbondingEntry>.self, value, key).elements))
            case Tag.redelegations:
                genesis.redelegations.append(
                    RedelegationRecord(
                        source: try address(rest),
                        entries: try decode(StoredList<RedelegationEntry>.self, value, key).elements))
            case Tag.validatorSet:
                guard let epoch = Self.readEpoch(rest) else { throw StateAccessError.storage(.corrupted("set key")) }
                genesis.validatorSets.append(
                    EpochSetRecord(epoch: epoch, validators: try decode(EpochValidators.self, value, key)))
            case Tag.usedEvidence:
                do { genesis.usedEvidence.append(try Hash(rest)) } catch {
                    throw StateAccessError.storage(.corrupted("evidence key"))
                }
            case Tag.domainSet:
                guard let epoch = Self.readEpoch(rest.prefix(8)) else {
                    throw StateAccessError.storage(.corrupted("domain set key"))
                }
                domainSets.append(
                    DomainSetRecord(
                        domain: String(decoding: rest.dropFirst(8), as: UTF8.self), epoch: epoch,
                        validators: try decode(EpochValidators.self, value, key)))
            case Tag.parameters, Tag.keyIndex, Tag.maturity, Tag.validatorList, Tag.progress, Tag.totals,
                Tag.domainMembers, Tag.domainList:
                continue  // read above, derived on import, or read with the domain list below
            default:
                throw StateAccessError.storage(.corrupted("unexpected staking key \(Hex.encode(key))"))
            }
        }
        for domain in try Self.domainList(in: state) {
            genesis.domains.append(DomainRecord(domain: domain, members: try Self.domainMembers(domain, in: state)))
        }
        genesis.domainSets = domainSets
        return Canonical.encode(genesis)
    }
}

// MARK: - Canonical encodings

extension Staking.Genesis: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(parameters)
        encoder.write(progress)
        encoder.write(totals)
        encoder.write(validators)
        encoder.write(delegations)
        encoder.write(unbonding)
        encoder.write(redelegations)
        encoder.write(validatorSets)
        encoder.write(domains)
        encoder.write(domainSets)
        encoder.write(usedEvidence)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        parameters = try decoder.read(Staking.Parameters.self)
        progress = try decoder.read(Staking.EpochProgress.self)
        totals = try decoder.read(Staking.Totals.self)
        validators = try decoder.readArray(of: Staking.Validator.self)
        delegations = try decoder.readArray(of: Staking.DelegationRecord.self)
        unbonding = try decoder.readArray(of: Staking.UnbondingRecord.self)
        redelegations = try decoder.readArray(of: Staking.RedelegationRecord.self)
        validatorSets = try decoder.readArray(of: Staking.EpochSetRecord.self)
        domains = try decoder.readArray(of: Staking.DomainRecord.self)
        domainSets = try decoder.readArray(of: Staking.DomainSetRecord.self)
        usedEvidence = try decoder.readArray(of: Hash.self)
    }
}

extension Staking.DelegationRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(delegator)
        encoder.write(validator)
        encoder.write(delegation)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        delegator = try decoder.read(Address.self)
        validator = try decoder.read(Address.self)
        delegation = try decoder.read(Staking.Delegation.self)
    }
}

extension Staking.UnbondingRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(validator)
        encoder.write(entries)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        validator = try decoder.read(Address.self)
        entries = try decoder.readArray(of: Staking.UnbondingEntry.self)
    }
}

extension Staking.RedelegationRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(source)
        encoder.write(entries)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        source = try decoder.read(Address.self)
        entries = try decoder.readArray(of: Staking.RedelegationEntry.self)
    }
}

extension Staking.EpochSetRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(validators)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        validators = try decoder.read(Staking.EpochValidators.self)
    }
}

extension Staking.DomainRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(domain)
        encoder.write(members)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        domain = try decoder.read(String.self, maxLength: Staking.maximumDomainBytes)
        members = try decoder.readArray(of: Staking.DomainMember.self)
    }
}

extension Staking.DomainSetRecord: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(domain)
        encoder.write(epoch)
        encoder.write(validators)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        domain = try decoder.read(String.self, maxLength: Staking.maximumDomainBytes)
        epoch = try decoder.read(UInt64.self)
        validators = try decoder.read(Staking.EpochValidators.self)
    }
}
