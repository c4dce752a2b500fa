import RPC
import Testing

@Suite("JSON-RPC over HTTP")
struct HTTPServerTests {
    @Test("a method call round-trips, by position and by name, with exact big integers")
    func roundTrip() async throws {
        try await withServer { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }

            let byPosition = try await client.post(#"{"jsonrpc":"2.0","id":1,"method":"add","params":[2,3]}"#)
            #expect(byPosition.status == 200)
            #expect(byPosition.headers["content-type"] == "application/json")
            #expect(byPosition.text == #"{"jsonrpc":"2.0","id":1,"result":5}"#)

            let byName = try await client.post(
                #"{"jsonrpc":"2.0","id":"x-7","method":"add","params":{"b":18446744073709551614,"a":1}}"#)
            #expect(byName.text == #"{"jsonrpc":"2.0","id":"x-7","result":18446744073709551615}"#)

            let value = #"{"z":[1.5,"é",null],"a":-9223372036854775808}"#
            let echoed = try await client.post(#"{"jsonrpc":"2.0","id":null,"method":"echo","params":["# + value + "]}")
            #expect(echoed.text == #"{"jsonrpc":"2.0","id":null,"result":"# + value + "}")
        }
    }

    @Test("a batch answers every valid and invalid entry in order and skips notifications")
    func batch() async throws {
        let log = CallLog()
        try await withServer(log: log) { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }
            let response = try await client.post(
                """
                [
                  {"jsonrpc":"2.0","id":1,"method":"add","params":[1,1]},
                  {"jsonrpc":"1.0","id":2,"method":"add","params":[1,1]},
                  {"jsonrpc":"2.0","method":"record","params":["quiet"]},
                  {"jsonrpc":"2.0","id":3,"method":"nope"},
                  {"foo":"boo"},
                  1,
                  {"jsonrpc":"2.0","id":4,"method":"add","params":{"a":"x","b":1}}
                ]
                """)
            let entries = try #require(response.json?.arrayValue)
            #expect(entries.count == 6)
            #expect(entries.map { $0["id"] } == [1, 2, 3, .null, .null, 4])
            #expect(entries[0]["result"] == 2)
            #expect(
                entries.dropFirst().map { $0["error"]?["code"]?.int64Value } == [
                    -32600, -32601, -32600, -32600, -32602,
                ])
            #expect(log.values == ["quiet"])
        }
    }

    @Test("a notification runs but gets no response (HTTP 204), alone or in a batch")
    func notifications() async throws {
        let log = CallLog()
        try await withServer(log: log) { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }
            let single = try await client.post(#"{"jsonrpc":"2.0","method":"record","params":["one"]}"#)
            #expect(single.status == 204)
            #expect(single.body.isEmpty)
            // Even a failing notification is silent.
            let failing = try await client.post(#"{"jsonrpc":"2.0","method":"nope"}"#)
            #expect(failing.status == 204)
            let batch = try await client.post(
                #"[{"jsonrpc":"2.0","method":"record","params":["two"]},"#
                    + #"{"jsonrpc":"2.0","method":"record","params":{"value":3}}]"#)
            #expect(batch.status == 204)
            #expect(log.values == ["one", "two", 3])
        }
    }

    @Test("each standard error code for its cause, with a message that says what was wrong")
    func standardErrors() async throws {
        try await withServer { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }

            let malformed = try await client.post(#"{"jsonrpc":"2.0","id":1,"method":"add""#)
            #expect(malformed.errorCode == -32700)
            #expect(malformed.json?["id"] == .null)
            #expect(malformed.json?["error"]?["message"]?.stringValue?.contains("ends unexpectedly") == true)

            let version = try await client.post(#"{"jsonrpc":"1.0","id":7,"method":"add"}"#)
            #expect(version.errorCode == -32600)
            #expect(version.json?["id"] == 7)
            #expect(version.json?["error"]?["message"] == #"invalid request: "jsonrpc" must be exactly "2.0""#)

            let noMethod = try await client.post(#"{"jsonrpc":"2.0","id":8}"#)
            #expect(noMethod.errorCode == -32600)
            #expect(noMethod.json?["error"]?["message"] == #"invalid request: "method" is missing"#)

            let badID = try await client.post(#"{"jsonrpc":"2.0","id":{},"method":"add"}"#)
            #expect(badID.errorCode == -32600)
            #expect(badID.json?["id"] == .null)

            let unknown = try await client.post(#"{"jsonrpc":"2.0","id":9,"method":"getBlok"}"#)
            #expect(unknown.errorCode == -32601)
            #expect(unknown.json?["error"]?["message"] == #"method "getBlok" not found"#)

            let wrongType = try await client.post(#"{"jsonrpc":"2.0","id":10,"method":"add","params":[1,"two"]}"#)
            #expect(wrongType.errorCode == -32602)
            #expect(
                wrongType.json?["error"]?["message"]
                    == #"invalid params: "b" expected an unsigned 64-bit integer, got a string: not a decimal integer"#)
            #expect(wrongType.json?["error"]?["data"] == ["param": "b"])

            let missing = try await client.post(#"{"jsonrpc":"2.0","id":11,"method":"add","params":{"a":1}}"#)
            #expect(missing.json?["error"]?["message"] == #"invalid params: "b" is required"#)

            let extra = try await client.post(#"{"jsonrpc":"2.0","id":12,"method":"add","params":[1,2,3]}"#)
            #expect(extra.errorCode == -32602)
            #expect(extra.json?["error"]?["message"]?.stringValue?.contains("takes 2 params (a, b), got 3") == true)

            let internalError = try await client.post(#"{"jsonrpc":"2.0","id":13,"method":"fail"}"#)
            #expect(
                internalError.text == #"{"jsonrpc":"2.0","id":13,"error":{"code":-32603,"message":"internal error"}}"#)

            let application = try await client.post(
                #"{"jsonrpc":"2.0","id":14,"method":"add","params":[18446744073709551615,1]}"#)
            #expect(application.errorCode == -32001)
            #expect(application.json?["error"]?["data"] == ["a": .unsignedInteger(.max), "b": 1])
        }
    }

    @Test("an oversized body gets 413 and a JSON-RPC error, and the server serves the next request")
    func oversizedBody() async throws {
        var configuration = testConfiguration()
        configuration.maxRequestBytes = 4096
        try await withServer(configuration) { _, port in
            // Declared too large: refused from the headers alone.
            let declared = try await TestConnection.connect(port: port)
            let body =
                #"{"jsonrpc":"2.0","id":1,"method":"echo","params":[""# + String(repeating: "a", count: 8000) + #""]}"#
            let rejected = try await declared.post(body)
            #expect(rejected.status == 413)
            #expect(rejected.headers["connection"] == "close")
            #expect(rejected.errorCode == -32600)
            #expect(rejected.json?["error"]?["data"] == ["limit": 4096])
            #expect(try await declared.waitForClose())

            // Chunked, so the limit is only crossed while reading.
            let chunked = try await TestConnection.connect(port: port)
            var request =
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            for _ in 0..<5 { request += "400\r\n" + String(repeating: " ", count: 1024) + "\r\n" }
            request += "0\r\n\r\n"
            try await chunked.send(request)
            #expect(try await chunked.readResponse().status == 413)
            #expect(try await chunked.waitForClose())

            let next = try await TestConnection.connect(port: port)
            defer { Task { await next.close() } }
            let served = try await next.post(#"{"jsonrpc":"2.0","id":2,"method":"add","params":[20,22]}"#)
            #expect(served.json?["result"] == 42)
        }
    }

    @Test("deep nesting is refused as a parse error")
    func deepNesting() async throws {
        try await withServer { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }
            let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
            let response = try await client.post(#"{"jsonrpc":"2.0","id":1,"method":"echo","params":["# + deep + "]}")
            #expect(response.errorCode == -32700)
            #expect(response.json?["error"]?["message"]?.stringValue?.contains("deeper than 64 levels") == true)
        }
    }

    @Test("keep-alive and pipelined requests are answered in order on one connection")
    func keepAliveAndPipelining() async throws {
        try await withServer { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }
            for value in 0..<5 {
                let response = try await client.post(
                    #"{"jsonrpc":"2.0","id":\#(value),"method":"add","params":[\#(value),1]}"#)
                #expect(response.json?["result"] == .integer(Int64(value + 1)))
            }
            // Three requests in one write; the first is the slowest.
            var pipelined: [UInt8] = []
            for (id, milliseconds) in [(1, 100), (2, 0), (3, 10)] {
                let body = #"{"jsonrpc":"2.0","id":\#(id),"method":"sleep","params":[\#(milliseconds)]}"#
                pipelined += TestConnection.request("POST", "/", body: Array(body.utf8))
            }
            try await client.send(pipelined)
            for id in 1...3 {
                #expect(try await client.readResponse().json?["id"] == .integer(Int64(id)))
            }
        }
    }

    @Test("concurrent clients each get their own answers")
    func concurrentClients() async throws {
        try await withServer { server, port in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for clientIndex in 0..<16 {
                    group.addTask {
                        let client = try await TestConnection.connect(port: port)
                        for call in 0..<10 {
                            let a = clientIndex * 1000 + call
                            let response = try await client.post(
                                #"{"jsonrpc":"2.0","id":"\#(clientIndex)-\#(call)","method":"add","params":[\#(a),1]}"#)
                            #expect(response.json?["id"] == .string("\(clientIndex)-\(call)"))
                            #expect(response.json?["result"] == .integer(Int64(a + 1)))
                        }
                        await client.close()
                    }
                }
                try await group.waitForAll()
            }
            #expect(server.connectionCount <= 16)
        }
    }

    @Test("other routes, methods and content types get clear HTTP statuses")
    func routes() async throws {
        try await withServer { _, port in
            let client = try await TestConnection.connect(port: port)
            defer { Task { await client.close() } }
            let health = try await client.get("/health")
            #expect(health.status == 200)
            #expect(health.text == #"{"status":"ok"}"#)
            #expect(try await client.get("/nowhere").status == 404)
            let getRoot = try await client.get("/")
            #expect(getRoot.status == 405)
            #expect(getRoot.headers["allow"] == "POST")
            #expect(try await client.get("/ws").status == 426)
            // A client that waits for 100 Continue before sending its body.
            let body = #"{"jsonrpc":"2.0","id":1,"method":"add","params":[5,5]}"#
            try await client.send(
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n")
            #expect(try await client.readResponse().status == 100)
            try await client.send(body)
            #expect(try await client.readResponse().json?["result"] == 10)

            let form = try await client.post("{}", contentType: "application/x-www-form-urlencoded")
            #expect(form.status == 415)
            #expect(form.errorCode == -32600)
            let withCharset = try await client.post(
                #"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}"#,
                contentType: "application/json; charset=utf-8")
            #expect(withCharset.json?["result"] == 3)
        }
    }

    @Test("header and connection limits are enforced")
    func headerAndConnectionLimits() async throws {
        var configuration = testConfiguration()
        configuration.maxHeaderBytes = 1024
        configuration.maxConnections = 2
        try await withServer(configuration) { server, port in
            let big = try await TestConnection.connect(port: port)
            let header = "X-Padding: " + String(repeating: "p", count: 2000) + "\r\n"
            let response = try await big.post(
                #"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}"#, extraHeaders: header)
            #expect(response.status == 431)
            #expect(try await big.waitForClose())
            try await waitUntil { server.connectionCount == 0 }

            let first = try await TestConnection.connect(port: port)
            let second = try await TestConnection.connect(port: port)
            _ = try await first.get("/health")
            _ = try await second.get("/health")
            let third = try await TestConnection.connect(port: port)
            let refused = try await third.readResponse()
            #expect(refused.status == 503)
            #expect(refused.errorCode == -32093)
            await first.close()
            await second.close()
            await third.close()
            // Once the others are gone there is room again.
            try await waitUntil { server.connectionCount == 0 }
            let fourth = try await TestConnection.connect(port: port)
            #expect(try await fourth.get("/health").status == 200)
            await fourth.close()
        }
    }

    @Test("stop lets a request in flight finish, then refuses connections")
    func gracefulStop() async throws {
        let server = RPCServer(configuration: testConfiguration(), handler: TestMethods.make())
        let port = try await server.start()
        #expect(server.port == port)
        let client = try await TestConnection.connect(port: port)
        try await client.send(
            TestConnection.request(
                "POST", "/", body: Array(#"{"jsonrpc":"2.0","id":1,"method":"sleep","params":[300]}"#.utf8)))
        try await Task.sleep(for: .milliseconds(50))
        await server.stop()
        let response = try await client.readResponse()
        #expect(response.json?["result"] == true)
        #expect(response.headers["connection"] == "close")
        #expect(server.port == nil)
        await #expect(throws: (any Error).self) { _ = try await TestConnection.connect(port: port) }
        await #expect(throws: RPCServerError.notStartable("it was already started")) { try await server.start() }
    }
}
