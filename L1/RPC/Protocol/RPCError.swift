/// A JSON-RPC 2.0 error object: a code, a message for people, and optional structured data.
///
/// Use the constructors: the standard errors have fixed codes and messages that say what was
/// wrong (`method "getBlok" not found`), ``internalError`` never carries internal details, and
/// application errors must use a code in ``ApplicationCode``'s range. See `Docs/spec/rpc.md`.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error code.
    public let code: Int
    /// A short sentence saying what went wrong.
    public let message: String
    /// Structured detail (which param, which limit), or nil.
    public let data: JSONValue?

    private init(code: Int, message: String, data: JSONValue?) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "JSON-RPC error \(code): \(message)" }

    /// The error object as JSON: `{"code":…,"message":…,"data":…}`.
    public var json: JSONValue {
        var object: JSONObject = ["code": .integer(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    // MARK: - Standard codes

    /// The codes of the JSON-RPC 2.0 specification.
    public enum Code {
        /// The body is not valid JSON (or breaks a parser limit).
        public static let parseError = -32700
        /// The JSON is not a valid request object.
        public static let invalidRequest = -32600
        /// No such method.
        public static let methodNotFound = -32601
        /// The params are missing, of the wrong type or out of range.
        public static let invalidParams = -32602
        /// The server failed; details are only in the server's log.
        public static let internalError = -32603
    }

    /// The body is not valid JSON; `detail` says where and why.
    public static func parseError(_ detail: String) -> RPCError {
        RPCError(code: Code.parseError, message: "parse error: \(detail)", data: nil)
    }

    /// The JSON is not a valid JSON-RPC 2.0 request; `detail` says what is wrong with it.
    public static func invalidRequest(_ detail: String, data: JSONValue? = nil) -> RPCError {
        RPCError(code: Code.invalidRequest, message: "invalid request: \(detail)", data: data)
    }

    /// There is no method named `method`.
    public static func methodNotFound(_ method: String) -> RPCError {
        let shown = method.count <= 64 ? method : String(method.prefix(64)) + "…"
        return RPCError(
            code: Code.methodNotFound, message: "method \"\(shown)\" not found", data: ["method": .string(shown)])
    }

    /// The params are wrong; `param` names the offending one when there is one.
    public static func invalidParams(_ detail: String, param: String? = nil) -> RPCError {
        let message = param.map { "invalid params: \"\($0)\" \(detail)" } ?? "invalid params: \(detail)"
        return RPCError(code: Code.invalidParams, message: message, data: param.map { ["param": .string($0)] })
    }

    /// The server failed. The message is fixed so no internal detail reaches the client; log the
    /// cause where you throw this.
    public static let internalError = RPCError(code: Code.internalError, message: "internal error", data: nil)

    // MARK: - Application errors

    /// A code in -32000…-32099, the range JSON-RPC reserves for implementation-defined server
    /// errors. Our split: -32000…-32079 for the node's methods, -32080…-32099 for the RPC server
    /// itself (see ``RPCError/Server``).
    public struct ApplicationCode: Sendable, Hashable, ExpressibleByIntegerLiteral {
        /// The code, in -32099…-32000.
        public let rawValue: Int

        /// The code, or nil when `rawValue` is outside -32099…-32000.
        public init?(rawValue: Int) {
            guard (-32099 ... -32000).contains(rawValue) else { return nil }
            self.rawValue = rawValue
        }

        /// A code written in the source; a literal outside -32099…-32000 is a programming error.
        public init(integerLiteral value: Int) {
            precondition((-32099 ... -32000).contains(value), "JSON-RPC application codes are -32099...-32000")
            rawValue = value
        }
    }

    /// An application error (insufficient balance, unknown block…) with optional data.
    public static func application(code: ApplicationCode, message: String, data: JSONValue? = nil) -> RPCError {
        RPCError(code: code.rawValue, message: message, data: data)
    }

    /// Codes the RPC server uses for errors of its own (-32080…-32099).
    public enum Server {
        /// `subscribe`/`unsubscribe` were called over plain HTTP.
        public static let subscriptionsNeedWebSocket: ApplicationCode = -32090
        /// The connection already has the most subscriptions allowed.
        public static let tooManySubscriptions: ApplicationCode = -32091
        /// The server is shutting down, or the connection is closing.
        public static let shuttingDown: ApplicationCode = -32092
        /// The server has its maximum number of connections.
        public static let tooManyConnections: ApplicationCode = -32093
    }
}
