public import Chain
internal import ChainConfiguration
internal import Consensus
internal import Primitives

/// The L1 staking module: SWR bonding and delegation, epochs and their validator sets, rewards
/// and commission, the downtime leak and jail, double-sign slashing, and each domain's opt-in
/// validator set. State layout, messages, events and parameters: README.md; the rules and their
/// rounding: Docs/spec/staking.md and ADR 0006.
///
/// Bonded and unbonding SWR sit in one module account, `Staking.pool`, which the bank must block
/// as a recipient of transfers and mints (`Bank(blockedRecipients: [Staking.pool])`), so the pool
/// holds exactly the sum of all stakes and unbonding entries (the `pool` invariant).
///
/// Epochs are counted in executed blocks: each epoch has `epochSlots` of them, the first at
/// height 1. When the last block of epoch `e` ends, the module closes `e` (downtime leak, rewards,
/// matured unbonding, then the validator sets of epoch `e + 2`), so every set is known a whole
/// epoch before it starts. `validatorSet(epoch:in:)` is what the node feeds the consensus engine.
public struct Staking: ApplicationModule {
    /// The module name and state prefix.
    public static let moduleName = "staking"

    /// The longest validator name, in bytes.
    public static let maximumNameBytes = 64
    /// The longest domain id (a chain id), in bytes.
    public static let maximumDomainBytes = DomainID.maximumBytes

    /// The module name and state prefix.
    public var name: String { Self.moduleName }

    /// The bank the module moves SWR through.
    public let bank: any BankKeeper

    /// The module over `bank` (the chain's `Bank` by default).
    public init(bank: any BankKeeper = ChainBank()) {
        self.bank = bank
    }

    /// The module account that holds bonded and unbonding SWR.
    ///
    /// `SHA-256(canonical("aether/module-account/v1") ‖ canonical("staking/pool"))[0..<20]`, the
    /// module-account derivation of ADR 0005: no key can own it.
    public static let pool = Address(moduleAccount: "staking/pool")

    /// The module's messages.
    public var messageTypes: [MessageType] {
        [
            MessageType(kind: CreateValidator.route.kind, name: "create_validator"),
            MessageType(kind: Bond.route.kind, name: "bond"),
            MessageType(kind: Unbond.route.kind, name: "unbond"),
            MessageType(kind: Delegate.route.kind, name: "delegate"),
            MessageType(kind: Undelegate.route.kind, name: "undelegate"),
            MessageType(kind: Redelegate.route.kind, name: "redelegate"),
            MessageType(kind: Unjail.route.kind, name: "unjail"),
            MessageType(kind: SubmitEvidence.route.kind, name: "submit_evidence"),
            MessageType(kind: JoinDomain.route.kind, name: "join_domain"),
            MessageType(kind: LeaveDomain.route.kind, name: "leave_domain"),
        ]
    }

    // MARK: - Messages

    /// Decodes the message and checks what needs no state: positive amounts, name length,
    /// commission at most 1, distinct redelegation ends, domain ids, and the evidence's signatures.
    public func validate(_ message: Message) throws {
        func positive(_ amount: UInt64) throws {
            guard amount > 0 else { throw StakingError.zeroAmount }
        }
        switch message.kind {
        case CreateValidator.route.kind:
            let create = try message.decode(CreateValidator.self)
            guard (1...Self.maximumNameBytes).contains(create.name.utf8.count) else { throw StakingError.invalidName }
            try positive(create.selfBond)
            guard create.commission.isAtMostOne else {
                throw StakingError.commissionOutOfBounds(commission: create.commission, minimum: .zero, maximum: .one)
            }
        case Bond.route.kind: try positive(try message.decode(Bond.self).amount)
        case Unbond.route.kind: try positive(try message.decode(Unbond.self).amount)
        case Delegate.route.kind: try positive(try message.decode(Delegate.self).amount)
        case Undelegate.route.kind: try positive(try message.decode(Undelegate.self).amount)
        case Redelegate.route.kind:
            let redelegate = try message.decode(Redelegate.self)
            try positive(redelegate.amount)
            guard redelegate.source != redelegate.destination else { throw StakingError.sameValidator }
        case Unjail.route.kind: _ = try message.decode(Unjail.self)
        case SubmitEvidence.route.kind:
            let submission = try message.decode(SubmitEvidence.self)
            guard submission.domain.isEmpty || Self.isDomainID(submission.domain) else {
                throw StakingError.invalidDomain(submission.domain)
            }
            do { try submission.evidence.verify() } catch { throw StakingError.invalidEvidence(error) }
        case JoinDomain.route.kind:
            let domain = try message.decode(JoinDomain.self).domain
            guard Self.isDomainID(domain) else { throw StakingError.invalidDomain(domain) }
        case LeaveDomain.route.kind:
            let domain = try message.decode(LeaveDomain.self).domain
            guard Self.isDomainID(domain) else { throw StakingError.invalidDomain(domain) }
        default:
            throw StakingError.unknownMessageKind(message.kind)
        }
    }

    /// Runs one message for the transaction's sender.
    public func handle(_ message: Message, context: MessageContext) throws {
        let ledger = try Ledger(
            stores: StakingStores(staking: context.store, bank: context.store(for: bank.moduleName), keeper: bank),
            block: context.block)
        let sender = context.sender
        switch message.kind {
        case CreateValidator.route.kind: try ledger.createValidator(try message.decode(CreateValidator.self), sender)
        case Bond.route.kind: try ledger.bond(try message.decode(Bond.self).amount, sender)
        case Unbond.route.kind: try ledger.unbond(try message.decode(Unbond.self).amount, sender)
        case Delegate.route.kind:
            let delegate = try message.decode(Delegate.self)
            try ledger.delegate(delegate.amount, from: sender, to: delegate.validator)
        case Undelegate.route.kind:
            let undelegate = try message.decode(Undelegate.self)
            try ledger.undelegate(undelegate.amount, of: sender, from: undelegate.validator)
        case Redelegate.route.kind:
            let redelegate = try message.decode(Redelegate.self)
            try ledger.redelegate(
                redelegate.amount, of: sender, from: redelegate.source, to: redelegate.destination)
        case Unjail.route.kind: try ledger.unjail(sender)
        case SubmitEvidence.route.kind:
            let submission = try message.decode(SubmitEvidence.self)
            try ledger.submitEvidence(submission.evidence, domain: submission.domain, reporter: sender)
        case JoinDomain.route.kind: try ledger.joinDomain(try message.decode(JoinDomain.self).domain, sender)
        case LeaveDomain.route.kind: try ledger.leaveDomain(try message.decode(LeaveDomain.self).domain, sender)
        default: throw StakingError.unknownMessageKind(message.kind)
        }
    }

    // MARK: - Hooks

    /// Opens the block: checks its epoch, charges the validators missing from the parent's
    /// certificate, and counts the block.
    public func beginBlock(_ context: BlockHookContext) throws {
        try Ledger.beginBlock(
            stores: StakingStores(staking: context.store, bank: context.store(for: bank.moduleName), keeper: bank),
            block: context.block)
    }

    /// Closes the epoch when this is its last block.
    public func endBlock(_ context: BlockHookContext) throws {
        try Ledger.endBlock(
            stores: StakingStores(staking: context.store, bank: context.store(for: bank.moduleName), keeper: bank),
            block: context.block)
    }

    // MARK: - Domain ids

    /// True for 1–64 bytes of letters, digits, `.`, `_` and `-` (a chain id).
    public static func isDomainID(_ domain: String) -> Bool { DomainID.isValid(domain) }
}
