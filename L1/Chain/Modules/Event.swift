public import Primitives

/// Something a module reports about what it did: a kind and ordered key-value attributes.
///
/// Events of a transaction go into its receipt (and so into the receipt root); a failed
/// transaction's events are dropped with its writes. Attribute values are text, as clients show
/// them: addresses in hex, amounts in decimal base units.
public struct Event: Hashable, Sendable {
    /// The module that emitted the event.
    public var module: String
    /// What happened (`transfer`, `mint`, …), unique within the module.
    public var kind: String
    /// The details, in the order the module gives them.
    public var attributes: [EventAttribute]

    /// An event from its parts.
    public init(module: String, kind: String, attributes: [EventAttribute]) {
        self.module = module
        self.kind = kind
        self.attributes = attributes
    }

    /// The value of the first attribute named `key`.
    public subscript(key: String) -> String? {
        attributes.first { $0.key == key }?.value
    }
}

/// One key-value detail of an event.
public struct EventAttribute: Hashable, Sendable {
    /// The attribute's name.
    public var key: String
    /// The attribute's value, as text.
    public var value: String

    /// An attribute from its key and value.
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

extension Event: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(module)
        encoder.write(kind)
        encoder.write(attributes)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        module = try decoder.read(String.self, maxLength: Message.maxModuleNameLength)
        kind = try decoder.read(String.self, maxLength: 64)
        attributes = try decoder.readArray(of: EventAttribute.self, maxCount: 64)
    }
}

extension EventAttribute: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(key)
        encoder.write(value)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        key = try decoder.read(String.self, maxLength: 64)
        value = try decoder.read(String.self, maxLength: 1024)
    }
}
