public import Primitives
import Synchronization

/// What the executor needs from the module that holds AIC: the executor's expected keeper.
///
/// Fees are AIC and burned. Before a transaction's messages run, the executor moves its whole
/// `maxFee` out of the sender's reach into an escrow (so the messages cannot spend what the fee
/// needs); afterwards it burns the fee charged from the escrow and returns the rest. Escrow rather
/// than burn-then-mint-back keeps the supply unchanged while the messages run, so a refund can
/// never overflow a supply that a message minted up to its limit. `Bank` conforms.
public protocol FeeKeeper: Sendable {
    /// The module whose key space holds the fee balances (it must be registered).
    var name: String { get }

    /// The AIC base units `account` holds for fees.
    func feeBalance(of account: Address, in state: some ChainStateReading) throws(StateAccessError) -> UInt64

    /// Moves `amount` AIC from `account` into the fee escrow.
    /// - Throws: when the account holds less (the executor checks first, so that is a bug) or the
    ///   state cannot be written.
    func escrowFee(_ amount: UInt64, from account: Address, in state: StateCache) throws

    /// Burns `charged` AIC from the fee escrow and returns `refund` AIC from it to `account`.
    func settleFee(charged: UInt64, refund: UInt64, to account: Address, in state: StateCache) throws
}

/// What the mempool checks against: an account's next nonce and what it can pay in fees.
public struct AccountState: Hashable, Sendable {
    /// The nonce the account's next transaction must carry.
    public var nonce: UInt64
    /// The AIC base units it holds for fees.
    public var feeBalance: UInt64

    /// An account state from its parts.
    public init(nonce: UInt64, feeBalance: UInt64) {
        self.nonce = nonce
        self.feeBalance = feeBalance
    }
}

/// Account states at some committed root, for mempool admission.
///
/// `ChainStateMachine.accounts(at:)` gives the real one; tests may use a dictionary.
public protocol AccountStateView {
    /// The state of `address` (nonce 0 and no balance for an account never seen).
    func account(_ address: Address) throws(StateAccessError) -> AccountState
}

/// Account states read from the state tree at one root.
public struct CommittedAccountState: AccountStateView, Sendable {
    /// The state read.
    public let reader: StateReader
    let feeKeeper: any FeeKeeper

    init(reader: StateReader, feeKeeper: any FeeKeeper) {
        self.reader = reader
        self.feeKeeper = feeKeeper
    }

    /// The nonce and fee balance of `address` at the reader's root.
    public func account(_ address: Address) throws(StateAccessError) -> AccountState {
        AccountState(
            nonce: try Accounts.nonce(of: address, in: reader.module(Accounts.moduleName)),
            feeBalance: try feeKeeper.feeBalance(of: address, in: reader))
    }
}

/// Account states at one committed root, each read from the tree once.
///
/// State at a root never changes, so a node keeps one of these per committed root and every
/// mempool admission until the next commit reuses the reads (a sender with many pending
/// transactions costs one tree walk, not one per transaction).
public final class MemoizedAccountStates: AccountStateView, Sendable {
    /// The root the states are read at.
    public let root: Hash
    private let base: CommittedAccountState
    private let memo = Mutex<[Address: AccountState]>([:])

    /// A memo over `base`, which reads at `root`.
    public init(_ base: CommittedAccountState, root: Hash) {
        self.base = base
        self.root = root
    }

    public func account(_ address: Address) throws(StateAccessError) -> AccountState {
        if let known = memo.withLock({ $0[address] }) { return known }
        let state = try base.account(address)
        memo.withLock { $0[address] = state }
        return state
    }
}
