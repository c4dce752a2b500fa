public import Primitives
internal import Storage

/// The accounts module: each account's nonce, the replay protection of transactions.
///
/// Every chain has it (the state machine registers it first). It has no messages: the executor
/// checks a transaction's nonce against `nonce(of:in:)` and increments it for every included
/// transaction, successful or not. Layout, genesis and queries: `Modules/Accounts/README.md`.
public struct Accounts: ApplicationModule {
    /// The module name and state prefix.
    public static let moduleName = "accounts"

    /// The module name and state prefix.
    public var name: String { Self.moduleName }

    /// The module (it has no parameters).
    public init() {}

    // MARK: - Keys and keeper functions

    /// Key tag of nonces: `0x01 ‖ address` → the nonce, 8 bytes little-endian (absent = 0).
    static let nonceTag: UInt8 = 0x01

    /// The module-relative key of `address`'s nonce.
    public static func nonceKey(_ address: Address) -> [UInt8] { [nonceTag] + address.bytes }

    /// The next nonce of `address` (0 for an account never seen).
    public static func nonce(of address: Address, in state: some ModuleStateReading) throws(StateAccessError)
        -> UInt64
    {
        try StoredInteger.decode(state.get(nonceKey(address)), what: "nonce of \(address)")
    }

    /// Increments `address`'s nonce.
    /// - Throws: `StateAccessError`, or `AccountsError.nonceExhausted` at `UInt64.max`.
    static func incrementNonce(of address: Address, in store: ModuleStore) throws {
        let current = try nonce(of: address, in: store)
        guard current < UInt64.max else { throw AccountsError.nonceExhausted(address) }
        try store.set(nonceKey(address), StoredInteger.encode(current + 1))
    }

    // MARK: - Genesis

    /// The accounts' genesis: every account with a nonzero nonce.
    public struct Genesis: Hashable, Sendable {
        /// Accounts and their next nonces, ascending by address when exported.
        public var nonces: [AccountNonce]

        /// A genesis from its nonces.
        public init(nonces: [AccountNonce] = []) { self.nonces = nonces }
    }

    /// One account's next nonce.
    public struct AccountNonce: Hashable, Sendable {
        /// The account.
        public var address: Address
        /// Its next nonce.
        public var nonce: UInt64

        /// An entry from its parts.
        public init(address: Address, nonce: UInt64) {
            self.address = address
            self.nonce = nonce
        }
    }

    /// Writes the nonces; rejects a repeated address.
    public func initGenesis(_ genesis: [UInt8], store: ModuleStore) throws {
        let decoded = try Canonical.decode(Genesis.self, from: genesis)
        var seen: Set<Address> = []
        for entry in decoded.nonces {
            guard seen.insert(entry.address).inserted else {
                throw AccountsError.duplicateGenesisAccount(entry.address)
            }
            try store.set(Self.nonceKey(entry.address), StoredInteger.encode(entry.nonce))
        }
    }

    /// Every stored nonce, ascending by address.
    public func exportGenesis(_ state: ModuleStateReader) throws -> [UInt8] {
        var nonces: [AccountNonce] = []
        for (key, value) in try state.entries(prefix: [Self.nonceTag]) {
            let address = try Address(Array(key.dropFirst()))
            nonces.append(AccountNonce(address: address, nonce: try StoredInteger.decode(value, what: "nonce")))
        }
        return Canonical.encode(Genesis(nonces: nonces))
    }

    // MARK: - Queries and invariants

    /// `nonce` with the 20-byte address as arguments: the key of that account's nonce.
    public func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8] {
        guard query.path == "nonce" else { throw .unsupportedQuery(module: name, path: query.path) }
        do {
            return Self.nonceKey(try Canonical.decode(Address.self, from: query.arguments))
        } catch {
            throw .invalidArguments(module: name, path: query.path, reason: error.description)
        }
    }

    /// The query for `address`'s nonce.
    public static func nonceQuery(_ address: Address) -> ModuleQuery {
        ModuleQuery(module: moduleName, path: "nonce", arguments: Canonical.encode(address))
    }

    /// Every key is a nonce key holding 8 bytes.
    public func checkInvariants(_ state: ModuleStateReader) throws -> [InvariantViolation] {
        var violations: [InvariantViolation] = []
        for (key, value) in try state.entries() {
            if key.count != 1 + Address.byteCount || key.first != Self.nonceTag || value.count != 8 {
                violations.append(
                    InvariantViolation(
                        module: name, invariant: "layout",
                        message: "unexpected entry \(Hex.encode(key)) of \(value.count) bytes"))
            }
        }
        return violations
    }
}

extension Accounts.Genesis: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.write(nonces) }
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        nonces = try decoder.readArray(of: Accounts.AccountNonce.self)
    }
}

extension Accounts.AccountNonce: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(address)
        encoder.write(nonce)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        address = try decoder.read(Address.self)
        nonce = try decoder.read(UInt64.self)
    }
}

/// Why the accounts module refused something.
public enum AccountsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The account's nonce is `UInt64.max`: it can send no more transactions.
    case nonceExhausted(Address)
    /// The genesis lists an account twice.
    case duplicateGenesisAccount(Address)

    public var description: String {
        switch self {
        case .nonceExhausted(let address): "account \(address) has used every nonce"
        case .duplicateGenesisAccount(let address): "the accounts genesis lists \(address) twice"
        }
    }
}

/// The state encoding of a counter or amount: 8 bytes little-endian, and absent for zero.
///
/// Zero is never stored: an absent key reads as zero, so state holds nothing for empty accounts
/// and ICS-23 proofs never need an empty value.
enum StoredInteger {
    static func encode(_ value: UInt64) -> [UInt8] {
        guard value != 0 else { return [] }
        return withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func decode(_ bytes: [UInt8]?, what: @autoclosure () -> String) throws(StateAccessError) -> UInt64 {
        guard let bytes else { return 0 }
        guard bytes.count == 8 else {
            throw .storage(.corrupted("\(what()) is \(bytes.count) bytes, expected 8"))
        }
        var value: UInt64 = 0
        for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * index) }
        return value
    }
}
