import NIOCore

/// The subscription side of one WebSocket connection, as the dispatcher sees it.
protocol SubscriptionSession: Sendable {
    /// Starts a subscription to `topic` and returns its id.
    func subscribe(to topic: SubscriptionTopic) throws(RPCError) -> String
    /// Ends subscription `id`; false when this connection has no such subscription.
    func unsubscribe(_ id: String) -> Bool
}

/// Turns request bytes into response bytes: JSON-RPC 2.0 parsing, validation, batches,
/// notifications, the built-in subscription methods, and request metrics. Transport-independent:
/// the HTTP and WebSocket handlers both call ``process(_:session:)``.
struct RPCDispatcher: Sendable {
    let handler: any RPCHandler
    let limits: JSONLimits
    let maxBatchSize: Int
    let topics: Set<SubscriptionTopic>
    let metrics: NodeMetrics

    /// The members a request object may have.
    private static let requestMembers: Set<String> = ["jsonrpc", "id", "method", "params"]

    /// The response to one HTTP body or WebSocket message, or nil when nothing is to be sent back
    /// (a notification, or a batch of notifications only).
    func process(_ body: ByteBuffer, session: (any SubscriptionSession)?) async -> [UInt8]? {
        let parsed = body.withUnsafeReadableBytes { raw in
            Result { () throws(JSONParseError) in
                try JSONValue(parsing: raw.assumingMemoryBound(to: UInt8.self), limits: limits)
            }
        }
        let response: JSONValue?
        switch parsed {
        case .failure(let error):
            metrics.recordRPCRequest(method: NodeMetrics.invalidMethodLabel, code: RPCError.Code.parseError)
            response = Self.response(id: nil, outcome: .failure(.parseError(error.description)))
        case .success(let value):
            response = await respond(to: value, session: session)
        }
        return response.map(JSONWriter.encode)
    }

    /// The response to a parsed request or batch, or nil when none is due.
    func respond(to value: JSONValue, session: (any SubscriptionSession)?) async -> JSONValue? {
        guard case .array(let entries) = value else { return await respondToOne(value, session: session) }
        guard !entries.isEmpty else {
            metrics.recordRPCRequest(method: NodeMetrics.invalidMethodLabel, code: RPCError.Code.invalidRequest)
            return Self.response(id: nil, outcome: .failure(.invalidRequest("empty batch")))
        }
        guard entries.count <= maxBatchSize else {
            metrics.recordRPCRequest(method: NodeMetrics.invalidMethodLabel, code: RPCError.Code.invalidRequest)
            let error = RPCError.invalidRequest(
                "a batch of \(entries.count) requests exceeds the limit of \(maxBatchSize)",
                data: ["limit": .integer(Int64(maxBatchSize))])
            return Self.response(id: nil, outcome: .failure(error))
        }
        // In order, one after another: a client batching transactions from one account relies on it.
        var responses: [JSONValue] = []
        for entry in entries {
            if let response = await respondToOne(entry, session: session) { responses.append(response) }
        }
        return responses.isEmpty ? nil : .array(responses)
    }

    private func respondToOne(_ value: JSONValue, session: (any SubscriptionSession)?) async -> JSONValue? {
        let request: RPCRequest
        do throws(InvalidRequest) {
            request = try Self.validate(value)
        } catch {
            metrics.recordRPCRequest(method: NodeMetrics.invalidMethodLabel, code: RPCError.Code.invalidRequest)
            return Self.response(id: error.id, outcome: .failure(error.error))
        }
        let start = ContinuousClock.now
        let (label, outcome) = await call(request, session: session)
        let code: Int? =
            switch outcome {
            case .success: nil
            case .failure(let error): error.code
            }
        metrics.recordRPCRequest(method: label, code: code, duration: ContinuousClock.now - start)
        guard let id = request.id else { return nil }
        return Self.response(id: id, outcome: outcome)
    }

    /// Runs a valid request; returns the metrics label of its method and its outcome.
    private func call(
        _ request: RPCRequest, session: (any SubscriptionSession)?
    ) async -> (String, Result<JSONValue, RPCError>) {
        let method = request.method
        if RPCMethods.reservedNames.contains(method) {
            return (method, Result { () throws(RPCError) in try subscriptionCall(request, session: session) })
        }
        guard let names = handler.parameterNames(of: method) else {
            return (NodeMetrics.unknownMethodLabel, .failure(.methodNotFound(method)))
        }
        do throws(RPCError) {
            let arguments = try RPCArguments(method: method, names: names, params: request.params)
            return (method, .success(try await handler.handle(method, arguments: arguments)))
        } catch {
            return (method, .failure(error))
        }
    }

    private func subscriptionCall(
        _ request: RPCRequest, session: (any SubscriptionSession)?
    ) throws(RPCError) -> JSONValue {
        guard let session else {
            throw RPCError.application(
                code: RPCError.Server.subscriptionsNeedWebSocket,
                message: "\(request.method) needs a WebSocket connection (GET /ws)")
        }
        if request.method == "subscribe" {
            let arguments = try RPCArguments(method: request.method, names: ["topic"], params: request.params)
            let name = try arguments.required("topic", as: String.self)
            let topic = SubscriptionTopic(name)
            guard topics.contains(topic) else {
                let known = topics.map(\.name).sorted()
                throw RPCError.invalidParams(
                    "names no topic this node publishes (topics: \(known.joined(separator: ", ")))", param: "topic")
            }
            return .string(try session.subscribe(to: topic))
        }
        let arguments = try RPCArguments(method: request.method, names: ["subscription"], params: request.params)
        return .bool(session.unsubscribe(try arguments.required("subscription", as: String.self)))
    }

    // MARK: - Validation

    private struct InvalidRequest: Error {
        let id: RPCID?
        let error: RPCError
    }

    /// Checks the request object's shape (JSON-RPC 2.0 section 4).
    private static func validate(_ value: JSONValue) throws(InvalidRequest) -> RPCRequest {
        guard case .object(let object) = value else {
            throw InvalidRequest(
                id: nil, error: .invalidRequest("a request must be an object, got \(value.kindDescription)"))
        }
        var id: RPCID? = nil
        if let rawID = object["id"] {
            guard let parsed = RPCID(json: rawID) else {
                throw InvalidRequest(
                    id: nil,
                    error: .invalidRequest("\"id\" must be a string, a number or null, got \(rawID.kindDescription)"))
            }
            id = parsed
        }
        // An invalid request is answered even without an id: the client cannot have meant it as a notification.
        let replyID = id ?? .null
        guard object["jsonrpc"] == .string("2.0") else {
            throw InvalidRequest(id: replyID, error: .invalidRequest("\"jsonrpc\" must be exactly \"2.0\""))
        }
        guard let methodValue = object["method"] else {
            throw InvalidRequest(id: replyID, error: .invalidRequest("\"method\" is missing"))
        }
        guard case .string(let method) = methodValue else {
            throw InvalidRequest(
                id: replyID, error: .invalidRequest("\"method\" must be a string, got \(methodValue.kindDescription)"))
        }
        let params: RPCParams
        switch object["params"] {
        case nil: params = .none
        case .array(let values): params = .positional(values)
        case .object(let members): params = .named(members)
        case let other?:
            throw InvalidRequest(
                id: replyID,
                error: .invalidRequest("\"params\" must be an array or an object, got \(other.kindDescription)"))
        }
        if let unexpected = object.keys.first(where: { !requestMembers.contains($0) }) {
            let shown = unexpected.count <= 40 ? unexpected : String(unexpected.prefix(40)) + "…"
            throw InvalidRequest(id: replyID, error: .invalidRequest("unexpected member \"\(shown)\""))
        }
        return RPCRequest(id: id, method: method, params: params)
    }

    // MARK: - Responses

    /// A response object; `id` nil is written as `null` (for errors where no id could be read).
    static func response(id: RPCID?, outcome: Result<JSONValue, RPCError>) -> JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0", "id": (id ?? .null).json]
        switch outcome {
        case .success(let result): object["result"] = result
        case .failure(let error): object["error"] = error.json
        }
        return .object(object)
    }

    /// The bytes of a lone error response with a null id (for errors found before parsing).
    static func errorBody(_ error: RPCError) -> [UInt8] {
        JSONWriter.encode(response(id: nil, outcome: .failure(error)))
    }
}
