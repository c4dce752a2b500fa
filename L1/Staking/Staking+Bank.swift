public import Chain
internal import Primitives

extension Staking {
    /// What staking needs from the bank (its expected keeper): SWR balances and supply, moves into
    /// and out of the pool, minting rewards and burning slashes. All amounts are SWR base units.
    ///
    /// Writes take the bank's own `ModuleStore` (`context.store(for: moduleName)`), so the bank
    /// keeps its books (supply = sum of balances) itself. Errors are passed on: staking reports a
    /// refusal as `StakingError.bank` and lets `StateAccessError` through unchanged.
    public protocol BankKeeper: Sendable {
        /// The bank module's name (whose store the writes go to).
        var moduleName: String { get }
        /// `address`'s SWR balance.
        func balance(of address: Address, in state: some ModuleStateReading) throws(StateAccessError) -> UInt64
        /// The SWR supply.
        func supply(in state: some ModuleStateReading) throws(StateAccessError) -> UInt64
        /// Moves `amount` SWR from `sender` to `recipient`.
        func send(_ amount: UInt64, from sender: Address, to recipient: Address, in store: ModuleStore) throws
        /// Creates `amount` SWR in `recipient`'s balance and the supply.
        func mint(_ amount: UInt64, to recipient: Address, in store: ModuleStore) throws
        /// Destroys `amount` SWR from `holder`'s balance and the supply.
        func burn(_ amount: UInt64, from holder: Address, in store: ModuleStore) throws
    }

    /// The chain's `Bank` module as staking's bank keeper.
    public struct ChainBank: BankKeeper {
        /// The bank (`bank`).
        public init() {}

        public var moduleName: String { Bank.moduleName }

        public func balance(of address: Address, in state: some ModuleStateReading) throws(StateAccessError) -> UInt64 {
            try Bank.Keeper.balance(of: address, .swr, in: state)
        }

        public func supply(in state: some ModuleStateReading) throws(StateAccessError) -> UInt64 {
            try Bank.Keeper.supply(of: .swr, in: state)
        }

        public func send(_ amount: UInt64, from sender: Address, to recipient: Address, in store: ModuleStore) throws {
            try Bank.Keeper.send(amount, of: .swr, from: sender, to: recipient, in: store)
        }

        public func mint(_ amount: UInt64, to recipient: Address, in store: ModuleStore) throws {
            try Bank.Keeper.mint(amount, of: .swr, to: recipient, in: store)
        }

        public func burn(_ amount: UInt64, from holder: Address, in store: ModuleStore) throws {
            try Bank.Keeper.burn(amount, of: .swr, from: holder, in: store)
        }
    }
}

/// The stores a staking operation may touch: its own and the bank's.
struct StakingStores {
    /// `staking/`.
    let staking: ModuleStore
    /// The bank's store.
    let bank: ModuleStore
    /// The bank keeper.
    let keeper: any Staking.BankKeeper

    /// Runs a bank operation, turning a refusal into `StakingError.bank`.
    func bankCall(_ operation: (any Staking.BankKeeper, ModuleStore) throws -> Void) throws {
        do {
            try operation(keeper, bank)
        } catch let error as StateAccessError {
            throw error
        } catch {
            throw StakingError.bank(String(describing: error))
        }
    }

    func send(_ amount: UInt64, from sender: Address, to recipient: Address) throws {
        guard amount > 0 else { return }
        try bankCall { try $0.send(amount, from: sender, to: recipient, in: $1) }
    }

    func mint(_ amount: UInt64, to recipient: Address) throws {
        guard amount > 0 else { return }
        try bankCall { try $0.mint(amount, to: recipient, in: $1) }
    }

    func burn(_ amount: UInt64, from holder: Address) throws {
        guard amount > 0 else { return }
        try bankCall { try $0.burn(amount, from: holder, in: $1) }
    }

    func supply() throws(StateAccessError) -> UInt64 { try keeper.supply(in: bank) }
}
