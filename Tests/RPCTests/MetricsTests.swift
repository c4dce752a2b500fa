import RPC
import Testing

@Suite("Metrics")
struct MetricsTests {
    /// The value of the sample line `series` in a Prometheus exposition, if present.
    private func sample(_ series: String, in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    @Test("GET /metrics shows the node's metrics after they change")
    func nodeMetrics() async throws {
        let metrics = NodeMetrics()
        try await withServer(metrics: metrics) { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }
            let before = try await client.get("/metrics")
            #expect(before.status == 200)
            #expect(before.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(sample("aether_chain_height", in: before.text) == "0.0")

            metrics.setHeight(42)
            metrics.setFinalizedHeight(40)
            metrics.setView(97)
            metrics.setMempoolDepth(1234)
            metrics.setConnectedPeers(3)
            metrics.recordCommittedTransactions(500)
            metrics.recordCommittedTransactions(250)
            metrics.recordFinalityLatency(.milliseconds(800))
            metrics.recordFinalityLatency(.milliseconds(1700))
            metrics.recordSlotTime(.milliseconds(500))

            let text = try await client.get("/metrics").text
            #expect(sample("aether_chain_height", in: text) == "42.0")
            #expect(sample("aether_chain_finalized_height", in: text) == "40.0")
            #expect(sample("aether_consensus_view", in: text) == "97.0")
            #expect(sample("aether_mempool_transactions", in: text) == "1234.0")
            #expect(sample("aether_network_peers", in: text) == "3.0")
            #expect(sample("aether_chain_committed_transactions_total", in: text) == "750")
            #expect(sample(#"aether_consensus_finality_latency_seconds_bucket{le="1.0"}"#, in: text) == "1")
            #expect(sample(#"aether_consensus_finality_latency_seconds_bucket{le="2.0"}"#, in: text) == "2")
            #expect(sample("aether_consensus_finality_latency_seconds_count", in: text) == "2")
            #expect(sample("aether_consensus_slot_time_seconds_count", in: text) == "1")
            #expect(text.contains("# TYPE aether_consensus_finality_latency_seconds histogram"))
            #expect(text.contains("# HELP aether_chain_height Height of the newest block this node has."))
        }
    }

    @Test("RPC requests are counted by method and outcome, with unknown methods under one label")
    func requestCounts() async throws {
        let metrics = NodeMetrics()
        try await withServer(metrics: metrics) { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }
            _ = try await client.post(#"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}"#)
            _ = try await client.post(#"{"jsonrpc":"2.0","id":2,"method":"add","params":[1,2]}"#)
            _ = try await client.post(#"{"jsonrpc":"2.0","id":3,"method":"add","params":["x",2]}"#)
            _ = try await client.post(
                #"{"jsonrpc":"2.0","id":4,"method":"made-up-\#(UInt64.random(in: 0...UInt64.max))"}"#)
            _ = try await client.post(#"{"jsonrpc":"2.0","id":5,"method""#)

            let text = try await client.get("/metrics").text
            #expect(sample(#"aether_rpc_requests_total{method="add",code="ok"}"#, in: text) == "2")
            #expect(sample(#"aether_rpc_requests_total{method="add",code="-32602"}"#, in: text) == "1")
            #expect(sample(#"aether_rpc_requests_total{method="unknown",code="-32601"}"#, in: text) == "1")
            #expect(sample(#"aether_rpc_requests_total{method="invalid",code="-32700"}"#, in: text) == "1")
            #expect(!text.contains("made-up"))
            #expect(sample(#"aether_rpc_request_duration_seconds_count{method="add"}"#, in: text) == "3")
            #expect(sample("aether_rpc_connections", in: text) == "1.0")
        }
    }
}
