public import Chain
import NetworkCore
public import Primitives
import Synchronization

/// The ids of transactions whose signatures this node verified lately, shared by every thread.
///
/// A transaction id is the SHA-256 of the whole signed encoding, signature included, so an id in
/// here means exactly those bytes verified. The node verifies gossiped and RPC transactions off its
/// actor and records them here, and verifies a proposal's remaining transactions before the
/// proposal reaches the actor; block checks then skip every signature found here, so a signature
/// is verified once per node, mostly in parallel, and rarely on the actor.
public final class SignatureCache: Sendable {
    private let ids: Mutex<RecentSet<TransactionID>>
    /// The chain's rule for transaction signatures, which every verification here applies.
    public let rule: SignatureRule

    /// A cache of the last `capacity` verified ids, verifying under `rule`.
    public init(capacity: Int = 1 << 17, rule: SignatureRule = .cofactorless) {
        ids = Mutex(RecentSet(capacity: capacity))
        self.rule = rule
    }

    /// True when `id`'s signature verified here lately.
    public func contains(_ id: TransactionID) -> Bool { ids.withLock { $0.contains(id) } }

    /// Records verified ids.
    public func insert(_ verified: some Sequence<TransactionID>) {
        ids.withLock { set in
            for id in verified { set.insert(id) }
        }
    }

    /// Verifies, across `lanes` tasks, the transactions of `encoded` whose ids are not here yet,
    /// and records those that pass. Returns how many failed (a block holding one is refused later,
    /// by the block check, which verifies them again and names the reason).
    @discardableResult
    public func verifyMissing(_ encoded: [[UInt8]], lanes: Int) async -> Int {
        let missing = encoded.filter { !contains(TransactionID(encoded: $0)) }
        guard !missing.isEmpty else { return 0 }
        let results = await VerifiedTransaction.verify(missing, lanes: lanes, rule: rule)
        insert(results.compactMap { try? $0.get().id })
        return results.count { (try? $0.get()) == nil }
    }
}
