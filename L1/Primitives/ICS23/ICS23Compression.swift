extension ICS23.CompressedBatchProof {
    /// Compresses `batch`: every distinct inner step is stored once in `lookupInners`, in order of
    /// first appearance, and paths become indexes into it.
    public init(compressing batch: ICS23.BatchProof) {
        var lookup: [ICS23.InnerOp] = []
        var indexes: [ICS23.InnerOp: Int32] = [:]
        func compress(_ proof: ICS23.ExistenceProof) -> ICS23.CompressedExistenceProof {
            let path = proof.path.map { step in
                if let index = indexes[step] { return index }
                // A batch with more than 2^31 distinct steps cannot be encoded; no real one has.
                let index = Int32(truncatingIfNeeded: lookup.count)
                lookup.append(step)
                indexes[step] = index
                return index
            }
            return ICS23.CompressedExistenceProof(key: proof.key, value: proof.value, leaf: proof.leaf, path: path)
        }
        let entries = batch.entries.map { entry -> ICS23.CompressedBatchEntry in
            switch entry {
            case .exist(let proof):
                return .exist(compress(proof))
            case .nonexist(let proof):
                return .nonexist(
                    ICS23.CompressedNonExistenceProof(
                        key: proof.key,
                        left: proof.left.map(compress),
                        right: proof.right.map(compress)
                    )
                )
            }
        }
        self.init(entries: entries, lookupInners: lookup)
    }

    /// The batch with every path index replaced by its lookup step.
    ///
    /// An index outside `lookupInners` is an error. (The Go reference panicked on one; the Rust
    /// one quietly emptied the path.)
    public func decompressed() throws(ICS23Error) -> ICS23.BatchProof {
        let lookup = lookupInners
        func expand(_ proof: ICS23.CompressedExistenceProof) throws(ICS23Error) -> ICS23.ExistenceProof {
            var path: [ICS23.InnerOp] = []
            path.reserveCapacity(proof.path.count)
            for index in proof.path {
                guard index >= 0, Int(index) < lookup.count else {
                    throw .invalidLookupIndex(index, lookupCount: lookup.count)
                }
                path.append(lookup[Int(index)])
            }
            return ICS23.ExistenceProof(key: proof.key, value: proof.value, leaf: proof.leaf, path: path)
        }
        var entries: [ICS23.BatchEntry] = []
        entries.reserveCapacity(self.entries.count)
        for entry in self.entries {
            switch entry {
            case .exist(let proof):
                entries.append(.exist(try expand(proof)))
            case .nonexist(let proof):
                let left = try proof.left.map { (side) throws(ICS23Error) in try expand(side) }
                let right = try proof.right.map { (side) throws(ICS23Error) in try expand(side) }
                entries.append(.nonexist(ICS23.NonExistenceProof(key: proof.key, left: left, right: right)))
            }
        }
        return ICS23.BatchProof(entries: entries)
    }
}
