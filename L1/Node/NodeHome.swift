public import Chain
public import ChainConfiguration
public import Foundation
import Keystore
public import Primitives

/// A node's home directory: `config.toml`, `genesis.toml`, the keystore and the data directory.
public struct NodeHome: Sendable {
    /// The directory.
    public let url: URL

    /// The home at `url`.
    public init(_ url: URL) { self.url = url }

    public var configurationFile: URL { url.appendingPathComponent("config.toml") }
    public var genesisFile: URL { url.appendingPathComponent("genesis.toml") }

    /// The public side of a node's keys.
    public struct PublicKeys: Sendable {
        public let validator: Ed25519.PublicKey
        public let vrf: Ed25519.PublicKey
        public let operatorKey: Ed25519.PublicKey

        /// The operator's account address.
        public var operatorAddress: Address { Address(publicKey: operatorKey) }
    }

    // MARK: - Creating

    /// Creates the home: the three keys (validator, VRF, operator) sealed under `password`, and
    /// `config.toml`. The genesis is written separately (`write(genesis:)`).
    /// - Throws: `NodeError.keys` when a key exists already or cannot be written.
    public func create(
        configuration: NodeConfiguration, password: [UInt8], parameters: SealedSecret.Parameters
    ) throws(NodeError) -> PublicKeys {
        let keystore = Keystore(directory: url.appendingPathComponent(configuration.keystoreDirectory))
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let validator = try keystore.create(
                name: configuration.validatorKey, algorithm: .ed25519, password: password, parameters: parameters)
            let vrf = try keystore.create(
                name: configuration.vrfKey, algorithm: .ed25519, password: password, parameters: parameters)
            let operatorKey = try keystore.create(
                name: configuration.operatorKey, algorithm: .ed25519, password: password, parameters: parameters)
            try Data(configuration.render().utf8).write(to: configurationFile)
            return PublicKeys(
                validator: try Ed25519.PublicKey(try Hex.decode(validator.publicKey)),
                vrf: try Ed25519.PublicKey(try Hex.decode(vrf.publicKey)),
                operatorKey: try Ed25519.PublicKey(try Hex.decode(operatorKey.publicKey)))
        } catch let error as KeystoreError {
            throw .keys("\(error)")
        } catch {
            throw .keys("cannot create \(url.path): \(error)")
        }
    }

    /// Writes `genesis.toml`.
    public func write(genesis: Genesis) throws(NodeError) {
        do { try Data(genesis.render().utf8).write(to: genesisFile) } catch {
            throw .genesis("cannot write \(genesisFile.path): \(error)")
        }
    }

    /// Writes `config.toml`.
    public func write(configuration: NodeConfiguration) throws(NodeError) {
        do { try Data(configuration.render().utf8).write(to: configurationFile) } catch {
            throw .keys("cannot write \(configurationFile.path): \(error)")
        }
    }

    // MARK: - Loading

    /// Reads `config.toml`.
    public func configuration() throws(NodeError) -> NodeConfiguration {
        guard let data = FileManager.default.contents(atPath: configurationFile.path) else {
            throw .keys(NodeConfigurationError.missingFile(configurationFile.path).description)
        }
        do { return try NodeConfiguration.load(String(decoding: data, as: UTF8.self)) } catch {
            throw .keys("\(error)")
        }
    }

    /// Reads and validates `genesis.toml`.
    public func genesis() throws(NodeError) -> Genesis {
        guard let data = FileManager.default.contents(atPath: genesisFile.path) else {
            throw .genesis("\(genesisFile.path) does not exist")
        }
        do { return try Genesis.load(bytes: Array(data), source: genesisFile.path) } catch {
            throw .genesis("\(error)")
        }
    }

    /// Unlocks the node's three keys.
    public func identity(configuration: NodeConfiguration, password: [UInt8]) throws(NodeError)
        -> ValidatorNode.Identity
    {
        let keystore = Keystore(directory: url.appendingPathComponent(configuration.keystoreDirectory))
        func ed25519(_ name: String) throws(NodeError) -> Ed25519.PrivateKey {
            let unlocked: UnlockedKey
            do { unlocked = try keystore.unlock(name: name, password: password) } catch { throw .keys("\(error)") }
            guard case .ed25519(let key) = unlocked else { throw .keys("key '\(name)' must be an Ed25519 key") }
            return key
        }
        let vrf = try ed25519(configuration.vrfKey)
        let vrfKey: VRF.SecretKey
        do { vrfKey = try VRF.SecretKey(seed: vrf.seed) } catch { throw .keys("\(error)") }
        return ValidatorNode.Identity(
            signer: try ed25519(configuration.validatorKey), vrfKey: vrfKey,
            operatorKey: try ed25519(configuration.operatorKey))
    }

    /// The password in `configuration.passwordFile`, if the configuration names one.
    public func passwordFromFile(_ configuration: NodeConfiguration) throws(NodeError) -> [UInt8]? {
        guard let name = configuration.passwordFile else { return nil }
        let path = name.hasPrefix("/") ? name : url.appendingPathComponent(name).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .keys("cannot read the password file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return Array((text.first.map(String.init) ?? "").utf8)
    }
}

/// A local test network: `count` validators on loopback, one shared genesis, and a funded faucet
/// account (Docs/spec/node.md, "Localnet").
public struct LocalnetPlan: Sendable {
    public let count: Int
    public let chainId: String
    public let p2pBasePort: Int
    public let rpcBasePort: Int
    public let epochSlots: UInt64
    public let slotMilliseconds: UInt64

    /// SWR each validator bonds at genesis, and the balances each operator and the faucet start with.
    public static let validatorStake: UInt64 = 1_000_000_000
    public static let operatorBalance: (aic: UInt64, swr: UInt64) = (1_000_000_000_000, 1_000_000_000)
    public static let faucetBalance: (aic: UInt64, swr: UInt64) = (1_000_000_000_000_000, 1_000_000_000_000)

    /// A plan for `count` validators.
    public init(
        count: Int, chainId: String = "aether-localnet", p2pBasePort: Int = 26656, rpcBasePort: Int = 8645,
        epochSlots: UInt64 = 120, slotMilliseconds: UInt64 = 500
    ) {
        self.count = count
        self.chainId = chainId
        self.p2pBasePort = p2pBasePort
        self.rpcBasePort = rpcBasePort
        self.epochSlots = epochSlots
        self.slotMilliseconds = slotMilliseconds
    }

    /// The home of validator `index` under `root`.
    public func home(_ index: Int, under root: URL) -> NodeHome {
        NodeHome(root.appendingPathComponent("validator-\(index)"))
    }

    /// Creates every validator's home, keys (cheap Argon2id: a localnet's keys are throwaway),
    /// configuration with its peers, a faucet key, and the shared genesis.
    /// - Parameters:
    ///   - byzantine: validators that run the test-only equivocating mode.
    ///   - faultSignals: turn on the test-only fault signals (SIGUSR1 isolates, SIGUSR2 heals).
    ///   - fundedAccounts: more accounts the genesis funds like an operator (a load generator's).
    /// - Returns: the validators' public keys (the faucet's key is `faucet` in `root/faucet`).
    @discardableResult
    public func create(
        under root: URL, genesisTime: UInt64, byzantine: Set<Int> = [], faultSignals: Bool = false,
        fundedAccounts: [Ed25519.PublicKey] = []
    ) throws(NodeError) -> [NodeHome.PublicKeys] {
        let password = Array(Hex.encode(Hashing.sha256(Array("\(root.path)-\(genesisTime)".utf8)).bytes).utf8)
        var keys: [NodeHome.PublicKeys] = []
        var configurations: [NodeConfiguration] = []
        for index in 0..<count {
            let home = home(index, under: root)
            var configuration = NodeConfiguration(moniker: "validator-\(index)")
            configuration.p2pPort = p2pBasePort + index
            configuration.rpcPort = rpcBasePort + index
            configuration.passwordFile = "password"
            configuration.equivocate = byzantine.contains(index)
            configuration.faultSignals = faultSignals
            do {
                try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true)
                try Self.writePrivate(password, to: home.url.appendingPathComponent("password"))
            } catch {
                throw .keys("cannot prepare \(home.url.path): \(error)")
            }
            keys.append(try home.create(configuration: configuration, password: password, parameters: Self.kdf))
            configurations.append(configuration)
        }
        // Every validator dials every other one.
        for index in 0..<count {
            configurations[index].peers = (0..<count).filter { $0 != index }.map {
                NodeConfiguration.PeerEntry(key: keys[$0].validator, host: "127.0.0.1", port: p2pBasePort + $0)
            }
            try home(index, under: root).write(configuration: configurations[index])
        }
        let faucet = try faucetKey(under: root, password: password)
        let genesis = try genesis(
            validators: keys, faucet: faucet, genesisTime: genesisTime, fundedAccounts: fundedAccounts)
        for index in 0..<count { try home(index, under: root).write(genesis: genesis) }
        do { try Data(genesis.render().utf8).write(to: root.appendingPathComponent("genesis.toml")) } catch {
            throw .genesis("cannot write the localnet genesis: \(error)")
        }
        return keys
    }

    /// The faucet's keystore (`root/faucet`, key `faucet`, same password file as the validators).
    private func faucetKey(under root: URL, password: [UInt8]) throws(NodeError) -> Ed25519.PublicKey {
        let directory = root.appendingPathComponent("faucet")
        do {
            try Self.writePrivate(password, to: root.appendingPathComponent("password"))
            let info = try Keystore(directory: directory).create(
                name: "faucet", algorithm: .ed25519, password: password, parameters: Self.kdf)
            return try Ed25519.PublicKey(try Hex.decode(info.publicKey))
        } catch {
            throw .keys("cannot create the faucet key: \(error)")
        }
    }

    /// The shared genesis: the validators bonded, operators, the faucet and `fundedAccounts` funded.
    public func genesis(
        validators: [NodeHome.PublicKeys], faucet: Ed25519.PublicKey, genesisTime: UInt64,
        fundedAccounts: [Ed25519.PublicKey] = []
    ) throws(NodeError) -> Genesis {
        do {
            var staking = Genesis.StakingParameters.defaults
            staking.unbondingDelayEpochs = 2
            staking.downtimeWindowSlots = max(epochSlots, 10)
            staking.jailThresholdSlots = max(epochSlots / 2, 5)
            let genesis = Genesis(
                chain: .init(
                    chainId: chainId, genesisTimeMilliseconds: genesisTime, slotMilliseconds: slotMilliseconds,
                    blockBytesMax: 2_000_000, epochSlots: epochSlots, transactionSignatures: .cofactored),
                consensus: .init(
                    tau: try Ratio(4, 5), slashDouble: try Ratio(1, 20), leakDowntime: try Ratio(1, 100_000)),
                fees: .init(a: 10_000, b: 5, c: 2, d: 1), rent: .init(rhoPerBytePerEpoch: 2, horizonEpochs: 12),
                staking: staking,
                validators: validators.enumerated().map { index, keys in
                    Genesis.Validator(
                        name: "validator-\(index)", publicKey: keys.validator, vrfPublicKey: keys.vrf,
                        stake: Self.validatorStake, operatorAddress: keys.operatorAddress.bytes, commission: .zero)
                },
                accounts: validators.map {
                    Genesis.Account(
                        id: .publicKey($0.operatorKey), aic: Self.operatorBalance.aic, swr: Self.operatorBalance.swr)
                } + [Genesis.Account(id: .publicKey(faucet), aic: Self.faucetBalance.aic, swr: Self.faucetBalance.swr)]
                    + fundedAccounts.map {
                        Genesis.Account(
                            id: .publicKey($0), aic: Self.operatorBalance.aic, swr: Self.operatorBalance.swr)
                    })
            try genesis.validate()
            return genesis
        } catch let error as NodeError {
            throw error
        } catch {
            throw .genesis("the localnet genesis is invalid: \(error)")
        }
    }

    /// Throwaway keys: libsodium's interactive Argon2id cost.
    static var kdf: SealedSecret.Parameters { .interactive }

    static func writePrivate(_ bytes: [UInt8], to url: URL) throws {
        FileManager.default.createFile(
            atPath: url.path, contents: Data(bytes + [0x0a]), attributes: [.posixPermissions: 0o600])
    }
}
