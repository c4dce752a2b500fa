/// Why a meter operation was refused. Each case says what the caller should do.
public enum MeterError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The preimage does not hash to the last verified value: not the payer's next reveal.
    case forgedPreimage(unit: UInt64)
    /// The preimage is the value already verified for `unit` (a replay).
    case replayedPreimage(unit: UInt64)
    /// Every unit of the segment's chain is paid: a checkpoint must commit the next root first.
    case chainExhausted(length: UInt64)
    /// A unit outside the chain was asked for.
    case unitOutOfRange(unit: UInt64, length: UInt64)
    /// The provider may not serve: `unpaid` units are unpaid, the credit window's limit.
    case creditWindowFull(unpaid: UInt64)
    /// Payment for a unit that was not served (payer side: refused; provider side: not yet served).
    case unitNotServed(unit: UInt64)
    /// The segment is fully paid; checkpoint before paying further units.
    case checkpointDue
    /// The locked escrow cannot pay for the units (top it up or close the session).
    case escrowExhausted(needed: UInt64, locked: UInt64)
    /// The terms are unusable (the message says why).
    case invalidTerms(String)
    /// The channel state does not carry a meter commitment the session can use (the message says why).
    case invalidState(String)

    public var description: String {
        switch self {
        case .forgedPreimage(let unit): "preimage for unit \(unit) does not hash to the last verified value"
        case .replayedPreimage(let unit): "preimage for unit \(unit) was already verified (replay)"
        case .chainExhausted(let length): "all \(length) units of this segment are paid; checkpoint first"
        case .unitOutOfRange(let unit, let length): "unit \(unit) is outside a chain of \(length) units"
        case .creditWindowFull(let unpaid): "\(unpaid) units unpaid: the credit window is full, wait for payment"
        case .unitNotServed(let unit): "unit \(unit) has not been served"
        case .checkpointDue: "the segment is fully paid; checkpoint before paying more"
        case .escrowExhausted(let needed, let locked): "paying needs \(needed), only \(locked) is locked"
        case .invalidTerms(let reason): "invalid meter terms: \(reason)"
        case .invalidState(let reason): "channel state has no usable meter commitment: \(reason)"
        }
    }
}
