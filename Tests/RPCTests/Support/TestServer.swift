import RPC
import Synchronization
import Testing

/// Counts calls of the `record` notification method, so a test can see a notification ran.
final class CallLog: Sendable {
    private let calls = Mutex<[JSONValue]>([])

    func append(_ value: JSONValue) { calls.withLock { $0.append(value) } }

    var values: [JSONValue] { calls.withLock { $0 } }
}

/// The methods the tests call.
enum TestMethods {
    static let overflow: RPCError.ApplicationCode = -32001

    static func make(log: CallLog = CallLog()) -> RPCMethods {
        var methods = RPCMethods()
        methods.register("echo", params: ["value"]) { arguments throws(RPCError) in
            try arguments.required("value", as: JSONValue.self)
        }
        methods.register("add", params: ["a", "b"]) { arguments throws(RPCError) in
            let a = try arguments.required("a", as: UInt64.self)
            let b = try arguments.required("b", as: UInt64.self)
            let (sum, overflowed) = a.addingReportingOverflow(b)
            guard !overflowed else {
                throw RPCError.application(
                    code: TestMethods.overflow, message: "the sum overflows 64 bits", data: ["a": a.json, "b": b.json])
            }
            return sum.json
        }
        methods.register("record", params: ["value"]) { arguments throws(RPCError) in
            log.append(try arguments.required("value", as: JSONValue.self))
            return true
        }
        methods.register("sleep", params: ["milliseconds"]) { arguments throws(RPCError) in
            let milliseconds = try arguments.required("milliseconds", as: UInt64.self)
            try? await Task.sleep(for: .milliseconds(milliseconds))
            return true
        }
        methods.register("fail") { _ throws(RPCError) in
            // A real handler would log "/var/lib/aether/db: disk full" and throw this.
            throw RPCError.internalError
        }
        return methods
    }
}

/// A test configuration: loopback, a port the system picks, short shutdown timeouts.
func testConfiguration() -> RPCServerConfiguration {
    var configuration = RPCServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.shutdownGracePeriod = .seconds(1)
    configuration.webSocket.closeTimeout = .milliseconds(500)
    return configuration
}

/// Runs `body` against a started server, and stops the server afterwards.
func withServer(
    _ configuration: RPCServerConfiguration = testConfiguration(),
    metrics: NodeMetrics = NodeMetrics(),
    log: CallLog = CallLog(),
    _ body: (RPCServer, Int) async throws -> Void
) async throws {
    let server = RPCServer(configuration: configuration, handler: TestMethods.make(log: log), metrics: metrics)
    let port = try await server.start()
    do {
        try await body(server, port)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Polls `condition` until it holds; fails the test after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(10), _ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition still false after \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}
