public import Primitives
internal import Storage

// MARK: - Messages

extension Bank {
    /// Moves `amount` of `denomination` from the transaction's sender to `recipient` (kind 1).
    public struct Transfer: ModuleMessage, Hashable {
        /// `bank`, kind 1.
        public static let route = MessageRoute(module: Bank.moduleName, kind: 1)
        /// Who receives.
        public var recipient: Address
        /// What is sent.
        public var denomination: Denomination
        /// How many base units (positive).
        public var amount: UInt64

        /// A transfer from its parts.
        public init(to recipient: Address, _ amount: UInt64, _ denomination: Denomination) {
            self.recipient = recipient
            self.denomination = denomination
            self.amount = amount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(recipient)
            encoder.write(denomination)
            encoder.write(amount)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            recipient = try decoder.read(Address.self)
            denomination = try decoder.read(Denomination.self)
            amount = try decoder.read(UInt64.self)
        }
    }

    /// Creates `amount` of `denomination` for `recipient` (kind 2); the sender needs the mint right.
    public struct Mint: ModuleMessage, Hashable {
        /// `bank`, kind 2.
        public static let route = MessageRoute(module: Bank.moduleName, kind: 2)
        /// Who receives the new units.
        public var recipient: Address
        /// What is minted.
        public var denomination: Denomination
        /// How many base units (positive).
        public var amount: UInt64

        /// A mint from its parts.
        public init(to recipient: Address, _ amount: UInt64, _ denomination: Denomination) {
            self.recipient = recipient
            self.denomination = denomination
            self.amount = amount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(recipient)
            encoder.write(denomination)
            encoder.write(amount)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            recipient = try decoder.read(Address.self)
            denomination = try decoder.read(Denomination.self)
            amount = try decoder.read(UInt64.self)
        }
    }

    /// Destroys `amount` of `denomination` from the sender's own balance (kind 3); the sender
    /// needs the burn right.
    public struct Burn: ModuleMessage, Hashable {
        /// `bank`, kind 3.
        public static let route = MessageRoute(module: Bank.moduleName, kind: 3)
        /// What is burned.
        public var denomination: Denomination
        /// How many base units (positive).
        public var amount: UInt64

        /// A burn from its parts.
        public init(_ amount: UInt64, _ denomination: Denomination) {
            self.denomination = denomination
            self.amount = amount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(denomination)
            encoder.write(amount)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            denomination = try decoder.read(Denomination.self)
            amount = try decoder.read(UInt64.self)
        }
    }
}

// MARK: - Genesis

extension Bank {
    /// The bank's genesis: balances and mint/burn rights. The supply is not listed: it is the sum of
    /// the balances, so a genesis cannot contradict itself.
    public struct Genesis: Hashable, Sendable {
        /// Positive balances; exported ascending by address, then denomination.
        public var balances: [Balance]
        /// Mint and burn rights; exported ascending by address, then denomination.
        public var rights: [Authority]

        /// A genesis from its parts.
        public init(balances: [Balance] = [], rights: [Authority] = []) {
            self.balances = balances
            self.rights = rights
        }
    }

    /// One account's balance of one denomination.
    public struct Balance: Hashable, Sendable {
        /// The account.
        public var address: Address
        /// The denomination.
        public var denomination: Denomination
        /// The base units held (positive).
        public var amount: UInt64

        /// A balance from its parts.
        public init(address: Address, denomination: Denomination, amount: UInt64) {
            self.address = address
            self.denomination = denomination
            self.amount = amount
        }
    }

    /// The mint and burn rights of one account for one denomination.
    public struct Authority: Hashable, Sendable {
        /// The account.
        public var address: Address
        /// The denomination.
        public var denomination: Denomination
        /// Its rights (not empty).
        public var rights: Rights

        /// An authority from its parts.
        public init(address: Address, denomination: Denomination, rights: Rights) {
            self.address = address
            self.denomination = denomination
            self.rights = rights
        }
    }

    /// Writes balances, the supplies they sum to, and rights into the empty bank key space.
    /// - Throws: `BankError` for a repeated or empty entry or a supply that overflows; `CodecError`
    ///   for bytes that are not a `Bank.Genesis`.
    public func initGenesis(_ genesis: [UInt8], store: ModuleStore) throws {
        let decoded = try Canonical.decode(Genesis.self, from: genesis)
        var seenBalances: Set<[UInt8]> = []
        for balance in decoded.balances {
            let key = Keeper.balanceKey(balance.address, balance.denomination)
            guard seenBalances.insert(key).inserted else {
                throw BankError.duplicateGenesisEntry(account: balance.address, denomination: balance.denomination)
            }
            guard balance.amount > 0 else {
                throw BankError.emptyGenesisEntry(account: balance.address, denomination: balance.denomination)
            }
            guard balance.address != Bank.feeEscrow else { throw BankError.blockedRecipient(balance.address) }
            try Keeper.mint(balance.amount, of: balance.denomination, to: balance.address, in: store)
        }
        var seenRights: Set<[UInt8]> = []
        for authority in decoded.rights {
            let key = Keeper.rightsKey(authority.address, authority.denomination)
            guard seenRights.insert(key).inserted else {
                throw BankError.duplicateGenesisEntry(account: authority.address, denomination: authority.denomination)
            }
            let rights = authority.rights
            guard !rights.isEmpty else {
                throw BankError.emptyGenesisEntry(account: authority.address, denomination: authority.denomination)
            }
            try Keeper.setRights(rights, of: authority.address, for: authority.denomination, in: store)
        }
    }

    /// Balances and rights, ascending by key (address, then denomination).
    public func exportGenesis(_ state: ModuleStateReader) throws -> [UInt8] {
        var genesis = Genesis()
        for (key, value) in try state.entries() {
            switch Keeper.parse(key) {
            case .balance(let address, let denomination)?:
                let amount = try StoredInteger.decode(value, what: "balance of \(address)")
                genesis.balances.append(Balance(address: address, denomination: denomination, amount: amount))
            case .rights(let address, let denomination)?:
                guard value.count == 1 else { throw StateAccessError.storage(.corrupted("rights of \(address)")) }
                genesis.rights.append(
                    Authority(address: address, denomination: denomination, rights: Rights(rawValue: value[0])))
            case .supply?:
                continue  // derived from the balances on import
            case nil:
                throw StateAccessError.storage(.corrupted("unexpected bank key \(Hex.encode(key))"))
            }
        }
        return Canonical.encode(genesis)
    }
}

extension Bank.Genesis: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(balances)
        encoder.write(rights)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        balances = try decoder.readArray(of: Bank.Balance.self)
        rights = try decoder.readArray(of: Bank.Authority.self)
    }
}

extension Bank.Balance: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(address)
        encoder.write(denomination)
        encoder.write(amount)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        address = try decoder.read(Address.self)
        denomination = try decoder.read(Denomination.self)
        amount = try decoder.read(UInt64.self)
    }
}

extension Bank.Authority: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(address)
        encoder.write(denomination)
        encoder.write(rights.rawValue)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        address = try decoder.read(Address.self)
        denomination = try decoder.read(Denomination.self)
        let offset = decoder.offset
        let bits = try decoder.read(UInt8.self)
        guard Bank.Rights.all.isSuperset(of: Bank.Rights(rawValue: bits)) else {
            throw .invalidValue(offset: offset, reason: "rights byte \(bits) has bits other than mint (1) and burn (2)")
        }
        rights = Bank.Rights(rawValue: bits)
    }
}
