public import Chain
public import ChannelCore
public import Primitives

/// Why the adjudicator refused a message (codes in the `channels` code space).
public enum AdjudicatorError: ModuleError, Equatable, Sendable {
    case unknownMessageKind(UInt16)
    case invalidParticipant(UInt8)
    case zeroAmount
    case concluded(Hash)
    case invalidState(ChannelError)
    case staleVersion(registered: UInt64, offered: UInt64)
    case windowClosed(timeout: UInt64, height: UInt64)
    case noDispute(Hash)
    case windowOpen(timeout: UInt64, height: UInt64)
    case notMetered(String)
    case badPreimage(units: UInt64)
    case unitsOutOfRange(claimed: UInt64, previous: UInt64, segment: UInt64)
    case alreadyWithdrawn(participant: UInt8)
    case notConcluded(Hash)
    case unsupportedLocks(String)
    case overflow
    case childNotRegistered(Hash)
    case childTotalMismatch(child: Hash, locked: UInt64, registered: UInt64?)
    case childWindowOpen(child: Hash, timeout: UInt64, height: UInt64)
    case badIndexMap(String)
    case nestedChildren

    public var code: UInt32 {
        switch self {
        case .unknownMessageKind: 1
        case .invalidParticipant: 2
        case .zeroAmount: 3
        case .concluded: 4
        case .invalidState: 5
        case .staleVersion: 6
        case .windowClosed: 7
        case .noDispute: 8
        case .windowOpen: 9
        case .notMetered: 10
        case .badPreimage: 11
        case .unitsOutOfRange: 12
        case .alreadyWithdrawn: 13
        case .notConcluded: 14
        case .unsupportedLocks: 15
        case .overflow: 16
        case .childNotRegistered: 17
        case .childTotalMismatch: 18
        case .childWindowOpen: 19
        case .badIndexMap: 20
        case .nestedChildren: 21
        }
    }

    public var description: String {
        switch self {
        case .unknownMessageKind(let kind): "the channels module has no message kind \(kind)"
        case .invalidParticipant(let index): "participant \(index) is not 0 or 1"
        case .zeroAmount: "a deposit must be above zero"
        case .concluded(let id): "channel \(id.hex) is concluded"
        case .invalidState(let error): "the state does not verify: \(error)"
        case .staleVersion(let registered, let offered):
            "version \(offered) does not replace the registered version \(registered)"
        case .windowClosed(let timeout, let height):
            "the challenge window closed at height \(timeout) (now \(height))"
        case .noDispute(let id): "channel \(id.hex) has no registered state"
        case .windowOpen(let timeout, let height):
            "the challenge window is open until height \(timeout) (now \(height))"
        case .notMetered(let reason): "the registered state has no metering session: \(reason)"
        case .badPreimage(let units): "the preimage does not hash to the segment root in \(units) steps"
        case .unitsOutOfRange(let claimed, let previous, let segment):
            "\(claimed) units must be above the \(previous) already shown and at most the segment's \(segment)"
        case .alreadyWithdrawn(let participant): "participant \(participant) has already withdrawn"
        case .notConcluded(let id): "channel \(id.hex) is not concluded"
        case .unsupportedLocks(let reason): "the locked funds cannot be settled: \(reason)"
        case .overflow: "an amount overflows 64 bits"
        case .childNotRegistered(let id):
            "child channel \(id.hex) is locked but has no registered state: register its latest state first"
        case .childTotalMismatch(let child, let locked, let registered):
            "child channel \(child.hex) locks \(locked) but its registered state holds \(registered.map { "\($0)" } ?? "more than 2^64")"
        case .childWindowOpen(let child, let timeout, let height):
            "child channel \(child.hex)'s challenge window is open until height \(timeout) (now \(height))"
        case .badIndexMap(let reason): "the child channel's index map is wrong: \(reason)"
        case .nestedChildren: "a child channel's state may not lock child channels of its own"
        }
    }
}
