public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The node's JSON-RPC 2.0 server: HTTP (`POST /`), WebSocket (`GET /ws`) with subscriptions,
/// Prometheus (`GET /metrics`) and a health check (`GET /health`), on SwiftNIO.
///
/// ```swift
/// var methods = RPCMethods()
/// methods.register("getStatus") { _ throws(RPCError) in try await node.status().json }
/// let server = RPCServer(configuration: RPCServerConfiguration(port: 0), handler: methods, metrics: metrics)
/// let port = try await server.start()
/// server.publish(topic: .newHeads, value: header.json)
/// await server.stop()
/// ```
///
/// It listens on 127.0.0.1 unless configured otherwise. Protocol, limits and formats are in
/// `Docs/spec/rpc.md`.
public final class RPCServer: Sendable {
    private enum Lifecycle {
        case idle
        case starting
        case running(any Channel)
        case stopping
        case stopped
    }

    /// The configuration the server was made with.
    public let configuration: RPCServerConfiguration
    /// The metrics the server records requests in and `GET /metrics` renders.
    public let metrics: NodeMetrics

    private let shared: ServerShared
    private let group: any EventLoopGroup
    private let lifecycle = Mutex(Lifecycle.idle)

    /// A server calling `handler` for every method it does not handle itself.
    ///
    /// - Parameters:
    ///   - eventLoopGroup: the loops to run on; NIO's shared singleton group by default.
    public init(
        configuration: RPCServerConfiguration = RPCServerConfiguration(),
        handler: some RPCHandler,
        metrics: NodeMetrics = NodeMetrics(),
        logger: Logger = Logger(label: "aether.rpc"),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.shared = ServerShared(configuration: configuration, handler: handler, metrics: metrics, logger: logger)
    }

    // MARK: - Starting and stopping

    /// Binds the listening socket and starts serving; returns the bound port (the one the system
    /// picked when the configured port is 0).
    /// - Throws: ``RPCServerError`` for a bad configuration, a failed bind, or a second start.
    @discardableResult
    public func start() async throws(RPCServerError) -> Int {
        try configuration.validate()
        let mayStart = lifecycle.withLock { state in
            guard case .idle = state else { return false }
            state = .starting
            return true
        }
        guard mayStart else { throw RPCServerError.notStartable("it was already started") }

        let shared = self.shared
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 << 10, high: 64 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try Self.configure(channel, shared: shared) }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            lifecycle.withLock { $0 = .idle }
            throw RPCServerError.bindFailed(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
        lifecycle.withLock { $0 = .running(channel) }
        let port = channel.localAddress?.port ?? configuration.port
        shared.logger.info("JSON-RPC server listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        return port
    }

    /// The bound port while the server runs, else nil.
    public var port: Int? {
        lifecycle.withLock { state in
            guard case .running(let channel) = state else { return nil }
            return channel.localAddress?.port
        }
    }

    /// Stops accepting connections, lets requests in flight finish for up to
    /// ``RPCServerConfiguration/shutdownGracePeriod`` (WebSocket clients get close code 1001),
    /// then closes whatever is left. Calling it again, or before `start`, does nothing.
    public func stop() async {
        let listener: (any Channel)? = lifecycle.withLock { state in
            guard case .running(let channel) = state else { return nil }
            state = .stopping
            return channel
        }
        guard let listener else { return }
        shared.isStopping = true
        try? await listener.close()
        for connection in shared.connections.all {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        await waitForConnections(until: .now + configuration.shutdownGracePeriod)
        for connection in shared.connections.all { connection.close(promise: nil) }
        await waitForConnections(until: .now + .seconds(1))
        lifecycle.withLock { $0 = .stopped }
        shared.logger.info("JSON-RPC server stopped")
    }

    private func waitForConnections(until deadline: ContinuousClock.Instant) async {
        while shared.connections.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: - Subscriptions

    /// Sends `value` to every WebSocket subscriber of `topic` as
    /// `{"jsonrpc":"2.0","method":"subscription","params":{"subscription":id,"result":value}}`.
    ///
    /// Never blocks: the value is encoded once and queued to each connection; a subscriber that
    /// falls ``RPCServerConfiguration/WebSocket/maxQueuedNotifications`` behind is dropped.
    /// Notifications of one topic arrive in the order they were published from one task.
    public func publish(topic: SubscriptionTopic, value: JSONValue) {
        shared.hub.publish(topic: topic, value: value)
    }

    /// The number of active subscriptions.
    public var subscriptionCount: Int { shared.hub.count }

    /// The number of open connections.
    public var connectionCount: Int { shared.connections.count }

    // MARK: - Pipeline

    private static func configure(_ channel: any Channel, shared: ServerShared) throws {
        let pipeline = channel.pipeline.syncOperations
        guard shared.connections.admit(channel) else {
            try pipeline.addHandler(RejectConnectionHandler(limit: shared.configuration.maxConnections))
            return
        }
        let configuration = shared.configuration
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.webSocket.maxFrameBytes,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first
                let accept = path == "/ws" && !shared.isStopping
                return channel.eventLoop.makeSucceededFuture(accept ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0,
                            maxAccumulatedFrameCount: 1024,
                            maxAccumulatedFrameSize: configuration.maxRequestBytes))
                    try pipeline.addHandler(WebSocketHandler(shared: shared))
                }
            })
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = configuration.maxHeaderBytes
        decoderLimits.maxHeaderListSize = configuration.maxHeaderBytes
        decoderLimits.maxHeaderFieldCount = configuration.maxHeaderCount
        try pipeline.addHandler(IdleStateHandler(allTimeout: TimeAmount(configuration.idleTimeout)))
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(name: HTTPHandler.name, promise: nil)
                }
            ),
            withErrorHandling: false,
            withOutboundHeaderValidation: true,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
            withDecoderLimitConfiguration: decoderLimits)
        try pipeline.addHandler(HTTPHandler(shared: shared), name: HTTPHandler.name)
    }
}

/// Answers 503 on a connection over the limit, drains what the client sends for a moment so it
/// can read the answer, and closes.
final class RejectConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func channelActive(context: ChannelHandlerContext) {
        let body = RPCDispatcher.errorBody(
            .application(
                code: RPCError.Server.tooManyConnections,
                message: "the server has its maximum of \(limit) connections; retry later"))
        var text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        text += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count + body.count)
        buffer.writeString(text)
        buffer.writeBytes(body)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
