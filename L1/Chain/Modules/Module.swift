public import Primitives

// MARK: - The module protocol

/// An application module in the Cosmos-SDK shape: it owns a key space in the state tree, handles
/// its messages, runs begin- and end-block hooks, imports and exports its genesis, answers proven
/// queries and states its invariants.
///
/// - State: everything a module stores lives under `name` + `/` (its `ModuleStore`). The module
///   alone knows its key layout, which its README states.
/// - Other modules: a module that needs another declares a narrow protocol of exactly what it
///   needs (an "expected keeper", like `FeeKeeper`) and is given a value conforming to it; it
///   never names another module's concrete type.
/// - Errors: `validate` and `handle` throw; an error conforming to `ModuleError` becomes the
///   failure code and message in the receipt, `StateAccessError.outOfFee` becomes an out-of-fee
///   failure, and `StateAccessError.storage` stops the block (a node fault, not the sender's).
///   Let `StateAccessError` pass through unchanged (wrapping it would turn an out-of-fee stop
///   into an ordinary failure, or a node fault into the sender's). Handlers must be deterministic:
///   the same state and message give the same writes, events and errors on every node.
public protocol ApplicationModule: Sendable {
    /// The module's name: its state prefix and the `module` of its message routes. Lower-case
    /// ASCII letters, digits and `_`, 1–32 bytes.
    var name: String { get }

    /// The message types this module handles; a message whose kind is not here is rejected
    /// before the module sees it.
    var messageTypes: [MessageType] { get }

    /// Checks a message without state (decodes, field rules). The mempool runs it on admission
    /// and the executor before `handle`.
    func validate(_ message: Message) throws

    /// Executes one message of a transaction against the block's state.
    func handle(_ message: Message, context: MessageContext) throws

    /// Runs before the block's transactions.
    func beginBlock(_ context: BlockHookContext) throws

    /// Runs after the block's transactions.
    func endBlock(_ context: BlockHookContext) throws

    /// Writes the module's genesis state (its canonical genesis encoding) into an empty key space.
    func initGenesis(_ genesis: [UInt8], store: ModuleStore) throws

    /// The module's state as a genesis encoding that `initGenesis` turns back into the same state.
    func exportGenesis(_ state: ModuleStateReader) throws -> [UInt8]

    /// Checks the module's invariants at a committed root; returns every violation found.
    func checkInvariants(_ state: ModuleStateReader) throws -> [InvariantViolation]

    /// The module-relative state key that answers `query`, so the chain can read and prove it.
    func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8]
}

extension ApplicationModule {
    /// No message types.
    public var messageTypes: [MessageType] { [] }

    /// Accepts every message (the router has already checked the route).
    public func validate(_ message: Message) throws {}

    /// Rejects every message; a module with message types implements this.
    public func handle(_ message: Message, context: MessageContext) throws {
        throw ModuleFailure(code: 1, message: "module \(name) handles no messages")
    }

    /// Does nothing.
    public func beginBlock(_ context: BlockHookContext) throws {}

    /// Does nothing.
    public func endBlock(_ context: BlockHookContext) throws {}

    /// No invariants.
    public func checkInvariants(_ state: ModuleStateReader) throws -> [InvariantViolation] { [] }

    /// No queries.
    public func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8] {
        throw .unsupportedQuery(module: name, path: query.path)
    }
}

/// A message type a module declares: its tag and a name for people.
public struct MessageType: Hashable, Sendable {
    /// The tag carried in `Message.kind`.
    public let kind: UInt16
    /// A short name (`transfer`).
    public let name: String

    /// A message type from its tag and name.
    public init(kind: UInt16, name: String) {
        self.kind = kind
        self.name = name
    }
}

// MARK: - Contexts

/// The block being executed, as modules see it. Time is a value here: modules read no clock.
public struct BlockContext: Hashable, Sendable {
    /// The chain id (must be the state machine's).
    public var chainId: String
    /// The block height.
    public var height: UInt64
    /// The block timestamp, in milliseconds since the Unix epoch (from the block header).
    public var timestamp: UInt64
    /// The address of the block's proposer.
    public var proposer: Address
    /// The signing keys of the validators whose votes form this block's justification (the
    /// parent's quorum certificate, the header's `justify`), in the certificate's order. Empty when
    /// the driver has no signers to report (the genesis child, an epoch's first block, tests):
    /// liveness tracking then charges no one for this block.
    public var parentSigners: [Ed25519.PublicKey]
    /// The consensus epoch of the block (the header's `epoch`), when the driver knows it; modules
    /// that follow epochs check it against their own count.
    public var epoch: UInt64?

    /// A context from its parts.
    public init(
        chainId: String, height: UInt64, timestamp: UInt64, proposer: Address,
        parentSigners: [Ed25519.PublicKey] = [], epoch: UInt64? = nil
    ) {
        self.chainId = chainId
        self.height = height
        self.timestamp = timestamp
        self.proposer = proposer
        self.parentSigners = parentSigners
        self.epoch = epoch
    }
}

/// What a message handler gets: the block, the transaction's sender and the block's state.
public struct MessageContext {
    /// The block being executed.
    public let block: BlockContext
    /// The transaction's sender (its signature has been checked).
    public let sender: Address
    /// The id of the transaction being executed.
    public let transactionID: TransactionID
    /// The handling module's own key space.
    public let store: ModuleStore

    init(block: BlockContext, sender: Address, transactionID: TransactionID, store: ModuleStore) {
        self.block = block
        self.sender = sender
        self.transactionID = transactionID
        self.store = store
    }

    /// The key space of another module, for that module's keeper (an expected-keeper call).
    public func store(for module: String) -> ModuleStore { store.cache.store(for: module) }
}

/// What a begin- or end-block hook gets: the block and the module's key space.
public struct BlockHookContext {
    /// The block being executed.
    public let block: BlockContext
    /// The module's own key space.
    public let store: ModuleStore

    init(block: BlockContext, store: ModuleStore) {
        self.block = block
        self.store = store
    }

    /// The key space of another module, for that module's keeper.
    public func store(for module: String) -> ModuleStore { store.cache.store(for: module) }
}

// MARK: - Errors, invariants and queries

/// An error a module reports for a failed message: a code in the module's code space and a message.
///
/// The code (non-zero) and `description` go into the receipt, which the receipt root commits to:
/// build the description from the error's values only, and treat a change of its wording as a
/// change of the state machine.
public protocol ModuleError: Error, CustomStringConvertible {
    /// The module's code for this error (never 0).
    var code: UInt32 { get }
}

/// A plain `ModuleError` with a code and a message.
public struct ModuleFailure: ModuleError, Equatable, Sendable {
    /// The module's code.
    public let code: UInt32
    /// What went wrong.
    public let message: String

    /// A failure from its code and message.
    public init(code: UInt32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// A broken invariant: state that no sequence of valid transactions should produce.
public struct InvariantViolation: Hashable, Sendable, CustomStringConvertible {
    /// The module whose invariant broke.
    public let module: String
    /// The invariant's name (`supply`).
    public let invariant: String
    /// What is wrong, with the numbers.
    public let message: String

    /// A violation from its parts.
    public init(module: String, invariant: String, message: String) {
        self.module = module
        self.invariant = invariant
        self.message = message
    }

    public var description: String { "\(module)/\(invariant): \(message)" }
}

/// A question to one module: a path naming the query and its canonical arguments.
public struct ModuleQuery: Hashable, Sendable {
    /// The module asked.
    public var module: String
    /// Which query (`balance`).
    public var path: String
    /// The query's arguments, canonically encoded as the module documents.
    public var arguments: [UInt8]

    /// A query from its parts.
    public init(module: String, path: String, arguments: [UInt8]) {
        self.module = module
        self.path = path
        self.arguments = arguments
    }
}

/// Why a query could not be answered.
public enum QueryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No module of that name is registered.
    case unknownModule(String)
    /// The module has no query at that path.
    case unsupportedQuery(module: String, path: String)
    /// The arguments do not decode as the query expects.
    case invalidArguments(module: String, path: String, reason: String)
    /// The state could not be read or proven.
    case state(StateAccessError)

    public var description: String {
        switch self {
        case .unknownModule(let name): "no module named '\(name)'"
        case .unsupportedQuery(let module, let path): "module \(module) has no query '\(path)'"
        case .invalidArguments(let module, let path, let reason):
            "invalid arguments for \(module) query '\(path)': \(reason)"
        case .state(let error): "query failed: \(error)"
        }
    }
}
