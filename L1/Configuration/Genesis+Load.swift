import Primitives

// MARK: - Loading

extension Genesis {
    /// Parses and validates a `genesis.toml`.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - source: the name errors give for the file.
    /// - Throws: `ConfigurationError` for the first problem: a syntax error, a missing, unknown or
    ///   mistyped key, or a value out of range, with its line and column.
    public static func load(_ text: String, source: String = "genesis.toml") throws(ConfigurationError) -> Genesis {
        try load(bytes: Array(text.utf8), source: source)
    }

    /// Parses and validates a `genesis.toml` from its bytes (they must be UTF-8).
    public static func load(bytes: [UInt8], source: String = "genesis.toml") throws(ConfigurationError) -> Genesis {
        let document: TOMLTable
        do {
            document = try TOML.parse(bytes: bytes)
        } catch {
            throw ConfigurationError(
                kind: .syntax, source: source, key: "", position: error.position, message: error.message)
        }
        let loader = Loader(source: source)
        var root = TableReader(loader: loader, table: document, path: "", position: TOMLPosition(line: 1, column: 1))

        var chainTable = try root.table("chain")
        let chain = ChainParameters(
            chainId: try chainTable.string("chain_id"),
            genesisTimeMilliseconds: try chainTable.integer("genesis_time_ms"),
            slotMilliseconds: try chainTable.integer("slot_ms"),
            blockBytesMax: try chainTable.integer("block_bytes_max"),
            epochSlots: try chainTable.integer("epoch_slots"),
            transactionSignatures: try chainTable.optionalSignatureRule("tx_signatures") ?? .cofactorless)
        try chainTable.finish()

        var consensusTable = try root.table("consensus")
        let consensus = ConsensusParameters(
            tau: try consensusTable.ratio("tau"), quorum: try consensusTable.ratio("quorum"),
            slashDouble: try consensusTable.ratio("slash_double"),
            leakDowntime: try consensusTable.ratio("leak_downtime"))
        try consensusTable.finish()

        var feeTable = try root.table("fees")
        let fees = FeeParameters(
            a: try feeTable.integer("a"), b: try feeTable.integer("b"), c: try feeTable.integer("c"),
            d: try feeTable.integer("d"))
        try feeTable.finish()

        var rentTable = try root.table("rent")
        let rent = RentParameters(
            rhoPerBytePerEpoch: try rentTable.integer("rho_per_byte_per_epoch"),
            horizonEpochs: try rentTable.integer("horizon_epochs"))
        try rentTable.finish()

        var stakingTable = try root.table("staking")
        let unbondingDelay = try stakingTable.integer("unbonding_delay_epochs")
        let fixedReward = try stakingTable.optionalInteger("reward_per_epoch")
        let inflation = try stakingTable.optionalRatio("inflation_per_epoch")
        let reward: RewardRule
        switch (fixedReward, inflation) {
        case (let amount?, nil): reward = .fixed(amount)
        case (nil, let rate?): reward = .inflation(rate)
        case (.some, .some):
            throw loader.error(
                .invalidValue, key: stakingTable.path("inflation_per_epoch"),
                message: "give either reward_per_epoch or inflation_per_epoch, not both")
        case (nil, nil):
            throw loader.error(
                .missingKey, key: stakingTable.path("reward_per_epoch"), position: stakingTable.position,
                message: "missing: give reward_per_epoch (SWR base units) or inflation_per_epoch (a fraction of the "
                    + "SWR supply) in [staking]")
        }
        let staking = StakingParameters(
            unbondingDelayEpochs: unbondingDelay, reward: reward,
            minCommission: try stakingTable.ratio("min_commission"),
            maxCommission: try stakingTable.ratio("max_commission"),
            minSelfBond: try stakingTable.integer("min_self_bond"),
            downtimeWindowSlots: try stakingTable.integer("downtime_window_slots"),
            jailThresholdSlots: try stakingTable.integer("jail_threshold_slots"),
            jailEpochs: try stakingTable.integer("jail_epochs"),
            maxValidators: try stakingTable.integer("max_validators"))
        try stakingTable.finish()

        var validators: [Validator] = []
        for var entry in try root.tables("validators") {
            let name = try entry.string("name")
            let publicKey = try entry.publicKey("public_key")
            let vrfPublicKey = try entry.publicKey("vrf_public_key")
            let stake = try entry.integer("stake")
            let operatorAddress = try entry.address("operator")
            let commission = try entry.optionalRatio("commission") ?? staking.minCommission
            try entry.finish()
            validators.append(
                Validator(
                    name: name, publicKey: publicKey, vrfPublicKey: vrfPublicKey, stake: stake,
                    operatorAddress: operatorAddress, commission: commission))
        }

        var accounts: [Account] = []
        for var entry in try root.tables("accounts") {
            let address = try entry.optionalAddress("address")
            let publicKey = try entry.optionalPublicKey("public_key")
            let id: AccountID
            switch (address, publicKey) {
            case (let address?, nil): id = .address(address)
            case (nil, let key?): id = .publicKey(key)
            case (.some, .some):
                throw loader.error(
                    .invalidValue, key: entry.path("public_key"), message: "give either address or public_key, not both"
                )
            case (nil, nil):
                throw loader.error(
                    .missingKey, key: entry.path("address"), position: entry.position,
                    message: "missing: an account needs an address (40 hex digits) or a public_key (64 hex digits)")
            }
            let aic = try entry.optionalInteger("aic") ?? 0
            let swr = try entry.optionalInteger("swr") ?? 0
            try entry.finish()
            accounts.append(Account(id: id, aic: aic, swr: swr))
        }

        var authorities: [Authority] = []
        for var entry in try root.tables("authorities") {
            let address = try entry.address("address")
            let tokenName = try entry.string("denomination")
            guard let token = Token(rawValue: tokenName) else {
                throw loader.error(
                    .invalidValue, key: entry.path("denomination"),
                    message: "expected \"aic\" or \"swr\", found \"\(tokenName)\"")
            }
            let mint = try entry.optionalBoolean("mint") ?? false
            let burn = try entry.optionalBoolean("burn") ?? false
            try entry.finish()
            authorities.append(Authority(address: address, token: token, mint: mint, burn: burn))
        }
        try root.finish()

        let genesis = Genesis(
            chain: chain, consensus: consensus, fees: fees, rent: rent, staking: staking, validators: validators,
            accounts: accounts, authorities: authorities)
        try genesis.validate(loader: loader)
        return genesis
    }
}

// MARK: - Validation

extension Genesis {
    /// The most validators one epoch's set may hold (the consensus `ValidatorSet.maximumSize`).
    public static let maximumValidatorSetSize: UInt64 = 10_000
    /// The largest `block_bytes_max` (the canonical decoder's input limit, 64 MiB).
    public static let maximumBlockBytes: UInt64 = 64 << 20
    /// The smallest `block_bytes_max`: a block must hold at least a header and a transaction.
    public static let minimumBlockBytes: UInt64 = 1_024

    /// Checks every rule `load` checks, for a genesis built in code.
    /// - Throws: `ConfigurationError` (with no position) for the first broken rule.
    public func validate() throws(ConfigurationError) {
        try validate(loader: Loader(source: "genesis"))
    }

    func validate(loader: Loader) throws(ConfigurationError) {
        func fail(_ key: String, _ message: String) -> ConfigurationError {
            loader.error(.invalidValue, key: key, message: message)
        }

        // [chain]
        let chainIdBytes = chain.chainId.utf8
        guard !chainIdBytes.isEmpty, chainIdBytes.count <= 64,
            chainIdBytes.allSatisfy({ Self.isChainIDByte($0) })
        else {
            throw fail(
                "chain.chain_id",
                "must be 1-64 characters of letters, digits, '.', '_' and '-', found \"\(chain.chainId)\"")
        }
        guard chain.genesisTimeMilliseconds > 0 else {
            throw fail("chain.genesis_time_ms", "must be positive (milliseconds since 1970), found 0")
        }
        guard chain.slotMilliseconds > 0 else { throw fail("chain.slot_ms", "must be positive, found 0") }
        guard (Self.minimumBlockBytes...Self.maximumBlockBytes).contains(chain.blockBytesMax) else {
            throw fail(
                "chain.block_bytes_max",
                "must be between \(Self.minimumBlockBytes) and \(Self.maximumBlockBytes), found \(chain.blockBytesMax)")
        }
        guard chain.epochSlots > 0 else { throw fail("chain.epoch_slots", "must be positive, found 0") }

        // [consensus]
        guard consensus.tau.isAtMostOne else {
            throw fail("consensus.tau", "must be a fraction between 0 and 1, found \(consensus.tau)")
        }
        guard consensus.quorum > .half else {
            throw fail(
                "consensus.quorum",
                "must be more than 1/2 so that two quorums always share a validator, found \(consensus.quorum)")
        }
        guard consensus.quorum == .twoThirds else {
            throw fail(
                "consensus.quorum",
                "must be \"2/3\": this consensus counts a quorum as more than 2/3 of the stake, which tolerates "
                    + "faults below 1/3 (Docs/spec/consensus.md), found \(consensus.quorum)")
        }
        guard consensus.slashDouble.isAtMostOne else {
            throw fail("consensus.slash_double", "must be a fraction between 0 and 1, found \(consensus.slashDouble)")
        }
        guard consensus.leakDowntime.isAtMostOne else {
            throw fail("consensus.leak_downtime", "must be a fraction between 0 and 1, found \(consensus.leakDowntime)")
        }

        // [rent]
        guard rent.horizonEpochs > 0 else { throw fail("rent.horizon_epochs", "must be positive, found 0") }

        // [staking]
        guard staking.unbondingDelayEpochs >= 2 else {
            throw fail(
                "staking.unbonding_delay_epochs",
                "must be at least 2: unbonded stake still counts in the two validator sets already fixed, and must "
                    + "stay slashable while it does, found \(staking.unbondingDelayEpochs)")
        }
        if case .inflation(let rate) = staking.reward, !rate.isAtMostOne {
            throw fail("staking.inflation_per_epoch", "must be a fraction between 0 and 1, found \(rate)")
        }
        guard staking.maxCommission.isAtMostOne else {
            throw fail("staking.max_commission", "must be a fraction between 0 and 1, found \(staking.maxCommission)")
        }
        guard staking.minCommission <= staking.maxCommission else {
            throw fail(
                "staking.min_commission",
                "must not exceed max_commission (\(staking.maxCommission)), found \(staking.minCommission)")
        }
        guard staking.minSelfBond > 0 else { throw fail("staking.min_self_bond", "must be positive, found 0") }
        guard staking.downtimeWindowSlots > 0 else {
            throw fail("staking.downtime_window_slots", "must be positive, found 0")
        }
        guard (1...staking.downtimeWindowSlots).contains(staking.jailThresholdSlots) else {
            throw fail(
                "staking.jail_threshold_slots",
                "must be between 1 and downtime_window_slots (\(staking.downtimeWindowSlots)), found "
                    + "\(staking.jailThresholdSlots)")
        }
        guard staking.jailEpochs > 0 else { throw fail("staking.jail_epochs", "must be positive, found 0") }
        guard (1...Self.maximumValidatorSetSize).contains(staking.maxValidators) else {
            throw fail(
                "staking.max_validators",
                "must be between 1 and \(Self.maximumValidatorSetSize), found \(staking.maxValidators)")
        }

        // [[validators]]
        guard !validators.isEmpty else {
            throw loader.error(
                .missingKey, key: "validators", position: nil,
                message: "a chain needs at least one [[validators]] entry to produce blocks")
        }
        var names: [String: Int] = [:]
        var keys: [Ed25519.PublicKey: Int] = [:]
        var vrfKeys: [Ed25519.PublicKey: Int] = [:]
        var operators: [[UInt8]: Int] = [:]
        var swrTotal: UInt64 = 0
        for (index, validator) in validators.enumerated() {
            let path = "validators[\(index)]"
            let nameBytes = validator.name.utf8.count
            guard (1...64).contains(nameBytes) else { throw fail("\(path).name", "must be 1-64 bytes long") }
            if let first = names.updateValue(index, forKey: validator.name) {
                throw fail("\(path).name", "\"\(validator.name)\" is already the name of validators[\(first)]")
            }
            if let first = keys.updateValue(index, forKey: validator.publicKey) {
                throw fail("\(path).public_key", "\(validator.publicKey) is already the key of validators[\(first)]")
            }
            if let first = vrfKeys.updateValue(index, forKey: validator.vrfPublicKey) {
                throw fail(
                    "\(path).vrf_public_key", "\(validator.vrfPublicKey) is already the VRF key of validators[\(first)]"
                )
            }
            guard validator.operatorAddress.count == 20 else {
                throw fail("\(path).operator", "must be 20 bytes (40 hex digits)")
            }
            if let first = operators.updateValue(index, forKey: validator.operatorAddress) {
                throw fail(
                    "\(path).operator",
                    "\(Hex.encode(validator.operatorAddress)) already operates validators[\(first)]; one validator "
                        + "per operator account")
            }
            guard validator.stake > 0 else { throw fail("\(path).stake", "must be positive, found 0") }
            guard validator.stake >= staking.minSelfBond else {
                throw fail(
                    "\(path).stake", "must be at least min_self_bond (\(staking.minSelfBond)), found \(validator.stake)"
                )
            }
            guard validator.commission >= staking.minCommission, validator.commission <= staking.maxCommission else {
                throw fail(
                    "\(path).commission",
                    "must be between min_commission (\(staking.minCommission)) and max_commission "
                        + "(\(staking.maxCommission)), found \(validator.commission)")
            }
            let (sum, overflow) = swrTotal.addingReportingOverflow(validator.stake)
            guard !overflow else { throw fail("\(path).stake", "the SWR supply would exceed 2^64 - 1 base units") }
            swrTotal = sum
        }

        // [[accounts]]
        var accountIDs: [AccountID: Int] = [:]
        var aicTotal: UInt64 = 0
        for (index, account) in accounts.enumerated() {
            let path = "accounts[\(index)]"
            if case .address(let bytes) = account.id, bytes.count != 20 {
                throw fail("\(path).address", "must be 20 bytes (40 hex digits)")
            }
            if let first = accountIDs.updateValue(index, forKey: account.id) {
                throw fail("\(path)", "the account is already listed as accounts[\(first)]")
            }
            guard account.aic > 0 || account.swr > 0 else {
                throw fail("\(path)", "an account needs a positive aic or swr balance")
            }
            let (aic, aicOverflow) = aicTotal.addingReportingOverflow(account.aic)
            guard !aicOverflow else { throw fail("\(path).aic", "the AIC supply would exceed 2^64 - 1 base units") }
            aicTotal = aic
            let (swr, swrOverflow) = swrTotal.addingReportingOverflow(account.swr)
            guard !swrOverflow else { throw fail("\(path).swr", "the SWR supply would exceed 2^64 - 1 base units") }
            swrTotal = swr
        }

        // [[authorities]]
        var authorityKeys: [[UInt8]: Int] = [:]
        for (index, authority) in authorities.enumerated() {
            let path = "authorities[\(index)]"
            guard authority.address.count == 20 else {
                throw fail("\(path).address", "must be 20 bytes (40 hex digits)")
            }
            guard authority.mint || authority.burn else {
                throw fail("\(path)", "grants nothing: set mint = true, burn = true or both")
            }
            let key = authority.address + Array(authority.token.rawValue.utf8)
            if let first = authorityKeys.updateValue(index, forKey: key) {
                throw fail(
                    "\(path)",
                    "\(Hex.encode(authority.address)) already has rights for \(authority.token) in "
                        + "authorities[\(first)]")
            }
        }
    }

    static func isChainIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}

// MARK: - Reading tables

/// The file being loaded: its name and where each key was read, for errors found after reading.
final class Loader {
    let source: String
    var positions: [String: TOMLPosition] = [:]

    init(source: String) { self.source = source }

    /// An error about `key`, at `position` or else where the key was read.
    func error(_ kind: ConfigurationError.Kind, key: String, position: TOMLPosition? = nil, message: String)
        -> ConfigurationError
    {
        ConfigurationError(
            kind: kind, source: source, key: key, position: position ?? positions[key], message: message)
    }
}

/// Typed reads from one table, remembering which keys were asked for so `finish` can reject the rest.
struct TableReader {
    let loader: Loader
    let table: TOMLTable
    /// The table's path (`chain`, `validators[2]`; empty for the root).
    let pathPrefix: String
    let position: TOMLPosition
    private var asked: [String] = []

    init(loader: Loader, table: TOMLTable, path: String, position: TOMLPosition) {
        self.loader = loader
        self.table = table
        self.pathPrefix = path
        self.position = position
    }

    func path(_ key: String) -> String { pathPrefix.isEmpty ? key : "\(pathPrefix).\(key)" }

    var tableName: String { pathPrefix.isEmpty ? "the top level" : "[\(pathPrefix)]" }

    /// The item under `key`, recording that the key is known.
    mutating func item(_ key: String) -> TOMLItem? {
        asked.append(key)
        guard let item = table[key] else { return nil }
        loader.positions[path(key)] = item.position
        return item
    }

    mutating func requiredItem(_ key: String, _ expected: String) throws(ConfigurationError) -> TOMLItem {
        guard let item = item(key) else {
            throw loader.error(
                .missingKey, key: path(key), position: position,
                message: "missing in \(tableName): expected \(expected)")
        }
        return item
    }

    func wrongType(_ key: String, _ item: TOMLItem, expected: String) -> ConfigurationError {
        loader.error(
            .wrongType, key: path(key), position: item.position,
            message: "expected \(expected), found \(item.value.kindDescription)")
    }

    // MARK: Integers

    static let integerExpectation = "a non-negative integer"

    mutating func integer(_ key: String) throws(ConfigurationError) -> UInt64 {
        try integerValue(key, try requiredItem(key, Self.integerExpectation))
    }

    mutating func optionalInteger(_ key: String) throws(ConfigurationError) -> UInt64? {
        guard let item = item(key) else { return nil }
        return try integerValue(key, item)
    }

    func integerValue(_ key: String, _ item: TOMLItem) throws(ConfigurationError) -> UInt64 {
        guard case .integer(let integer) = item.value else {
            throw wrongType(key, item, expected: Self.integerExpectation)
        }
        guard let value = integer.unsigned else {
            throw loader.error(
                .invalidValue, key: path(key), position: item.position,
                message: "must not be negative, found \(integer)")
        }
        return value
    }

    // MARK: Strings, booleans, keys and addresses

    mutating func string(_ key: String) throws(ConfigurationError) -> String {
        let item = try requiredItem(key, "a string")
        guard case .string(let text) = item.value else { throw wrongType(key, item, expected: "a string") }
        return text
    }

    mutating func optionalSignatureRule(_ key: String) throws(ConfigurationError) -> SignatureRule? {
        guard let item = item(key) else { return nil }
        let names = SignatureRule.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        guard case .string(let text) = item.value else { throw wrongType(key, item, expected: names) }
        guard let rule = SignatureRule(rawValue: text) else {
            throw loader.error(
                .invalidValue, key: path(key), position: item.position, message: "must be \(names), found \"\(text)\"")
        }
        return rule
    }

    mutating func optionalBoolean(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let item = item(key) else { return nil }
        guard case .boolean(let value) = item.value else { throw wrongType(key, item, expected: "true or false") }
        return value
    }

    mutating func publicKey(_ key: String) throws(ConfigurationError) -> Ed25519.PublicKey {
        try publicKeyValue(key, try requiredItem(key, "an Ed25519 public key (64 hex digits)"))
    }

    mutating func optionalPublicKey(_ key: String) throws(ConfigurationError) -> Ed25519.PublicKey? {
        guard let item = item(key) else { return nil }
        return try publicKeyValue(key, item)
    }

    func publicKeyValue(_ key: String, _ item: TOMLItem) throws(ConfigurationError) -> Ed25519.PublicKey {
        let bytes = try hexValue(key, item, count: 32, what: "an Ed25519 public key (64 hex digits)")
        do { return try Ed25519.PublicKey(bytes) } catch {
            throw loader.error(.invalidValue, key: path(key), position: item.position, message: error.description)
        }
    }

    mutating func address(_ key: String) throws(ConfigurationError) -> [UInt8] {
        try hexValue(
            key, try requiredItem(key, "an address (40 hex digits)"), count: 20, what: "an address (40 hex digits)")
    }

    mutating func optionalAddress(_ key: String) throws(ConfigurationError) -> [UInt8]? {
        guard let item = item(key) else { return nil }
        return try hexValue(key, item, count: 20, what: "an address (40 hex digits)")
    }

    func hexValue(_ key: String, _ item: TOMLItem, count: Int, what: String) throws(ConfigurationError) -> [UInt8] {
        guard case .string(let text) = item.value else { throw wrongType(key, item, expected: "\(what) in a string") }
        do {
            return try Hex.decode(text, count: count)
        } catch {
            throw loader.error(
                .invalidValue, key: path(key), position: item.position, message: "expected \(what): \(error)")
        }
    }

    // MARK: Fractions

    static let ratioExpectation = "a fraction (\"n/d\", a decimal such as \"0.05\", or a number)"

    mutating func ratio(_ key: String) throws(ConfigurationError) -> Ratio {
        try ratioValue(key, try requiredItem(key, Self.ratioExpectation))
    }

    mutating func optionalRatio(_ key: String) throws(ConfigurationError) -> Ratio? {
        guard let item = item(key) else { return nil }
        return try ratioValue(key, item)
    }

    /// A fraction from `"n/d"` or decimal text, a float (exact), or a non-negative integer.
    func ratioValue(_ key: String, _ item: TOMLItem) throws(ConfigurationError) -> Ratio {
        do {
            switch item.value {
            case .string(let text): return try Ratio(parsing: text)
            case .decimal(let decimal): return try Ratio(decimal: decimal)
            case .integer(let integer):
                guard let value = integer.unsigned else { throw RatioError.negative(integer.description) }
                return try Ratio(value, 1)
            default: throw wrongType(key, item, expected: Self.ratioExpectation)
            }
        } catch let error as RatioError {
            throw loader.error(.invalidValue, key: path(key), position: item.position, message: error.description)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw loader.error(.invalidValue, key: path(key), position: item.position, message: "\(error)")
        }
    }

    // MARK: Tables

    mutating func table(_ key: String) throws(ConfigurationError) -> TableReader {
        let item = try requiredItem(key, "a table [\(path(key))]")
        guard case .table(let table) = item.value else {
            throw wrongType(key, item, expected: "a table [\(path(key))]")
        }
        return TableReader(loader: loader, table: table, path: path(key), position: item.position)
    }

    /// The tables of an `[[key]]` array (none when absent).
    mutating func tables(_ key: String) throws(ConfigurationError) -> [TableReader] {
        guard let item = item(key) else { return [] }
        guard case .array(let elements) = item.value else {
            throw wrongType(key, item, expected: "an array of tables [[\(path(key))]]")
        }
        var readers: [TableReader] = []
        for (index, element) in elements.enumerated() {
            guard case .table(let table) = element.value else {
                throw loader.error(
                    .wrongType, key: "\(path(key))[\(index)]", position: element.position,
                    message: "expected a table, found \(element.value.kindDescription)")
            }
            readers.append(
                TableReader(loader: loader, table: table, path: "\(path(key))[\(index)]", position: element.position))
        }
        return readers
    }

    /// Rejects every key that was not asked for.
    func finish() throws(ConfigurationError) {
        for key in table.keys where !asked.contains(key) {
            let position = table[key]?.position
            throw loader.error(
                .unknownKey, key: path(key), position: position,
                message: "unknown key in \(tableName) (expected one of: \(asked.joined(separator: ", ")))")
        }
    }
}
