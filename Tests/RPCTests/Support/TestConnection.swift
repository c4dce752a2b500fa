import NIOCore
import NIOPosix
import RPC
import Synchronization

/// Why a test client read failed.
struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// Collects every byte the server sends; readers poll it.
final class ByteInbox: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var closed = false
    }

    private let state = Mutex(State())

    func append(_ buffer: ByteBuffer) {
        state.withLock { $0.bytes.append(contentsOf: buffer.readableBytesView) }
    }

    func markClosed() {
        state.withLock { $0.closed = true }
    }

    /// Runs `parse` on the bytes received so far; when it finds a whole message, removes the bytes
    /// it consumed and returns the message. Also reports whether the connection has closed.
    func take<Message>(_ parse: ([UInt8]) -> (Message, consumed: Int)?) -> (Message?, closed: Bool) {
        state.withLock { state in
            guard let (message, consumed) = parse(state.bytes) else { return (nil, state.closed) }
            state.bytes.removeFirst(consumed)
            return (message, state.closed)
        }
    }
}

private final class InboxHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let inbox: ByteInbox

    init(inbox: ByteInbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.append(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.markClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A raw TCP connection to the server under test: we write exact bytes and parse what comes back
/// ourselves, so malformed and oversized requests are as easy to send as good ones.
final class TestConnection: Sendable {
    let channel: any Channel
    let inbox: ByteInbox

    private init(channel: any Channel, inbox: ByteInbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects to 127.0.0.1:`port`; a small `receiveBufferSize` makes a slow reader fill up fast.
    static func connect(port: Int, receiveBufferSize: Int? = nil) async throws -> TestConnection {
        let inbox = ByteInbox()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox))
                }
            }
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        return TestConnection(channel: channel, inbox: inbox)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Stops or resumes reading from the socket (a client that stops reading is a slow subscriber).
    func setReading(_ enabled: Bool) async throws {
        try await channel.setOption(.autoRead, value: enabled).get()
        if enabled { channel.read() }
    }

    func close() async {
        try? await channel.close()
    }

    /// Waits until `parse` recognises a whole message in the received bytes.
    func receive<Message>(
        timeout: Duration = .seconds(30), _ parse: ([UInt8]) -> (Message, consumed: Int)?
    ) async throws -> Message {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (message, closed) = inbox.take(parse)
            if let message { return message }
            if closed { throw TestClientError(description: "the server closed the connection") }
            if ContinuousClock.now > deadline { throw TestClientError(description: "timed out waiting for the server") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Whether the server closes the connection within `timeout` (unread bytes are ignored).
    func waitForClose(timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if inbox.take({ _ in Optional<(Int, consumed: Int)>.none }).closed { return true }
            try await Task.sleep(for: .milliseconds(2))
        }
        return false
    }
}

// MARK: - HTTP

/// An HTTP response as the test client parsed it.
struct HTTPTestResponse {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    var json: JSONValue? { try? JSONValue(parsing: body) }

    /// The `error.code` of a JSON-RPC error response.
    var errorCode: Int64? { json?["error"]?["code"]?.int64Value }
}

extension TestConnection {
    /// Sends a JSON-RPC POST and reads the response.
    func post(
        _ body: String, contentType: String = "application/json", extraHeaders: String = ""
    ) async throws -> HTTPTestResponse {
        try await send(Self.request("POST", "/", body: Array(body.utf8), contentType: contentType, extra: extraHeaders))
        return try await readResponse()
    }

    func get(_ path: String) async throws -> HTTPTestResponse {
        try await send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return try await readResponse()
    }

    static func request(
        _ method: String, _ path: String, body: [UInt8], contentType: String = "application/json", extra: String = ""
    ) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n\(extra)\r\n"
        return Array(head.utf8) + body
    }

    func readResponse(timeout: Duration = .seconds(30)) async throws -> HTTPTestResponse {
        try await receive(timeout: timeout, Self.parseResponse)
    }

    /// Parses one `Content-Length`-framed HTTP/1.1 response (all the server sends).
    static func parseResponse(_ bytes: [UInt8]) -> (HTTPTestResponse, consumed: Int)? {
        let separator = Array("\r\n\r\n".utf8)
        guard bytes.count >= 4,
            let headerEnd = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator })
        else { return nil }
        let lines = String(decoding: bytes[..<headerEnd], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = lines.first else { return nil }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingPrefix(" ").description
        }
        let length = headers["content-length"].flatMap { Int($0) } ?? 0
        let bodyStart = headerEnd + 4
        guard bytes.count >= bodyStart + length else { return nil }
        let body = Array(bytes[bodyStart..<bodyStart + length])
        return (HTTPTestResponse(status: status, headers: headers, body: body), bodyStart + length)
    }
}

// MARK: - WebSocket

/// A WebSocket frame as the test client parsed it.
struct TestFrame {
    let fin: Bool
    let opcode: UInt8
    let payload: [UInt8]

    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xa

    var json: JSONValue? { try? JSONValue(parsing: payload) }

    /// The status code of a close frame.
    var closeCode: Int? {
        guard opcode == Self.close, payload.count >= 2 else { return nil }
        return Int(payload[0]) << 8 | Int(payload[1])
    }

    var closeReason: String { String(decoding: payload.dropFirst(2), as: UTF8.self) }
}

extension TestConnection {
    /// Performs the opening handshake on `path`; returns the server's HTTP response.
    func upgradeToWebSocket(path: String = "/ws") async throws -> HTTPTestResponse {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await send(request)
        return try await readResponse()
    }

    /// Sends one masked frame, as a client must.
    func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true) async throws {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        switch payload.count {
        case 0..<126: frame.append(0x80 | UInt8(payload.count))
        case 126...0xffff:
            frame.append(0x80 | 126)
            frame.append(contentsOf: [UInt8(payload.count >> 8), UInt8(payload.count & 0xff)])
        default:
            frame.append(0x80 | 127)
            frame.append(contentsOf: (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xff) })
        }
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame.append(contentsOf: mask)
        frame.append(contentsOf: payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await send(frame)
    }

    func sendText(_ text: String) async throws {
        try await sendFrame(opcode: TestFrame.text, payload: Array(text.utf8))
    }

    func readFrame(timeout: Duration = .seconds(30)) async throws -> TestFrame {
        try await receive(timeout: timeout, Self.parseFrame)
    }

    /// Reads the next text frame as JSON, answering the server's pings on the way as a browser would.
    func readJSON(timeout: Duration = .seconds(30)) async throws -> JSONValue {
        var frame = try await readFrame(timeout: timeout)
        while frame.opcode == TestFrame.ping {
            try await sendFrame(opcode: TestFrame.pong, payload: frame.payload)
            frame = try await readFrame(timeout: timeout)
        }
        guard frame.opcode == TestFrame.text, let json = frame.json else {
            throw TestClientError(description: "expected a JSON text frame, got opcode \(frame.opcode)")
        }
        return json
    }

    /// Parses one unmasked server frame.
    static func parseFrame(_ bytes: [UInt8]) -> (TestFrame, consumed: Int)? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard bytes.count >= offset + length else { return nil }
        let frame = TestFrame(
            fin: bytes[0] & 0x80 != 0, opcode: bytes[0] & 0x0f, payload: Array(bytes[offset..<offset + length]))
        return (frame, offset + length)
    }
}
