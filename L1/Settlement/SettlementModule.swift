public import Chain
public import EVM
public import Primitives
public import Settlement
internal import Storage

/// The L1's settlement module: domains' payout batches, numbered by the L1, and the validators'
/// attestations of them, which relayers carry to EVM chains and Solana (Docs/spec/settlement.md,
/// "Batches from the L1"; ADR 0017).
///
/// State (module-relative keys; integers in keys big-endian so they sort):
/// - `0x01 ‖ batch id` → `BatchRecord`
/// - `0x02` → the next batch id (absent: 1)
/// - `0x03 ‖ domain` → the domain's number (4 bytes)
/// - `0x04` → the next domain number (absent: 1; 0 is the L1)
/// - `0x05 ‖ operator` → `Signer`
/// - `0x06 ‖ EVM address` and `0x08 ‖ Ed25519 key` → the operator that registered it
/// - `0x07 ‖ batch id` → `Attestations`
public struct SettlementModule: ApplicationModule {
    /// `settlement`.
    public static let moduleName = "settlement"
    /// The longest domain id.
    public static let maximumDomainBytes = DomainID.maximumBytes
    /// The most targets of each family one attestation signs for.
    public static let maximumTargets = 8
    /// The most members a batch's committee has (the L1's validator set; an EVM contract's
    /// committee holds at most `Committee.maximumMembers` of them).
    public static let maximumAttestors = 1_024

    public var name: String { Self.moduleName }

    /// Staking, as far as this module needs it.
    public let authority: any Authority

    public init(authority: any Authority) {
        self.authority = authority
    }

    /// What the module needs from staking (an expected keeper).
    public protocol Authority: Sendable {
        /// The current L1 epoch.
        func currentEpoch(context: MessageContext) throws -> UInt64
        /// The stake of each member of the L1 validator set of `epoch`, by operator (nil: not
        /// fixed, or pruned).
        func validatorStakes(epoch: UInt64, context: MessageContext) throws -> [Address: UInt64]?
        /// True when `operatorAddress` is in `domain`'s validator set for the current L1 epoch.
        func isDomainMember(_ operatorAddress: Address, domain: String, context: MessageContext) throws -> Bool
        /// True when `operatorAddress` is a registered validator (jailed or not).
        func isValidator(_ operatorAddress: Address, context: MessageContext) throws -> Bool
    }

    public var messageTypes: [MessageType] {
        [
            MessageType(kind: RegisterSigner.route.kind, name: "register_signer"),
            MessageType(kind: SubmitBatch.route.kind, name: "submit_batch"),
            MessageType(kind: Attest.route.kind, name: "attest"),
        ]
    }

    /// What a validator's bridge keys sign to register: `"aether.settlement.signer.v1" ‖
    /// canonical(chain id) ‖ operator address`.
    public static func signerMessage(chainId: String, operatorAddress: Address) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.write("aether.settlement.signer.v1")
        encoder.write(chainId)
        encoder.write(operatorAddress)
        return encoder.bytes
    }

    // MARK: - Messages

    public func validate(_ message: Message) throws {
        switch message.kind {
        case RegisterSigner.route.kind: _ = try message.decode(RegisterSigner.self)
        case SubmitBatch.route.kind:
            let submit = try message.decode(SubmitBatch.self)
            guard Self.isDomainID(submit.domain) else { throw SettlementModuleError.invalidDomain(submit.domain) }
            do { _ = try SettlementBatch(batchId: 1, sourceDomain: 1, payouts: submit.payouts) } catch {
                throw SettlementModuleError.invalidBatch(error)
            }
        case Attest.route.kind:
            let attest = try message.decode(Attest.self)
            guard !attest.evm.isEmpty || !attest.solana.isEmpty else { throw SettlementModuleError.emptyAttestation }
            let deployments = attest.evm.map { "\($0.chainId)/\($0.contract)" }
            let clusters = attest.solana.map(\.genesisHash)
            guard Set(deployments).count == deployments.count, Set(clusters).count == clusters.count else {
                throw SettlementModuleError.repeatedTarget
            }
        default:
            throw SettlementModuleError.unknownMessageKind(message.kind)
        }
    }

    public func handle(_ message: Message, context: MessageContext) throws {
        switch message.kind {
        case RegisterSigner.route.kind: try register(try message.decode(RegisterSigner.self), context: context)
        case SubmitBatch.route.kind: try submit(try message.decode(SubmitBatch.self), context: context)
        case Attest.route.kind: try attest(try message.decode(Attest.self), context: context)
        default: throw SettlementModuleError.unknownMessageKind(message.kind)
        }
    }

    private func register(_ register: RegisterSigner, context: MessageContext) throws {
        let store = context.store
        let sender = context.sender
        guard try authority.isValidator(sender, context: context) else {
            throw SettlementModuleError.notAValidator(sender)
        }
        let message = Self.signerMessage(chainId: context.block.chainId, operatorAddress: sender)
        let evmAddress: EthereumAddress
        do {
            evmAddress = try EVMAttestation.signer(
                of: register.evmProof, digest: EVMAttestation.eip191(Hashing.keccak256(message)))
        } catch { throw SettlementModuleError.badProof("secp256k1: \(error)") }
        guard register.ed25519Key.isValidSignature(register.ed25519Proof, for: message) else {
            throw SettlementModuleError.badProof("the Ed25519 signature does not verify")
        }
        if let holder = try Self.address(store.get(Keys.evmIndex(evmAddress))), holder != sender {
            throw SettlementModuleError.keyTaken(key: evmAddress.checksummed, by: holder)
        }
        if let holder = try Self.address(store.get(Keys.ed25519Index(register.ed25519Key))), holder != sender {
            throw SettlementModuleError.keyTaken(key: register.ed25519Key.description, by: holder)
        }
        if let old = try Self.signer(sender, in: store) {
            try store.delete(Keys.evmIndex(old.evmAddress))
            try store.delete(Keys.ed25519Index(old.ed25519Key))
        }
        let signer = Signer(evmAddress: evmAddress, ed25519Key: register.ed25519Key)
        try store.set(Keys.signer(sender), Canonical.encode(signer))
        try store.set(Keys.evmIndex(evmAddress), sender.bytes)
        try store.set(Keys.ed25519Index(register.ed25519Key), sender.bytes)
        store.emit(
            "signer",
            [
                EventAttribute("operator", sender.description), EventAttribute("evm", evmAddress.checksummed),
                EventAttribute("ed25519", register.ed25519Key.description),
            ])
    }

    private func submit(_ submit: SubmitBatch, context: MessageContext) throws {
        let store = context.store
        guard try authority.isDomainMember(context.sender, domain: submit.domain, context: context) else {
            throw SettlementModuleError.notADomainMember(context.sender, domain: submit.domain)
        }
        let epoch = try authority.currentEpoch(context: context)
        guard let stakes = try authority.validatorStakes(epoch: epoch, context: context) else {
            throw SettlementModuleError.noValidatorSet(epoch: epoch)
        }
        let domainNumber: UInt32
        if let stored = try store.get(Keys.domainNumber(submit.domain)) {
            domainNumber = try Self.bigEndian(stored, as: UInt32.self, what: "domain number")
        } else {
            domainNumber =
                try store.get(Keys.nextDomain).map { try Self.bigEndian($0, as: UInt32.self, what: "next domain") } ?? 1
            guard domainNumber < .max else { throw SettlementModuleError.exhausted("domain numbers") }
            try store.set(Keys.domainNumber(submit.domain), Keys.bigEndian(domainNumber))
            try store.set(Keys.nextDomain, Keys.bigEndian(domainNumber + 1))
        }
        let batchId = try Self.nextBatchId(in: store)
        guard batchId < .max else { throw SettlementModuleError.exhausted("batch ids") }
        let batch: SettlementBatch
        do { batch = try SettlementBatch(batchId: batchId, sourceDomain: domainNumber, payouts: submit.payouts) } catch
        {
            throw SettlementModuleError.invalidBatch(error)
        }
        let committee = stakes.filter { $0.value > 0 }.map { CommitteeStake(operatorAddress: $0.key, stake: $0.value) }
        guard !committee.isEmpty else { throw SettlementModuleError.noValidatorSet(epoch: epoch) }
        guard committee.count <= Self.maximumAttestors else {
            throw SettlementModuleError.committeeTooLarge(committee.count)
        }
        let record = BatchRecord(
            batch: batch, domain: submit.domain, submitter: context.sender, height: context.block.height, epoch: epoch,
            committee: committee)
        try store.set(Keys.batch(batchId), Canonical.encode(record))
        try store.set(Keys.nextBatch, Keys.bigEndian(batchId + 1))
        store.emit(
            "batch",
            [
                EventAttribute("batch_id", "\(batchId)"), EventAttribute("domain", submit.domain),
                EventAttribute("domain_number", "\(domainNumber)"), EventAttribute("root", batch.root.hex),
                EventAttribute("payouts", "\(batch.payouts.count)"), EventAttribute("epoch", "\(epoch)"),
            ])
    }

    private func attest(_ attest: Attest, context: MessageContext) throws {
        let store = context.store
        let sender = context.sender
        guard let record = try Self.batch(attest.batchId, in: store) else {
            throw SettlementModuleError.noBatch(attest.batchId)
        }
        guard let signer = try Self.signer(sender, in: store) else { throw SettlementModuleError.noSigner(sender) }
        guard let stake = record.stake(of: sender) else {
            throw SettlementModuleError.notInSet(sender, epoch: record.epoch)
        }
        let batch = record.batch
        for (position, entry) in attest.evm.enumerated() {
            let digest = EVMAttestation.batchDigest(
                chainId: entry.chainId, contract: entry.contract, batchId: batch.batchId, root: batch.root)
            let recovered: EthereumAddress
            do { recovered = try EVMAttestation.signer(of: entry.signature, digest: digest, position: position) } catch
            {
                throw SettlementModuleError.badSignature("EVM \(entry.chainId)/\(entry.contract): \(error)")
            }
            guard recovered == signer.evmAddress else {
                throw SettlementModuleError.badSignature(
                    "EVM \(entry.chainId)/\(entry.contract): signed by \(recovered), not \(signer.evmAddress)")
            }
        }
        for entry in attest.solana {
            let message = SolanaAttestation.message(
                genesisHash: entry.genesisHash, batchId: batch.batchId, root: batch.root)
            guard signer.ed25519Key.isValidSignature(entry.signature, for: message) else {
                throw SettlementModuleError.badSignature("Solana \(Hex.encode(entry.genesisHash)): does not verify")
            }
        }
        var attestations = try Self.attestations(attest.batchId, in: store) ?? Attestations()
        attestations.entries.removeAll { $0.operatorAddress == sender }
        attestations.entries.append(
            Attestation(operatorAddress: sender, stake: stake, signer: signer, evm: attest.evm, solana: attest.solana))
        attestations.entries.sort { $0.operatorAddress < $1.operatorAddress }
        attestations.stake = attestations.entries.reduce(0) { $0 &+ $1.stake }
        let reached = Self.isQuorum(attestations.stake, of: record.totalStake)
        let newly = reached && attestations.quorumHeight == nil
        if newly { attestations.quorumHeight = context.block.height }
        try store.set(Keys.attestations(attest.batchId), Canonical.encode(attestations))
        store.emit(
            newly ? "batch_attested" : "attestation",
            [
                EventAttribute("batch_id", "\(attest.batchId)"), EventAttribute("operator", sender.description),
                EventAttribute("stake", "\(attestations.stake)/\(record.totalStake)"),
            ])
    }

    /// Stake above two thirds of the total (in 128 bits, so neither side overflows).
    public static func isQuorum(_ stake: UInt64, of total: UInt64) -> Bool {
        total > 0 && UInt128(stake) * 3 > UInt128(total) * 2
    }

    /// A domain id: 1–64 bytes of ASCII letters, digits, `.`, `_` and `-` (as staking's).
    public static func isDomainID(_ domain: String) -> Bool { DomainID.isValid(domain) }

    // MARK: - Genesis, invariants and queries

    public func initGenesis(_ genesis: [UInt8], store: ModuleStore) throws {
        guard !genesis.isEmpty else { return }
        for (key, value) in try Canonical.decode(ModuleEntries.self, from: genesis).entries {
            switch (key.first, key.count) {
            case (0x01, 9): _ = try Canonical.decode(BatchRecord.self, from: value)
            case (0x02, 1): _ = try Self.bigEndian(value, as: UInt64.self, what: "next batch")
            case (0x03, _): _ = try Self.bigEndian(value, as: UInt32.self, what: "domain number")
            case (0x04, 1): _ = try Self.bigEndian(value, as: UInt32.self, what: "next domain")
            case (0x05, 1 + Address.byteCount): _ = try Canonical.decode(Signer.self, from: value)
            case (0x06, 21), (0x08, 33): _ = try Self.address(value)
            case (0x07, 9): _ = try Canonical.decode(Attestations.self, from: value)
            default: throw ModuleFailure(code: 1, message: "unknown settlement genesis key")
            }
            try store.set(key, value)
        }
    }

    public func exportGenesis(_ state: ModuleStateReader) throws -> [UInt8] {
        Canonical.encode(try ModuleEntries(state))
    }

    /// Every batch below the next id is recorded; each batch's attestation stake is the sum of its
    /// entries, one per operator, and its quorum height is set exactly when that stake is above two
    /// thirds of the batch's set.
    public func checkInvariants(_ state: ModuleStateReader) throws -> [InvariantViolation] {
        var violations: [InvariantViolation] = []
        func violation(_ invariant: String, _ message: String) {
            violations.append(InvariantViolation(module: name, invariant: invariant, message: message))
        }
        let next = try Self.nextBatchId(in: state)
        for (key, value) in try state.entries() where key.first == 0x07 && key.count == 9 {
            let id = try Self.bigEndian(Array(key.dropFirst()), as: UInt64.self, what: "batch id")
            let attestations = try Canonical.decode(Attestations.self, from: value)
            guard id < next, let record = try Self.batch(id, in: state) else {
                violation("batches", "attestations of batch \(id), which is not recorded")
                continue
            }
            let sum = attestations.entries.reduce(UInt64(0)) { $0 &+ $1.stake }
            let operators = attestations.entries.map(\.operatorAddress)
            if sum != attestations.stake || Set(operators).count != operators.count {
                violation("stake", "batch \(id): stake \(attestations.stake), entries sum to \(sum)")
            }
            if (attestations.quorumHeight != nil) != Self.isQuorum(attestations.stake, of: record.totalStake) {
                violation("quorum", "batch \(id): quorum height disagrees with \(sum)/\(record.totalStake)")
            }
        }
        return violations
    }

    /// `batch` (arguments: canonical batch id), `attestations` (batch id), `signer` (operator
    /// address) and `next` (no arguments: the next batch id).
    public func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8] {
        do {
            var decoder = try CanonicalDecoder(query.arguments)
            let key: [UInt8]
            switch query.path {
            case "batch": key = Keys.batch(try decoder.read(UInt64.self))
            case "attestations": key = Keys.attestations(try decoder.read(UInt64.self))
            case "signer": key = Keys.signer(try decoder.read(Address.self))
            case "next": key = Keys.nextBatch
            default: throw QueryError.unsupportedQuery(module: name, path: query.path)
            }
            try decoder.finish()
            return key
        } catch let error as QueryError {
            throw error
        } catch {
            throw .invalidArguments(module: name, path: query.path, reason: "\(error)")
        }
    }

    // MARK: - State

    /// Module-relative state keys.
    public enum Keys {
        public static func batch(_ id: UInt64) -> [UInt8] { [0x01] + bigEndian(id) }
        public static let nextBatch: [UInt8] = [0x02]
        public static func domainNumber(_ domain: String) -> [UInt8] { [0x03] + Array(domain.utf8) }
        public static let nextDomain: [UInt8] = [0x04]
        public static func signer(_ operatorAddress: Address) -> [UInt8] { [0x05] + operatorAddress.bytes }
        public static func evmIndex(_ address: EthereumAddress) -> [UInt8] { [0x06] + address.bytes }
        public static func attestations(_ id: UInt64) -> [UInt8] { [0x07] + bigEndian(id) }
        public static func ed25519Index(_ key: Ed25519.PublicKey) -> [UInt8] { [0x08] + key.bytes }

        static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
            withUnsafeBytes(of: value.bigEndian) { Array($0) }
        }
    }

    static func bigEndian<T: FixedWidthInteger>(_ bytes: [UInt8], as _: T.Type, what: String) throws(StateAccessError)
        -> T
    {
        guard bytes.count == MemoryLayout<T>.size else {
            throw .storage(.corrupted("settlement \(what): \(bytes.count) bytes"))
        }
        return bytes.reduce(T(0)) { $0 << 8 | T($1) }
    }

    static func address(_ bytes: [UInt8]?) throws(StateAccessError) -> Address? {
        guard let bytes else { return nil }
        do { return try Address(bytes) } catch { throw .storage(.corrupted("settlement index: \(error)")) }
    }

    static func load<T: CanonicalDecodable>(_: T.Type, _ key: [UInt8], in state: some ModuleStateReading, what: String)
        throws(StateAccessError) -> T?
    {
        guard let bytes = try state.get(key) else { return nil }
        do { return try Canonical.decode(T.self, from: bytes) } catch {
            throw .storage(.corrupted("settlement \(what): \(error)"))
        }
    }

    /// The next batch id the module will assign.
    public static func nextBatchId(in state: some ModuleStateReading) throws(StateAccessError) -> UInt64 {
        try state.get(Keys.nextBatch).map { bytes throws(StateAccessError) in
            try bigEndian(bytes, as: UInt64.self, what: "next batch")
        } ?? 1
    }

    /// Batch `id`, if recorded.
    public static func batch(_ id: UInt64, in state: some ModuleStateReading) throws(StateAccessError) -> BatchRecord? {
        try load(BatchRecord.self, Keys.batch(id), in: state, what: "batch \(id)")
    }

    /// The attestations of batch `id`, if any.
    public static func attestations(_ id: UInt64, in state: some ModuleStateReading) throws(StateAccessError)
        -> Attestations?
    {
        try load(Attestations.self, Keys.attestations(id), in: state, what: "attestations of batch \(id)")
    }

    /// The bridge keys `operatorAddress` registered, if any.
    public static func signer(_ operatorAddress: Address, in state: some ModuleStateReading) throws(StateAccessError)
        -> Signer?
    {
        try load(Signer.self, Keys.signer(operatorAddress), in: state, what: "signer \(operatorAddress)")
    }
}

/// Why a settlement message failed (codes in the `settlement` code space; wording is part of the
/// state machine).
public enum SettlementModuleError: ModuleError, Equatable, Sendable {
    case unknownMessageKind(UInt16)
    case invalidDomain(String)
    case invalidBatch(SettlementError)
    case emptyAttestation
    case repeatedTarget
    case notAValidator(Address)
    case badProof(String)
    case keyTaken(key: String, by: Address)
    case notADomainMember(Address, domain: String)
    case noValidatorSet(epoch: UInt64)
    case exhausted(String)
    case noBatch(UInt64)
    case noSigner(Address)
    case notInSet(Address, epoch: UInt64)
    case badSignature(String)
    case committeeTooLarge(Int)

    public var code: UInt32 {
        switch self {
        case .unknownMessageKind: 1
        case .invalidDomain: 2
        case .invalidBatch: 3
        case .emptyAttestation: 4
        case .repeatedTarget: 5
        case .notAValidator: 6
        case .badProof: 7
        case .keyTaken: 8
        case .notADomainMember: 9
        case .noValidatorSet: 10
        case .exhausted: 11
        case .noBatch: 12
        case .noSigner: 13
        case .notInSet: 14
        case .badSignature: 15
        case .committeeTooLarge: 16
        }
    }

    public var description: String {
        switch self {
        case .unknownMessageKind(let kind): "the settlement module has no message kind \(kind)"
        case .invalidDomain(let domain): "\"\(domain)\" is not a domain id (1–64 letters, digits, '.', '_', '-')"
        case .invalidBatch(let error): "invalid batch: \(error)"
        case .emptyAttestation: "an attestation needs at least one signature"
        case .repeatedTarget: "an attestation signs each target once"
        case .notAValidator(let sender): "\(sender) is not a registered validator"
        case .badProof(let reason): "the key registration's proof of possession failed: \(reason)"
        case .keyTaken(let key, let holder): "key \(key) is registered by \(holder)"
        case .notADomainMember(let sender, let domain):
            "\(sender) is not in domain \(domain)'s validator set this epoch"
        case .noValidatorSet(let epoch): "the L1 has no validator set for epoch \(epoch)"
        case .exhausted(let what): "no \(what) are left"
        case .noBatch(let id): "batch \(id) is not recorded"
        case .noSigner(let sender): "\(sender) has registered no settlement signer"
        case .notInSet(let sender, let epoch): "\(sender) is not in the validator set of epoch \(epoch)"
        case .badSignature(let reason): "attestation signature: \(reason)"
        case .committeeTooLarge(let count):
            "the validator set has \(count) members, more than a batch committee's \(SettlementModule.maximumAttestors)"
        }
    }
}
