/// Why a configuration file was refused: where, which key and what is wrong.
///
/// `description` reads like a compiler diagnostic: `genesis.toml:3:11: chain.slot_ms: must be
/// positive, found 0`.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    public enum Kind: Hashable, Sendable {
        /// The text is not valid TOML.
        case syntax
        /// A required key is absent.
        case missingKey
        /// A key this file does not have.
        case unknownKey
        /// The value has the wrong type (a string where a number belongs…).
        case wrongType
        /// The value has the right type but is not allowed (out of range, repeated…).
        case invalidValue
    }

    /// The kind of problem.
    public let kind: Kind
    /// The file (or a name for the text) the error is in.
    public let source: String
    /// The key, as a path (`chain.slot_ms`, `validators[1].stake`); empty for syntax errors.
    public let key: String
    /// Where in the file, when known (values built in code have no position).
    public let position: TOMLPosition?
    /// What is wrong and what is expected.
    public let message: String

    /// An error from its parts.
    public init(kind: Kind, source: String, key: String, position: TOMLPosition?, message: String) {
        self.kind = kind
        self.source = source
        self.key = key
        self.position = position
        self.message = message
    }

    public var description: String {
        var text = source
        if let position { text += ":\(position.line):\(position.column)" }
        text += ": "
        if !key.isEmpty { text += "\(key): " }
        return text + message
    }
}
