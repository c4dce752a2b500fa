/// What the RPC server calls to run methods: the node implements it, or fills an ``RPCMethods`` table.
///
/// The server owns the protocol: it parses requests, answers protocol errors, resolves params
/// against ``parameterNames(of:)``, handles `subscribe`/`unsubscribe` itself, counts requests in
/// the metrics, and writes responses. A handler only sees valid calls of methods it declared.
public protocol RPCHandler: Sendable {
    /// The parameter names of `method` in positional order, or nil when there is no such method
    /// (the server then answers -32601 without calling ``handle(_:arguments:)``).
    func parameterNames(of method: String) -> [String]?

    /// Runs `method`. Throw ``RPCError/invalidParams(_:param:)`` for bad values,
    /// ``RPCError/application(code:message:data:)`` for domain failures, and
    /// ``RPCError/internalError`` (after logging the cause) when something broke.
    func handle(_ method: String, arguments: RPCArguments) async throws(RPCError) -> JSONValue
}

/// A method table: the node registers `name → async (arguments) throws(RPCError) -> JSONValue`.
///
/// ```swift
/// var methods = RPCMethods()
/// methods.register("getBalance", params: ["address", "denomination"]) { arguments throws(RPCError) in
///     let address = try arguments.required("address", as: String.self)
///     return try await node.balance(of: address).json
/// }
/// ```
public struct RPCMethods: RPCHandler {
    /// A method's implementation.
    public typealias Body = @Sendable (RPCArguments) async throws(RPCError) -> JSONValue

    private struct Entry: Sendable {
        let names: [String]
        let body: Body
    }

    private var table: [String: Entry] = [:]

    /// Names the server handles itself; registering them is a programming error.
    public static let reservedNames: Set<String> = ["subscribe", "unsubscribe"]

    /// An empty table.
    public init() {}

    /// Registers `name` with its parameter names in positional order.
    ///
    /// Registering a name twice, a reserved name (``reservedNames``, or one starting with `rpc.`,
    /// which JSON-RPC reserves) or duplicate parameter names is a programming error and traps.
    public mutating func register(_ name: String, params: [String] = [], _ body: @escaping Body) {
        precondition(!Self.reservedNames.contains(name) && !name.hasPrefix("rpc."), "\(name) is reserved")
        precondition(table[name] == nil, "RPC method \(name) is registered twice")
        precondition(Set(params).count == params.count, "RPC method \(name) repeats a parameter name")
        table[name] = Entry(names: params, body: body)
    }

    /// The registered method names, sorted.
    public var methodNames: [String] { table.keys.sorted() }

    public func parameterNames(of method: String) -> [String]? {
        table[method]?.names
    }

    public func handle(_ method: String, arguments: RPCArguments) async throws(RPCError) -> JSONValue {
        guard let entry = table[method] else { throw RPCError.methodNotFound(method) }
        return try await entry.body(arguments)
    }
}
