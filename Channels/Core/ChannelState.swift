public import Primitives

/// Funds locked inside a channel for a sub-protocol, named by an id the sub-protocol chooses: a
/// metering session (no index map), or a sub- or virtual channel (its channel id, and an index map
/// from the child's participants to this channel's; ADR 0016).
public struct SubAllocation: Hashable, Sendable {
    /// The sub-protocol's id (a metering session's id, a child channel's channel id).
    public var id: Hash
    /// The AIC locked, in base units.
    public var amount: UInt64
    /// Empty for a metering session; for a child channel, `indexMap[k]` is the participant of this
    /// channel that receives the outcome of the child's participant `k` (a permutation of 0 and 1).
    public var indexMap: [UInt8]

    /// A sub-allocation of `amount` under `id`.
    public init(id: Hash, amount: UInt64, indexMap: [UInt8] = []) {
        self.id = id
        self.amount = amount
        self.indexMap = indexMap
    }

    /// True when this locks a child channel's funds (it has an index map).
    public var isChannel: Bool { !indexMap.isEmpty }

    /// Checks the index map: empty, or a permutation of the two participant indices.
    public func validate() throws(UpdateRejection) {
        guard indexMap.isEmpty || indexMap.sorted() == [0, 1] else {
            throw .malformedAllocation(
                "sub-allocation index map \(indexMap) is neither empty nor a permutation of [0, 1]")
        }
    }
}

/// Who owns the channel's AIC in a state: a balance per participant plus locked sub-allocations.
///
/// Sub-allocations are kept in strictly ascending order of id, so one allocation has one encoding
/// and an id cannot appear twice.
public struct Allocation: Hashable, Sendable {
    /// The most sub-allocations one state may carry (bounds decoding and on-chain work).
    public static let maxSubAllocations = 64

    /// AIC per participant, in base units, in the parameters' participant order.
    public var balances: [UInt64]
    /// Locked funds, by ascending id.
    public var locked: [SubAllocation]

    /// An allocation; call `validate()` (or let the invariants do it) before trusting one built by hand.
    public init(balances: [UInt64], locked: [SubAllocation] = []) {
        self.balances = balances
        self.locked = locked
    }

    /// The sum of every balance and sub-allocation, or nil when it does not fit in 64 bits.
    public var total: UInt64? {
        var sum: UInt64 = 0
        for amount in balances + locked.map(\.amount) {
            let (next, overflow) = sum.addingReportingOverflow(amount)
            if overflow { return nil }
            sum = next
        }
        return sum
    }

    /// The sub-allocation with `id`, if any.
    public func subAllocation(id: Hash) -> SubAllocation? {
        locked.first { $0.id == id }
    }

    /// Checks the shape: one balance per participant, ids strictly ascending, at most
    /// `maxSubAllocations`, and a total that fits in 64 bits.
    /// - Throws: `UpdateRejection.malformedAllocation` or `.allocationOverflow`.
    public func validate() throws(UpdateRejection) {
        guard balances.count == ChannelParameters.participantCount else {
            throw .malformedAllocation("expected \(ChannelParameters.participantCount) balances, got \(balances.count)")
        }
        guard locked.count <= Self.maxSubAllocations else {
            throw .malformedAllocation("\(locked.count) sub-allocations, at most \(Self.maxSubAllocations)")
        }
        for index in locked.indices.dropFirst() where !(locked[index - 1].id < locked[index].id) {
            throw .malformedAllocation("sub-allocation ids are not strictly ascending")
        }
        for sub in locked { try sub.validate() }
        guard total != nil else { throw .allocationOverflow }
    }
}

/// One version of a channel: the allocation both participants agree on, plus application data.
///
/// A state only counts once every participant has signed it (`SignedState`). A higher version
/// replaces a lower one; a final state can be concluded on chain at once and never changes.
public struct ChannelState: Hashable, Sendable {
    /// The domain tag at the front of the sign bytes.
    public static let signDomainTag = "aether/channel/state/v1"
    /// The largest application data a state may carry, in bytes.
    public static let maxAppDataLength = 16 << 10

    /// `ChannelParameters.channelID(chainID:)` of the channel this state belongs to.
    public var channelID: Hash
    /// Strictly increases with every update; the adjudicator keeps the highest one registered.
    public var version: UInt64
    /// Who owns what.
    public var allocation: Allocation
    /// The application's state (the meter's commitment), opaque to the channel core.
    public var appData: [UInt8]
    /// True for the last state of a cooperative close.
    public var isFinal: Bool

    /// A state; see the property docs.
    public init(channelID: Hash, version: UInt64, allocation: Allocation, appData: [UInt8] = [], isFinal: Bool = false)
    {
        self.channelID = channelID
        self.version = version
        self.allocation = allocation
        self.appData = appData
        self.isFinal = isFinal
    }

    /// What each participant signs: `canonical(signDomainTag) ‖ canonical(chainID) ‖ canonical(self)`.
    ///
    /// The channel id already depends on the chain id; the chain id is repeated here because every
    /// Aether signature carries its own domain separation, checkable without the parameters.
    public func signBytes(chainID: String) -> [UInt8] {
        var encoder = CanonicalEncoder(capacity: 128 + appData.count + allocation.locked.count * 40)
        encoder.write(Self.signDomainTag)
        encoder.write(chainID)
        encoder.write(self)
        return encoder.bytes
    }

    /// This state with `version` increased by one and the other fields unchanged: the start of
    /// most updates.
    public func next() -> ChannelState {
        var state = self
        state.version += 1
        return state
    }
}

// MARK: - Canonical encoding

extension SubAllocation: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(id)
        encoder.write(amount)
        encoder.write(bytes: indexMap)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        id = try decoder.read(Hash.self)
        amount = try decoder.read(UInt64.self)
        indexMap = try decoder.readBytes(maxLength: ChannelParameters.participantCount)
    }
}

extension Allocation: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(balances)
        encoder.write(locked)
    }

    /// Reads an allocation and refuses any that `validate()` would refuse, so a decoded
    /// allocation has exactly one encoding.
    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let at = decoder.offset
        balances = try decoder.readArray(of: UInt64.self, maxCount: ChannelParameters.participantCount)
        locked = try decoder.readArray(of: SubAllocation.self, maxCount: Self.maxSubAllocations)
        do {
            try validate()
        } catch {
            throw .invalidValue(offset: at, reason: error.description)
        }
    }
}

extension ChannelState: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(channelID)
        encoder.write(version)
        encoder.write(allocation)
        encoder.write(bytes: appData)
        encoder.write(isFinal)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        channelID = try decoder.read(Hash.self)
        version = try decoder.read(UInt64.self)
        allocation = try decoder.read(Allocation.self)
        appData = try decoder.readBytes(maxLength: Self.maxAppDataLength)
        isFinal = try decoder.read(Bool.self)
    }
}
