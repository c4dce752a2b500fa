public import Prometheus
import Synchronization

/// The node's Prometheus metrics: chain, consensus, mempool and network gauges, finality and slot
/// histograms, a committed-transactions counter, and the RPC server's request counts.
///
/// One instance per node: the node calls the setters as things happen, the RPC server records its
/// requests, and `GET /metrics` renders ``registry``. Everything lives in its own
/// `PrometheusCollectorRegistry` (not the process-global one), so tests can make as many as they
/// like. Libraries that report through swift-metrics land in the same registry after
/// `MetricsSystem.bootstrap(metrics.metricsFactory)` (which a process may do only once).
///
/// Names (all prefixed `aether_`) and meanings are listed in `Docs/spec/rpc.md`. Methods are
/// thread-safe and cheap enough to call on every block.
public final class NodeMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry: PrometheusCollectorRegistry

    /// Buckets of ``recordFinalityLatency(_:)``, in seconds (the targets are p95 ≤ 1 s, p99 ≤ 2 s).
    public static let finalityBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30]
    /// Buckets of ``recordSlotTime(_:)``, in seconds.
    public static let slotBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10]
    /// Buckets of the RPC request duration histogram, in seconds.
    public static let requestBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ]

    /// The method label of requests naming no method the node has (keeps label values bounded).
    static let unknownMethodLabel = "unknown"
    /// The method label of requests that are not valid JSON-RPC at all.
    static let invalidMethodLabel = "invalid"

    private let chainHeight: Gauge
    private let finalizedHeight: Gauge
    private let consensusView: Gauge
    private let slotTime: ValueHistogram
    private let finalityLatency: ValueHistogram
    private let buildTime: ValueHistogram
    private let checkTime: ValueHistogram
    private let mempoolTransactions: Gauge
    private let connectedPeers: Gauge
    private let committedTransactions: Counter
    private let rpcConnections: Gauge
    private let rpcSubscriptions: Gauge
    private let rpcSubscribersDropped: Counter

    private struct RequestKey: Hashable {
        let method: String
        let code: String
    }

    // Labelled series are made on first use; caching them skips the registry's name checks per request.
    private let requestCounters = Mutex<[RequestKey: Counter]>([:])
    private let requestDurations = Mutex<[String: ValueHistogram]>([:])

    private static var requestsDescriptor: MetricNameDescriptor {
        descriptor(
            "rpc", "requests", "total", "JSON-RPC requests by method and outcome (code is \"ok\" or the error code).")
    }
    private static var durationDescriptor: MetricNameDescriptor {
        descriptor("rpc", "request_duration", "seconds", "Time to answer a JSON-RPC request, by method.")
    }

    /// Metrics in `registry` (a fresh one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        chainHeight = registry.makeGauge(
            descriptor: Self.descriptor("chain", "height", "", "Height of the newest block this node has."))
        finalizedHeight = registry.makeGauge(
            descriptor: Self.descriptor("chain", "finalized_height", "", "Height of the newest finalized block."))
        committedTransactions = registry.makeCounter(
            descriptor: Self.descriptor(
                "chain", "committed_transactions", "total",
                "Transactions in finalized blocks; rate() of it is the throughput in TPS."))
        consensusView = registry.makeGauge(
            descriptor: Self.descriptor("consensus", "view", "", "The consensus engine's current view."))
        slotTime = registry.makeValueHistogram(
            descriptor: Self.descriptor("consensus", "slot_time", "seconds", "Time between consecutive blocks."),
            buckets: Self.slotBuckets)
        finalityLatency = registry.makeValueHistogram(
            descriptor: Self.descriptor(
                "consensus", "finality_latency", "seconds", "Time from a block's proposal to its finalization."),
            buckets: Self.finalityBuckets)
        let executionDescriptor = Self.descriptor(
            "chain", "block_execution", "seconds",
            "Time to execute a block's transactions: as its leader (build) or to vote on it (check).")
        buildTime = registry.makeValueHistogram(
            descriptor: executionDescriptor, labels: [("phase", "build")], buckets: Self.requestBuckets)
        checkTime = registry.makeValueHistogram(
            descriptor: executionDescriptor, labels: [("phase", "check")], buckets: Self.requestBuckets)
        mempoolTransactions = registry.makeGauge(
            descriptor: Self.descriptor("mempool", "transactions", "", "Transactions waiting in the mempool."))
        connectedPeers = registry.makeGauge(
            descriptor: Self.descriptor("network", "peers", "", "Peers this node is connected to."))
        rpcConnections = registry.makeGauge(
            descriptor: Self.descriptor("rpc", "connections", "", "Open HTTP and WebSocket connections."))
        rpcSubscriptions = registry.makeGauge(
            descriptor: Self.descriptor("rpc", "subscriptions", "", "Active WebSocket subscriptions."))
        rpcSubscribersDropped = registry.makeCounter(
            descriptor: Self.descriptor(
                "rpc", "subscribers_dropped", "total", "WebSocket connections closed for reading too slowly."))
    }

    /// A swift-metrics factory writing into ``registry``, for `MetricsSystem.bootstrap`.
    public var metricsFactory: PrometheusMetricsFactory {
        PrometheusMetricsFactory(registry: registry)
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric in ``registry``.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }

    // MARK: - Node

    /// Records the height of the newest block.
    public func setHeight(_ height: UInt64) { chainHeight.set(Double(height)) }

    /// Records the height of the newest finalized block.
    public func setFinalizedHeight(_ height: UInt64) { finalizedHeight.set(Double(height)) }

    /// Records the consensus view.
    public func setView(_ view: UInt64) { consensusView.set(Double(view)) }

    /// Records how long executing a block took, as its leader (`building`) or to check it.
    public func recordBlockExecution(_ duration: Duration, building: Bool) {
        (building ? buildTime : checkTime).record(Self.seconds(duration))
    }

    /// Records the time between two consecutive blocks.
    public func recordSlotTime(_ duration: Duration) { slotTime.record(Self.seconds(duration)) }

    /// Records how long a block took from proposal to finalization.
    public func recordFinalityLatency(_ duration: Duration) { finalityLatency.record(Self.seconds(duration)) }

    /// Records the number of transactions in the mempool.
    public func setMempoolDepth(_ count: Int) { mempoolTransactions.set(Int64(count)) }

    /// Records the number of connected peers.
    public func setConnectedPeers(_ count: Int) { connectedPeers.set(Int64(count)) }

    /// Adds `count` transactions finalized in a block (negative counts are ignored).
    public func recordCommittedTransactions(_ count: Int) {
        guard count > 0 else { return }
        committedTransactions.increment(by: Int64(count))
    }

    // MARK: - RPC server

    /// Counts one request: `code` nil for success. `method` must be a registered name or one of the
    /// fixed labels, never raw client input, so the number of series stays bounded.
    func recordRPCRequest(method: String, code: Int?, duration: Duration? = nil) {
        let key = RequestKey(method: method, code: code.map(String.init) ?? "ok")
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.requestsDescriptor, labels: [("method", key.method), ("code", key.code)])
            counters[key] = counter
            return counter
        }
        counter.increment()
        guard let duration else { return }
        let histogram = requestDurations.withLock { histograms in
            if let histogram = histograms[method] { return histogram }
            let histogram = registry.makeValueHistogram(
                descriptor: Self.durationDescriptor, labels: [("method", method)], buckets: Self.requestBuckets)
            histograms[method] = histogram
            return histogram
        }
        histogram.record(Self.seconds(duration))
    }

    func setRPCConnections(_ count: Int) { rpcConnections.set(Int64(count)) }

    func setRPCSubscriptions(_ count: Int) { rpcSubscriptions.set(Int64(count)) }

    func recordSubscriberDropped() { rpcSubscribersDropped.increment() }

    // MARK: - Helpers

    private static func descriptor(
        _ subsystem: String, _ name: String, _ unit: String, _ help: String
    ) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "aether", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
