import Primitives

/// Pending transactions, ordered for proposals: by priority fee, and per sender by nonce.
///
/// Pure and deterministic: no clock, no randomness; the same calls in the same order give the same
/// contents and the same `reap`. Account state comes in as an `AccountStateView` with each call.
/// A value type: the node keeps it behind its own lock or actor.
///
/// Rules (Docs/spec/chain.md §4):
/// - Admission: decoding and size, chain id, `maxFee ≥ a + b·bytes + priorityFee`, priority fee
///   ≥ the local minimum, every message routed and valid, nonce not below the account's next
///   nonce (replay) and less than `maxNoncesAhead` beyond it, AIC balance covering this and the
///   sender's other pending max fees, then the signature.
/// - One transaction per sender and nonce; a second one replaces it only with a priority fee
///   `replacementBumpPercent` higher (rounded up, at least +1) and a max fee no lower.
/// - Caps on count and bytes: when full, the lowest-ranked last-nonce transactions of other
///   senders are evicted for a higher-ranked newcomer; otherwise the newcomer is refused.
/// - Per-source quota of pending transactions.
/// - `reap` takes, highest priority fee first (ties: earlier admitted), each sender's transactions
///   in consecutive nonce order starting at the account's next nonce; a gap stops that sender.
public struct Mempool: Sendable {
    /// The limits and policies.
    public let configuration: MempoolConfiguration
    /// The chain's admission rules.
    public let rules: AdmissionRules

    private var entries: [TransactionID: PendingTransaction] = [:]
    private var senders: [Address: SenderQueue] = [:]
    private var sourceCounts: [MempoolSource: Int] = [:]
    private var nextSequence: UInt64 = 0
    /// The bytes of all pooled transactions.
    public private(set) var totalBytes = 0

    /// One sender's pooled transactions by nonce, its next nonce as last read from state, and the
    /// sum of their max fees (kept up to date so admission need not add them up each time).
    struct SenderQueue: Sendable {
        var accountNonce: UInt64
        var byNonce: [UInt64: TransactionID] = [:]
        var maxFees = FeeTotal()
    }

    /// A sum of up to 2^64 fees without overflow: 128 bits in two words.
    struct FeeTotal: Sendable {
        private var high: UInt64 = 0
        private var low: UInt64 = 0

        mutating func add(_ fee: UInt64) {
            let (sum, carry) = low.addingReportingOverflow(fee)
            low = sum
            if carry { high += 1 }
        }

        mutating func subtract(_ fee: UInt64) {
            let (difference, borrow) = low.subtractingReportingOverflow(fee)
            low = difference
            if borrow { high -= 1 }
        }

        /// The total, or `UInt64.max` when it does not fit.
        var saturated: UInt64 { high == 0 ? low : .max }
    }

    /// An empty mempool.
    public init(configuration: MempoolConfiguration = MempoolConfiguration(), rules: AdmissionRules) {
        self.configuration = configuration
        self.rules = rules
    }

    // MARK: - Reading

    /// The number of pooled transactions.
    public var count: Int { entries.count }

    /// True when `id` is pooled.
    public func contains(_ id: TransactionID) -> Bool { entries[id] != nil }

    /// The pooled transaction `id`.
    public func transaction(_ id: TransactionID) -> PendingTransaction? { entries[id] }

    /// `sender`'s pooled transactions, ascending by nonce.
    public func pending(from sender: Address) -> [PendingTransaction] {
        guard let queue = senders[sender] else { return [] }
        return queue.byNonce.keys.sorted().compactMap { queue.byNonce[$0].flatMap { entries[$0] } }
    }

    /// The number of pooled transactions that came from `source`.
    public func count(from source: MempoolSource) -> Int { sourceCounts[source, default: 0] }

    // MARK: - Admission

    /// Checks `encoded` and pools it, replacing or evicting as the rules allow.
    /// - Parameters:
    ///   - source: where it came from, for the per-source quota.
    ///   - accounts: account state at the latest committed block.
    /// - Throws: `MempoolRejection` naming the first rule the transaction breaks.
    @discardableResult
    public mutating func add(
        _ encoded: [UInt8], from source: MempoolSource, accounts: some AccountStateView
    ) throws(MempoolRejection) -> MempoolAdmission {
        let id = TransactionID(encoded: encoded)
        guard entries[id] == nil else { throw .alreadyKnown(id) }
        let checked: CheckedTransaction
        do {
            checked = try CheckedTransaction.check(
                encoded, chainId: rules.chainId, fees: rules.fees, verifySignature: false)
        } catch {
            throw MempoolRejection(error)
        }
        return try admit(checked, from: source, accounts: accounts, signatureVerified: false)
    }

    /// `add(_:from:accounts:)` for a transaction whose signature was verified already (elsewhere,
    /// perhaps on another thread): the same rules, without verifying again.
    @discardableResult
    public mutating func add(
        _ verified: VerifiedTransaction, from source: MempoolSource, accounts: some AccountStateView
    ) throws(MempoolRejection) -> MempoolAdmission {
        guard entries[verified.id] == nil else { throw .alreadyKnown(verified.id) }
        let checked: CheckedTransaction
        do {
            checked = try CheckedTransaction.check(
                verified.signed, encoded: verified.encoded, id: verified.id, chainId: rules.chainId, fees: rules.fees,
                verifySignature: false)
        } catch {
            throw MempoolRejection(error)
        }
        return try admit(checked, from: source, accounts: accounts, signatureVerified: true)
    }

    /// The stateful rules, the signature (unless verified already), then pooling.
    private mutating func admit(
        _ checked: CheckedTransaction, from source: MempoolSource, accounts: some AccountStateView,
        signatureVerified: Bool
    ) throws(MempoolRejection) -> MempoolAdmission {
        let id = checked.id
        let encoded = checked.encoded
        let transaction = checked.transaction
        guard transaction.priorityFee >= configuration.minimumPriorityFee else {
            throw .priorityFeeBelowMinimum(minimum: configuration.minimumPriorityFee, offered: transaction.priorityFee)
        }
        for (index, message) in transaction.messages.enumerated() {
            do throws(RoutingError) {
                _ = try rules.router.check(message, index: index)
            } catch {
                switch error {
                case .failed(let failure): throw .invalidMessage(failure)
                case .fault(let fault): throw .stateUnavailable(fault)
                }
            }
        }

        let account: AccountState
        do { account = try accounts.account(checked.sender) } catch { throw .stateUnavailable(error) }
        dropStale(of: checked.sender, accountNonce: account.nonce)
        guard transaction.nonce >= account.nonce, account.nonce < UInt64.max else {
            throw .nonceTooLow(accountNonce: account.nonce, nonce: transaction.nonce)
        }
        guard transaction.nonce - account.nonce < configuration.maxNoncesAhead else {
            throw .nonceTooFarAhead(
                accountNonce: account.nonce, nonce: transaction.nonce, maxAhead: configuration.maxNoncesAhead)
        }

        let existing = senders[checked.sender]?.byNonce[transaction.nonce].flatMap { entries[$0] }
        // This transaction's max fee plus those of the sender's others (the one it would replace aside).
        var others = senders[checked.sender]?.maxFees ?? FeeTotal()
        if let existing { others.subtract(existing.maxFee) }
        let required = FeeSchedule.sum(transaction.maxFee, others.saturated) ?? .max
        guard account.feeBalance >= required else {
            throw .insufficientFeeBalance(balance: account.feeBalance, required: required)
        }
        if let existing { try checkReplacement(of: existing, by: transaction) }
        guard signatureVerified || checked.signed.isSignatureValid(rule: rules.signatureRule) else {
            throw .invalidSignature
        }

        let sourceCount = sourceCounts[source, default: 0] - (existing?.source == source ? 1 : 0)
        guard sourceCount < configuration.maxTransactionsPerSource else {
            throw .sourceQuotaExceeded(source: source, limit: configuration.maxTransactionsPerSource)
        }

        let candidate = PendingTransaction(
            id: id, encoded: encoded, signed: checked.signed, sender: checked.sender, source: source,
            sequence: nextSequence)
        let evictions = try makeRoom(for: candidate, replacing: existing)

        if let existing { remove(existing.id) }
        for victim in evictions { remove(victim) }
        insert(candidate, accountNonce: account.nonce)
        nextSequence += 1
        return MempoolAdmission(id: id, replaced: existing?.id, evicted: evictions)
    }

    /// Throws unless `replacement` bumps `existing`'s priority fee enough and keeps its max fee.
    private func checkReplacement(
        of existing: PendingTransaction, by replacement: Transaction
    ) throws(MempoolRejection) {
        let old = existing.priorityFee
        let product = FeeSchedule.product(old, configuration.replacementBumpPercent) ?? .max
        // ceil(old · percent / 100), at least 1.
        let bump = max(1, product / 100 + (product % 100 == 0 ? 0 : 1))
        let minimumPriorityFee = FeeSchedule.sum(old, bump) ?? .max
        guard replacement.priorityFee >= minimumPriorityFee, replacement.maxFee >= existing.maxFee else {
            throw .replacementUnderpriced(
                existing: existing.id, minimumPriorityFee: minimumPriorityFee, minimumMaxFee: existing.maxFee)
        }
    }

    /// The transactions to evict so `candidate` fits the caps: the lowest-ranked last-nonce
    /// transactions of other senders, each ranked below the candidate.
    private func makeRoom(
        for candidate: PendingTransaction, replacing existing: PendingTransaction?
    ) throws(MempoolRejection) -> [TransactionID] {
        var count = entries.count - (existing == nil ? 0 : 1) + 1
        var bytes = totalBytes - (existing?.size ?? 0) + candidate.size
        guard candidate.size <= configuration.maxBytes, configuration.maxTransactions > 0 else {
            throw .mempoolFull
        }
        var evicted: [TransactionID] = []
        // Each sender's tail, as it would be after earlier evictions.
        var tails: [Address: [PendingTransaction]] = [:]
        while count > configuration.maxTransactions || bytes > configuration.maxBytes {
            var lowest: PendingTransaction? = nil
            for (sender, _) in senders where sender != candidate.sender {
                if tails[sender] == nil { tails[sender] = pending(from: sender) }
                guard let tail = tails[sender]?.last else { continue }
                if let current = lowest, !current.outranks(tail) { continue }
                lowest = tail
            }
            guard let victim = lowest, candidate.outranks(victim) else { throw .mempoolFull }
            tails[victim.sender]?.removeLast()
            evicted.append(victim.id)
            count -= 1
            bytes -= victim.size
        }
        return evicted
    }

    // MARK: - Proposals

    /// The transactions for a proposal, in the order to include them: highest priority fee first
    /// (ties: earlier admitted), each sender's in consecutive nonce order from its next nonce.
    ///
    /// A sender whose next transaction does not fit in the remaining bytes is passed over (its
    /// later nonces cannot go first); smaller transactions of others may still fill the space.
    /// Nothing is removed: `update(committed:accounts:)` does that once a block commits.
    ///
    /// `included` names transactions the block's uncommitted ancestors carry already: they are
    /// left out and count as done, so each sender resumes after them. Without it a leader building
    /// on a block that is not final yet spends its block's quota on transactions the parent holds.
    public func reap(maxBytes: Int, maxCount: Int, included: Set<TransactionID> = []) -> [PendingTransaction] {
        var heap = RankHeap()
        for (_, queue) in senders {
            if let head = firstNotIncluded(queue.byNonce[queue.accountNonce].flatMap({ entries[$0] }), included) {
                heap.push(head)
            }
        }
        var out: [PendingTransaction] = []
        var bytes = 0
        while out.count < maxCount, let next = heap.pop() {
            guard next.size <= maxBytes - bytes else { continue }
            out.append(next)
            bytes += next.size
            if let successor = firstNotIncluded(successor(of: next), included) { heap.push(successor) }
        }
        return out
    }

    /// The sender's pooled transaction with the nonce after `entry`'s.
    private func successor(of entry: PendingTransaction) -> PendingTransaction? {
        let (following, overflow) = entry.nonce.addingReportingOverflow(1)
        guard !overflow else { return nil }
        return senders[entry.sender]?.byNonce[following].flatMap { entries[$0] }
    }

    /// `entry`, or the first of its sender's consecutive successors not in `included`.
    private func firstNotIncluded(_ entry: PendingTransaction?, _ included: Set<TransactionID>) -> PendingTransaction? {
        var current = entry
        while let candidate = current, included.contains(candidate.id) { current = successor(of: candidate) }
        return current
    }

    // MARK: - After a block

    /// Removes what a committed block included, and what it made stale.
    ///
    /// Every sender of an included transaction (pooled or not) is re-read from `accounts` (the
    /// state after the block): its transactions with a nonce below the new next nonce are removed,
    /// and so are, from the lowest nonce on, those whose max fees its balance no longer covers.
    /// - Throws: `StateAccessError` when the state cannot be read; the pool is then unchanged.
    @discardableResult
    public mutating func update(
        committed transactions: [[UInt8]], accounts: some AccountStateView
    ) throws(StateAccessError) -> MempoolUpdate {
        var committed: [TransactionID] = []
        var affected: Set<Address> = []
        for encoded in transactions {
            let id = TransactionID(encoded: encoded)
            if let entry = entries[id] {
                committed.append(id)
                affected.insert(entry.sender)
            } else if let signed = try? SignedTransaction.decode(encoded) {
                affected.insert(signed.transaction.senderAddress)
            }
        }
        affected = affected.filter { senders[$0] != nil }
        var states: [Address: AccountState] = [:]
        for sender in affected { states[sender] = try accounts.account(sender) }

        for id in committed { remove(id) }
        var stale: [TransactionID] = []
        for (sender, account) in states {
            stale += dropStale(of: sender, accountNonce: account.nonce)
            var total: UInt64 = 0
            var dropping = false
            for entry in pending(from: sender) {
                if !dropping {
                    let (sum, overflow) = total.addingReportingOverflow(entry.maxFee)
                    dropping = overflow || sum > account.feeBalance
                    total = sum
                }
                if dropping {
                    remove(entry.id)
                    stale.append(entry.id)
                }
            }
        }
        return MempoolUpdate(committed: committed, stale: stale.sorted())
    }

    /// Removes `id` if pooled (for example a transaction a proposal skipped as invalid).
    public mutating func remove(_ id: TransactionID) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        totalBytes -= entry.size
        sourceCounts[entry.source, default: 0] -= 1
        if sourceCounts[entry.source] == 0 { sourceCounts[entry.source] = nil }
        senders[entry.sender]?.byNonce[entry.nonce] = nil
        senders[entry.sender]?.maxFees.subtract(entry.maxFee)
        if senders[entry.sender]?.byNonce.isEmpty == true { senders[entry.sender] = nil }
    }

    // MARK: - Helpers

    private mutating func insert(_ entry: PendingTransaction, accountNonce: UInt64) {
        entries[entry.id] = entry
        totalBytes += entry.size
        sourceCounts[entry.source, default: 0] += 1
        senders[entry.sender, default: SenderQueue(accountNonce: accountNonce)].byNonce[entry.nonce] = entry.id
        senders[entry.sender]?.maxFees.add(entry.maxFee)
        senders[entry.sender]?.accountNonce = accountNonce
    }

    /// Records `sender`'s next nonce and removes its transactions below it; returns their ids.
    @discardableResult
    private mutating func dropStale(of sender: Address, accountNonce: UInt64) -> [TransactionID] {
        guard var queue = senders[sender] else { return [] }
        // Transactions enter at or above the nonce recorded here, so none is stale until it moves.
        guard queue.accountNonce != accountNonce else { return [] }
        queue.accountNonce = accountNonce
        senders[sender] = queue
        let stale = queue.byNonce.filter { $0.key < accountNonce }.map(\.value).sorted()
        for id in stale { remove(id) }
        return stale
    }
}

/// A max-heap of pending transactions by rank (`PendingTransaction.outranks`).
struct RankHeap {
    private var items: [PendingTransaction] = []

    mutating func push(_ item: PendingTransaction) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].outranks(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> PendingTransaction? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < items.count, items[left].outranks(items[best]) { best = left }
            if right < items.count, items[right].outranks(items[best]) { best = right }
            guard best != parent else { break }
            items.swapAt(parent, best)
            parent = best
        }
        return top
    }
}
