/// A JSON-RPC request id: a string, a number or null, echoed back exactly in the response.
public enum RPCID: Sendable, Equatable {
    /// `"id": null` (allowed, though the specification discourages it).
    case null
    /// A string id.
    case string(String)
    /// A numeric id, kept as parsed (integers exactly).
    case number(JSONValue)

    /// The id from a request's `id` member, or nil when it is not a string, number or null.
    public init?(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .string(let text): self = .string(text)
        case .integer, .unsignedInteger, .double: self = .number(json)
        case .bool, .array, .object: return nil
        }
    }

    /// The id as JSON.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .string(let text): .string(text)
        case .number(let value): value
        }
    }
}

/// The `params` of a request: absent, by position, or by name.
public enum RPCParams: Sendable, Equatable {
    /// No `params` member.
    case none
    /// `params` is an array.
    case positional([JSONValue])
    /// `params` is an object.
    case named(JSONObject)

    /// The number of params given.
    public var count: Int {
        switch self {
        case .none: 0
        case .positional(let values): values.count
        case .named(let object): object.count
        }
    }
}

/// One parsed, valid JSON-RPC request.
public struct RPCRequest: Sendable, Equatable {
    /// The id, or nil for a notification (which gets no response).
    public let id: RPCID?
    /// The method name.
    public let method: String
    /// The params as sent.
    public let params: RPCParams

    /// A request; `id` nil makes it a notification.
    public init(id: RPCID?, method: String, params: RPCParams = .none) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// Whether this is a notification (no `id` member at all).
    public var isNotification: Bool { id == nil }
}

/// The params of a call, resolved against the method's declared parameter names, with typed getters
/// whose errors name the param and say what was wrong.
///
/// Positional params map to the declared names in order; named params by key. Construction already
/// refused extra positional params and unknown names. A param given as `null` counts as absent.
public struct RPCArguments: Sendable {
    /// The method being called.
    public let method: String
    /// The declared parameter names, in positional order.
    public let names: [String]
    /// The params as sent.
    public let params: RPCParams

    /// Resolves `params` against `names`.
    /// - Throws: invalid params (-32602) for more positional params than names, or an unknown name.
    public init(method: String, names: [String], params: RPCParams) throws(RPCError) {
        switch params {
        case .none: break
        case .positional(let values):
            guard values.count <= names.count else {
                throw RPCError.invalidParams(
                    "\(method) takes \(Self.describe(names)), got \(values.count) positional params")
            }
        case .named(let object):
            if let unknown = object.keys.first(where: { !names.contains($0) }) {
                throw RPCError.invalidParams(
                    "is not a param of \(method), which takes \(Self.describe(names))",
                    param: unknown)
            }
        }
        self.method = method
        self.names = names
        self.params = params
    }

    /// The raw value of param `name`, or nil when absent or `null`.
    public func value(_ name: String) -> JSONValue? {
        let found: JSONValue?
        switch params {
        case .none: found = nil
        case .positional(let values):
            guard let index = names.firstIndex(of: name), index < values.count else { return nil }
            found = values[index]
        case .named(let object): found = object[name]
        }
        if let found, !found.isNull { return found }
        return nil
    }

    /// Param `name` as `T`.
    /// - Throws: invalid params (-32602) naming the param when it is missing or not a `T`.
    public func required<T: JSONRepresentable>(_ name: String, as type: T.Type = T.self) throws(RPCError) -> T {
        guard let value = value(name) else { throw RPCError.invalidParams("is required", param: name) }
        return try decode(value, name: name)
    }

    /// Param `name` as `T`, or nil when absent or `null`.
    /// - Throws: invalid params (-32602) naming the param when it is present but not a `T`.
    public func optional<T: JSONRepresentable>(_ name: String, as type: T.Type = T.self) throws(RPCError) -> T? {
        guard let value = value(name) else { return nil }
        return try decode(value, name: name)
    }

    private func decode<T: JSONRepresentable>(_ value: JSONValue, name: String) throws(RPCError) -> T {
        do throws(JSONTypeMismatch) {
            return try T(json: value)
        } catch {
            throw RPCError.invalidParams(error.description, param: name)
        }
    }

    private static func describe(_ names: [String]) -> String {
        switch names.count {
        case 0: "no params"
        case 1: "1 param (\(names[0]))"
        default: "\(names.count) params (\(names.joined(separator: ", ")))"
        }
    }
}
