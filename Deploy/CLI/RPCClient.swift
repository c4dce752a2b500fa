import Foundation
import RPC

#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking JSON-RPC 2.0 client over HTTP/1.1 for `aether tx`, `aether query` and the
/// localnet monitor (loopback nodes; no TLS).
struct RPCClient {
    let host: String
    let port: Int
    let timeoutSeconds: Int

    /// A client for `url` (`http://host:port`).
    init(url: String, timeoutSeconds: Int = 10) throws {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (1...65_535).contains(port), colon > rest.startIndex
        else { throw CommandFailure("--rpc must look like http://127.0.0.1:8645, not '\(url)'") }
        self.host = String(rest[..<colon])
        self.port = port
        self.timeoutSeconds = timeoutSeconds
    }

    /// Calls `method` with named `params` and returns its result, or throws the server's error.
    func call(_ method: String, _ params: JSONObject = JSONObject()) throws -> JSONValue {
        var request = JSONObject()
        request["jsonrpc"] = "2.0"
        request["id"] = 1
        request["method"] = .string(method)
        request["params"] = .object(params)
        let body = JSONWriter.encode(.object(request))
        let response = try post(body)
        let value: JSONValue
        do { value = try JSONValue(parsing: response) } catch {
            throw CommandFailure("the node's answer is not JSON: \(error)")
        }
        guard case .object(let object) = value else { throw CommandFailure("the node's answer is not an object") }
        if let error = object["error"], case .object(let detail) = error {
            let message = detail["message"]?.stringValue ?? "unknown error"
            throw CommandFailure("\(method) failed: \(message)")
        }
        return object["result"] ?? .null
    }

    private func post(_ body: [UInt8]) throws -> [UInt8] {
        let socket = try connect()
        defer { close(socket) }
        var request = Array("POST / HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\n".utf8)
        request += Array("Content-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { throw CommandFailure("cannot send to \(host):\(port)") }
            sent += written
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw CommandFailure("no answer from \(host):\(port) within \(timeoutSeconds) s") }
            if count == 0 { break }
            response += buffer[..<count]
            if response.count > 64 << 20 { throw CommandFailure("the node's answer is too large") }
        }
        guard let split = response.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw CommandFailure("the node's answer is not HTTP")
        }
        let head = String(decoding: response[..<split.lowerBound], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 200") || head.hasPrefix("HTTP/1.0 200") else {
            throw CommandFailure("the node answered \(head.split(separator: "\r\n").first ?? "")")
        }
        return Array(response[split.upperBound...])
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            throw CommandFailure("cannot resolve \(host)")
        }
        defer { freeaddrinfo(results) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            let socket = Glibc.socket(entry.pointee.ai_family, entry.pointee.ai_socktype, entry.pointee.ai_protocol)
            if socket >= 0 {
                var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(socket, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 { return socket }
                close(socket)
            }
            cursor = entry.pointee.ai_next
        }
        throw CommandFailure("cannot connect to \(host):\(port): is the node running?")
    }
}
