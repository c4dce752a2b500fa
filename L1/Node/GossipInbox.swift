import PeerNetwork
import Synchronization

/// Gossiped messages (transaction batches, domain data) waiting for the node's verification task,
/// bounded by their bytes and taken all at once.
///
/// The task verifies what it takes, then waits for the node's actor to pool it. While the actor
/// executes a block, batches keep coming from every peer; a queue bounded by a count of batches
/// overflowed in those waits at a few thousand transactions a second, and every dropped batch left
/// its transactions out of the mempools of all but their first validator (measured: ~800 batches a
/// validator in 40 s at 5,000 tx/s, and a finality p95 of over 2 s from the transactions that waited
/// for their own validator's turn to lead). Taking everything queued at once makes the next round
/// of verification and the next hop into the actor cover all of it, so the queue drains as fast as
/// it fills; the byte bound only keeps a flood from using unbounded memory (the oldest messages go
/// first, and are counted).
final class GossipInbox: Sendable {
    private struct Queue {
        var messages: [InboundMessage] = []
        var bytes = 0
    }

    /// The most payload bytes queued at once.
    let capacityBytes: Int
    private let queue = Mutex(Queue())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// An inbox holding at most `capacityBytes` of payloads.
    init(capacityBytes: Int) {
        self.capacityBytes = max(1, capacityBytes)
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `message`; returns how many older messages were dropped to make room for it.
    @discardableResult
    func push(_ message: InboundMessage) -> Int {
        let dropped = queue.withLock { queue in
            queue.messages.append(message)
            queue.bytes += message.payload.count
            var dropped = 0
            while queue.bytes > capacityBytes, queue.messages.count - dropped > 1 {
                queue.bytes -= queue.messages[dropped].payload.count
                dropped += 1
            }
            if dropped > 0 { queue.messages.removeFirst(dropped) }
            return dropped
        }
        wake.yield()
        return dropped
    }

    /// Takes every queued message, oldest first (empty when there is none).
    func takeAll() -> [InboundMessage] {
        queue.withLock { queue in
            defer { queue = Queue() }
            return queue.messages
        }
    }

    /// Calls `body` with everything queued each time something arrives, until `finish()`.
    func forEach(_ body: ([InboundMessage]) async -> Void) async {
        for await _ in wakeups {
            let messages = takeAll()
            if !messages.isEmpty { await body(messages) }
        }
    }

    /// Ends `forEach` once it has taken what is queued.
    func finish() { wake.finish() }
}
