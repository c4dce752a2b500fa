/// A JSON object that keeps its keys in insertion order.
///
/// Lookups are by hash; iteration and writing follow the order keys were first inserted, so the
/// same object is always written the same way. Setting an existing key keeps its position;
/// setting a key to `nil` removes it. Equality ignores key order.
public struct JSONObject: Sendable, Equatable {
    private var orderedKeys: [String] = []
    private var storage: [String: JSONValue] = [:]

    /// An empty object.
    public init() {}

    /// An object from key-value pairs in this order; a repeated key keeps its last value.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The keys in insertion order.
    public var keys: [String] { orderedKeys }

    /// The number of members.
    public var count: Int { orderedKeys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { orderedKeys.isEmpty }

    /// The value for `key`, or nil; assigning nil removes the key.
    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { orderedKeys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                orderedKeys.removeAll { $0 == key }
            }
        }
    }

    /// Whether `key` is present (also when its value is `null`).
    public func contains(_ key: String) -> Bool {
        storage[key] != nil
    }

    /// Inserts `value` for a key that must not be present yet; returns false (and changes nothing)
    /// when it is. The parser uses this to refuse duplicate keys.
    @discardableResult
    public mutating func insertNew(_ key: String, _ value: JSONValue) -> Bool {
        guard storage[key] == nil else { return false }
        storage[key] = value
        orderedKeys.append(key)
        return true
    }

    /// The members in insertion order.
    public var members: [(key: String, value: JSONValue)] {
        orderedKeys.compactMap { key in storage[key].map { (key: key, value: $0) } }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.storage == rhs.storage
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object with the keys in the order written; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { self[key] = value }
    }
}
