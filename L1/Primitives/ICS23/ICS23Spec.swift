extension ICS23 {
    /// The shape of a tree's inner nodes: how many children, how big each child hash is, and how
    /// much metadata surrounds them. Non-existence proofs use it to tell which branch a step took.
    public struct InnerSpec: Hashable, Sendable {
        /// The branches in the order their hashes appear in a node's preimage (`[0, 1]` for a
        /// binary tree).
        public var childOrder: [Int32]
        /// Bytes each child occupies in a prefix or suffix (a hash, plus any length byte).
        public var childSize: Int32
        /// The fewest prefix bytes before the first child (node metadata).
        public var minPrefixLength: Int32
        /// The most prefix bytes before the first child. Must be below `minPrefixLength + childSize`
        /// so that prefix lengths identify the branch.
        public var maxPrefixLength: Int32
        /// The hash standing for an empty subtree, or empty if the tree has none. A step whose
        /// siblings on one side are all `emptyChild` still counts as left-most / right-most.
        public var emptyChild: [UInt8]
        /// The hash every inner step must use.
        public var hash: HashOp

        /// An inner spec; the defaults are the protobuf defaults.
        public init(
            childOrder: [Int32] = [],
            childSize: Int32 = 0,
            minPrefixLength: Int32 = 0,
            maxPrefixLength: Int32 = 0,
            emptyChild: [UInt8] = [],
            hash: HashOp = .noHash
        ) {
            self.childOrder = childOrder
            self.childSize = childSize
            self.minPrefixLength = minPrefixLength
            self.maxPrefixLength = maxPrefixLength
            self.emptyChild = emptyChild
            self.hash = hash
        }
    }

    /// What a valid proof from one kind of tree looks like. A verifier must know this a priori:
    /// without it, a leaf preimage can be reinterpreted as other key/value pairs.
    public struct ProofSpec: Hashable, Sendable {
        /// The leaf template: its hash, prehash and length ops must match exactly, and its prefix
        /// is the required start of every leaf prefix.
        public var leafSpec: LeafOp
        /// The inner-node shape.
        public var innerSpec: InnerSpec
        /// The most inner steps a path may have; 0 means the reference default of 128.
        public var maxDepth: Int32
        /// The fewest inner steps a path may have; 0 means no minimum.
        public var minDepth: Int32
        /// Order keys by their `leafSpec.prehashKey` hash, not their bytes, when checking a
        /// non-existence proof's neighbours (trees keyed by hashed keys, such as the SMT).
        public var prehashKeyBeforeComparison: Bool

        /// A proof spec.
        public init(
            leafSpec: LeafOp,
            innerSpec: InnerSpec,
            maxDepth: Int32 = 0,
            minDepth: Int32 = 0,
            prehashKeyBeforeComparison: Bool = false
        ) {
            self.leafSpec = leafSpec
            self.innerSpec = innerSpec
            self.maxDepth = maxDepth
            self.minDepth = minDepth
            self.prehashKeyBeforeComparison = prehashKeyBeforeComparison
        }

        /// The path length limit used when `maxDepth` is 0.
        static let defaultMaxDepth = 128
    }
}

// MARK: - Presets

extension ICS23.ProofSpec {
    /// Cosmos IAVL+ trees (`IavlSpec`): leaf prefix `00` then zig-zag height/size/version;
    /// child slots of 33 bytes (length byte + hash).
    ///
    /// A spec equivalent to this one also gets the IAVL node-header checks on every prefix.
    public static let iavl = ICS23.ProofSpec(
        leafSpec: ICS23.LeafOp(
            hash: .sha256,
            prehashKey: .noHash,
            prehashValue: .sha256,
            length: .varProto,
            prefix: [0]
        ),
        innerSpec: ICS23.InnerSpec(
            childOrder: [0, 1],
            childSize: 33,
            minPrefixLength: 4,
            maxPrefixLength: 12,
            hash: .sha256
        )
    )

    /// CometBFT's simple Merkle tree (`TendermintSpec`): leaf `00`, inner `01 || left || right`.
    ///
    /// A spec equivalent to this one also requires every inner prefix to start with `01`.
    public static let tendermint = ICS23.ProofSpec(
        leafSpec: ICS23.LeafOp(
            hash: .sha256,
            prehashKey: .noHash,
            prehashValue: .sha256,
            length: .varProto,
            prefix: [0]
        ),
        innerSpec: ICS23.InnerSpec(
            childOrder: [0, 1],
            childSize: 32,
            minPrefixLength: 1,
            maxPrefixLength: 1,
            hash: .sha256
        )
    )

    /// Sparse Merkle trees in the celestiaorg/smt layout (`SmtSpec`): keys are hashed, empty
    /// subtrees are 32 zero bytes, depth up to 256, neighbours ordered by hashed key.
    public static let smt = ICS23.ProofSpec(
        leafSpec: ICS23.LeafOp(
            hash: .sha256,
            prehashKey: .sha256,
            prehashValue: .sha256,
            length: .noPrefix,
            prefix: [0]
        ),
        innerSpec: ICS23.InnerSpec(
            childOrder: [0, 1],
            childSize: 32,
            minPrefixLength: 1,
            maxPrefixLength: 1,
            emptyChild: [UInt8](repeating: 0, count: 32),
            hash: .sha256
        ),
        maxDepth: 256,
        prehashKeyBeforeComparison: true
    )

    /// Whether `self` describes the same tree kind as `other`, as the reference decides it: equal
    /// leaf ops (ignoring the prefix) and equal inner hash, prefix bounds, child size and child
    /// count. It over-declares equality on purpose; it only switches the IAVL / Tendermint checks on.
    func isEquivalent(to other: ICS23.ProofSpec) -> Bool {
        let leaf = leafSpec
        let otherLeaf = other.leafSpec
        let inner = innerSpec
        let otherInner = other.innerSpec
        return leaf.hash == otherLeaf.hash && leaf.prehashKey == otherLeaf.prehashKey
            && leaf.prehashValue == otherLeaf.prehashValue && leaf.length == otherLeaf.length
            && inner.hash == otherInner.hash && inner.minPrefixLength == otherInner.minPrefixLength
            && inner.maxPrefixLength == otherInner.maxPrefixLength && inner.childSize == otherInner.childSize
            && inner.childOrder.count == otherInner.childOrder.count
    }

    /// `maxDepth`, with 0 meaning the default.
    var effectiveMaxDepth: Int {
        maxDepth == 0 ? Self.defaultMaxDepth : Int(maxDepth)
    }
}

// MARK: - Checks against the spec

extension ICS23.LeafOp {
    /// Checks this leaf op against `spec`: the same hash, prehash and length ops as the leaf spec,
    /// a prefix starting with the spec's, and for IAVL a well-formed leaf header.
    func check(against spec: ICS23.ProofSpec) throws(ICS23Error) {
        if spec.isEquivalent(to: .iavl) {
            try ICS23.IAVLHeader.validate(prefix: prefix, layer: 0)
        }
        let template = spec.leafSpec
        guard hash == template.hash else { throw .unexpectedHashOp(hash, expected: template.hash) }
        guard prehashKey == template.prehashKey else {
            throw .unexpectedPrehashKey(prehashKey, expected: template.prehashKey)
        }
        guard prehashValue == template.prehashValue else {
            throw .unexpectedPrehashValue(prehashValue, expected: template.prehashValue)
        }
        guard length == template.length else { throw .unexpectedLengthOp(length, expected: template.length) }
        guard prefix.starts(with: template.prefix) else { throw .leafPrefixMismatch(required: template.prefix) }
    }
}

extension ICS23.InnerOp {
    /// Checks this step, at `layer` (1 for the step just above the leaf), against `spec`.
    ///
    /// Prefix bounds are what make neighbour checks sound: a prefix may hold at most the siblings
    /// of the left-most slots plus node metadata, and never look like a leaf.
    func check(against spec: ICS23.ProofSpec, layer: Int) throws(ICS23Error) {
        let inner = spec.innerSpec
        guard hash == inner.hash else { throw .unexpectedHashOp(hash, expected: inner.hash) }
        if spec.isEquivalent(to: .iavl) {
            try ICS23.IAVLHeader.validate(prefix: prefix, layer: layer)
        }
        if spec.isEquivalent(to: .tendermint) {
            try checkTendermintPrefix()
        }
        let leafPrefix = spec.leafSpec.prefix
        // An empty leaf prefix is a prefix of everything: such a spec rejects every inner step,
        // as the reference does, because leaves and inner nodes could not be told apart.
        guard !prefix.starts(with: leafPrefix) else { throw .innerPrefixStartsWithLeafPrefix(leafPrefix) }
        try inner.checkBranchCount()
        let childSize = Int(inner.childSize)
        let minimum = Int(inner.minPrefixLength)
        guard prefix.count >= minimum else { throw .innerPrefixTooShort(length: prefix.count, minimum: minimum) }
        let maximum = Int(inner.maxPrefixLength) + (inner.childOrder.count - 1) * childSize
        guard prefix.count <= maximum else { throw .innerPrefixTooLong(length: prefix.count, maximum: maximum) }
        guard childSize > 0 else { throw .invalidSpec("child size must be at least 1, is \(childSize)") }
        guard Int(inner.maxPrefixLength) < minimum + childSize else {
            throw .invalidSpec("max prefix length must be below min prefix length + child size")
        }
        guard suffix.count % childSize == 0 else {
            throw .malformedSuffix(length: suffix.count, childSize: inner.childSize)
        }
    }

    /// Tendermint inner nodes are `01 || left || right`: with the child on the left the prefix is
    /// exactly `01` (sibling in the suffix); otherwise it starts with `01`.
    ///
    /// The reference tests "suffix present" on the wire; we test "suffix non-empty", which differs
    /// only for an encoder that writes an empty bytes field, and no encoder does.
    private func checkTendermintPrefix() throws(ICS23Error) {
        guard prefix.first == 1, suffix.isEmpty || prefix.count == 1 else {
            throw .invalidTendermintPrefix(prefix)
        }
    }
}

extension ICS23.ExistenceProof {
    /// Checks the leaf op, the path length and every step against `spec`.
    func check(against spec: ICS23.ProofSpec) throws(ICS23Error) {
        guard let leaf else { throw .missingLeaf }
        do { try leaf.check(against: spec) } catch { throw .inLeaf(error) }
        if spec.minDepth > 0, path.count < Int(spec.minDepth) {
            throw .pathTooShort(length: path.count, minimum: Int(spec.minDepth))
        }
        guard path.count <= spec.effectiveMaxDepth else {
            throw .pathTooLong(length: path.count, maximum: spec.effectiveMaxDepth)
        }
        for (index, step) in path.enumerated() {
            do { try step.check(against: spec, layer: index + 1) } catch { throw .inPathStep(index: index, error) }
        }
    }
}

// MARK: - IAVL node headers

extension ICS23 {
    /// The node header IAVL hashes at the start of every prefix: zig-zag varints height, size and
    /// version, then (inner nodes) the length byte of the left child, or the length byte, the left
    /// sibling and the right child's length byte.
    enum IAVLHeader {
        /// Validates a prefix at `layer` (0 for the leaf).
        static func validate(prefix: [UInt8], layer: Int) throws(ICS23Error) {
            var position = 0
            func read(_ field: String) throws(ICS23Error) -> Int64 {
                guard let value = readSignedVarint(prefix, &position) else {
                    throw .invalidIAVLPrefix(layer: layer, .unreadable(field: field))
                }
                return value
            }
            let height = try read("height")
            guard height >= 0, height >= Int64(layer) else {
                throw .invalidIAVLPrefix(layer: layer, .heightBelowLayer(height: height))
            }
            let size = try read("size")
            guard size >= 0 else { throw .invalidIAVLPrefix(layer: layer, .negative(field: "size", value: size)) }
            let version = try read("version")
            guard version >= 0 else {
                throw .invalidIAVLPrefix(layer: layer, .negative(field: "version", value: version))
            }
            let remainder = prefix.count - position
            if layer == 0 {
                guard remainder == 0 else { throw .invalidIAVLPrefix(layer: layer, .remainder(length: remainder)) }
                guard height == 0 else { throw .invalidIAVLPrefix(layer: layer, .leafHeight(height)) }
                guard size == 1 else { throw .invalidIAVLPrefix(layer: layer, .leafSize(size)) }
            } else {
                // 1: the left child's length byte (child on the left, sibling in the suffix).
                // 34: length byte, 32-byte left sibling, right child's length byte.
                guard remainder == 1 || remainder == 34 else {
                    throw .invalidIAVLPrefix(layer: layer, .remainder(length: remainder))
                }
            }
        }

        /// A zig-zag signed varint as Go's `binary.ReadVarint` reads it: up to 10 bytes, no
        /// shortest-form rule (IAVL headers are hashed, so any form the tree wrote is what counts).
        static func readSignedVarint(_ bytes: [UInt8], _ position: inout Int) -> Int64? {
            var unsigned: UInt64 = 0
            var shift: UInt64 = 0
            for index in 0..<10 {
                guard position < bytes.count else { return nil }
                let byte = bytes[position]
                position += 1
                if index == 9, byte > 1 { return nil }
                unsigned |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 {
                    return Int64(bitPattern: (unsigned >> 1) ^ (0 &- (unsigned & 1)))
                }
                shift += 7
            }
            return nil
        }
    }
}
