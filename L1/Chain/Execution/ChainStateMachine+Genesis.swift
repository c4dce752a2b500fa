public import Primitives
public import Storage

/// The state a chain starts from: its id and each module's genesis encoding.
///
/// Each module's `state` is that module's own canonical genesis (`Bank.Genesis`,
/// `Accounts.Genesis`, …), so the chain needs no knowledge of what the modules keep. A module left
/// out starts empty.
public struct ChainGenesis: Hashable, Sendable {
    /// The chain id.
    public var chainId: String
    /// The modules' genesis states; at most one per module.
    public var modules: [ModuleGenesis]

    /// A genesis from its parts.
    public init(chainId: String, modules: [ModuleGenesis] = []) {
        self.chainId = chainId
        self.modules = modules
    }

    /// The genesis encoding of `module`, if present.
    public subscript(module: String) -> [UInt8]? {
        modules.first { $0.module == module }?.state
    }

    /// Sets `module`'s genesis state from a typed genesis value.
    public mutating func set(_ module: String, _ state: some CanonicalEncodable) {
        let encoded = Canonical.encode(state)
        if let index = modules.firstIndex(where: { $0.module == module }) {
            modules[index].state = encoded
        } else {
            modules.append(ModuleGenesis(module: module, state: encoded))
        }
    }

    /// SHA-256 of the canonical encoding: a short name for this exact genesis.
    public var hash: Hash { Hashing.sha256(Canonical.encode(self)) }
}

/// One module's genesis encoding.
public struct ModuleGenesis: Hashable, Sendable {
    /// The module name.
    public var module: String
    /// The module's canonical genesis encoding.
    public var state: [UInt8]

    /// An entry from its parts.
    public init(module: String, state: [UInt8]) {
        self.module = module
        self.state = state
    }
}

extension ChainGenesis: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(chainId)
        encoder.write(modules)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        chainId = try decoder.read(String.self, maxLength: Transaction.maxChainIDLength)
        modules = try decoder.readArray(of: ModuleGenesis.self, maxCount: 256)
    }
}

extension ModuleGenesis: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(module)
        encoder.write(bytes: state)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        module = try decoder.read(String.self, maxLength: Message.maxModuleNameLength)
        state = try decoder.readBytes()
    }
}

/// Why a genesis could not be imported or exported.
public enum GenesisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The genesis names another chain.
    case wrongChainID(expected: String, actual: String)
    /// The genesis has a state for a module the chain does not have.
    case unknownModule(String)
    /// The genesis lists a module twice.
    case duplicateModule(String)
    /// A module rejected its genesis, or could not export it.
    case moduleFailed(module: String, reason: String)
    /// The state could not be read or written.
    case state(StateAccessError)

    public var description: String {
        switch self {
        case .wrongChainID(let expected, let actual): "genesis is for chain '\(actual)', this chain is '\(expected)'"
        case .unknownModule(let name): "genesis has a state for module '\(name)', which this chain does not have"
        case .duplicateModule(let name): "genesis lists module '\(name)' twice"
        case .moduleFailed(let module, let reason): "genesis of module \(module) failed: \(reason)"
        case .state(let error): "\(error)"
        }
    }
}

extension ChainStateMachine {
    /// Builds the genesis state: each module's `initGenesis` in registration order, on the empty tree.
    /// - Returns: the genesis state root; the tree entries to write are added to `batch`.
    /// - Throws: `GenesisError` for another chain's genesis, an unknown or repeated module, or a
    ///   module that rejects its state.
    public func initGenesis(_ genesis: ChainGenesis, batch: inout WriteBatch) throws(GenesisError) -> Hash {
        guard genesis.chainId == chainId else { throw .wrongChainID(expected: chainId, actual: genesis.chainId) }
        var states: [String: [UInt8]] = [:]
        for entry in genesis.modules {
            guard router.module(named: entry.module) != nil else { throw .unknownModule(entry.module) }
            guard states.updateValue(entry.state, forKey: entry.module) == nil else {
                throw .duplicateModule(entry.module)
            }
        }
        let cache = StateCache(tree: tree, root: SparseMerkleTree.emptyRoot)
        for module in router.modules {
            guard let state = states[module.name] else { continue }
            do {
                try module.initGenesis(state, store: cache.store(for: module.name))
            } catch let error as StateAccessError {
                throw .state(error)
            } catch {
                throw .moduleFailed(module: module.name, reason: String(describing: error))
            }
        }
        // Genesis writes are not events of any block.
        _ = cache.takeBlockEvents()
        do { return try cache.commit(into: &batch) } catch { throw .state(error) }
    }

    /// The state at `root` as a genesis (every module, in registration order) that `initGenesis`
    /// turns back into the same root.
    public func exportGenesis(root: Hash) throws(GenesisError) -> ChainGenesis {
        let reader = state(at: root)
        var modules: [ModuleGenesis] = []
        for module in router.modules {
            do {
                modules.append(
                    ModuleGenesis(module: module.name, state: try module.exportGenesis(reader.module(module.name))))
            } catch let error as StateAccessError {
                throw .state(error)
            } catch {
                throw .moduleFailed(module: module.name, reason: String(describing: error))
            }
        }
        return ChainGenesis(chainId: chainId, modules: modules)
    }
}
