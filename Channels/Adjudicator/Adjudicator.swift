public import Chain
internal import ChannelCore
internal import ChannelMetering
public import Primitives
internal import Storage

/// The channel adjudicator: a chain module that holds channel deposits in escrow and settles a
/// channel from its latest fully signed state when the participants do not agree
/// (Docs/spec/channels.md, "Adjudicator"; ADR 0014). The L1 and app-chains compose it.
///
/// Messages: `Deposit`, `Register` (also the refutation: a higher version), `RegisterChild` (a
/// sub- or virtual channel's latest state, ADR 0016), `ProgressMeter`, `Conclude`, `Withdraw`. Every AIC it holds is in the escrow account, and the invariant "escrow
/// balance = what the channels still hold" is checked after every block in the tests.
public struct Adjudicator: ApplicationModule {
    /// `channels`.
    public static let moduleName = "channels"

    /// The module account holding deposits: no key can own it.
    public static let escrow = Address(moduleAccount: "channels/escrow")

    public var name: String { Self.moduleName }

    public init() {}

    public var messageTypes: [MessageType] {
        [
            MessageType(kind: Deposit.route.kind, name: "deposit"),
            MessageType(kind: Register.route.kind, name: "register"),
            MessageType(kind: ProgressMeter.route.kind, name: "progress_meter"),
            MessageType(kind: Conclude.route.kind, name: "conclude"),
            MessageType(kind: Withdraw.route.kind, name: "withdraw"),
            MessageType(kind: RegisterChild.route.kind, name: "register_child"),
        ]
    }

    // MARK: - Keys

    enum Keys {
        static func channel(_ id: Hash) -> [UInt8] { [0x01] + id.bytes }
        static func child(_ id: Hash) -> [UInt8] { [0x02] + id.bytes }
    }

    /// The record of channel `id` (an empty one when the chain has never seen it).
    public static func record(_ id: Hash, in state: some ModuleStateReading) throws(StateAccessError) -> ChannelRecord {
        guard let bytes = try state.get(Keys.channel(id)) else { return .empty }
        do { return try Canonical.decode(ChannelRecord.self, from: bytes) } catch {
            throw .storage(.corrupted("channel record \(id.hex): \(error)"))
        }
    }

    /// The registered record of child channel `id`, if any.
    public static func childRecord(_ id: Hash, in state: some ModuleStateReading) throws(StateAccessError)
        -> ChildRecord?
    {
        guard let bytes = try state.get(Keys.child(id)) else { return nil }
        do { return try Canonical.decode(ChildRecord.self, from: bytes) } catch {
            throw .storage(.corrupted("child channel record \(id.hex): \(error)"))
        }
    }

    /// The `child` query of child channel `id` (its `ChildRecord`, provable against the state root).
    public static func childQuery(_ id: Hash) -> ModuleQuery {
        ModuleQuery(module: moduleName, path: "child", arguments: id.bytes)
    }

    /// The `channel` query of channel `id` (its `ChannelRecord`, provable against the state root).
    public static func channelQuery(_ id: Hash) -> ModuleQuery {
        ModuleQuery(module: moduleName, path: "channel", arguments: id.bytes)
    }

    // MARK: - Messages

    public func validate(_ message: Message) throws {
        switch message.kind {
        case Deposit.route.kind:
            let deposit = try message.decode(Deposit.self)
            guard deposit.participant < 2 else { throw AdjudicatorError.invalidParticipant(deposit.participant) }
            guard deposit.amount > 0 else { throw AdjudicatorError.zeroAmount }
        case Register.route.kind:
            let register = try message.decode(Register.self)
            do { try register.signed.state.allocation.validate() } catch {
                throw AdjudicatorError.invalidState(.invalidState(error))
            }
        case RegisterChild.route.kind:
            let register = try message.decode(RegisterChild.self)
            do { try register.signed.state.allocation.validate() } catch {
                throw AdjudicatorError.invalidState(.invalidState(error))
            }
            guard !register.signed.state.allocation.locked.contains(where: \.isChannel) else {
                throw AdjudicatorError.nestedChildren
            }
        case ProgressMeter.route.kind: _ = try message.decode(ProgressMeter.self)
        case Conclude.route.kind: _ = try message.decode(Conclude.self)
        case Withdraw.route.kind:
            let withdraw = try message.decode(Withdraw.self)
            guard withdraw.participant < 2 else { throw AdjudicatorError.invalidParticipant(withdraw.participant) }
        default: throw AdjudicatorError.unknownMessageKind(message.kind)
        }
    }

    public func handle(_ message: Message, context: MessageContext) throws {
        try validate(message)
        switch message.kind {
        case Deposit.route.kind: try deposit(try message.decode(Deposit.self), context)
        case Register.route.kind: try register(try message.decode(Register.self), context)
        case RegisterChild.route.kind: try registerChild(try message.decode(RegisterChild.self), context)
        case ProgressMeter.route.kind: try progress(try message.decode(ProgressMeter.self), context)
        case Conclude.route.kind: try conclude(try message.decode(Conclude.self).channelID, context)
        case Withdraw.route.kind: try withdraw(try message.decode(Withdraw.self), context)
        default: throw AdjudicatorError.unknownMessageKind(message.kind)
        }
    }

    private func deposit(_ deposit: Deposit, _ context: MessageContext) throws {
        var record = try Self.record(deposit.channelID, in: context.store)
        guard !record.isConcluded else { throw AdjudicatorError.concluded(deposit.channelID) }
        let index = Int(deposit.participant)
        let (total, overflow) = record.holdings[index].addingReportingOverflow(deposit.amount)
        guard !overflow else { throw AdjudicatorError.overflow }
        try Bank.Keeper.send(
            deposit.amount, of: .aic, from: context.sender, to: Self.escrow, in: context.store(for: Bank.moduleName))
        record.holdings[index] = total
        try save(record, deposit.channelID, context.store)
    }

    private func register(_ register: Register, _ context: MessageContext) throws {
        let chainID = context.block.chainId
        let id = register.parameters.channelID(chainID: chainID)
        do { try register.signed.verify(parameters: register.parameters, chainID: chainID) } catch {
            throw AdjudicatorError.invalidState(error)
        }
        var record = try Self.record(id, in: context.store)
        guard !record.isConcluded else { throw AdjudicatorError.concluded(id) }
        let height = context.block.height
        let state = register.signed.state
        var dispute: ChannelRecord.Dispute
        if let current = record.dispute {
            guard height < current.timeout else {
                throw AdjudicatorError.windowClosed(timeout: current.timeout, height: height)
            }
            guard state.version > current.state.version else {
                throw AdjudicatorError.staleVersion(registered: current.state.version, offered: state.version)
            }
            dispute = current
            dispute.state = state
            dispute.meterUnits = 0
        } else {
            let (timeout, overflow) = height.addingReportingOverflow(register.parameters.challengeDuration)
            guard !overflow else { throw AdjudicatorError.overflow }
            dispute = ChannelRecord.Dispute(
                parameters: register.parameters, state: state, timeout: timeout, meterUnits: 0)
        }
        // Refuses what could never be concluded (children may still be registered later).
        _ = try ChannelRecord.outcome(of: dispute, child: { _ in nil }, height: nil)
        record.dispute = dispute
        if state.isFinal { try settle(&record, dispute, height: height, context.store) }
        try save(record, id, context.store)
    }

    private func registerChild(_ register: RegisterChild, _ context: MessageContext) throws {
        let id = register.parameters.channelID(chainID: context.block.chainId)
        do { try register.signed.verify(parameters: register.parameters, chainID: context.block.chainId) } catch {
            throw AdjudicatorError.invalidState(error)
        }
        let state = register.signed.state
        let height = context.block.height
        let timeout: UInt64
        if let current = try Self.childRecord(id, in: context.store) {
            guard height < current.timeout else {
                throw AdjudicatorError.windowClosed(timeout: current.timeout, height: height)
            }
            guard state.version > current.state.version else {
                throw AdjudicatorError.staleVersion(registered: current.state.version, offered: state.version)
            }
            timeout = current.timeout
        } else {
            let (sum, overflow) = height.addingReportingOverflow(register.parameters.challengeDuration)
            guard !overflow else { throw AdjudicatorError.overflow }
            timeout = sum
        }
        let record = ChildRecord(parameters: register.parameters, state: state, meterUnits: 0, timeout: timeout)
        _ = try ChannelRecord.meteredOutcome(state, meterUnits: 0)  // a session it could never settle
        try context.store.set(Keys.child(id), Canonical.encode(record))
    }

    /// Fixes `record`'s payouts from `dispute` at `height` (every child it locks must be
    /// registered, its window closed).
    private func settle(
        _ record: inout ChannelRecord, _ dispute: ChannelRecord.Dispute, height: UInt64, _ store: ModuleStore
    ) throws {
        let outcome = try ChannelRecord.outcome(
            of: dispute, child: { try Self.childRecord($0, in: store) }, height: height)
        record.payouts = ChannelRecord.payouts(outcome: outcome, holdings: record.holdings)
    }

    /// Meter progress on a disputed channel inside its window, or on a registered child channel
    /// inside the child's window.
    private func progress(_ progress: ProgressMeter, _ context: MessageContext) throws {
        var record = try Self.record(progress.channelID, in: context.store)
        guard record.dispute == nil, var child = try Self.childRecord(progress.channelID, in: context.store) else {
            guard !record.isConcluded else { throw AdjudicatorError.concluded(progress.channelID) }
            guard var dispute = record.dispute else { throw AdjudicatorError.noDispute(progress.channelID) }
            let height = context.block.height
            guard height < dispute.timeout else {
                throw AdjudicatorError.windowClosed(timeout: dispute.timeout, height: height)
            }
            dispute.meterUnits = try Self.shownUnits(progress, state: dispute.state, previous: dispute.meterUnits)
            record.dispute = dispute
            try save(record, progress.channelID, context.store)
            return
        }
        guard context.block.height < child.timeout else {
            throw AdjudicatorError.windowClosed(timeout: child.timeout, height: context.block.height)
        }
        child.meterUnits = try Self.shownUnits(progress, state: child.state, previous: child.meterUnits)
        try context.store.set(Keys.child(progress.channelID), Canonical.encode(child))
    }

    /// The units `progress` proves against `state`'s metering segment: above `previous`, at most K,
    /// and the preimage hashes to the segment root in that many steps.
    private static func shownUnits(
        _ progress: ProgressMeter, state: ChannelState, previous: UInt64
    ) throws(AdjudicatorError) -> UInt64 {
        let commitment: MeterCommitment
        do { commitment = try MeterCommitment(of: state) } catch { throw .notMetered("\(error)") }
        let segment = UInt64(commitment.terms.segmentLength)
        guard progress.units > previous, progress.units <= segment else {
            throw .unitsOutOfRange(claimed: progress.units, previous: previous, segment: segment)
        }
        var value = progress.preimage
        for _ in 0..<progress.units { value = HashChain.step(value) }
        guard value == commitment.root else { throw .badPreimage(units: progress.units) }
        return progress.units
    }

    private func conclude(_ id: Hash, _ context: MessageContext) throws {
        var record = try Self.record(id, in: context.store)
        guard !record.isConcluded else { throw AdjudicatorError.concluded(id) }
        guard let dispute = record.dispute else { throw AdjudicatorError.noDispute(id) }
        let height = context.block.height
        guard height >= dispute.timeout else {
            throw AdjudicatorError.windowOpen(timeout: dispute.timeout, height: height)
        }
        try settle(&record, dispute, height: height, context.store)
        try save(record, id, context.store)
    }

    private func withdraw(_ withdraw: Withdraw, _ context: MessageContext) throws {
        var record = try Self.record(withdraw.channelID, in: context.store)
        guard let payouts = record.payouts, let dispute = record.dispute else {
            throw AdjudicatorError.notConcluded(withdraw.channelID)
        }
        let index = Int(withdraw.participant)
        guard !record.withdrawn[index] else {
            throw AdjudicatorError.alreadyWithdrawn(participant: withdraw.participant)
        }
        let recipient = Address(publicKey: dispute.parameters.participants[index])
        if payouts[index] > 0 {
            try Bank.Keeper.send(
                payouts[index], of: .aic, from: Self.escrow, to: recipient, in: context.store(for: Bank.moduleName))
        }
        record.withdrawn[index] = true
        try save(record, withdraw.channelID, context.store)
    }

    private func save(_ record: ChannelRecord, _ id: Hash, _ store: ModuleStore) throws {
        try store.set(Keys.channel(id), Canonical.encode(record))
    }

    // MARK: - Genesis, invariants, queries

    public func initGenesis(_ genesis: [UInt8], store: ModuleStore) throws {
        guard !genesis.isEmpty else { return }
        for (key, value) in try Canonical.decode(ModuleEntries.self, from: genesis).entries {
            switch (key.first, key.count) {
            case (0x01, 33): _ = try Canonical.decode(ChannelRecord.self, from: value)
            case (0x02, 33): _ = try Canonical.decode(ChildRecord.self, from: value)
            default: throw ModuleFailure(code: 1, message: "unknown channels genesis key")
            }
            try store.set(key, value)
        }
    }

    public func exportGenesis(_ state: ModuleStateReader) throws -> [UInt8] {
        Canonical.encode(try ModuleEntries(state))
    }

    /// Funds are conserved: the escrow account holds exactly what the channels still hold, and a
    /// concluded channel's payouts add up to its holdings.
    public func checkInvariants(_ state: ModuleStateReader) throws -> [InvariantViolation] {
        var violations: [InvariantViolation] = []
        var outstanding = UInt128(0)
        for (key, value) in try state.entries() where key.first == 0x01 {
            let record = try Canonical.decode(ChannelRecord.self, from: value)
            outstanding += UInt128(record.outstanding)
            if let payouts = record.payouts,
                payouts.reduce(UInt128(0), { $0 + UInt128($1) })
                    != record.holdings.reduce(UInt128(0), { $0 + UInt128($1) })
            {
                violations.append(
                    InvariantViolation(
                        module: name, invariant: "payouts",
                        message:
                            "channel \(Hex.encode(key.dropFirst())) pays \(payouts) from holdings \(record.holdings)"))
            }
        }
        let escrow = try Bank.Keeper.balance(of: Self.escrow, .aic, in: state.reader.module(Bank.moduleName))
        if UInt128(escrow) != outstanding {
            violations.append(
                InvariantViolation(
                    module: name, invariant: "escrow",
                    message: "the escrow account holds \(escrow) AIC but the channels hold \(outstanding)"))
        }
        return violations
    }

    /// `channel` (the `ChannelRecord`) or `child` (the `ChildRecord`), with the 32-byte channel id as
    /// the argument.
    public func stateKey(for query: ModuleQuery) throws(QueryError) -> [UInt8] {
        guard query.path == "channel" || query.path == "child" else {
            throw .unsupportedQuery(module: name, path: query.path)
        }
        guard query.arguments.count == 32, let id = try? Hash(query.arguments) else {
            throw .invalidArguments(module: name, path: query.path, reason: "expected a 32-byte channel id")
        }
        return query.path == "channel" ? Keys.channel(id) : Keys.child(id)
    }
}
