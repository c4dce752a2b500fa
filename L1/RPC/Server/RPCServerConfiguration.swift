/// Where the RPC server listens and the limits it enforces. The defaults suit a validator that
/// serves its own operator: loopback only, 1 MiB requests.
public struct RPCServerConfiguration: Sendable {
    /// The port used when none is configured.
    public static let defaultPort = 8645

    /// The address to listen on. Loopback by default; set `0.0.0.0` (or a specific address) only
    /// behind a firewall or proxy, as the server has no authentication.
    public var host: String
    /// The TCP port; 0 lets the system pick one (``RPCServer/start()`` returns it).
    public var port: Int

    /// The largest HTTP request body or WebSocket message, in bytes. A larger HTTP body is refused
    /// with 413 as soon as it crosses the limit, without buffering the rest.
    public var maxRequestBytes: Int
    /// The deepest nesting of arrays and objects in a request (see ``JSONLimits``).
    public var maxJSONDepth: Int
    /// The most requests in one batch.
    public var maxBatchSize: Int
    /// The most bytes in a request's header block (request line excluded).
    public var maxHeaderBytes: Int
    /// The most header fields in a request.
    public var maxHeaderCount: Int
    /// The most simultaneous connections (HTTP and WebSocket); more are answered 503 and closed.
    public var maxConnections: Int
    /// An HTTP connection with no traffic for this long is closed (a request being answered is
    /// never cut). WebSocket connections are kept alive by pings instead.
    public var idleTimeout: Duration
    /// How long ``RPCServer/stop()`` lets in-flight requests finish before closing connections.
    public var shutdownGracePeriod: Duration
    /// The topics WebSocket clients may subscribe to.
    public var topics: Set<SubscriptionTopic>
    /// WebSocket limits.
    public var webSocket: WebSocket

    /// WebSocket limits.
    public struct WebSocket: Sendable {
        /// The largest single frame, in bytes (a fragmented message is bounded by
        /// ``RPCServerConfiguration/maxRequestBytes``).
        public var maxFrameBytes: Int
        /// Requests of one connection processed at the same time; reading pauses beyond this.
        public var maxInFlightRequests: Int
        /// Subscriptions one connection may hold.
        public var maxSubscriptions: Int
        /// Notifications that may wait for a slow reader before the connection is dropped
        /// (close code 1008), so a slow subscriber cannot grow the server's memory.
        public var maxQueuedNotifications: Int
        /// The server pings this often; a connection that sent nothing during a whole interval
        /// after a ping is closed.
        public var pingInterval: Duration
        /// How long to wait for the client's close frame after sending ours.
        public var closeTimeout: Duration

        /// Defaults: 1 MiB frames, 8 requests in flight, 32 subscriptions, 1024 queued
        /// notifications, a ping every 30 s, 2 s to answer a close.
        public init(
            maxFrameBytes: Int = 1 << 20,
            maxInFlightRequests: Int = 8,
            maxSubscriptions: Int = 32,
            maxQueuedNotifications: Int = 1024,
            pingInterval: Duration = .seconds(30),
            closeTimeout: Duration = .seconds(2)
        ) {
            self.maxFrameBytes = maxFrameBytes
            self.maxInFlightRequests = maxInFlightRequests
            self.maxSubscriptions = maxSubscriptions
            self.maxQueuedNotifications = maxQueuedNotifications
            self.pingInterval = pingInterval
            self.closeTimeout = closeTimeout
        }
    }

    /// A configuration with the given address and default limits.
    public init(host: String = "127.0.0.1", port: Int = RPCServerConfiguration.defaultPort) {
        self.host = host
        self.port = port
        maxRequestBytes = 1 << 20
        maxJSONDepth = 64
        maxBatchSize = 100
        maxHeaderBytes = 16 << 10
        maxHeaderCount = 64
        maxConnections = 512
        idleTimeout = .seconds(60)
        shutdownGracePeriod = .seconds(5)
        topics = [.newHeads, .finalizedHeads]
        webSocket = WebSocket()
    }

    /// The JSON limits requests are parsed with.
    var jsonLimits: JSONLimits {
        JSONLimits(maxBytes: maxRequestBytes, maxDepth: maxJSONDepth)
    }

    /// Checks every limit is usable.
    func validate() throws(RPCServerError) {
        func require(_ condition: Bool, _ reason: String) throws(RPCServerError) {
            if !condition { throw RPCServerError.invalidConfiguration(reason) }
        }
        try require((0...65535).contains(port), "port must be in 0...65535, got \(port)")
        try require(!host.isEmpty, "host must not be empty")
        try require(maxRequestBytes > 0, "maxRequestBytes must be positive")
        try require((1...JSONLimits.depthCeiling).contains(maxJSONDepth), "maxJSONDepth must be in 1...512")
        try require(maxBatchSize > 0, "maxBatchSize must be positive")
        try require(maxHeaderBytes >= 256, "maxHeaderBytes must be at least 256")
        try require(maxHeaderCount >= 8, "maxHeaderCount must be at least 8")
        try require(maxConnections > 0, "maxConnections must be positive")
        try require(idleTimeout > .zero, "idleTimeout must be positive")
        try require(shutdownGracePeriod >= .zero, "shutdownGracePeriod must not be negative")
        try require(
            webSocket.maxFrameBytes > 0 && webSocket.maxFrameBytes <= Int(UInt32.max),
            "webSocket.maxFrameBytes must be in 1...\(UInt32.max)")
        try require(webSocket.maxInFlightRequests > 0, "webSocket.maxInFlightRequests must be positive")
        try require(webSocket.maxSubscriptions >= 0, "webSocket.maxSubscriptions must not be negative")
        try require(webSocket.maxQueuedNotifications > 0, "webSocket.maxQueuedNotifications must be positive")
        try require(webSocket.pingInterval > .zero, "webSocket.pingInterval must be positive")
        try require(webSocket.closeTimeout > .zero, "webSocket.closeTimeout must be positive")
    }
}

/// Why the RPC server could not start.
public enum RPCServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A limit or address in the configuration is unusable.
    case invalidConfiguration(String)
    /// Binding the listening socket failed (address in use, no permission, unknown host…).
    case bindFailed(host: String, port: Int, reason: String)
    /// ``RPCServer/start()`` was called on a server that is running or was stopped.
    case notStartable(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): "invalid RPC server configuration: \(reason)"
        case .bindFailed(let host, let port, let reason): "cannot listen on \(host):\(port): \(reason)"
        case .notStartable(let reason): "cannot start the RPC server: \(reason)"
        }
    }
}
