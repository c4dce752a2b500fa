public import Primitives

/// Where a message goes: a module name and the module's tag for the message type.
public struct MessageRoute: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The module that handles the message (`Bank.name`, …).
    public let module: String
    /// The module's tag for this message type.
    public let kind: UInt16

    /// A route from its parts.
    public init(module: String, kind: UInt16) {
        self.module = module
        self.kind = kind
    }

    public var description: String { "\(module)/\(kind)" }

    public static func < (lhs: MessageRoute, rhs: MessageRoute) -> Bool {
        (lhs.module, lhs.kind) < (rhs.module, rhs.kind)
    }
}

/// One message of a transaction: a route and a body that only the routed module interprets.
///
/// The body is the canonical encoding of the module's message type (`ModuleMessage`). The envelope
/// keeps the transaction format independent of the modules a chain composes: a node decodes and
/// verifies every transaction without knowing what its messages mean.
public struct Message: Hashable, Sendable {
    /// The longest module name, in bytes.
    public static let maxModuleNameLength = 32
    /// The largest body, in bytes (the transaction's own size limit is usually reached first).
    public static let maxBodyLength = 16 * 1024

    /// The module that handles the message.
    public var module: String
    /// The module's tag for the message type.
    public var kind: UInt16
    /// The module's canonical encoding of the message.
    public var body: [UInt8]

    /// A message from its parts (not checked here; the router rejects unknown routes).
    public init(module: String, kind: UInt16, body: [UInt8]) {
        self.module = module
        self.kind = kind
        self.body = body
    }

    /// The envelope of a typed module message.
    public init<M: ModuleMessage>(_ message: M) {
        self.init(module: M.route.module, kind: M.route.kind, body: Canonical.encode(message))
    }

    /// The route this message takes.
    public var route: MessageRoute { MessageRoute(module: module, kind: kind) }

    /// Decodes the body as `M`, after checking that the route is `M`'s.
    /// - Throws: `CodecError` when the route differs or the body is not `M`'s canonical encoding.
    public func decode<M: ModuleMessage>(_: M.Type) throws(CodecError) -> M {
        guard route == M.route else {
            throw .invalidValue(offset: 0, reason: "message \(route) is not a \(M.route) message")
        }
        return try Canonical.decode(M.self, from: body)
    }
}

extension Message: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(module)
        encoder.write(kind)
        encoder.write(bytes: body)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        module = try decoder.read(String.self, maxLength: Message.maxModuleNameLength)
        kind = try decoder.read(UInt16.self)
        body = try decoder.readBytes(maxLength: Message.maxBodyLength)
    }
}

/// A module's typed message: canonical encoding plus the route it travels on.
public protocol ModuleMessage: CanonicalCodable, Sendable {
    /// The module name and type tag of this message type.
    static var route: MessageRoute { get }
}
