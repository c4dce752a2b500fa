import RPC
import Testing

@Suite("JSON-RPC over WebSocket")
struct WebSocketTests {
    private func connectWebSocket(port: Int, receiveBufferSize: Int? = nil) async throws -> TestConnection {
        let client = try await TestConnection.connect(port: port, receiveBufferSize: receiveBufferSize)
        let handshake = try await client.upgradeToWebSocket()
        #expect(handshake.status == 101)
        #expect(handshake.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        return client
    }

    /// Sends a close frame and waits for the server to hang up.
    private func closeWebSocket(_ client: TestConnection) async throws {
        try await client.sendFrame(opcode: TestFrame.close, payload: [0x03, 0xe8])
        _ = try await client.waitForClose()
        await client.close()
    }

    @Test("requests and batches over text frames; a notification gets no frame back")
    func requests() async throws {
        let log = CallLog()
        try await withServer(log: log) { _, port in
            let client = try await connectWebSocket(port: port)
            try await client.sendText(#"{"jsonrpc":"2.0","id":1,"method":"add","params":[40,2]}"#)
            #expect(try await client.readJSON() == ["jsonrpc": "2.0", "id": 1, "result": 42])

            try await client.sendText(#"{"jsonrpc":"2.0","method":"record","params":["ws"]}"#)
            try await client.sendText(
                #"[{"jsonrpc":"2.0","id":2,"method":"nope"},{"jsonrpc":"2.0","id":3,"method":"add","params":[1,2]}]"#)
            // The next frame answers the batch: nothing was sent for the notification.
            let batch = try #require(try await client.readJSON().arrayValue)
            #expect(batch.map { $0["id"] } == [2, 3])
            #expect(batch[0]["error"]?["code"] == -32601)
            #expect(log.values == ["ws"])

            try await client.sendText("{not json")
            #expect(try await client.readJSON()["error"]?["code"] == -32700)
            try await closeWebSocket(client)
        }
    }

    @Test("subscribe receives published values in order; unsubscribe stops them")
    func subscriptions() async throws {
        try await withServer { server, port in
            let client = try await connectWebSocket(port: port)
            try await client.sendText(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["newHeads"]}"#)
            let subscription = try #require(try await client.readJSON()["result"]?.stringValue)
            #expect(server.subscriptionCount == 1)

            // Another topic's values do not reach this subscriber.
            server.publish(topic: .finalizedHeads, value: ["height": 0])
            for height in 1...3 {
                server.publish(topic: .newHeads, value: ["height": .integer(Int64(height)), "hash": "ab"])
            }
            for height in 1...3 {
                let notification = try await client.readJSON()
                #expect(notification["jsonrpc"] == "2.0")
                #expect(notification["method"] == "subscription")
                #expect(notification["params"]?["subscription"] == .string(subscription))
                #expect(notification["params"]?["result"] == ["height": .integer(Int64(height)), "hash": "ab"])
            }

            try await client.sendText(
                #"{"jsonrpc":"2.0","id":2,"method":"unsubscribe","params":{"subscription":"\#(subscription)"}}"#)
            #expect(try await client.readJSON() == ["jsonrpc": "2.0", "id": 2, "result": true])
            #expect(server.subscriptionCount == 0)
            server.publish(topic: .newHeads, value: ["height": 4])
            try await client.sendText(#"{"jsonrpc":"2.0","id":3,"method":"unsubscribe","params":["\#(subscription)"]}"#)
            // Had the notification for height 4 been sent, it would arrive before this answer.
            #expect(try await client.readJSON() == ["jsonrpc": "2.0", "id": 3, "result": false])
            try await closeWebSocket(client)
        }
    }

    @Test("no notification arrives before the response that carries its subscription id")
    func notificationsFollowTheirSubscription() async throws {
        try await withServer { server, port in
            let client = try await connectWebSocket(port: port)
            let publisher = Task {
                var height: Int64 = 0
                while !Task.isCancelled {
                    server.publish(topic: .newHeads, value: .integer(height))
                    height += 1
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
            // The subscription exists 50 ms before the batch answer that announces it is written.
            try await client.sendText(
                #"[{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["newHeads"]},"#
                    + #"{"jsonrpc":"2.0","id":2,"method":"sleep","params":[50]}]"#)
            let answer = try await client.readJSON()
            #expect(answer.arrayValue?.count == 2, "a notification preceded its subscription's id: \(answer)")
            let subscription = try #require(answer[0]?["result"]?.stringValue)
            let notification = try await client.readJSON()
            #expect(notification["params"]?["subscription"] == .string(subscription))
            publisher.cancel()
            try await closeWebSocket(client)
        }
    }

    @Test("subscription errors: unknown topic, plain HTTP, too many subscriptions")
    func subscriptionErrors() async throws {
        var configuration = testConfiguration()
        configuration.webSocket.maxSubscriptions = 1
        try await withServer(configuration) { server, port in
            let http = try await TestConnection.connect(port: port)
            let overHTTP = try await http.post(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["newHeads"]}"#)
            #expect(overHTTP.errorCode == -32090)
            await http.close()

            let client = try await connectWebSocket(port: port)
            try await client.sendText(#"{"jsonrpc":"2.0","id":2,"method":"subscribe","params":["oldHeads"]}"#)
            let unknown = try await client.readJSON()
            #expect(unknown["error"]?["code"] == -32602)
            #expect(unknown["error"]?["message"]?.stringValue?.contains("topics: finalizedHeads, newHeads") == true)
            try await client.sendText(#"{"jsonrpc":"2.0","id":3,"method":"subscribe","params":["newHeads"]}"#)
            #expect(try await client.readJSON()["result"]?.stringValue != nil)
            try await client.sendText(#"{"jsonrpc":"2.0","id":4,"method":"subscribe","params":["finalizedHeads"]}"#)
            #expect(try await client.readJSON()["error"]?["code"] == -32091)
            try await closeWebSocket(client)
            // Closing the connection ends its subscriptions.
            try await waitUntil { server.subscriptionCount == 0 }
        }
    }

    @Test("a ping is answered with a pong carrying the same payload; the server pings too")
    func pingPong() async throws {
        var configuration = testConfiguration()
        // Long enough that a test runner busy with other suites (localnets, chain peers and crash
        // tests run in other processes beside it on two cores) still answers the server's ping
        // before the next one is due (an unanswered ping is a dead client): 1 s was not, nor 3 s
        // with the suite beside a CPU hog.
        configuration.webSocket.pingInterval = .seconds(8)
        try await withServer(configuration) { _, port in
            let client = try await connectWebSocket(port: port)
            try await client.sendFrame(opcode: TestFrame.ping, payload: Array("hello".utf8))
            var sawPong = false
            var sawPing = false
            while !(sawPong && sawPing) {
                let frame = try await client.readFrame(timeout: .seconds(30))
                switch frame.opcode {
                case TestFrame.pong:
                    #expect(frame.payload == Array("hello".utf8))
                    sawPong = true
                case TestFrame.ping:
                    try await client.sendFrame(opcode: TestFrame.pong, payload: frame.payload)
                    sawPing = true
                default:
                    Issue.record("unexpected frame \(frame.opcode)")
                    return
                }
            }
            try await closeWebSocket(client)
        }
    }

    @Test("a client that stops answering pings is disconnected")
    func silentClientIsDropped() async throws {
        var configuration = testConfiguration()
        configuration.webSocket.pingInterval = .milliseconds(100)
        try await withServer(configuration) { _, port in
            let client = try await connectWebSocket(port: port)
            #expect(try await client.waitForClose(timeout: .seconds(5)))
        }
    }

    @Test("a slow subscriber is dropped with close code 1008 instead of growing the queue")
    func slowSubscriber() async throws {
        var configuration = testConfiguration()
        configuration.webSocket.maxQueuedNotifications = 8
        configuration.webSocket.closeTimeout = .seconds(10)
        // On a loaded machine this test can outlast the default 30 s ping interval; pings are not its subject.
        configuration.webSocket.pingInterval = .seconds(600)
        let metrics = NodeMetrics()
        try await withServer(configuration, metrics: metrics) { server, port in
            let slow = try await connectWebSocket(port: port, receiveBufferSize: 4096)
            let healthy = try await connectWebSocket(port: port)
            for client in [slow, healthy] {
                try await client.sendText(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["newHeads"]}"#)
                #expect(try await client.readJSON()["result"] != nil)
            }
            try await slow.setReading(false)

            let payload = JSONValue.string(String(repeating: "h", count: 16 << 10))
            var published = 0
            while server.subscriptionCount == 2 && published < 5000 {
                server.publish(topic: .newHeads, value: ["n": .integer(Int64(published)), "pad": payload])
                published += 1
                // The healthy subscriber keeps up.
                #expect(try await healthy.readJSON()["params"]?["result"]?["n"] == .integer(Int64(published - 1)))
            }
            #expect(server.subscriptionCount == 1)
            #expect(
                String(decoding: metrics.render(), as: UTF8.self).contains("aether_rpc_subscribers_dropped_total 1"))

            // What was already on its way is still delivered, then the close frame says why.
            try await slow.setReading(true)
            var frame = try await slow.readFrame()
            while frame.opcode == TestFrame.text { frame = try await slow.readFrame() }
            #expect(frame.closeCode == 1008)
            #expect(frame.closeReason.contains("too slow"))
            try await slow.sendFrame(opcode: TestFrame.close, payload: [0x03, 0xf0])
            #expect(try await slow.waitForClose())

            // The healthy one is unaffected.
            server.publish(topic: .newHeads, value: ["n": -1])
            #expect(try await healthy.readJSON()["params"]?["result"]?["n"] == -1)
            try await closeWebSocket(healthy)
        }
    }

    @Test("an oversized message closes the connection with 1009; binary frames with 1003")
    func frameLimits() async throws {
        var configuration = testConfiguration()
        configuration.maxRequestBytes = 2048
        configuration.webSocket.maxFrameBytes = 1024
        try await withServer(configuration) { _, port in
            let tooBig = try await connectWebSocket(port: port)
            try await tooBig.sendText(String(repeating: " ", count: 1500))
            #expect(try await tooBig.readFrame().closeCode == 1009)
            #expect(try await tooBig.waitForClose())

            // Fragments within the frame limit that add up past the message limit.
            let fragmented = try await connectWebSocket(port: port)
            try await fragmented.sendFrame(
                opcode: TestFrame.text, payload: Array(repeating: 0x20, count: 1000), fin: false)
            try await fragmented.sendFrame(opcode: 0, payload: Array(repeating: 0x20, count: 1000), fin: false)
            try await fragmented.sendFrame(opcode: 0, payload: Array(repeating: 0x20, count: 1000), fin: true)
            #expect(try await fragmented.readFrame().closeCode == 1009)

            // Fragments within both limits make one message.
            let assembled = try await connectWebSocket(port: port)
            let request = Array(#"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}"#.utf8)
            try await assembled.sendFrame(opcode: TestFrame.text, payload: Array(request[..<20]), fin: false)
            try await assembled.sendFrame(opcode: 0, payload: Array(request[20...]), fin: true)
            #expect(try await assembled.readJSON()["result"] == 3)

            let binary = try await connectWebSocket(port: port)
            try await binary.sendFrame(opcode: TestFrame.binary, payload: [1, 2, 3])
            #expect(try await binary.readFrame().closeCode == 1003)
            for client in [tooBig, fragmented, assembled, binary] { await client.close() }
        }
    }

    @Test("stop closes WebSocket connections with 1001")
    func stopClosesWebSockets() async throws {
        let server = RPCServer(configuration: testConfiguration(), handler: TestMethods.make())
        let port = try await server.start()
        let client = try await connectWebSocket(port: port)
        await server.stop()
        #expect(try await client.readFrame().closeCode == 1001)
        #expect(try await client.waitForClose())
    }
}
