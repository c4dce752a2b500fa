/// ICS-23 commitment proofs: the Merkle proof format IBC uses to prove that a key holds a value
/// (or holds none) under another chain's state root.
///
/// The types mirror the protobuf messages of package `cosmos.ics23.v1` field for field, so a proof
/// decoded with `CommitmentProof(protobuf:)` re-encodes to the same bytes. Verification always
/// takes a `ProofSpec`: a proof alone says how to hash, and only the spec says which hashing is
/// acceptable for the tree that produced the root.
public enum ICS23 {}

// MARK: - Operations

extension ICS23 {
    /// A hash function a proof step may apply (`HashOp` in the protobuf schema).
    ///
    /// Raw values are the protobuf enum numbers. `.noHash` is only meaningful as a prehash
    /// (use the bytes as they are); as the final hash of a leaf or inner step it is an error.
    public enum HashOp: Int32, Hashable, Sendable, CaseIterable {
        /// No hashing: the input is used as it is.
        case noHash = 0
        /// SHA-256.
        case sha256 = 1
        /// SHA-512 (64-byte output).
        case sha512 = 2
        /// Keccak-256 as Ethereum uses it (not FIPS SHA3-256).
        case keccak256 = 3
        /// RIPEMD-160 (20-byte output).
        case ripemd160 = 4
        /// RIPEMD-160 of SHA-256, Bitcoin's HASH160 (20-byte output).
        case bitcoin = 5
        /// SHA-512/256: the FIPS 180-4 truncated variant with its own initial values, not a
        /// truncated SHA-512.
        case sha512_256 = 6
        /// BLAKE2b with a 64-byte digest.
        case blake2b512 = 7
        /// BLAKE2s with a 32-byte digest.
        case blake2s256 = 8
        /// BLAKE3 (32-byte output). Not supported by this verifier.
        case blake3 = 9
    }

    /// How a leaf's key and value are length-prefixed before hashing (`LengthOp`).
    ///
    /// `.varRLP` is in the schema but neither reference implementation supports it, nor do we.
    public enum LengthOp: Int32, Hashable, Sendable, CaseIterable {
        /// No length prefix.
        case noPrefix = 0
        /// The length as a protobuf unsigned varint.
        case varProto = 1
        /// The length as RLP. Unsupported.
        case varRLP = 2
        /// The length as 4 bytes, big-endian.
        case fixed32Big = 3
        /// The length as 4 bytes, little-endian.
        case fixed32Little = 4
        /// The length as 8 bytes, big-endian.
        case fixed64Big = 5
        /// The length as 8 bytes, little-endian.
        case fixed64Little = 6
        /// No prefix, but the data must be exactly 32 bytes.
        case require32Bytes = 7
        /// No prefix, but the data must be exactly 64 bytes.
        case require64Bytes = 8
    }

    /// How a leaf hash is computed from a key and a value: `hash(prefix || L(prehashKey(key)) ||
    /// L(prehashValue(value)))`, where `L` is the length op.
    ///
    /// A `ProofSpec` uses a `LeafOp` as its leaf template: there `prefix` is the bytes every leaf
    /// prefix must start with, not the whole prefix.
    public struct LeafOp: Hashable, Sendable {
        /// The final hash.
        public var hash: HashOp
        /// Applied to the key before the length op (`.noHash` keeps the key).
        public var prehashKey: HashOp
        /// Applied to the value before the length op (`.noHash` keeps the value).
        public var prehashValue: HashOp
        /// How the (prehashed) key and value are each length-prefixed.
        public var length: LengthOp
        /// Bytes hashed before the key; separates leaves from inner nodes.
        public var prefix: [UInt8]

        /// A leaf operation; the defaults are the protobuf defaults (all zero, empty prefix).
        public init(
            hash: HashOp = .noHash,
            prehashKey: HashOp = .noHash,
            prehashValue: HashOp = .noHash,
            length: LengthOp = .noPrefix,
            prefix: [UInt8] = []
        ) {
            self.hash = hash
            self.prehashKey = prehashKey
            self.prehashValue = prehashValue
            self.length = length
            self.prefix = prefix
        }
    }

    /// One step from a child towards the root: `hash(prefix || child || suffix)`.
    ///
    /// The sibling hashes sit inside `prefix` (siblings to the left of the child) and `suffix`
    /// (siblings to the right), together with any node metadata the tree hashes.
    public struct InnerOp: Hashable, Sendable {
        /// The hash applied to the concatenation.
        public var hash: HashOp
        /// Bytes hashed before the child.
        public var prefix: [UInt8]
        /// Bytes hashed after the child.
        public var suffix: [UInt8]

        /// An inner operation; the defaults are the protobuf defaults.
        public init(hash: HashOp = .noHash, prefix: [UInt8] = [], suffix: [UInt8] = []) {
            self.hash = hash
            self.prefix = prefix
            self.suffix = suffix
        }
    }
}

// MARK: - Proofs

extension ICS23 {
    /// Proves that `key` holds `value`: apply `leaf` to them, then each `path` step in order
    /// (leaf towards root); the result is the root.
    public struct ExistenceProof: Hashable, Sendable {
        /// The key proven.
        public var key: [UInt8]
        /// The value proven.
        public var value: [UInt8]
        /// How the leaf hash is computed. `nil` (absent on the wire) never verifies.
        public var leaf: LeafOp?
        /// Inner steps from the leaf up to the root.
        public var path: [InnerOp]

        /// An existence proof.
        public init(key: [UInt8] = [], value: [UInt8] = [], leaf: LeafOp? = nil, path: [InnerOp] = []) {
            self.key = key
            self.value = value
            self.leaf = leaf
            self.path = path
        }
    }

    /// Proves that `key` is absent: existence proofs for its nearest neighbours, which must be
    /// adjacent in the tree. A missing `left` means the key is below every key; a missing `right`,
    /// above every key.
    public struct NonExistenceProof: Hashable, Sendable {
        /// The key proven absent. Informational: verification uses the key the caller passes.
        public var key: [UInt8]
        /// The largest key below `key`, if any.
        public var left: ExistenceProof?
        /// The smallest key above `key`, if any.
        public var right: ExistenceProof?

        /// A non-existence proof.
        public init(key: [UInt8] = [], left: ExistenceProof? = nil, right: ExistenceProof? = nil) {
            self.key = key
            self.left = left
            self.right = right
        }
    }

    /// One proof inside a `BatchProof`.
    public enum BatchEntry: Hashable, Sendable {
        /// A membership proof.
        case exist(ExistenceProof)
        /// A non-membership proof.
        case nonexist(NonExistenceProof)
    }

    /// Several proofs against the same root, shipped together.
    public struct BatchProof: Hashable, Sendable {
        /// The proofs, in any order.
        public var entries: [BatchEntry]

        /// A batch of proofs.
        public init(entries: [BatchEntry] = []) {
            self.entries = entries
        }
    }

    /// An existence proof whose path steps are indexes into the batch's `lookupInners`.
    public struct CompressedExistenceProof: Hashable, Sendable {
        /// The key proven.
        public var key: [UInt8]
        /// The value proven.
        public var value: [UInt8]
        /// How the leaf hash is computed.
        public var leaf: LeafOp?
        /// Indexes into `CompressedBatchProof.lookupInners`, leaf towards root.
        public var path: [Int32]

        /// A compressed existence proof.
        public init(key: [UInt8] = [], value: [UInt8] = [], leaf: LeafOp? = nil, path: [Int32] = []) {
            self.key = key
            self.value = value
            self.leaf = leaf
            self.path = path
        }
    }

    /// A non-existence proof whose neighbours are compressed existence proofs.
    public struct CompressedNonExistenceProof: Hashable, Sendable {
        /// The key proven absent (informational).
        public var key: [UInt8]
        /// The largest key below `key`, if any.
        public var left: CompressedExistenceProof?
        /// The smallest key above `key`, if any.
        public var right: CompressedExistenceProof?

        /// A compressed non-existence proof.
        public init(
            key: [UInt8] = [],
            left: CompressedExistenceProof? = nil,
            right: CompressedExistenceProof? = nil
        ) {
            self.key = key
            self.left = left
            self.right = right
        }
    }

    /// One proof inside a `CompressedBatchProof`.
    public enum CompressedBatchEntry: Hashable, Sendable {
        /// A compressed membership proof.
        case exist(CompressedExistenceProof)
        /// A compressed non-membership proof.
        case nonexist(CompressedNonExistenceProof)
    }

    /// A batch in which every distinct inner step is stored once, in `lookupInners`, and the
    /// entries refer to steps by index. Proofs in one tree share their upper steps, so this is
    /// much smaller than a `BatchProof`.
    public struct CompressedBatchProof: Hashable, Sendable {
        /// The compressed proofs.
        public var entries: [CompressedBatchEntry]
        /// Every distinct inner step, referred to by index.
        public var lookupInners: [InnerOp]

        /// A compressed batch.
        public init(entries: [CompressedBatchEntry] = [], lookupInners: [InnerOp] = []) {
            self.entries = entries
            self.lookupInners = lookupInners
        }
    }

    /// A proof as it travels between chains: one of the four proof kinds.
    ///
    /// Decode with `init(protobuf:)`; verify with `ICS23.verifyMembership` or
    /// `ICS23.verifyNonMembership`.
    public enum CommitmentProof: Hashable, Sendable {
        /// Proves a key holds a value.
        case exist(ExistenceProof)
        /// Proves a key is absent.
        case nonexist(NonExistenceProof)
        /// Several proofs against one root.
        case batch(BatchProof)
        /// Several proofs against one root, sharing their inner steps.
        case compressed(CompressedBatchProof)
    }
}
