// MARK: - Entry points

extension ICS23 {
    /// Verifies that `proof` shows `key` holding `value` under `root` in a tree shaped like `spec`.
    ///
    /// Accepts an existence proof, or a batch (plain or compressed) holding one for `key`; only the
    /// first batch entry for the key is tried, as in the reference. Returns normally on success and
    /// throws the first reason the proof fails otherwise.
    public static func verifyMembership(
        spec: ProofSpec,
        root: [UInt8],
        proof: CommitmentProof,
        key: [UInt8],
        value: [UInt8]
    ) throws(ICS23Error) {
        let existence: ExistenceProof
        switch proof {
        case .exist(let single):
            existence = single
        case .batch(let batch):
            existence = try batch.existenceProof(for: key)
        case .compressed(let compressed):
            existence = try compressed.decompressed().existenceProof(for: key)
        case .nonexist:
            throw .wrongProofKind(expected: "an existence", actual: proof.kindName)
        }
        try existence.verify(spec: spec, root: root, key: key, value: value)
    }

    /// Verifies that `proof` shows `key` absent under `root` in a tree shaped like `spec`.
    ///
    /// Accepts a non-existence proof, or a batch (plain or compressed) holding one whose neighbours
    /// bracket `key`; only the first such entry is tried, as in the reference.
    public static func verifyNonMembership(
        spec: ProofSpec,
        root: [UInt8],
        proof: CommitmentProof,
        key: [UInt8]
    ) throws(ICS23Error) {
        let nonExistence: NonExistenceProof
        switch proof {
        case .nonexist(let single):
            nonExistence = single
        case .batch(let batch):
            nonExistence = try batch.nonExistenceProof(for: key, spec: spec)
        case .compressed(let compressed):
            nonExistence = try compressed.decompressed().nonExistenceProof(for: key, spec: spec)
        case .exist:
            throw .wrongProofKind(expected: "a non-existence", actual: proof.kindName)
        }
        try nonExistence.verify(spec: spec, root: root, key: key)
    }
}

extension ICS23.CommitmentProof {
    /// A short name of the proof kind, for error messages.
    var kindName: String {
        switch self {
        case .exist: "an existence"
        case .nonexist: "a non-existence"
        case .batch: "a batch"
        case .compressed: "a compressed batch"
        }
    }
}

extension ICS23.BatchProof {
    /// The first existence entry for `key`.
    func existenceProof(for key: [UInt8]) throws(ICS23Error) -> ICS23.ExistenceProof {
        for entry in entries {
            if case .exist(let proof) = entry, proof.key == key { return proof }
        }
        throw .noProofForKey
    }

    /// The first non-existence entry whose neighbours bracket `key` (in the spec's key order).
    func nonExistenceProof(for key: [UInt8], spec: ICS23.ProofSpec) throws(ICS23Error) -> ICS23.NonExistenceProof {
        let target = try spec.keyForComparison(key)
        for entry in entries {
            guard case .nonexist(let proof) = entry else { continue }
            if let left = proof.left, !(try spec.keyForComparison(left.key)).lexicographicallyPrecedes(target) {
                continue
            }
            if let right = proof.right, !target.lexicographicallyPrecedes(try spec.keyForComparison(right.key)) {
                continue
            }
            return proof
        }
        throw .noProofForKey
    }
}

extension ICS23.ProofSpec {
    /// The bytes keys are ordered by: the key itself, or its prehash when the tree is keyed by
    /// hashed keys (`prehashKeyBeforeComparison`).
    func keyForComparison(_ key: [UInt8]) throws(ICS23Error) -> [UInt8] {
        prehashKeyBeforeComparison ? try leafSpec.prehashKey.prehash(key) : key
    }
}

// MARK: - Existence

extension ICS23.ExistenceProof {
    /// Checks the proof against `spec`, that it is for `key` and `value`, and that it leads to `root`.
    func verify(spec: ICS23.ProofSpec, root: [UInt8], key: [UInt8], value: [UInt8]) throws(ICS23Error) {
        try check(against: spec)
        guard key == self.key else { throw .keyMismatch }
        guard value == self.value else { throw .valueMismatch }
        let calculated = try calculateRoot(spec: spec)
        guard calculated == root else { throw .rootMismatch(expected: root, calculated: calculated) }
    }
}

// MARK: - Non-existence

extension ICS23.NonExistenceProof {
    /// Checks that both neighbours (those present) are valid existence proofs under `root`, that
    /// `key` lies strictly between them, and that they are adjacent in the tree (or the only
    /// neighbour is at the edge).
    func verify(spec: ICS23.ProofSpec, root: [UInt8], key: [UInt8]) throws(ICS23Error) {
        if let left {
            do { try left.verify(spec: spec, root: root, key: left.key, value: left.value) } catch {
                throw .inLeftNeighbor(error)
            }
        }
        if let right {
            do { try right.verify(spec: spec, root: root, key: right.key, value: right.value) } catch {
                throw .inRightNeighbor(error)
            }
        }
        let target = try spec.keyForComparison(key)
        if let right, !target.lexicographicallyPrecedes(try spec.keyForComparison(right.key)) {
            throw .keyNotBeforeRightNeighbor
        }
        if let left, !(try spec.keyForComparison(left.key)).lexicographicallyPrecedes(target) {
            throw .keyNotAfterLeftNeighbor
        }
        let inner = spec.innerSpec
        switch (left, right) {
        case (nil, nil):
            throw .noNeighbors
        case (nil, let right?):
            guard try inner.isLeftMost(right.path) else { throw .rightNeighborNotLeftMost }
        case (let left?, nil):
            guard try inner.isRightMost(left.path) else { throw .leftNeighborNotRightMost }
        case (let left?, let right?):
            guard try inner.isLeftNeighbor(left: left.path, right: right.path) else { throw .neighborsNotAdjacent }
        }
    }
}

// MARK: - Tree position from padding

extension ICS23.InnerSpec {
    /// The prefix and suffix lengths an inner step has when its child sits in one particular branch.
    struct Padding {
        var minPrefix: Int
        var maxPrefix: Int
        var suffix: Int

        func matches(_ step: ICS23.InnerOp) -> Bool {
            step.prefix.count >= minPrefix && step.prefix.count <= maxPrefix && step.suffix.count == suffix
        }
    }

    /// More branches than any real tree has (binary trees have 2, Merkle-Patricia nodes 16). The
    /// bound keeps `branches × childSize` far from overflow and branch lookups cheap.
    static let maxBranchCount = 1024

    /// Refuses a child order too long for the padding and prefix-length arithmetic.
    func checkBranchCount() throws(ICS23Error) {
        guard childOrder.count <= Self.maxBranchCount else {
            throw .invalidSpec("child order has more than \(Self.maxBranchCount) branches")
        }
    }

    /// Where `branch` sits in `childOrder`.
    func position(ofBranch branch: Int) throws(ICS23Error) -> Int {
        guard branch >= 0, branch < childOrder.count,
            let position = childOrder.firstIndex(where: { Int($0) == branch })
        else { throw .branchNotInChildOrder(branch) }
        return position
    }

    /// The padding of a step whose child is in `branch`: the siblings before it in the prefix
    /// (after `minPrefixLength`…`maxPrefixLength` bytes of metadata), those after it in the suffix.
    func padding(forBranch branch: Int) throws(ICS23Error) -> Padding {
        try checkBranchCount()
        let position = try position(ofBranch: branch)
        let before = position * Int(childSize)
        return Padding(
            minPrefix: before + Int(minPrefixLength),
            maxPrefix: before + Int(maxPrefixLength),
            suffix: (childOrder.count - 1 - position) * Int(childSize)
        )
    }

    /// The branch a step's child is in, read off its prefix and suffix lengths.
    func branch(of step: ICS23.InnerOp) throws(ICS23Error) -> Int {
        for branch in 0..<childOrder.count {
            if try padding(forBranch: branch).matches(step) { return branch }
        }
        throw .noBranchMatchesPadding(prefixLength: step.prefix.count, suffixLength: step.suffix.count)
    }

    /// Whether every step of `path` takes the left-most branch, or is a placeholder whose
    /// siblings to the left are all empty subtrees.
    func isLeftMost(_ path: some Collection<ICS23.InnerOp>) throws(ICS23Error) -> Bool {
        let leftMost = try padding(forBranch: 0)
        for step in path where !leftMost.matches(step) {
            guard try leftBranchesAreEmpty(step) else { return false }
        }
        return true
    }

    /// Whether every step of `path` takes the right-most branch, or is a placeholder whose
    /// siblings to the right are all empty subtrees.
    func isRightMost(_ path: some Collection<ICS23.InnerOp>) throws(ICS23Error) -> Bool {
        let rightMost = try padding(forBranch: childOrder.count - 1)
        for step in path where !rightMost.matches(step) {
            guard try rightBranchesAreEmpty(step) else { return false }
        }
        return true
    }

    /// Whether `right` is the path of the key just after the key whose path is `left`.
    ///
    /// Steps near the root that both paths share are dropped; the first steps that differ must
    /// sit in adjacent branches of the same node, and below them the left path must run along the
    /// right edge and the right path along the left edge.
    func isLeftNeighbor(left: [ICS23.InnerOp], right: [ICS23.InnerOp]) throws(ICS23Error) -> Bool {
        var leftEnd = left.count
        var rightEnd = right.count
        // Paths run leaf → root, so the shared steps are at the ends. Like the reference, a step
        // counts as shared when prefix and suffix match (the hash op was checked against the spec).
        while leftEnd > 0, rightEnd > 0, left[leftEnd - 1].prefix == right[rightEnd - 1].prefix,
            left[leftEnd - 1].suffix == right[rightEnd - 1].suffix
        {
            leftEnd -= 1
            rightEnd -= 1
        }
        // Two keys always split somewhere; identical paths (or one inside the other) do not.
        guard leftEnd > 0, rightEnd > 0 else { return false }
        let leftSplit = left[leftEnd - 1]
        let rightSplit = right[rightEnd - 1]
        guard try branch(of: rightSplit) == branch(of: leftSplit) + 1 else { return false }
        guard try isRightMost(left[..<(leftEnd - 1)]) else { return false }
        return try isLeftMost(right[..<(rightEnd - 1)])
    }

    /// Whether `step` is a placeholder on a left-most path: its child is not in branch 0, but
    /// every branch before it holds `emptyChild`.
    func leftBranchesAreEmpty(_ step: ICS23.InnerOp) throws(ICS23Error) -> Bool {
        let branch = try branch(of: step)
        let size = Int(childSize)
        // Without a positive slot size or an empty-child value there are no placeholders.
        guard branch > 0, size > 0, !emptyChild.isEmpty else { return false }
        // The sibling slots are the last `branch` slots of the prefix, after the metadata.
        let siblingsStart = step.prefix.count - branch * size
        guard siblingsStart >= 0 else { return false }
        for sibling in 0..<branch {
            let from = siblingsStart + (try position(ofBranch: sibling)) * size
            guard from >= 0, from + size <= step.prefix.count,
                step.prefix[from..<(from + size)].elementsEqual(emptyChild)
            else { return false }
        }
        return true
    }

    /// Whether `step` is a placeholder on a right-most path: its child is not in the last branch,
    /// but every branch after it holds `emptyChild`.
    func rightBranchesAreEmpty(_ step: ICS23.InnerOp) throws(ICS23Error) -> Bool {
        let branch = try branch(of: step)
        let siblings = childOrder.count - 1 - branch
        let size = Int(childSize)
        guard siblings > 0, size > 0, !emptyChild.isEmpty else { return false }
        guard step.suffix.count == siblings * size else { return false }
        for sibling in 0..<siblings {
            let from = (try position(ofBranch: sibling)) * size
            guard from >= 0, from + size <= step.suffix.count,
                step.suffix[from..<(from + size)].elementsEqual(emptyChild)
            else { return false }
        }
        return true
    }
}
