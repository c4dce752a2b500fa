import NIOCore
import Synchronization

/// A stream of values the node publishes and WebSocket clients subscribe to.
public struct SubscriptionTopic: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The name clients pass to `subscribe`.
    public let name: String

    /// A topic called `name`.
    public init(_ name: String) {
        self.name = name
    }

    public init(stringLiteral value: String) {
        name = value
    }

    public var description: String { name }

    /// Each new block header, as the node extends its chain.
    public static let newHeads: SubscriptionTopic = "newHeads"
    /// Each newly finalized block header.
    public static let finalizedHeads: SubscriptionTopic = "finalizedHeads"
}

/// Receives notification frames for the subscriptions it holds (one WebSocket connection).
protocol SubscriptionSink: AnyObject, Sendable {
    /// Hands over the text of a notification for `subscription`; must not block.
    func deliver(subscription: String, text: ByteBuffer)
}

/// Every subscription of every connection, by topic. ``publish(topic:value:)`` encodes the value
/// once and hands each subscriber its notification without waiting for any of them.
final class SubscriptionHub: Sendable {
    private struct Subscriber {
        let topic: SubscriptionTopic
        let sink: any SubscriptionSink
    }

    private struct State {
        var byTopic: [SubscriptionTopic: [String: any SubscriptionSink]] = [:]
        var subscribers: [String: Subscriber] = [:]
    }

    private let state = Mutex(State())
    private let metrics: NodeMetrics

    init(metrics: NodeMetrics) {
        self.metrics = metrics
    }

    /// The number of live subscriptions.
    var count: Int { state.withLock { $0.subscribers.count } }

    /// Adds a subscription of `sink` to `topic` and returns its new, unique id.
    func add(topic: SubscriptionTopic, sink: any SubscriptionSink) -> String {
        var generator = SystemRandomNumberGenerator()
        let (newID, total) = state.withLock { state in
            var id = Self.makeID(&generator)
            while state.subscribers[id] != nil { id = Self.makeID(&generator) }
            state.subscribers[id] = Subscriber(topic: topic, sink: sink)
            state.byTopic[topic, default: [:]][id] = sink
            return (id, state.subscribers.count)
        }
        metrics.setRPCSubscriptions(total)
        return newID
    }

    /// Removes subscription `id`; false when there is none.
    @discardableResult
    func remove(_ id: String) -> Bool {
        let remaining: Int? = state.withLock { state in
            guard let subscriber = state.subscribers.removeValue(forKey: id) else { return nil }
            state.byTopic[subscriber.topic]?[id] = nil
            if state.byTopic[subscriber.topic]?.isEmpty == true { state.byTopic[subscriber.topic] = nil }
            return state.subscribers.count
        }
        guard let remaining else { return false }
        metrics.setRPCSubscriptions(remaining)
        return true
    }

    /// Sends `value` to every subscriber of `topic` as
    /// `{"jsonrpc":"2.0","method":"subscription","params":{"subscription":id,"result":value}}`.
    func publish(topic: SubscriptionTopic, value: JSONValue) {
        let targets = state.withLock { $0.byTopic[topic] ?? [:] }
        guard !targets.isEmpty else { return }
        // The value is encoded once; each notification only splices in its subscription id.
        let result = JSONWriter.encode(value)
        let prefix = Array(#"{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"#.utf8)
        let middle = Array(#","result":"#.utf8)
        let allocator = ByteBufferAllocator()
        for (id, sink) in targets {
            var idJSON: [UInt8] = []
            JSONWriter.writeString(id, into: &idJSON)
            var text = allocator.buffer(capacity: prefix.count + idJSON.count + middle.count + result.count + 2)
            text.writeBytes(prefix)
            text.writeBytes(idJSON)
            text.writeBytes(middle)
            text.writeBytes(result)
            text.writeBytes([UInt8(ascii: "}"), UInt8(ascii: "}")])
            sink.deliver(subscription: id, text: text)
        }
    }

    private static func makeID(_ generator: inout SystemRandomNumberGenerator) -> String {
        let digits = String(generator.next() as UInt64, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// A change to a connection's subscriptions, applied on the connection's event loop when the
/// response announcing it is written (so no notification precedes the id it carries, and none
/// follows the `unsubscribe` answer).
enum SubscriptionChange: Sendable {
    case started(String)
    case ended(String)
}

/// The subscriptions of one WebSocket connection: enforces its limit and forgets them all when it
/// closes.
final class ConnectionSubscriptions: Sendable {
    private struct State {
        var ids: Set<String> = []
        var closed = false
    }

    private let hub: SubscriptionHub
    private let limit: Int
    private let state = Mutex(State())
    private let sink: any SubscriptionSink

    init(hub: SubscriptionHub, limit: Int, sink: any SubscriptionSink) {
        self.hub = hub
        self.limit = limit
        self.sink = sink
    }

    func subscribe(to topic: SubscriptionTopic) throws(RPCError) -> String {
        let result: Result<String, RPCError> = state.withLock { state in
            guard !state.closed else {
                return .failure(.application(code: RPCError.Server.shuttingDown, message: "the connection is closing"))
            }
            guard state.ids.count < limit else {
                return .failure(
                    .application(
                        code: RPCError.Server.tooManySubscriptions,
                        message: "this connection already has \(limit) subscriptions",
                        data: ["limit": .integer(Int64(limit))]))
            }
            let id = hub.add(topic: topic, sink: sink)
            state.ids.insert(id)
            return .success(id)
        }
        return try result.get()
    }

    func unsubscribe(_ id: String) -> Bool {
        state.withLock { state in
            guard state.ids.remove(id) != nil else { return false }
            hub.remove(id)
            return true
        }
    }

    /// Removes every subscription; later `subscribe` calls fail.
    func close() {
        state.withLock { state in
            state.closed = true
            for id in state.ids { hub.remove(id) }
            state.ids.removeAll()
        }
    }
}

/// The session one WebSocket message is processed with: it forwards to the connection's
/// subscriptions and records the changes this message made, for its handler to apply in order.
final class MessageSubscriptionSession: SubscriptionSession {
    private let connection: ConnectionSubscriptions
    private let changes = Mutex<[SubscriptionChange]>([])

    init(connection: ConnectionSubscriptions) {
        self.connection = connection
    }

    func subscribe(to topic: SubscriptionTopic) throws(RPCError) -> String {
        let id = try connection.subscribe(to: topic)
        changes.withLock { $0.append(.started(id)) }
        return id
    }

    func unsubscribe(_ id: String) -> Bool {
        guard connection.unsubscribe(id) else { return false }
        changes.withLock { $0.append(.ended(id)) }
        return true
    }

    /// The changes made so far, in order; clears them.
    func takeChanges() -> [SubscriptionChange] {
        changes.withLock { changes in
            defer { changes.removeAll() }
            return changes
        }
    }
}
