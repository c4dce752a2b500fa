import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking JSON-RPC 2.0 client over HTTP/1.1 (no TLS: for nodes on loopback or a private
/// network), used by `aether tx`, `aether query`, the localnet monitor, the load generator of
/// `aether bench localnet` and the tests.
///
/// The connection is kept open between calls (HTTP keep-alive) and reopened once if the server
/// closed it. Not thread-safe: one client per thread.
public final class RPCClient {
    public let host: String
    public let port: Int
    public let timeoutSeconds: Int
    private var socket: Int32 = -1
    private var buffer: [UInt8] = []
    private var nextID: Int64 = 1

    /// The largest response body accepted.
    public static let maximumResponseBytes = 64 << 20

    /// A client for `url` (`http://host:port`, the scheme optional).
    /// - Throws: `RPCClientError.invalidURL`.
    public init(url: String, timeoutSeconds: Int = 10) throws(RPCClientError) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (1...65_535).contains(port), colon > rest.startIndex
        else { throw .invalidURL(url) }
        self.host = String(rest[..<colon])
        self.port = port
        self.timeoutSeconds = max(timeoutSeconds, 1)
    }

    deinit { disconnect() }

    /// Calls `method` with named `params` and returns its result.
    /// - Throws: `RPCClientError.server` with the node's error, or a transport error.
    public func call(_ method: String, _ params: JSONObject = JSONObject()) throws(RPCClientError) -> JSONValue {
        let id = nextID
        nextID += 1
        let response = try exchange(JSONWriter.encode(.object(Self.request(method, params, id: id))))
        return try Self.result(of: response, method: method)
    }

    /// Sends `calls` as one JSON-RPC batch; the results come back in the order of the calls, each
    /// the result or the server's error for that entry.
    public func batch(_ calls: [(method: String, params: JSONObject)]) throws(RPCClientError)
        -> [Result<JSONValue, RPCClientError>]
    {
        guard !calls.isEmpty else { return [] }
        let first = nextID
        nextID += Int64(calls.count)
        let requests = calls.enumerated().map { offset, call in
            JSONValue.object(Self.request(call.method, call.params, id: first + Int64(offset)))
        }
        let response = try exchange(JSONWriter.encode(.array(requests)))
        guard case .array(let entries) = response else {
            // A batch-level error (too large, invalid) comes back as one error object.
            if case .object(let object) = response, let error = Self.serverError(object, method: "batch") {
                throw error
            }
            throw .malformedResponse("a batch answer must be an array")
        }
        var byID: [Int64: JSONValue] = [:]
        for entry in entries {
            guard case .object(let object) = entry, case .integer(let id)? = object["id"] else { continue }
            byID[Int64(id)] = entry
        }
        return calls.enumerated().map { offset, call in
            guard let entry = byID[first + Int64(offset)] else {
                return .failure(.malformedResponse("no answer for \(call.method) in the batch"))
            }
            return Result { () throws(RPCClientError) in try Self.result(of: entry, method: call.method) }
        }
    }

    /// Closes the connection (the next call opens a new one).
    public func disconnect() {
        if socket >= 0 { close(socket) }
        socket = -1
        buffer = []
    }

    // MARK: - JSON-RPC

    private static func request(_ method: String, _ params: JSONObject, id: Int64) -> JSONObject {
        var request = JSONObject()
        request["jsonrpc"] = "2.0"
        request["id"] = .integer(id)
        request["method"] = .string(method)
        request["params"] = .object(params)
        return request
    }

    private static func result(of response: JSONValue, method: String) throws(RPCClientError) -> JSONValue {
        guard case .object(let object) = response else { throw .malformedResponse("the answer is not an object") }
        if let error = serverError(object, method: method) { throw error }
        return object["result"] ?? .null
    }

    private static func serverError(_ object: JSONObject, method: String) -> RPCClientError? {
        guard let error = object["error"], case .object(let detail) = error else { return nil }
        var code = 0
        if case .integer(let value)? = detail["code"] { code = Int(value) }
        return .server(method: method, code: code, message: detail["message"]?.stringValue ?? "unknown error")
    }

    // MARK: - HTTP

    /// Posts `body` and returns the parsed JSON answer, retrying once on a connection the server
    /// had closed in the meantime.
    private func exchange(_ body: [UInt8]) throws(RPCClientError) -> JSONValue {
        let reused = socket >= 0
        do {
            return try post(body)
        } catch .connectionClosed where reused {
            disconnect()
            return try post(body)
        }
    }

    private func post(_ body: [UInt8]) throws(RPCClientError) -> JSONValue {
        if socket < 0 { socket = try connect() }
        var request = Array("POST / HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\n".utf8)
        request += Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
            guard written > 0 else {
                disconnect()
                throw .connectionClosed
            }
            sent += written
        }
        let (status, headers, responseBody) = try readResponse()
        if headers["connection"]?.lowercased() == "close" { disconnect() }
        guard status == 200 else {
            // Error statuses carry a JSON-RPC error object where one makes sense.
            if let value = try? JSONValue(parsing: responseBody), case .object(let object) = value,
                let error = Self.serverError(object, method: "request")
            {
                throw error
            }
            throw .httpStatus(status)
        }
        // The body is already bounded by `maximumResponseBytes`; a full block is larger than the
        // parser's 1 MiB default.
        let limits = JSONLimits(maxBytes: Self.maximumResponseBytes)
        do { return try JSONValue(parsing: responseBody, limits: limits) } catch {
            throw .malformedResponse("the answer is not JSON: \(error)")
        }
    }

    private func readResponse() throws(RPCClientError) -> (Int, [String: String], [UInt8]) {
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            if let range = buffer.firstRange(of: separator) {
                headEnd = range.upperBound
            } else {
                guard buffer.count < 64 << 10 else { throw .malformedResponse("the HTTP head is too large") }
                try receiveMore()
            }
        }
        let head = String(decoding: buffer[..<(headEnd! - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
            let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { throw .malformedResponse("the answer is not HTTP") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        buffer.removeFirst(headEnd!)
        if status == 204 { return (status, headers, []) }
        if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0, length <= Self.maximumResponseBytes else {
                throw .malformedResponse("bad Content-Length \(lengthText)")
            }
            while buffer.count < length { try receiveMore() }
            let body = Array(buffer[..<length])
            buffer.removeFirst(length)
            return (status, headers, body)
        }
        // No length: the body runs to the end of the connection.
        while true {
            do { try receiveMore() } catch .connectionClosed { break }
            guard buffer.count <= Self.maximumResponseBytes else { throw .malformedResponse("the answer is too large") }
        }
        let body = buffer
        disconnect()
        return (status, headers, body)
    }

    private func receiveMore() throws(RPCClientError) {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count == 0 { throw .connectionClosed }
        if count < 0 {
            let timedOut = errno == EAGAIN || errno == EWOULDBLOCK
            disconnect()
            throw timedOut ? .timedOut(seconds: timeoutSeconds) : .connectionClosed
        }
        buffer += chunk[..<count]
    }

    private func connect() throws(RPCClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw .cannotConnect(host: host, port: port, reason: "cannot resolve the host")
        }
        defer { freeaddrinfo(results) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        var reason = "no address"
        while let entry = cursor {
            let candidate = Glibc.socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
            if candidate >= 0 {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(candidate, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(candidate, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var noDelay: Int32 = 1
                setsockopt(candidate, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
                if Glibc.connect(candidate, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 {
                    buffer = []
                    return candidate
                }
                reason = String(cString: strerror(errno))
                close(candidate)
            }
            cursor = entry.pointee.ai_next
        }
        throw .cannotConnect(host: host, port: port, reason: reason)
    }
}

/// Why an RPC call failed.
public enum RPCClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidURL(String)
    case cannotConnect(host: String, port: Int, reason: String)
    case connectionClosed
    case timedOut(seconds: Int)
    case httpStatus(Int)
    case malformedResponse(String)
    /// The node answered with a JSON-RPC error.
    case server(method: String, code: Int, message: String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "the RPC address must look like http://127.0.0.1:8645, not '\(url)'"
        case .cannotConnect(let host, let port, let reason):
            "cannot connect to \(host):\(port) (\(reason)): is the node running?"
        case .connectionClosed: "the node closed the connection"
        case .timedOut(let seconds): "no answer within \(seconds) s"
        case .httpStatus(let status): "the node answered HTTP \(status)"
        case .malformedResponse(let what): "the node's answer is malformed: \(what)"
        case .server(let method, let code, let message): "\(method) failed (\(code)): \(message)"
        }
    }
}
