public import Chain
public import Primitives
internal import Storage

/// The staking keeper: the key layout (README.md) and typed reads and writes of it.
///
/// Reads take any module reader (a block's store or a committed root); writes take the module's
/// `ModuleStore`. Nothing in block execution scans keys: every collection the hooks walk (the
/// validator list, maturity queues, per-validator entry lists, the domain list) is one stored value.
extension Staking {
    /// Key tags, the first byte of every staking key.
    enum Tag {
        static let parameters: UInt8 = 0x00
        static let validator: UInt8 = 0x01
        static let keyIndex: UInt8 = 0x02
        static let delegation: UInt8 = 0x03
        static let unbonding: UInt8 = 0x04
        static let redelegations: UInt8 = 0x05
        static let maturity: UInt8 = 0x06
        static let validatorList: UInt8 = 0x07
        static let validatorSet: UInt8 = 0x08
        static let progress: UInt8 = 0x09
        static let totals: UInt8 = 0x0A
        static let usedEvidence: UInt8 = 0x0B
        static let domainMembers: UInt8 = 0x0C
        static let domainList: UInt8 = 0x0D
        static let domainSet: UInt8 = 0x0E
    }

    /// Big-endian epoch bytes (keys of one kind sort by epoch).
    static func epochBytes(_ epoch: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: epoch >> (56 - 8 * $0)) }
    }

    static func readEpoch(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The state keys, relative to `staking/`.
    public enum Keys {
        /// `0x00` → parameters.
        public static let parameters: [UInt8] = [Tag.parameters]
        /// `0x01 ‖ operator` → validator record.
        public static func validator(_ operatorAddress: Address) -> [UInt8] { [Tag.validator] + operatorAddress.bytes }
        /// `0x02 ‖ signing key` → operator address (20 bytes).
        public static func keyIndex(_ key: Ed25519.PublicKey) -> [UInt8] { [Tag.keyIndex] + key.bytes }
        /// `0x03 ‖ delegator ‖ validator` → delegation.
        public static func delegation(_ delegator: Address, _ validator: Address) -> [UInt8] {
            [Tag.delegation] + delegator.bytes + validator.bytes
        }
        /// `0x04 ‖ validator` → the validator's unbonding entries.
        public static func unbonding(_ validator: Address) -> [UInt8] { [Tag.unbonding] + validator.bytes }
        /// `0x05 ‖ source` → redelegations away from the source.
        public static func redelegations(_ source: Address) -> [UInt8] { [Tag.redelegations] + source.bytes }
        /// `0x06 ‖ epoch` → what matures when the epoch closes.
        public static func maturity(_ epoch: UInt64) -> [UInt8] { [Tag.maturity] + epochBytes(epoch) }
        /// `0x07` → every validator's operator, ascending.
        public static let validatorList: [UInt8] = [Tag.validatorList]
        /// `0x08 ‖ epoch` → the L1 validator set of the epoch.
        public static func validatorSet(_ epoch: UInt64) -> [UInt8] { [Tag.validatorSet] + epochBytes(epoch) }
        /// `0x09` → epoch progress.
        public static let progress: [UInt8] = [Tag.progress]
        /// `0x0A` → minted and burned totals.
        public static let totals: [UInt8] = [Tag.totals]
        /// `0x0B ‖ evidence id` → `0x01` once used.
        public static func usedEvidence(_ id: Hash) -> [UInt8] { [Tag.usedEvidence] + id.bytes }
        /// `0x0C ‖ domain` → the domain's opt-in members.
        public static func domainMembers(_ domain: String) -> [UInt8] { [Tag.domainMembers] + Array(domain.utf8) }
        /// `0x0D` → every domain that has had members, ascending.
        public static let domainList: [UInt8] = [Tag.domainList]
        /// `0x0E ‖ epoch ‖ domain` → the domain's validator set of the epoch.
        public static func domainSet(_ domain: String, epoch: UInt64) -> [UInt8] {
            [Tag.domainSet] + epochBytes(epoch) + Array(domain.utf8)
        }
    }

    // MARK: - Reading

    static func load<T: CanonicalDecodable>(
        _ type: T.Type, _ key: [UInt8], in state: some ModuleStateReading, what: @autoclosure () -> String
    ) throws(StateAccessError) -> T? {
        guard let bytes = try state.get(key) else { return nil }
        do {
            return try Canonical.decode(T.self, from: bytes)
        } catch {
            throw .storage(.corrupted("staking \(what()) does not decode: \(error)"))
        }
    }

    static func save(_ value: some CanonicalEncodable, _ key: [UInt8], in store: ModuleStore) throws(StateAccessError) {
        try store.set(key, Canonical.encode(value))
    }

    /// The module's parameters.
    public static func parameters(in state: some ModuleStateReading) throws(StateAccessError) -> Parameters {
        guard let parameters = try load(Parameters.self, Keys.parameters, in: state, what: "parameters") else {
            throw .storage(.corrupted("staking parameters are missing (no staking genesis?)"))
        }
        return parameters
    }

    /// The validator operated by `operatorAddress`.
    public static func validator(_ operatorAddress: Address, in state: some ModuleStateReading)
        throws(StateAccessError) -> Validator?
    {
        try load(Validator.self, Keys.validator(operatorAddress), in: state, what: "validator \(operatorAddress)")
    }

    /// The operator of the validator with signing key `key`.
    public static func operatorAddress(ofKey key: Ed25519.PublicKey, in state: some ModuleStateReading)
        throws(StateAccessError) -> Address?
    {
        guard let bytes = try state.get(Keys.keyIndex(key)) else { return nil }
        do { return try Address(bytes) } catch {
            throw .storage(.corrupted("key index of \(key) holds \(bytes.count) bytes"))
        }
    }

    /// `delegator`'s delegation to `validator`.
    public static func delegation(_ delegator: Address, to validator: Address, in state: some ModuleStateReading)
        throws(StateAccessError) -> Delegation?
    {
        try load(Delegation.self, Keys.delegation(delegator, validator), in: state, what: "delegation")
    }

    /// The unbonding entries of `validator`, in creation order.
    public static func unbondingEntries(of validator: Address, in state: some ModuleStateReading)
        throws(StateAccessError) -> [UnbondingEntry]
    {
        try load(StoredList<UnbondingEntry>.self, Keys.unbonding(validator), in: state, what: "unbonding list")?
            .elements ?? []
    }

    /// The redelegations away from `source`, in creation order.
    public static func redelegations(from source: Address, in state: some ModuleStateReading)
        throws(StateAccessError) -> [RedelegationEntry]
    {
        try load(StoredList<RedelegationEntry>.self, Keys.redelegations(source), in: state, what: "redelegations")?
            .elements ?? []
    }

    /// Every validator's operator, ascending.
    public static func validatorList(in state: some ModuleStateReading) throws(StateAccessError) -> [Address] {
        try load(AddressList.self, Keys.validatorList, in: state, what: "validator list")?.addresses ?? []
    }

    /// The L1 validator set fixed for `epoch` (nil: not fixed yet, or pruned).
    public static func epochValidators(_ epoch: UInt64, in state: some ModuleStateReading)
        throws(StateAccessError) -> EpochValidators?
    {
        try load(EpochValidators.self, Keys.validatorSet(epoch), in: state, what: "validator set of epoch \(epoch)")
    }

    /// Where the module is in its epochs.
    public static func progress(in state: some ModuleStateReading) throws(StateAccessError) -> EpochProgress {
        try load(EpochProgress.self, Keys.progress, in: state, what: "epoch progress") ?? .genesis
    }

    /// SWR minted and burned by staking since genesis.
    public static func totals(in state: some ModuleStateReading) throws(StateAccessError) -> Totals {
        try load(Totals.self, Keys.totals, in: state, what: "totals") ?? Totals()
    }

    /// The members of `domain`'s opt-in set (departed members stay while still slashable).
    public static func domainMembers(_ domain: String, in state: some ModuleStateReading)
        throws(StateAccessError) -> [DomainMember]
    {
        try load(StoredList<DomainMember>.self, Keys.domainMembers(domain), in: state, what: "domain members")?
            .elements ?? []
    }

    /// Every domain that has had members, ascending.
    public static func domainList(in state: some ModuleStateReading) throws(StateAccessError) -> [String] {
        try load(DomainList.self, Keys.domainList, in: state, what: "domain list")?.domains ?? []
    }

    /// `domain`'s validator set fixed for `epoch` (nil: none, not fixed yet, or pruned).
    public static func domainValidators(_ domain: String, epoch: UInt64, in state: some ModuleStateReading)
        throws(StateAccessError) -> EpochValidators?
    {
        try load(EpochValidators.self, Keys.domainSet(domain, epoch: epoch), in: state, what: "domain set")
    }

    static func maturityQueue(_ epoch: UInt64, in state: some ModuleStateReading) throws(StateAccessError)
        -> MaturityQueue
    {
        try load(MaturityQueue.self, Keys.maturity(epoch), in: state, what: "maturity queue") ?? MaturityQueue()
    }

    // MARK: - Writing

    static func saveValidator(_ validator: Validator, in store: ModuleStore) throws(StateAccessError) {
        try save(validator, Keys.validator(validator.operatorAddress), in: store)
    }

    /// Saves a delegation, deleting it when it holds nothing.
    static func saveDelegation(
        _ delegation: Delegation, _ delegator: Address, _ validator: Address, in store: ModuleStore
    ) throws(StateAccessError) {
        let key = Keys.delegation(delegator, validator)
        if delegation.shares == 0 && delegation.incoming.isEmpty {
            try store.delete(key)
        } else {
            try save(delegation, key, in: store)
        }
    }

    static func saveList<Element>(_ elements: [Element], _ key: [UInt8], in store: ModuleStore)
        throws(StateAccessError) where Element: CanonicalCodable & Hashable & Sendable
    {
        if elements.isEmpty {
            try store.delete(key)
        } else {
            try save(StoredList(elements), key, in: store)
        }
    }

    static func saveQueue(_ queue: MaturityQueue, _ epoch: UInt64, in store: ModuleStore) throws(StateAccessError) {
        if queue.isEmpty {
            try store.delete(Keys.maturity(epoch))
        } else {
            try save(queue, Keys.maturity(epoch), in: store)
        }
    }
}
