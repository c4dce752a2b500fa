/// A bounded set that remembers the most recently used `capacity` keys (least recently used
/// evicted first). Insert and lookup are O(1); memory is fixed after it fills.
///
/// Gossip de-duplication keeps `(channel, SHA-256(payload))` here.
package struct RecentSet<Key: Hashable & Sendable>: Sendable {
    private struct Node: Sendable {
        var key: Key
        var previous: Int
        var next: Int
    }

    /// The most keys kept.
    package let capacity: Int
    private var index: [Key: Int] = [:]
    private var nodes: [Node] = []
    // Most recently used at `head`, least at `tail`; -1 is "none".
    private var head = -1
    private var tail = -1

    /// An empty set keeping at most `capacity` keys (at least 1).
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
        index.reserveCapacity(min(self.capacity, 1 << 16))
    }

    /// The number of keys held.
    package var count: Int { index.count }

    /// True if `key` is held (does not refresh it).
    package func contains(_ key: Key) -> Bool { index[key] != nil }

    /// Records `key` as just seen. Returns true if it was new, false if it was already held
    /// (it is then refreshed to most recently used).
    @discardableResult
    package mutating func insert(_ key: Key) -> Bool {
        if let slot = index[key] {
            moveToFront(slot)
            return false
        }
        let slot: Int
        if nodes.count < capacity {
            slot = nodes.count
            nodes.append(Node(key: key, previous: -1, next: -1))
        } else {
            // Reuse the least recently used slot.
            slot = tail
            unlink(slot)
            index[nodes[slot].key] = nil
            nodes[slot].key = key
        }
        index[key] = slot
        pushFront(slot)
        return true
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        pushFront(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }

    private mutating func pushFront(_ slot: Int) {
        nodes[slot].previous = -1
        nodes[slot].next = head
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
