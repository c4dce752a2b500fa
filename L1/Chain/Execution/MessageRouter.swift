import Primitives

/// Reading any module's key space: a block's `StateCache` or a committed root's `StateReader`.
public protocol ChainStateReading {
    /// A reader of `module`'s key space.
    func moduleState(_ module: String) -> any ModuleStateReading
}

extension StateCache: ChainStateReading {
    /// The module's store in this block.
    public func moduleState(_ module: String) -> any ModuleStateReading { store(for: module) }
}

extension StateReader: ChainStateReading {
    /// The module's key space at this root.
    public func moduleState(_ module: String) -> any ModuleStateReading { self.module(module) }
}

/// The modules of a chain, by name, and the routes of their messages.
///
/// Routing is by exact module name and message kind: a message for a module that is not
/// registered, or a kind the module does not declare, is rejected before any module sees it.
public struct MessageRouter: Sendable {
    /// The modules in registration order: the order of begin- and end-block hooks and of genesis.
    public let modules: [any ApplicationModule]
    private let indexByName: [String: Int]
    private let routes: Set<MessageRoute>

    /// A router over `modules`.
    /// - Throws: `ChainConfigurationError` for an invalid or repeated module name or message kind.
    public init(modules: [any ApplicationModule]) throws(ChainConfigurationError) {
        var index: [String: Int] = [:]
        var routes: Set<MessageRoute> = []
        for (position, module) in modules.enumerated() {
            let name = module.name
            guard Self.isValidModuleName(name) else { throw .invalidModuleName(name) }
            guard index[name] == nil else { throw .duplicateModule(name) }
            index[name] = position
            for type in module.messageTypes {
                guard routes.insert(MessageRoute(module: name, kind: type.kind)).inserted else {
                    throw .duplicateMessageKind(module: name, kind: type.kind)
                }
            }
        }
        self.modules = modules
        self.indexByName = index
        self.routes = routes
    }

    /// True for 1–32 bytes of lower-case ASCII letters, digits and `_` (no `/`, which ends a prefix).
    public static func isValidModuleName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= Message.maxModuleNameLength else { return false }
        return utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    /// The module called `name`, if registered.
    public func module(named name: String) -> (any ApplicationModule)? {
        indexByName[name].map { modules[$0] }
    }

    /// Every route a registered module declares, sorted.
    public var knownRoutes: [MessageRoute] { routes.sorted() }

    /// The module for `message` after a stateless check of the message (route, then `validate`).
    /// - Throws: the failure to record, or `StateAccessError.storage` (never thrown by `validate`
    ///   in practice, but passed on rather than blamed on the sender).
    func check(_ message: Message, index: Int) throws(RoutingError) -> any ApplicationModule {
        guard routes.contains(message.route), let module = module(named: message.module) else {
            throw .failed(
                TransactionFailure(
                    codespace: TransactionFailure.chainCodespace, code: TransactionFailure.Code.unknownRoute,
                    messageIndex: UInt32(index), message: "no module handles messages of route \(message.route)"))
        }
        do {
            try module.validate(message)
        } catch {
            throw Self.classify(error, module: module.name, index: index)
        }
        return module
    }

    /// Turns an error from a module into the receipt's failure, or a fault that stops the block.
    static func classify(_ error: any Error, module: String, index: Int) -> RoutingError {
        let messageIndex = UInt32(clamping: index)
        let chain = TransactionFailure.chainCodespace
        switch error {
        case StateAccessError.storage(let storeError):
            return .fault(.storage(storeError))
        case StateAccessError.outOfFee:
            return .failed(
                TransactionFailure(
                    codespace: chain, code: TransactionFailure.Code.outOfFee, messageIndex: messageIndex,
                    message: String(describing: error)))
        case let moduleError as any ModuleError:
            return .failed(
                TransactionFailure(
                    codespace: module, code: moduleError.code, messageIndex: messageIndex,
                    message: moduleError.description))
        case let codecError as CodecError:
            return .failed(
                TransactionFailure(
                    codespace: chain, code: TransactionFailure.Code.malformedMessage, messageIndex: messageIndex,
                    message: "module \(module) cannot decode the message: \(codecError)"))
        default:
            return .failed(
                TransactionFailure(
                    codespace: chain, code: TransactionFailure.Code.unclassified, messageIndex: messageIndex,
                    message: "module \(module) failed: \(String(describing: error))"))
        }
    }
}

/// The outcome of routing or running a message that did not succeed.
enum RoutingError: Error {
    /// The transaction fails with this reason (its fee is still charged).
    case failed(TransactionFailure)
    /// The node cannot go on executing the block.
    case fault(StateAccessError)
}

/// Why a chain's modules or parameters cannot form a state machine.
public enum ChainConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A module name that is empty, too long or has characters other than `a-z`, `0-9`, `_`.
    case invalidModuleName(String)
    /// Two modules share a name.
    case duplicateModule(String)
    /// A module declares one message kind twice.
    case duplicateMessageKind(module: String, kind: UInt16)
    /// The fee keeper names a module that is not registered.
    case feeKeeperNotRegistered(String)
    /// The chain id is empty or longer than `Transaction.maxChainIDLength` bytes.
    case invalidChainID(String)

    public var description: String {
        switch self {
        case .invalidModuleName(let name):
            "module name '\(name)' must be 1-32 bytes of lower-case letters, digits and '_'"
        case .duplicateModule(let name): "two modules are named '\(name)'"
        case .duplicateMessageKind(let module, let kind): "module \(module) declares message kind \(kind) twice"
        case .feeKeeperNotRegistered(let name): "the fee keeper's module '\(name)' is not among the modules"
        case .invalidChainID(let id): "chain id '\(id)' must be 1-\(Transaction.maxChainIDLength) bytes"
        }
    }
}
