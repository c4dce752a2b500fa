public import Primitives

/// What went wrong while laying out, extending, proving, reconstructing or sampling a square.
///
/// Every case names the offending value and what was expected, so a message from a peer or a user
/// can be acted on without reading the code. Nothing in this target traps on outside data.
public enum DataAvailabilityError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A share was not exactly `ShareFormat.shareSize` bytes.
    case wrongShareSize(actual: Int)
    /// A namespace was not exactly `Namespace.byteCount` bytes.
    case wrongNamespaceSize(actual: Int)
    /// A blob used a namespace reserved for padding or parity.
    case reservedNamespace(Namespace)
    /// The data needs more shares than the largest square holds.
    case blockTooLarge(shares: Int, maximum: Int)
    /// A square width outside 1…`ShareFormat.maxOriginalWidth` (original) or not matching the data.
    case invalidSquareWidth(Int)
    /// A byte buffer did not have the length its square width implies (truncated or padded data).
    case truncatedSquare(expected: Int, actual: Int)
    /// The original square's shares are not sorted by namespace.
    case namespacesOutOfOrder(index: Int)
    /// A coordinate lies outside the square.
    case coordinateOutOfRange(row: Int, column: Int, width: Int)
    /// A share could not be parsed back into blobs.
    case malformedShare(index: Int, reason: String)
    /// A proof did not lead to the root it was checked against.
    case rootMismatch(String)
    /// A proof is structurally invalid (wrong range, missing or extra nodes).
    case invalidProof(String)
    /// A namespace proof leaves out shares of the namespace or includes others.
    case incompleteNamespaceProof(String)
    /// Row and column roots are inconsistent with each other or with the square width.
    case invalidHeader(String)
    /// Too few shares are present to rebuild the square; `missing` shares could not be recovered.
    case unrecoverable(missing: Int)
    /// The rebuilt square does not commit to the expected data root.
    case reconstructedRootMismatch(expected: Hash, actual: Hash)
    /// A share was withheld (or could not be fetched) by the source.
    case shareUnavailable(row: Int, column: Int)
    /// A sampled share came with a proof that does not verify.
    case invalidSample(row: Int, column: Int, reason: String)
    /// A bad-encoding proof does not prove fraud.
    case invalidFraudProof(String)
    /// The erasure coder refused its input (a singular matrix or bad parameters).
    case codec(String)

    public var description: String {
        switch self {
        case .wrongShareSize(let actual):
            "a share must be \(ShareFormat.shareSize) bytes, got \(actual)"
        case .wrongNamespaceSize(let actual):
            "a namespace must be \(Namespace.byteCount) bytes, got \(actual)"
        case .reservedNamespace(let namespace):
            "namespace \(namespace) is reserved for padding or parity; use one below \(Namespace.tailPadding)"
        case .blockTooLarge(let shares, let maximum):
            "the block needs \(shares) shares but a square holds at most \(maximum) "
                + "(\(ShareFormat.maxOriginalWidth)×\(ShareFormat.maxOriginalWidth)); split it across blocks"
        case .invalidSquareWidth(let width):
            "square width \(width) is not allowed; the original square is 1…\(ShareFormat.maxOriginalWidth) shares wide"
        case .truncatedSquare(let expected, let actual):
            "square data must be \(expected) bytes for its width, got \(actual) (truncated or padded)"
        case .namespacesOutOfOrder(let index):
            "share \(index) has a smaller namespace than the share before it; original shares must be sorted"
        case .coordinateOutOfRange(let row, let column, let width):
            "coordinate (\(row), \(column)) is outside the \(width)×\(width) square"
        case .malformedShare(let index, let reason):
            "share \(index) is malformed: \(reason)"
        case .rootMismatch(let detail):
            "proof does not match the root: \(detail)"
        case .invalidProof(let detail):
            "invalid proof: \(detail)"
        case .incompleteNamespaceProof(let detail):
            "namespace proof is not complete: \(detail)"
        case .invalidHeader(let detail):
            "invalid data-availability header: \(detail)"
        case .unrecoverable(let missing):
            "\(missing) shares cannot be recovered from the shares present; fetch more shares"
        case .reconstructedRootMismatch(let expected, let actual):
            "the rebuilt square has data root \(actual.hex), expected \(expected.hex): "
                + "some shares given were wrong or the block is badly encoded"
        case .shareUnavailable(let row, let column):
            "share (\(row), \(column)) is unavailable: the block's data may be withheld"
        case .invalidSample(let row, let column, let reason):
            "sampled share (\(row), \(column)) failed verification: \(reason)"
        case .invalidFraudProof(let detail):
            "the bad-encoding proof does not prove fraud: \(detail)"
        case .codec(let detail):
            "erasure codec: \(detail)"
        }
    }
}
