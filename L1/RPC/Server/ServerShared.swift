import Logging
import NIOCore
import Synchronization

/// What every connection of one server shares.
final class ServerShared: Sendable {
    let configuration: RPCServerConfiguration
    let dispatcher: RPCDispatcher
    let hub: SubscriptionHub
    let metrics: NodeMetrics
    let logger: Logger
    let connections: ConnectionRegistry
    private let stopping = Mutex(false)

    init(configuration: RPCServerConfiguration, handler: any RPCHandler, metrics: NodeMetrics, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        hub = SubscriptionHub(metrics: metrics)
        connections = ConnectionRegistry(limit: configuration.maxConnections, metrics: metrics)
        dispatcher = RPCDispatcher(
            handler: handler,
            limits: configuration.jsonLimits,
            maxBatchSize: configuration.maxBatchSize,
            topics: configuration.topics,
            metrics: metrics)
    }

    /// Whether ``RPCServer/stop()`` has begun.
    var isStopping: Bool {
        get { stopping.withLock { $0 } }
        set { stopping.withLock { $0 = newValue } }
    }
}

/// The open connections, bounded by ``RPCServerConfiguration/maxConnections``.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let limit: Int
    private let metrics: NodeMetrics

    init(limit: Int, metrics: NodeMetrics) {
        self.limit = limit
        self.metrics = metrics
    }

    /// Admits `channel` unless the limit is reached; an admitted channel leaves when it closes.
    func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let count: Int? = channels.withLock { channels in
            guard channels.count < limit else { return nil }
            channels[key] = channel
            return channels.count
        }
        guard let count else { return false }
        metrics.setRPCConnections(count)
        channel.closeFuture.whenComplete { [self] _ in
            let remaining = channels.withLock { channels in
                channels[key] = nil
                return channels.count
            }
            metrics.setRPCConnections(remaining)
        }
        return true
    }

    /// The open connections.
    var all: [any Channel] { channels.withLock { Array($0.values) } }

    /// The number of open connections.
    var count: Int { channels.withLock { $0.count } }
}
