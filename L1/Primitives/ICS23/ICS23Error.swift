/// Why an ICS-23 proof could not be decoded, computed or verified.
///
/// Decoding errors carry the byte offset in the outermost message. Errors found inside a part of a
/// proof are wrapped (`inLeaf`, `inPathStep`, `inLeftNeighbor`, …) so the description reads from
/// the outside in, e.g. "left neighbour: path step 3: inner prefix too short (0 bytes, minimum 1)".
public enum ICS23Error: Error, Hashable, Sendable {
    // MARK: Wire format

    /// The input ends inside the value that starts at `offset`.
    case truncated(offset: Int)
    /// A varint is longer than 10 bytes, overflows 64 bits, or is not in its shortest form.
    case malformedVarint(offset: Int)
    /// A field key has field number 0 or does not fit in 32 bits.
    case invalidFieldNumber(offset: Int)
    /// A field key has wire type 6 or 7, which do not exist.
    case invalidWireType(offset: Int, wireType: UInt8)
    /// A known field arrived with a wire type its declared type cannot have.
    case wrongWireType(field: String, wireType: UInt8)
    /// A length prefix announces more bytes than the enclosing message holds.
    case lengthOutOfRange(offset: Int, length: UInt64, available: Int)
    /// Messages or groups nest deeper than the limit.
    case nestingTooDeep(limit: Int)
    /// An end-group key without its start-group key.
    case unmatchedEndGroup(offset: Int)
    /// An enum field holds a number this version does not define.
    case unknownEnumValue(field: String, value: UInt64)
    /// A varint in an `int32` field is neither a 32-bit value nor its sign extension.
    case int32OutOfRange(field: String, offset: Int)
    /// A `CommitmentProof` or batch entry with none of its alternatives set.
    case missingProof(message: String)

    // MARK: Computing hashes

    /// The hash operation is not available (or, for `.noHash`, not allowed as a final hash).
    case unsupportedHashOp(ICS23.HashOp)
    /// The length operation is not supported (`.varRLP`).
    case unsupportedLengthOp(ICS23.LengthOp)
    /// A `REQUIRE_32_BYTES` / `REQUIRE_64_BYTES` length op got data of another length, or a
    /// fixed-width length prefix cannot hold the length.
    case lengthOpViolated(ICS23.LengthOp, length: Int)
    /// A leaf needs a non-empty key.
    case emptyKey
    /// A leaf needs a non-empty value.
    case emptyValue
    /// An inner step needs a non-empty child hash.
    case emptyChild
    /// An existence proof has no leaf operation.
    case missingLeaf
    /// A step produced a hash longer than the spec's child size (a hash that cannot fit a slot).
    case hashLongerThanChild(length: Int, childSize: Int32)
    /// A compressed proof refers to a lookup step that does not exist.
    case invalidLookupIndex(Int32, lookupCount: Int)

    // MARK: Checking against the spec

    /// The op's hash differs from the spec's.
    case unexpectedHashOp(ICS23.HashOp, expected: ICS23.HashOp)
    /// The leaf's key prehash differs from the spec's.
    case unexpectedPrehashKey(ICS23.HashOp, expected: ICS23.HashOp)
    /// The leaf's value prehash differs from the spec's.
    case unexpectedPrehashValue(ICS23.HashOp, expected: ICS23.HashOp)
    /// The leaf's length op differs from the spec's.
    case unexpectedLengthOp(ICS23.LengthOp, expected: ICS23.LengthOp)
    /// The leaf prefix does not start with the spec's leaf prefix.
    case leafPrefixMismatch(required: [UInt8])
    /// An inner prefix starts with the leaf prefix, so the step could be a disguised leaf.
    case innerPrefixStartsWithLeafPrefix([UInt8])
    /// An inner prefix is shorter than the spec allows.
    case innerPrefixTooShort(length: Int, minimum: Int)
    /// An inner prefix is longer than the spec allows.
    case innerPrefixTooLong(length: Int, maximum: Int)
    /// An inner suffix is not a whole number of child hashes.
    case malformedSuffix(length: Int, childSize: Int32)
    /// The spec itself is unusable (the reason says which parameter).
    case invalidSpec(String)
    /// The path has fewer steps than the spec's `minDepth`.
    case pathTooShort(length: Int, minimum: Int)
    /// The path has more steps than the spec's `maxDepth` (128 when the spec says 0).
    case pathTooLong(length: Int, maximum: Int)
    /// An IAVL leaf or inner prefix does not encode a valid node header (`layer` is 0 for the
    /// leaf, 1 for the first inner step, …).
    case invalidIAVLPrefix(layer: Int, ICS23Error.IAVLPrefixProblem)
    /// A Tendermint inner prefix is not `01` (child on the left) or `01 || sibling` (child on the
    /// right).
    case invalidTendermintPrefix([UInt8])

    // MARK: Verifying

    /// The proof is for another key.
    case keyMismatch
    /// The proof is for another value.
    case valueMismatch
    /// The proof leads to another root.
    case rootMismatch(expected: [UInt8], calculated: [UInt8])
    /// The proof is of the wrong kind for the question (e.g. non-existence for membership).
    case wrongProofKind(expected: String, actual: String)
    /// A batch has no entry for the key.
    case noProofForKey
    /// A non-existence proof with neither neighbour.
    case noNeighbors
    /// The key is not strictly after the left neighbour's key.
    case keyNotAfterLeftNeighbor
    /// The key is not strictly before the right neighbour's key.
    case keyNotBeforeRightNeighbor
    /// Only a right neighbour, but it is not the left-most key.
    case rightNeighborNotLeftMost
    /// Only a left neighbour, but it is not the right-most key.
    case leftNeighborNotRightMost
    /// The two neighbours are not adjacent in the tree.
    case neighborsNotAdjacent
    /// An inner step's prefix and suffix lengths fit no branch of the spec.
    case noBranchMatchesPadding(prefixLength: Int, suffixLength: Int)
    /// A branch number is missing from the spec's child order.
    case branchNotInChildOrder(Int)

    // MARK: Context

    /// The error is in the leaf operation.
    indirect case inLeaf(ICS23Error)
    /// The error is in path step `index` (0 is the step just above the leaf).
    indirect case inPathStep(index: Int, ICS23Error)
    /// The error is in a non-existence proof's left neighbour.
    indirect case inLeftNeighbor(ICS23Error)
    /// The error is in a non-existence proof's right neighbour.
    indirect case inRightNeighbor(ICS23Error)

    /// What is wrong with an IAVL node header (zig-zag varints height, size, version, then the
    /// child-length bytes).
    public enum IAVLPrefixProblem: Hashable, Sendable {
        /// The named varint is missing, truncated or overflows.
        case unreadable(field: String)
        /// The height is below the layer number.
        case heightBelowLayer(height: Int64)
        /// Size or version is negative.
        case negative(field: String, value: Int64)
        /// After the varints: a leaf must have 0 bytes left, an inner node 1 or 34.
        case remainder(length: Int)
        /// A leaf must have height 0.
        case leafHeight(Int64)
        /// A leaf must have size 1.
        case leafSize(Int64)
    }
}

// MARK: - Descriptions

extension ICS23Error: CustomStringConvertible {
    /// What went wrong, outermost context first.
    public var description: String {
        switch self {
        case .truncated(let offset): "input ends inside the value at offset \(offset)"
        case .malformedVarint(let offset): "malformed varint at offset \(offset) (too long or not shortest form)"
        case .invalidFieldNumber(let offset): "invalid protobuf field number at offset \(offset)"
        case .invalidWireType(let offset, let wireType): "invalid wire type \(wireType) at offset \(offset)"
        case .wrongWireType(let field, let wireType): "field \(field) cannot have wire type \(wireType)"
        case .lengthOutOfRange(let offset, let length, let available):
            "length \(length) at offset \(offset) exceeds the \(available) bytes left in the message"
        case .nestingTooDeep(let limit): "messages nest deeper than \(limit) levels"
        case .unmatchedEndGroup(let offset): "end-group key at offset \(offset) has no matching start"
        case .unknownEnumValue(let field, let value): "field \(field) has unknown enum value \(value)"
        case .int32OutOfRange(let field, let offset): "field \(field) at offset \(offset) is not an int32"
        case .missingProof(let message): "\(message) has no proof set"
        case .unsupportedHashOp(.noHash): "NO_HASH cannot be the final hash of a leaf or inner step"
        case .unsupportedHashOp(let op): "hash operation \(op) is not supported"
        case .unsupportedLengthOp(let op): "length operation \(op) is not supported"
        case .lengthOpViolated(let op, let length): "length operation \(op) cannot take \(length) bytes"
        case .emptyKey: "a leaf needs a non-empty key"
        case .emptyValue: "a leaf needs a non-empty value"
        case .emptyChild: "an inner step needs a non-empty child hash"
        case .missingLeaf: "the existence proof has no leaf operation"
        case .hashLongerThanChild(let length, let childSize):
            "a step produced \(length) bytes, more than the spec's child size \(childSize)"
        case .invalidLookupIndex(let index, let count):
            "compressed path refers to lookup step \(index) but there are \(count)"
        case .unexpectedHashOp(let op, let expected): "hash operation \(op), spec requires \(expected)"
        case .unexpectedPrehashKey(let op, let expected): "key prehash \(op), spec requires \(expected)"
        case .unexpectedPrehashValue(let op, let expected): "value prehash \(op), spec requires \(expected)"
        case .unexpectedLengthOp(let op, let expected): "length operation \(op), spec requires \(expected)"
        case .leafPrefixMismatch(let required): "leaf prefix does not start with \(required.hex)"
        case .innerPrefixStartsWithLeafPrefix(let leafPrefix):
            "inner prefix starts with the leaf prefix \(leafPrefix.hex)"
        case .innerPrefixTooShort(let length, let minimum):
            "inner prefix too short (\(length) bytes, minimum \(minimum))"
        case .innerPrefixTooLong(let length, let maximum):
            "inner prefix too long (\(length) bytes, maximum \(maximum))"
        case .malformedSuffix(let length, let childSize):
            "inner suffix of \(length) bytes is not a multiple of the child size \(childSize)"
        case .invalidSpec(let reason): "invalid proof spec: \(reason)"
        case .pathTooShort(let length, let minimum): "path has \(length) steps, spec requires at least \(minimum)"
        case .pathTooLong(let length, let maximum): "path has \(length) steps, spec allows at most \(maximum)"
        case .invalidIAVLPrefix(let layer, let problem): "invalid IAVL prefix at layer \(layer): \(problem)"
        case .invalidTendermintPrefix(let prefix):
            "Tendermint inner prefix \(prefix.hex) is not 01 (child left) or 01 || sibling (child right)"
        case .keyMismatch: "the proof is for another key"
        case .valueMismatch: "the proof is for another value"
        case .rootMismatch(let expected, let calculated):
            "the proof leads to root \(calculated.hex), expected \(expected.hex)"
        case .wrongProofKind(let expected, let actual): "expected \(expected) proof, got \(actual) proof"
        case .noProofForKey: "the batch has no proof for this key"
        case .noNeighbors: "the non-existence proof has neither a left nor a right neighbour"
        case .keyNotAfterLeftNeighbor: "the key is not after the left neighbour's key"
        case .keyNotBeforeRightNeighbor: "the key is not before the right neighbour's key"
        case .rightNeighborNotLeftMost: "no left neighbour, but the right neighbour is not the left-most key"
        case .leftNeighborNotRightMost: "no right neighbour, but the left neighbour is not the right-most key"
        case .neighborsNotAdjacent: "the left and right neighbours are not adjacent in the tree"
        case .noBranchMatchesPadding(let prefixLength, let suffixLength):
            "no branch has a \(prefixLength)-byte prefix and a \(suffixLength)-byte suffix"
        case .branchNotInChildOrder(let branch): "branch \(branch) is not in the spec's child order"
        case .inLeaf(let error): "leaf: \(error)"
        case .inPathStep(let index, let error): "path step \(index): \(error)"
        case .inLeftNeighbor(let error): "left neighbour: \(error)"
        case .inRightNeighbor(let error): "right neighbour: \(error)"
        }
    }
}

extension ICS23Error.IAVLPrefixProblem: CustomStringConvertible {
    /// What is wrong with the header.
    public var description: String {
        switch self {
        case .unreadable(let field): "cannot read the \(field) varint"
        case .heightBelowLayer(let height): "height \(height) is below the layer number"
        case .negative(let field, let value): "\(field) is negative (\(value))"
        case .remainder(let length): "\(length) bytes follow the header (leaf: 0, inner: 1 or 34)"
        case .leafHeight(let height): "leaf height is \(height), must be 0"
        case .leafSize(let size): "leaf size is \(size), must be 1"
        }
    }
}
