public import Primitives
internal import Storage

/// The bank module: AIC and SWR balances, transfers, mint and burn by accounts with rights, and
/// the total supply of each denomination.
///
/// Amounts are `UInt64` base units with checked arithmetic: a sum that would overflow is a
/// `BankError`, never a trap. The supply of a denomination always equals the sum of its balances
/// (`checkInvariants`). The bank is also the chain's `FeeKeeper`: fees are AIC and burned.
/// State layout, messages, events and parameters: `Modules/Bank/README.md`.
public struct Bank: ApplicationModule, FeeKeeper {
    /// The module name and state prefix.
    public static let moduleName = "bank"

    /// The module name and state prefix.
    public var name: String { Self.moduleName }

    /// Module accounts besides the fee escrow that transfers and mints may not pay into (a module
    /// keeps its own books of what its account holds, like staking's pool). Their owning module
    /// moves funds in and out through `Keeper`.
    public let blockedRecipients: Set<Address>

    /// The bank (its only parameters, the mint and burn rights, live in state from genesis).
    /// - Parameter blockedRecipients: module accounts that `Transfer` and `Mint` may not pay into.
    public init(blockedRecipients: Set<Address> = []) {
        self.blockedRecipients = blockedRecipients
    }

    /// True when messages may not pay into `address` (the fee escrow or a blocked module account).
    public func isBlocked(_ address: Address) -> Bool {
        address == Self.feeEscrow || blockedRecipients.contains(address)
    }

    /// Transfer, mint and burn.
    public var messageTypes: [MessageType] {
        [
            MessageType(kind: Transfer.route.kind, name: "transfer"),
            MessageType(kind: Mint.route.kind, name: "mint"),
            MessageType(kind: Burn.route.kind, name: "burn"),
        ]
    }

    // MARK: - Messages

    /// Decodes the message and checks its amount is positive.
    public func validate(_ message: Message) throws {
        let amount: UInt64
        switch message.kind {
        case Transfer.route.kind: amount = try message.decode(Transfer.self).amount
        case Mint.route.kind: amount = try message.decode(Mint.self).amount
        case Burn.route.kind: amount = try message.decode(Burn.self).amount
        default: throw BankError.unknownMessageKind(message.kind)
        }
        guard amount > 0 else { throw BankError.zeroAmount }
    }

    /// Runs a transfer, mint or burn for the transaction's sender.
    public func handle(_ message: Message, context: MessageContext) throws {
        let store = context.store
        let sender = context.sender
        switch message.kind {
        case Transfer.route.kind:
            let transfer = try message.decode(Transfer.self)
            guard !isBlocked(transfer.recipient) else { throw BankError.blockedRecipient(transfer.recipient) }
            try Keeper.send(
                transfer.amount, of: transfer.denomination, from: sender, to: transfer.recipient, in: store)
            store.emit(
                "transfer",
                [
                    EventAttribute("sender", sender.description),
                    EventAttribute("recipient", transfer.recipient.description),
                    EventAttribute("denomination", transfer.denomination.description),
                    EventAttribute("amount", String(transfer.amount)),
                ])
        case Mint.route.kind:
            let mint = try message.decode(Mint.self)
            guard try Keeper.rights(of: sender, for: mint.denomination, in: store).contains(.mint) else {
                throw BankError.noMintRight(account: sender, denomination: mint.denomination)
            }
            guard !isBlocked(mint.recipient) else { throw BankError.blockedRecipient(mint.recipient) }
            try Keeper.mint(mint.amount, of: mint.denomination, to: mint.recipient, in: store)
            store.emit(
                "mint",
                [
                    EventAttribute("minter", sender.description),
                    EventAttribute("recipient", mint.recipient.description),
                    EventAttribute("denomination", mint.denomination.description),
                    EventAttribute("amount", String(mint.amount)),
                ])
        case Burn.route.kind:
            let burn = try message.decode(Burn.self)
            guard try Keeper.rights(of: sender, for: burn.denomination, in: store).contains(.burn) else {
                throw BankError.noBurnRight(account: sender, denomination: burn.denomination)
            }
            try Keeper.burn(burn.amount, of: burn.denomination, from: sender, in: store)
            store.emit(
                "burn",
                [
                    EventAttribute("burner", sender.description),
                    EventAttribute("denomination", burn.denomination.description),
                    EventAttribute("amount", String(burn.amount)),
                ])
        default:
            throw BankError.unknownMessageKind(message.kind)
        }
    }

    // MARK: - Fee keeper

    /// The account's AIC balance.
    public func feeBalance(of account: Address, in state: some ChainStateReading) throws(StateAccessError)
        -> UInt64
    {
        try Keeper.balance(of: account, .aic, in: state.moduleState(name))
    }

    /// Moves `amount` AIC from `account` to `feeEscrow`.
    public func escrowFee(_ amount: UInt64, from account: Address, in state: StateCache) throws {
        try Keeper.send(amount, of: .aic, from: account, to: Self.feeEscrow, in: state.store(for: name))
    }

    /// Burns `charged` AIC from `feeEscrow` and sends `refund` AIC from it back to `account`.
    public func settleFee(charged: UInt64, refund: UInt64, to account: Address, in state: StateCache) throws {
        let store = state.store(for: name)
        if charged > 0 { try Keeper.burn(charged, of: .aic, from: Self.feeEscrow, in: store) }
        if refund > 0 { try Keeper.send(refund, of: .aic, from: Self.feeEscrow, to: account, in: store) }
    }

    /// The module account that holds transaction fees while messages run (empty between transactions).
    ///
    /// `SHA-256(canonical("aether/module-account/v1") ‖ canonical("bank/fee-escrow"))[0..<20]`: a
    /// different domain tag from key-derived addresses, so no key can own it. Transfers and mints to
    /// it are refused.
    public static let feeEscrow = Address(moduleAccount: "bank/fee-escrow")

    // MARK: - Queries

    /// Queries: `balance` (arguments: address ‖ denomination), `supply` (denomination) and
    /// `rights` (address ‖ denomination). Values are 8-byte little-endian amounts (absent = 0) and
    /// a rights byte (bit 0 mint, bit 1 burn; absent = none).
    public func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8] {
        do {
            switch query.path {
            case "balance":
                let arguments = try Canonical.decode(AccountDenomination.self, from: query.arguments)
                return Keeper.balanceKey(arguments.address, arguments.denomination)
            case "supply":
                return Keeper.supplyKey(try Canonical.decode(Denomination.self, from: query.arguments))
            case "rights":
                let arguments = try Canonical.decode(AccountDenomination.self, from: query.arguments)
                return Keeper.rightsKey(arguments.address, arguments.denomination)
            default:
                throw QueryError.unsupportedQuery(module: name, path: query.path)
            }
        } catch let error as CodecError {
            throw .invalidArguments(module: name, path: query.path, reason: error.description)
        } catch let error as QueryError {
            throw error
        } catch {
            throw .invalidArguments(module: name, path: query.path, reason: String(describing: error))
        }
    }

    /// The query for `address`'s balance of `denomination`.
    public static func balanceQuery(_ address: Address, _ denomination: Denomination) -> ModuleQuery {
        ModuleQuery(
            module: moduleName, path: "balance",
            arguments: Canonical.encode(AccountDenomination(address: address, denomination: denomination)))
    }

    /// The query for the supply of `denomination`.
    public static func supplyQuery(_ denomination: Denomination) -> ModuleQuery {
        ModuleQuery(module: moduleName, path: "supply", arguments: Canonical.encode(denomination))
    }

    /// An amount as a `balance` or `supply` query returns it (nil: absent, which is zero).
    public static func decodeAmount(_ value: [UInt8]?) throws(StateAccessError) -> UInt64 {
        try StoredInteger.decode(value, what: "amount")
    }

    // MARK: - Invariants

    /// `supply`: for each denomination, the balances sum to the supply (summed with overflow
    /// checks); `escrow`: the fee escrow is empty between transactions; `layout`: every key is a
    /// balance, supply or rights key, and no rights entry is empty.
    public func checkInvariants(_ state: ModuleStateReader) throws -> [InvariantViolation] {
        var violations: [InvariantViolation] = []
        var sums: [Denomination: UInt64] = [:]
        var supplies: [Denomination: UInt64] = [:]
        for (key, value) in try state.entries() {
            switch Keeper.parse(key) {
            case .balance(let address, let denomination)?:
                let amount = try StoredInteger.decode(value, what: "balance of \(address)")
                if address == Self.feeEscrow {
                    violations.append(
                        InvariantViolation(
                            module: name, invariant: "escrow",
                            message: "the fee escrow holds \(amount) \(denomination) between transactions"))
                }
                let (sum, overflow) = sums[denomination, default: 0].addingReportingOverflow(amount)
                if overflow {
                    violations.append(
                        InvariantViolation(
                            module: name, invariant: "supply", message: "\(denomination) balances overflow UInt64"))
                }
                sums[denomination] = sum
            case .supply(let denomination)?:
                supplies[denomination] = try StoredInteger.decode(value, what: "supply of \(denomination)")
            case .rights?:
                if value.count != 1 || Rights(rawValue: value[0]).isEmpty
                    || !Rights.all.isSuperset(of: Rights(rawValue: value[0]))
                {
                    violations.append(
                        InvariantViolation(
                            module: name, invariant: "layout", message: "bad rights value at \(Hex.encode(key))"))
                }
            case nil:
                violations.append(
                    InvariantViolation(module: name, invariant: "layout", message: "unexpected key \(Hex.encode(key))"))
            }
        }
        for denomination in Denomination.allCases {
            let sum = sums[denomination, default: 0]
            let supply = supplies[denomination, default: 0]
            if sum != supply {
                violations.append(
                    InvariantViolation(
                        module: name, invariant: "supply",
                        message: "\(denomination) balances sum to \(sum) but the supply is \(supply)"))
            }
        }
        return violations
    }
}

// MARK: - Keeper

extension Bank {
    /// The bank's keeper: its key layout and the state operations on it.
    ///
    /// Reads take any module reader (a block's store or a committed root); writes take the bank's
    /// `ModuleStore`. Every write keeps the supply equal to the sum of balances.
    public enum Keeper {
        static let balanceTag: UInt8 = 0x01
        static let supplyTag: UInt8 = 0x02
        static let rightsTag: UInt8 = 0x03

        /// `0x01 ‖ address ‖ denomination` → balance.
        public static func balanceKey(_ address: Address, _ denomination: Denomination) -> [UInt8] {
            [balanceTag] + address.bytes + [denomination.rawValue]
        }

        /// `0x02 ‖ denomination` → supply.
        public static func supplyKey(_ denomination: Denomination) -> [UInt8] { [supplyTag, denomination.rawValue] }

        /// `0x03 ‖ address ‖ denomination` → rights byte.
        public static func rightsKey(_ address: Address, _ denomination: Denomination) -> [UInt8] {
            [rightsTag] + address.bytes + [denomination.rawValue]
        }

        enum ParsedKey {
            case balance(Address, Denomination)
            case supply(Denomination)
            case rights(Address, Denomination)
        }

        static func parse(_ key: [UInt8]) -> ParsedKey? {
            switch key.first {
            case balanceTag?, rightsTag?:
                guard key.count == 2 + Address.byteCount, let denomination = Denomination(rawValue: key[21]) else {
                    return nil
                }
                let address = Address(validated: Array(key[1...20]))
                return key[0] == balanceTag ? .balance(address, denomination) : .rights(address, denomination)
            case supplyTag?:
                guard key.count == 2, let denomination = Denomination(rawValue: key[1]) else { return nil }
                return .supply(denomination)
            default:
                return nil
            }
        }

        /// `address`'s balance of `denomination` (0 when absent).
        public static func balance(
            of address: Address, _ denomination: Denomination, in state: some ModuleStateReading
        ) throws(StateAccessError) -> UInt64 {
            try StoredInteger.decode(
                state.get(balanceKey(address, denomination)), what: "\(denomination) balance of \(address)")
        }

        /// The total supply of `denomination`.
        public static func supply(of denomination: Denomination, in state: some ModuleStateReading)
            throws(StateAccessError) -> UInt64
        {
            try StoredInteger.decode(state.get(supplyKey(denomination)), what: "\(denomination) supply")
        }

        /// What `address` may do with `denomination`.
        public static func rights(
            of address: Address, for denomination: Denomination, in state: some ModuleStateReading
        ) throws(StateAccessError) -> Rights {
            guard let value = try state.get(rightsKey(address, denomination)) else { return [] }
            guard value.count == 1 else {
                throw .storage(.corrupted("rights of \(address) for \(denomination) are \(value.count) bytes"))
            }
            return Rights(rawValue: value[0])
        }

        /// Moves `amount` from one account to another.
        /// - Throws: `BankError.insufficientFunds` or `.balanceOverflow`, or `StateAccessError`.
        public static func send(
            _ amount: UInt64, of denomination: Denomination, from sender: Address, to recipient: Address,
            in store: ModuleStore
        ) throws {
            try debit(amount, of: denomination, from: sender, in: store)
            try credit(amount, of: denomination, to: recipient, in: store)
        }

        /// Creates `amount` in `recipient`'s balance and the supply.
        /// - Throws: `BankError.supplyOverflow` or `.balanceOverflow`, or `StateAccessError`.
        public static func mint(
            _ amount: UInt64, of denomination: Denomination, to recipient: Address, in store: ModuleStore
        ) throws {
            let supply = try supply(of: denomination, in: store)
            let (newSupply, overflow) = supply.addingReportingOverflow(amount)
            guard !overflow else {
                throw BankError.supplyOverflow(denomination: denomination, supply: supply, amount: amount)
            }
            try credit(amount, of: denomination, to: recipient, in: store)
            try store.set(supplyKey(denomination), StoredInteger.encode(newSupply))
        }

        /// Destroys `amount` from `holder`'s balance and the supply.
        /// - Throws: `BankError.insufficientFunds`, or `StateAccessError`.
        public static func burn(
            _ amount: UInt64, of denomination: Denomination, from holder: Address, in store: ModuleStore
        ) throws {
            try debit(amount, of: denomination, from: holder, in: store)
            let supply = try supply(of: denomination, in: store)
            guard supply >= amount else {
                throw BankError.supplyUnderflow(denomination: denomination, supply: supply, amount: amount)
            }
            try store.set(supplyKey(denomination), StoredInteger.encode(supply - amount))
        }

        /// Sets `address`'s rights for `denomination` (genesis only: rights are not granted by messages).
        static func setRights(
            _ rights: Rights, of address: Address, for denomination: Denomination, in store: ModuleStore
        ) throws(StateAccessError) {
            try store.set(rightsKey(address, denomination), rights.isEmpty ? [] : [rights.rawValue])
        }

        static func debit(
            _ amount: UInt64, of denomination: Denomination, from address: Address, in store: ModuleStore
        ) throws {
            let balance = try balance(of: address, denomination, in: store)
            guard balance >= amount else {
                throw BankError.insufficientFunds(
                    account: address, denomination: denomination, balance: balance, needed: amount)
            }
            try store.set(balanceKey(address, denomination), StoredInteger.encode(balance - amount))
        }

        static func credit(
            _ amount: UInt64, of denomination: Denomination, to address: Address, in store: ModuleStore
        ) throws {
            let balance = try balance(of: address, denomination, in: store)
            let (sum, overflow) = balance.addingReportingOverflow(amount)
            guard !overflow else {
                throw BankError.balanceOverflow(
                    account: address, denomination: denomination, balance: balance, amount: amount)
            }
            try store.set(balanceKey(address, denomination), StoredInteger.encode(sum))
        }
    }

    /// What an account may do with one denomination beyond holding and sending it.
    public struct Rights: OptionSet, Hashable, Sendable {
        /// The bits: 1 mint, 2 burn.
        public let rawValue: UInt8

        /// Rights from their bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// May create new units (`Mint`) for any recipient.
        public static let mint = Rights(rawValue: 1)
        /// May destroy units from its own balance (`Burn`).
        public static let burn = Rights(rawValue: 2)
        /// Both.
        public static let all: Rights = [.mint, .burn]
    }

    /// An account and a denomination: the arguments of the `balance` and `rights` queries.
    public struct AccountDenomination: Hashable, Sendable, CanonicalCodable {
        /// The account.
        public var address: Address
        /// The denomination.
        public var denomination: Denomination

        /// Arguments from their parts.
        public init(address: Address, denomination: Denomination) {
            self.address = address
            self.denomination = denomination
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(address)
            encoder.write(denomination)
        }

        public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
            address = try decoder.read(Address.self)
            denomination = try decoder.read(Denomination.self)
        }
    }
}

// MARK: - Errors

/// Why the bank refused a message. Codes are the bank's code space in receipts.
public enum BankError: ModuleError, Equatable, Sendable {
    /// Code 1: an amount of zero (nothing to do, and a cheap way to spam events).
    case zeroAmount
    /// Code 2: the account holds less than the amount.
    case insufficientFunds(account: Address, denomination: Denomination, balance: UInt64, needed: UInt64)
    /// Code 3: the recipient's balance would pass `UInt64.max`.
    case balanceOverflow(account: Address, denomination: Denomination, balance: UInt64, amount: UInt64)
    /// Code 4: the supply would pass `UInt64.max`.
    case supplyOverflow(denomination: Denomination, supply: UInt64, amount: UInt64)
    /// Code 5: the sender has no mint right for the denomination.
    case noMintRight(account: Address, denomination: Denomination)
    /// Code 6: the sender has no burn right for the denomination.
    case noBurnRight(account: Address, denomination: Denomination)
    /// Code 7: a message kind the bank does not have.
    case unknownMessageKind(UInt16)
    /// Code 8: the supply is below an amount burned from a balance (the supply invariant is broken).
    case supplyUnderflow(denomination: Denomination, supply: UInt64, amount: UInt64)
    /// Code 9: the genesis lists one account and denomination twice.
    case duplicateGenesisEntry(account: Address, denomination: Denomination)
    /// Code 10: the genesis has a zero balance or an empty rights entry.
    case emptyGenesisEntry(account: Address, denomination: Denomination)
    /// Code 11: the recipient is a module account that may not receive transfers or mints.
    case blockedRecipient(Address)

    /// The code in the bank's code space.
    public var code: UInt32 {
        switch self {
        case .zeroAmount: 1
        case .insufficientFunds: 2
        case .balanceOverflow: 3
        case .supplyOverflow: 4
        case .noMintRight: 5
        case .noBurnRight: 6
        case .unknownMessageKind: 7
        case .supplyUnderflow: 8
        case .duplicateGenesisEntry: 9
        case .emptyGenesisEntry: 10
        case .blockedRecipient: 11
        }
    }

    public var description: String {
        switch self {
        case .zeroAmount: "the amount must be positive"
        case .insufficientFunds(let account, let denomination, let balance, let needed):
            "account \(account) holds \(balance) \(denomination), needs \(needed)"
        case .balanceOverflow(let account, let denomination, let balance, let amount):
            "adding \(amount) \(denomination) to the balance \(balance) of \(account) overflows"
        case .supplyOverflow(let denomination, let supply, let amount):
            "minting \(amount) \(denomination) overflows the supply of \(supply)"
        case .noMintRight(let account, let denomination): "account \(account) may not mint \(denomination)"
        case .noBurnRight(let account, let denomination): "account \(account) may not burn \(denomination)"
        case .unknownMessageKind(let kind): "the bank has no message kind \(kind)"
        case .supplyUnderflow(let denomination, let supply, let amount):
            "burning \(amount) \(denomination) exceeds the supply of \(supply)"
        case .duplicateGenesisEntry(let account, let denomination):
            "the bank genesis lists \(account) and \(denomination) twice"
        case .emptyGenesisEntry(let account, let denomination):
            "the bank genesis has an empty entry for \(account) and \(denomination)"
        case .blockedRecipient(let address): "account \(address) is a module account and cannot receive funds"
        }
    }
}
