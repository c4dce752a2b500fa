public import AsyncHTTPClient
internal import Foundation
internal import NIOCore
internal import NIOHTTP1
public import RPC
internal import Synchronization

/// How a `JSONRPCHTTPClient` treats one endpoint: how long a call may take, and how often and how
/// patiently a failed transport is retried.
public struct JSONRPCPolicy: Sendable, Hashable {
    /// The deadline of one HTTP exchange.
    public var requestTimeout: Duration
    /// Attempts per call (1 = no retry). Only transport failures, HTTP 429 and HTTP 5xx are retried;
    /// an answer with a JSON-RPC error is final.
    public var maximumAttempts: Int
    /// The pause after the first failed attempt; it doubles after each further one.
    public var initialBackoff: Duration
    /// The longest pause between attempts.
    public var maximumBackoff: Duration
    /// The largest response body read.
    public var maximumResponseBytes: Int

    public init(
        requestTimeout: Duration = .seconds(10), maximumAttempts: Int = 6,
        initialBackoff: Duration = .milliseconds(100),
        maximumBackoff: Duration = .seconds(5), maximumResponseBytes: Int = 32 << 20
    ) {
        self.requestTimeout = requestTimeout
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumResponseBytes = maximumResponseBytes
    }
}

/// Why a JSON-RPC call failed.
public enum JSONRPCClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint could not be reached or did not answer in time, after every attempt.
    case transport(method: String, attempts: Int, reason: String)
    /// The endpoint answered with an HTTP status other than 200, after every attempt.
    case httpStatus(method: String, status: Int, body: String)
    /// The endpoint answered with a JSON-RPC error object.
    case server(method: String, code: Int64, message: String)
    /// The answer is not a JSON-RPC 2.0 response for our request.
    case malformedResponse(method: String, reason: String)
    /// A result that does not have the shape the method promises (a bad hex quantity, a missing field).
    case unexpectedResult(method: String, reason: String)

    public var description: String {
        switch self {
        case .transport(let method, let attempts, let reason):
            "\(method): endpoint unreachable after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
        case .httpStatus(let method, let status, let body): "\(method): HTTP \(status): \(body.prefix(200))"
        case .server(let method, let code, let message): "\(method): node error \(code): \(message)"
        case .malformedResponse(let method, let reason): "\(method): malformed JSON-RPC response: \(reason)"
        case .unexpectedResult(let method, let reason): "\(method): unexpected result: \(reason)"
        }
    }
}

/// A JSON-RPC 2.0 client over HTTP(S) on AsyncHTTPClient, with positional parameters (the form
/// Ethereum and Solana nodes take), per-call deadlines and retries with exponential back-off.
///
/// Calls are safe to repeat: reads are idempotent, and the writes we make (`eth_sendRawTransaction`,
/// `sendTransaction`) send signed bytes whose second arrival changes nothing, so a retry after a
/// lost answer is harmless; callers recognise "already known" answers.
public final class JSONRPCHTTPClient: Sendable {
    public let url: String
    public let policy: JSONRPCPolicy
    private let http: HTTPClient
    private let nextID = Atomic<Int64>(1)
    private let exchanges = Atomic<Int>(0)

    /// A client for `url` (http or https) on the shared HTTP client.
    public init(url: String, policy: JSONRPCPolicy = JSONRPCPolicy(), http: HTTPClient = .shared) {
        self.url = url
        self.policy = policy
        self.http = http
    }

    /// HTTP exchanges made so far, retries included (the round trips a benchmark counts).
    public var roundTrips: Int { exchanges.load(ordering: .relaxed) }

    /// Calls `method` with positional `params` and returns its `result`.
    /// - Throws: `JSONRPCClientError`.
    public func call(_ method: String, _ params: [JSONValue] = []) async throws(JSONRPCClientError) -> JSONValue {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let body = JSONWriter.encode(
            .object(["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": .array(params)]))
        var backoff = policy.initialBackoff
        var attempt = 1
        while true {
            let failure: JSONRPCClientError
            switch await attemptExchange(body) {
            case .success(let (status, bytes)):
                if status == 200 { return try Self.result(of: bytes, id: id, method: method) }
                failure = .httpStatus(
                    method: method, status: status, body: String(decoding: bytes.prefix(512), as: UTF8.self))
                guard status == 429 || status >= 500 else { throw failure }
            case .failure(let transport):
                failure = .transport(method: method, attempts: attempt, reason: transport.reason)
            }
            guard attempt < policy.maximumAttempts, !Task.isCancelled else {
                if case .transport(_, _, let reason) = failure {
                    throw .transport(method: method, attempts: attempt, reason: reason)
                }
                throw failure
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, policy.maximumBackoff)
            attempt += 1
        }
    }

    /// One HTTP POST: the status and the body, or why the transport failed.
    private func attemptExchange(_ body: [UInt8]) async -> Result<(Int, [UInt8]), TransportFailure> {
        do { return .success(try await exchange(body)) } catch {
            return .failure(TransportFailure(Self.describe(error)))
        }
    }

    private struct TransportFailure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// One HTTP POST: the status and the body.
    private func exchange(_ body: [UInt8]) async throws -> (Int, [UInt8]) {
        exchanges.add(1, ordering: .relaxed)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let seconds = policy.requestTimeout.components
        let timeout = TimeAmount.nanoseconds(seconds.seconds * 1_000_000_000 + seconds.attoseconds / 1_000_000_000)
        let response = try await http.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: policy.maximumResponseBytes)
        return (Int(response.status.code), Array(buffer.readableBytesView))
    }

    /// The `result` of a response to request `id`, or its error.
    static func result(of bytes: [UInt8], id: Int64, method: String) throws(JSONRPCClientError) -> JSONValue {
        let response: JSONValue
        do { response = try JSONValue(parsing: bytes, limits: JSONLimits(maxBytes: Int.max, maxDepth: 128)) } catch {
            throw .malformedResponse(method: method, reason: error.description)
        }
        guard let object = response.objectValue else {
            throw .malformedResponse(method: method, reason: "expected an object, got \(response.kindDescription)")
        }
        guard object["jsonrpc"]?.stringValue == "2.0" else {
            throw .malformedResponse(method: method, reason: "jsonrpc is not \"2.0\"")
        }
        guard object["id"]?.int64Value == id else {
            throw .malformedResponse(method: method, reason: "the id does not match the request's \(id)")
        }
        if let error = object["error"], !error.isNull {
            throw .server(
                method: method, code: error["code"]?.int64Value ?? 0,
                message: error["message"]?.stringValue ?? "(no message)")
        }
        guard let result = object["result"] else { throw .malformedResponse(method: method, reason: "no result") }
        return result
    }

    private static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError { return client.shortDescription }
        return String(describing: error)
    }
}
