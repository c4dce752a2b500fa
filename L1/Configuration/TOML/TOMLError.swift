/// Why a document is not valid TOML (in the subset we read): where, and what was expected.
public struct TOMLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where the problem is.
    public let position: TOMLPosition
    /// What was wrong or expected (`expected '=' after the key, found 'x'`).
    public let message: String

    /// An error at `position`.
    public init(_ message: String, at position: TOMLPosition) {
        self.position = position
        self.message = message
    }

    /// The line, from 1.
    public var line: Int { position.line }
    /// The column, from 1.
    public var column: Int { position.column }

    public var description: String { "\(position): \(message)" }
}
