public import Primitives

/// The fee rule `fee = a + b·bytes + c·steps + d·mem`, in AIC base units.
///
/// `bytes` is the length of the signed transaction's canonical encoding; `steps` and `mem` are
/// what the state cache metered while the transaction's messages ran (`ResourceUsage`). The
/// parameters come from genesis (issue 4: `genesis.toml`); every product and sum is checked, and a
/// fee that does not fit in 64 bits is reported as `nil`, which callers treat as "more than any
/// `maxFee`".
public struct FeeSchedule: Hashable, Sendable {
    /// `a`: charged once per transaction.
    public var base: UInt64
    /// `b`: charged per byte of the signed transaction's encoding.
    public var perByte: UInt64
    /// `c`: charged per metered step (state read or write).
    public var perStep: UInt64
    /// `d`: charged per metered byte written to state.
    public var perMemoryByte: UInt64

    /// A schedule from its four parameters.
    public init(base: UInt64, perByte: UInt64, perStep: UInt64, perMemoryByte: UInt64) {
        self.base = base
        self.perByte = perByte
        self.perStep = perStep
        self.perMemoryByte = perMemoryByte
    }

    /// No fees at all (tests and development chains).
    public static let free = FeeSchedule(base: 0, perByte: 0, perStep: 0, perMemoryByte: 0)

    /// `a + b·bytes`: the fee known before execution, and the least any transaction of this size pays.
    public func intrinsicFee(bytes: Int) -> UInt64? {
        guard bytes >= 0 else { return nil }
        return Self.sum(base, Self.product(perByte, UInt64(bytes)))
    }

    /// `c·steps + d·mem`: the part of the fee that execution meters.
    public func meteredFee(_ usage: ResourceUsage) -> UInt64? {
        Self.sum(Self.product(perStep, usage.steps), Self.product(perMemoryByte, usage.memory))
    }

    /// The whole rule, `a + b·bytes + c·steps + d·mem`.
    public func fee(bytes: Int, usage: ResourceUsage) -> UInt64? {
        Self.sum(intrinsicFee(bytes: bytes), meteredFee(usage))
    }

    static func product(_ lhs: UInt64, _ rhs: UInt64) -> UInt64? {
        let (value, overflow) = lhs.multipliedReportingOverflow(by: rhs)
        return overflow ? nil : value
    }

    static func sum(_ lhs: UInt64?, _ rhs: UInt64?) -> UInt64? {
        guard let lhs, let rhs else { return nil }
        let (value, overflow) = lhs.addingReportingOverflow(rhs)
        return overflow ? nil : value
    }
}

extension FeeSchedule: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(base)
        encoder.write(perByte)
        encoder.write(perStep)
        encoder.write(perMemoryByte)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        base = try decoder.read(UInt64.self)
        perByte = try decoder.read(UInt64.self)
        perStep = try decoder.read(UInt64.self)
        perMemoryByte = try decoder.read(UInt64.self)
    }
}

/// What a transaction's messages used, as the state cache counts it.
///
/// - `steps`: one per `get` (whether or not the key exists, and whatever cache layer answers, so the
///   count never depends on what a node happened to have cached) and one per `set` or `delete`.
/// - `memory`: for each `set`, the key's length plus the value's length; for each `delete`, the
///   key's length. Keys are counted with their module prefix.
///
/// Only the messages are metered; the checks and bookkeeping around them (signature, nonce, fee
/// escrow and settlement) are covered by `a` and `b`.
public struct ResourceUsage: Hashable, Sendable {
    /// State reads and writes.
    public var steps: UInt64
    /// Bytes written to state (keys and values).
    public var memory: UInt64

    /// A usage from its counts.
    public init(steps: UInt64 = 0, memory: UInt64 = 0) {
        self.steps = steps
        self.memory = memory
    }

    /// Nothing used.
    public static let zero = ResourceUsage()
}

/// Counts a transaction's state accesses and stops it when their fee would pass its budget.
struct ResourceMeter {
    let schedule: FeeSchedule
    /// The most `c·steps + d·mem` may reach: `maxFee − priorityFee − intrinsic fee`.
    let budget: UInt64
    private(set) var usage = ResourceUsage.zero

    init(schedule: FeeSchedule, budget: UInt64) {
        self.schedule = schedule
        self.budget = budget
    }

    /// Adds one step and `memory` bytes; throws `outOfFee` (and counts nothing) when the metered fee
    /// would exceed the budget.
    mutating func charge(memory: Int) throws(StateAccessError) {
        var next = usage
        next.steps &+= 1
        next.memory &+= UInt64(memory)
        guard let fee = schedule.meteredFee(next), fee <= budget else {
            throw .outOfFee(used: usage, budget: budget)
        }
        usage = next
    }
}
