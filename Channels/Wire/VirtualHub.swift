import ChannelCore
import Foundation
public import Primitives
import Synchronization

/// The hub's side of funding virtual channels (ADR 0016): the hub's endpoints of its ledger
/// channels join one `VirtualHub`, and a proposal that locks a virtual channel `V` in one ledger is
/// held, unanswered, until a proposal locking the same `V` state arrives on another ledger. Then
/// both are countersigned. Each held proposal is already signed by its proposer, so once the hub
/// countersigns one it holds the other's signature too: it never holds one lock without being able
/// to complete the other. A proposal whose match does not come within `holdTimeout` is rejected.
public final class VirtualHub: Sendable {
    /// How long a lock proposal waits for its match on the other ledger.
    public let holdTimeout: Duration

    private struct Waiting {
        let ledger: Hash
        let child: ChannelState
        let endpoint: ChannelEndpoint
    }

    private let waiting = Mutex<[Hash: Waiting]>([:])

    /// A hub whose lock proposals wait up to `holdTimeout` for their match.
    public init(holdTimeout: Duration = .seconds(30)) {
        self.holdTimeout = holdTimeout
    }

    /// A lock of `child` (a virtual channel's state) was proposed on `ledger` to `endpoint`.
    /// Returns true when the matching lock was already waiting on another ledger: both may be
    /// answered now (the other endpoint is told to release its own). False: hold it.
    func arrived(child: ChannelState, ledger: Hash, endpoint: ChannelEndpoint) -> Bool {
        let match: ChannelEndpoint? = waiting.withLock { waiting in
            if let other = waiting[child.channelID], other.ledger != ledger, other.child == child {
                waiting.removeValue(forKey: child.channelID)
                return other.endpoint
            }
            // A second lock on the same ledger, or of another state of V, replaces nothing: the
            // first one waiting stays, this one is held and will time out.
            if waiting[child.channelID] == nil {
                waiting[child.channelID] = Waiting(ledger: ledger, child: child, endpoint: endpoint)
            }
            return nil
        }
        guard let match else { return false }
        Task { await match.releaseHeldLock(child.channelID) }
        return true
    }

    /// The lock of `childID` on `ledger` stopped waiting (timed out or the link went down).
    func withdraw(childID: Hash, ledger: Hash) {
        waiting.withLock { waiting in
            if waiting[childID]?.ledger == ledger { waiting.removeValue(forKey: childID) }
        }
    }

    /// The virtual channels whose lock waits for its match.
    public var waitingChildren: [Hash] { waiting.withLock { Array($0.keys) } }
}
