public import ChainConfiguration
public import Foundation
public import Primitives

/// A node's settings: `config.toml` in its home directory (Docs/spec/node.md).
///
/// ```toml
/// [node]
/// moniker = "validator-0"
/// data_dir = "data"            # relative to the home directory
/// [keys]
/// keystore = "keys"            # relative to the home directory
/// validator = "validator"      # Ed25519: signs consensus messages, identifies the node
/// vrf = "vrf"                  # Ed25519 key of the leader-schedule VRF
/// operator = "operator"        # pays for the evidence transactions this node submits
/// password_file = "password"   # optional; else $AETHER_PASSWORD, else a prompt
/// [p2p]
/// host = "127.0.0.1"
/// port = 26656
/// peers = ["<ed25519 hex>@127.0.0.1:26657"]
/// full_nodes = []              # keys of non-validators allowed to connect
/// [rpc]
/// host = "127.0.0.1"
/// port = 8645
/// max_request_bytes = 1048576
/// [testing]
/// equivocate = false           # test-only: sign conflicting proposals and votes
/// fault_signals = false        # test-only: SIGUSR1 cuts the node off its peers, SIGUSR2 heals
/// ```
public struct NodeConfiguration: Hashable, Sendable {
    public var moniker: String
    public var dataDirectory: String = "data"
    public var keystoreDirectory: String = "keys"
    public var validatorKey: String = "validator"
    public var vrfKey: String = "vrf"
    public var operatorKey: String = "operator"
    public var passwordFile: String?
    public var p2pHost: String = "127.0.0.1"
    public var p2pPort: Int = 26656
    public var peers: [PeerEntry] = []
    public var fullNodes: [Ed25519.PublicKey] = []
    public var rpcHost: String = "127.0.0.1"
    public var rpcPort: Int = 8645
    public var maxRequestBytes: Int = 18 << 20
    /// Test-only byzantine mode: the node signs conflicting proposals and votes.
    public var equivocate = false
    /// Test-only fault injection: SIGUSR1 isolates the node from every peer, SIGUSR2 heals it.
    public var faultSignals = false

    /// A peer to dial: its identity key and address.
    public struct PeerEntry: Hashable, Sendable, CustomStringConvertible {
        public var key: Ed25519.PublicKey
        public var host: String
        public var port: Int

        /// A peer from its parts.
        public init(key: Ed25519.PublicKey, host: String, port: Int) {
            self.key = key
            self.host = host
            self.port = port
        }

        /// Parses `<64 hex digits>@host:port`.
        public init(parsing text: String) throws(NodeConfigurationError) {
            let parts = text.split(separator: "@", maxSplits: 1)
            guard parts.count == 2, let colon = parts[1].lastIndex(of: ":") else {
                throw .invalid(key: "p2p.peers", reason: "'\(text)' is not <key hex>@<host>:<port>")
            }
            guard let bytes = try? Hex.decode(String(parts[0]), count: 32), let key = try? Ed25519.PublicKey(bytes)
            else {
                throw .invalid(key: "p2p.peers", reason: "'\(parts[0])' is not a 32-byte hex key")
            }
            let host = String(parts[1][..<colon])
            guard let port = Int(parts[1][parts[1].index(after: colon)...]), (1...65_535).contains(port), !host.isEmpty
            else { throw .invalid(key: "p2p.peers", reason: "'\(parts[1])' is not <host>:<port>") }
            self.init(key: key, host: host, port: port)
        }

        public var description: String { "\(key)@\(host):\(port)" }
    }

    /// Defaults for a node called `moniker`.
    public init(moniker: String) {
        self.moniker = moniker
    }

    // MARK: - Reading and writing

    /// Parses `config.toml` text; unknown keys and wrong types are errors naming the key.
    public static func load(_ text: String) throws(NodeConfigurationError) -> NodeConfiguration {
        let root: TOMLTable
        do { root = try TOML.parse(text) } catch { throw .syntax("\(error)") }
        let reader = TableReader(root: root)
        try reader.only(["node", "keys", "p2p", "rpc", "testing"], in: nil)
        var configuration = NodeConfiguration(moniker: try reader.string("node.moniker") ?? "aether")
        try reader.only(["moniker", "data_dir"], in: "node")
        try reader.only(["keystore", "validator", "vrf", "operator", "password_file"], in: "keys")
        try reader.only(["host", "port", "peers", "full_nodes"], in: "p2p")
        try reader.only(["host", "port", "max_request_bytes"], in: "rpc")
        try reader.only(["equivocate", "fault_signals"], in: "testing")
        configuration.dataDirectory = try reader.string("node.data_dir") ?? configuration.dataDirectory
        configuration.keystoreDirectory = try reader.string("keys.keystore") ?? configuration.keystoreDirectory
        configuration.validatorKey = try reader.string("keys.validator") ?? configuration.validatorKey
        configuration.vrfKey = try reader.string("keys.vrf") ?? configuration.vrfKey
        configuration.operatorKey = try reader.string("keys.operator") ?? configuration.operatorKey
        configuration.passwordFile = try reader.string("keys.password_file")
        configuration.p2pHost = try reader.string("p2p.host") ?? configuration.p2pHost
        configuration.p2pPort = try reader.port("p2p.port") ?? configuration.p2pPort
        configuration.peers = try (reader.strings("p2p.peers") ?? []).map { text throws(NodeConfigurationError) in
            try PeerEntry(parsing: text)
        }
        configuration.fullNodes = try (reader.strings("p2p.full_nodes") ?? []).map {
            text throws(NodeConfigurationError) in
            guard let bytes = try? Hex.decode(text, count: 32), let key = try? Ed25519.PublicKey(bytes) else {
                throw .invalid(key: "p2p.full_nodes", reason: "'\(text)' is not a 32-byte hex key")
            }
            return key
        }
        configuration.rpcHost = try reader.string("rpc.host") ?? configuration.rpcHost
        configuration.rpcPort = try reader.port("rpc.port") ?? configuration.rpcPort
        if let limit = try reader.integer("rpc.max_request_bytes") {
            guard limit >= 1_024, limit <= 64 << 20 else {
                throw .invalid(key: "rpc.max_request_bytes", reason: "must be between 1 KiB and 64 MiB")
            }
            configuration.maxRequestBytes = Int(limit)
        }
        configuration.equivocate = try reader.boolean("testing.equivocate") ?? false
        configuration.faultSignals = try reader.boolean("testing.fault_signals") ?? false
        return configuration
    }

    /// The configuration as `config.toml` text that `load` reads back to this value.
    public func render() -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var out = "# Aether node configuration (Docs/spec/node.md).\n\n[node]\n"
        out += "moniker = \(quoted(moniker))\ndata_dir = \(quoted(dataDirectory))\n\n[keys]\n"
        out += "keystore = \(quoted(keystoreDirectory))\nvalidator = \(quoted(validatorKey))\n"
        out += "vrf = \(quoted(vrfKey))\noperator = \(quoted(operatorKey))\n"
        if let passwordFile { out += "password_file = \(quoted(passwordFile))\n" }
        out += "\n[p2p]\nhost = \(quoted(p2pHost))\nport = \(p2pPort)\n"
        out += "peers = [" + peers.map { quoted($0.description) }.joined(separator: ", ") + "]\n"
        out += "full_nodes = [" + fullNodes.map { quoted($0.description) }.joined(separator: ", ") + "]\n"
        out += "\n[rpc]\nhost = \(quoted(rpcHost))\nport = \(rpcPort)\nmax_request_bytes = \(maxRequestBytes)\n"
        if equivocate || faultSignals {
            out += "\n[testing]\nequivocate = \(equivocate)\nfault_signals = \(faultSignals)\n"
        }
        return out
    }
}

/// Why a node configuration cannot be used.
public enum NodeConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case syntax(String)
    case unknownKey(String)
    case invalid(key: String, reason: String)
    case missingFile(String)

    public var description: String {
        switch self {
        case .syntax(let message): "config.toml: \(message)"
        case .unknownKey(let key): "config.toml: unknown key '\(key)'"
        case .invalid(let key, let reason): "config.toml: \(key): \(reason)"
        case .missingFile(let path): "\(path) does not exist (run `aether node init` first)"
        }
    }
}

/// Typed access to dotted keys of a parsed TOML document, with errors naming the key.
private struct TableReader {
    let root: TOMLTable

    func item(_ path: String) -> TOMLItem? {
        var table = root
        let parts = path.split(separator: ".").map(String.init)
        for part in parts.dropLast() {
            guard case .table(let next)? = table[part]?.value else { return nil }
            table = next
        }
        return table[parts.last ?? ""]
    }

    func only(_ allowed: Set<String>, in section: String?) throws(NodeConfigurationError) {
        let table: TOMLTable
        if let section {
            guard let found = item(section) else { return }
            guard case .table(let inner) = found.value else { throw .invalid(key: section, reason: "must be a table") }
            table = inner
        } else {
            table = root
        }
        for key in table.keys where !allowed.contains(key) {
            throw .unknownKey(section.map { "\($0).\(key)" } ?? key)
        }
    }

    func string(_ path: String) throws(NodeConfigurationError) -> String? {
        guard let found = item(path) else { return nil }
        guard case .string(let text) = found.value else { throw .invalid(key: path, reason: "must be a string") }
        return text
    }

    func strings(_ path: String) throws(NodeConfigurationError) -> [String]? {
        guard let found = item(path) else { return nil }
        guard case .array(let items) = found.value else { throw .invalid(key: path, reason: "must be an array") }
        return try items.map { element throws(NodeConfigurationError) in
            guard case .string(let text) = element.value else {
                throw .invalid(key: path, reason: "must hold strings")
            }
            return text
        }
    }

    func integer(_ path: String) throws(NodeConfigurationError) -> UInt64? {
        guard let found = item(path) else { return nil }
        guard case .integer(let value) = found.value, !value.isNegative else {
            throw .invalid(key: path, reason: "must be a non-negative integer")
        }
        return value.magnitude
    }

    func port(_ path: String) throws(NodeConfigurationError) -> Int? {
        guard let value = try integer(path) else { return nil }
        guard value <= 65_535 else { throw .invalid(key: path, reason: "must be a port (0…65535)") }
        return Int(value)
    }

    func boolean(_ path: String) throws(NodeConfigurationError) -> Bool? {
        guard let found = item(path) else { return nil }
        guard case .boolean(let value) = found.value else { throw .invalid(key: path, reason: "must be true or false") }
        return value
    }
}
