public import Chain
public import Consensus
public import Primitives
public import Storage

/// The node's durable record of the chain in a `KeyValueStore` (RocksDB in production): committed
/// blocks and their commit certificates, receipts, a transaction index, the consensus write-ahead
/// state, and the committed tip with its epoch state. State-tree nodes live in the same store
/// under the sparse Merkle tree's columns.
///
/// A commit is one synced write batch, so after a crash (kill -9 included) either the whole block
/// with its receipts, index entries and new tip is there, or none of it is.
public struct ChainStore: Sendable {
    /// The underlying store.
    public let store: any KeyValueStore

    static let blocks = StoreColumn("chain.blocks")
    static let heights = StoreColumn("chain.heights")
    static let certificates = StoreColumn("chain.certificates")
    static let receipts = StoreColumn("chain.receipts")
    static let transactions = StoreColumn("chain.transactions")
    static let meta = StoreColumn("chain.meta")

    /// Every column a node's store needs (chain records and the state tree).
    public static let columns: [StoreColumn] =
        [.default, blocks, heights, certificates, receipts, transactions, meta] + SparseMerkleTree.defaultColumns
        + [DomainDataStore.column]

    private static let tipKey = Array("tip".utf8)
    private static let safetyKey = Array("safety".utf8)
    private static let genesisKey = Array("genesis".utf8)
    private static let snapshotBaseKey = Array("snapshot-base".utf8)

    /// A chain store over `store`, which must have been opened with `ChainStore.columns`.
    public init(store: any KeyValueStore) {
        self.store = store
    }

    // MARK: - The tip

    /// The last committed block and the epoch state stored with it, or nil for a new node.
    public func tip() throws -> CommittedTip? {
        guard let raw = try store.get(Self.tipKey, column: Self.meta) else { return nil }
        return try decode(CommittedTip.self, raw, what: "the committed tip")
    }

    /// The genesis header this store was initialised with.
    public func genesis() throws -> BlockHeader? {
        guard let raw = try store.get(Self.genesisKey, column: Self.meta) else { return nil }
        return try decode(BlockHeader.self, raw, what: "the genesis header")
    }

    /// Records the genesis block and state (the state's nodes are in `stateBatch`), synced.
    public func initialize(genesis: BlockHeader, epochState: EpochState, stateBatch: WriteBatch) throws {
        var batch = stateBatch
        let id = genesis.id
        batch.put(Self.genesisKey, Canonical.encode(genesis), column: Self.meta)
        batch.put(id.bytes, Canonical.encode(Block(header: genesis, transactions: [])), column: Self.blocks)
        batch.put(Self.heightKey(0), id.bytes, column: Self.heights)
        batch.put(
            Self.tipKey, Canonical.encode(CommittedTip(header: genesis, epochState: epochState)), column: Self.meta)
        try store.write(batch, sync: true)
    }

    /// Records a chain imported from a state snapshot at block H (the state's nodes are in
    /// `stateBatch`): the genesis header and block, block H with its receipts and index entries,
    /// its certificate when it finalizes H directly, the tip with `epochState`, and the snapshot
    /// base marker, in one synced batch.
    public func initialize(
        genesis: BlockHeader, snapshot committed: CommittedBlock, certificate: CommitCertificate?,
        epochState: EpochState, stateBatch: WriteBatch
    ) throws {
        var batch = stateBatch
        let genesisID = genesis.id
        batch.put(Self.genesisKey, Canonical.encode(genesis), column: Self.meta)
        batch.put(genesisID.bytes, Canonical.encode(Block(header: genesis, transactions: [])), column: Self.blocks)
        batch.put(Self.heightKey(0), genesisID.bytes, column: Self.heights)
        add(committed, to: &batch)
        let header = committed.block.header
        if let certificate {
            batch.put(committed.block.id.bytes, Canonical.encode(certificate), column: Self.certificates)
        }
        batch.put(
            Self.tipKey, Canonical.encode(CommittedTip(header: header, epochState: epochState)), column: Self.meta)
        batch.put(Self.snapshotBaseKey, Canonical.encode(header.height), column: Self.meta)
        try store.write(batch, sync: true)
    }

    /// The height of the snapshot this store was imported from, or nil for a chain kept from
    /// genesis. Blocks between genesis and that height are not in the store.
    public func snapshotBase() throws -> UInt64? {
        guard let raw = try store.get(Self.snapshotBaseKey, column: Self.meta) else { return nil }
        return try decode(UInt64.self, raw, what: "the snapshot base")
    }

    // MARK: - Committing

    /// Writes committed blocks (oldest first, each unless `isStored`), the certificate of the last
    /// one, their receipts and index entries, and the new tip, in one synced batch. A block saved
    /// unsynced by `savePending` becomes durable with this batch: RocksDB's log is sequential.
    public func commit(
        _ blocks: [CommittedBlock], certificate: CommitCertificate, epochState: EpochState
    ) throws {
        guard let last = blocks.last else { return }
        var batch = WriteBatch()
        for entry in blocks { add(entry, to: &batch) }
        batch.put(last.block.id.bytes, Canonical.encode(certificate), column: Self.certificates)
        batch.put(
            Self.tipKey, Canonical.encode(CommittedTip(header: last.block.header, epochState: epochState)),
            column: Self.meta)
        try store.write(batch, sync: true)
    }

    /// Adds a committed block, its height index entry, receipts and transaction index entries.
    private func add(_ entry: CommittedBlock, to batch: inout WriteBatch) {
        let id = entry.block.id
        if !entry.isStored { batch.put(id.bytes, Canonical.encode(entry.block), column: Self.blocks) }
        batch.put(Self.heightKey(entry.block.header.height), id.bytes, column: Self.heights)
        var receipts = CanonicalEncoder()
        receipts.write(entry.receipts)
        batch.put(id.bytes, receipts.bytes, column: Self.receipts)
        // The receipts carry the ids, one per transaction in order; hash only if they do not match.
        let receiptIDs = entry.receipts.count == entry.block.transactions.count
        for (index, transaction) in entry.block.transactions.enumerated() {
            let location = TransactionLocation(blockID: id, height: entry.block.header.height, index: UInt32(index))
            let transactionID = receiptIDs ? entry.receipts[index].transactionID : TransactionID(encoded: transaction)
            batch.put(transactionID.hash.bytes, Canonical.encode(location), column: Self.transactions)
        }
    }

    /// Keeps an executed, not yet committed block (without the height index) so that after a
    /// restart of every validator the certified blocks above the committed tip are not lost.
    public func savePending(_ block: Block) throws {
        var batch = WriteBatch()
        batch.put(block.id.bytes, Canonical.encode(block), column: Self.blocks)
        try store.write(batch, sync: false)
    }

    /// Writes state-tree nodes of an executed (not yet committed) block. Unsynced: the commit's
    /// synced write later makes them durable with it (RocksDB's log is sequential).
    public func writeState(_ batch: WriteBatch) throws {
        guard !batch.isEmpty else { return }
        try store.write(batch, sync: false)
    }

    // MARK: - The consensus write-ahead state

    /// Persists the safety state before the vote or timeout it allows is sent (synced).
    public func saveSafety(_ state: SafetyState) throws {
        // `put` does not sync; a one-entry synced batch does.
        var batch = WriteBatch()
        batch.put(Self.safetyKey, Canonical.encode(state), column: Self.meta)
        try store.write(batch, sync: true)
    }

    /// The last persisted safety state.
    public func safety() throws -> SafetyState? {
        guard let raw = try store.get(Self.safetyKey, column: Self.meta) else { return nil }
        return try decode(SafetyState.self, raw, what: "the consensus safety state")
    }

    // MARK: - Reading

    /// The committed block at `height`.
    public func block(height: UInt64) throws -> Block? {
        guard let id = try store.get(Self.heightKey(height), column: Self.heights) else { return nil }
        return try block(id: try decode(Hash.self, id, what: "a height index entry"))
    }

    /// The committed block with `id`.
    public func block(id: Hash) throws -> Block? {
        guard let raw = try store.get(id.bytes, column: Self.blocks) else { return nil }
        return try decode(Block.self, raw, what: "block \(id)")
    }

    /// The commit certificate stored with block `id` (the last block of its commit).
    public func certificate(id: Hash) throws -> CommitCertificate? {
        guard let raw = try store.get(id.bytes, column: Self.certificates) else { return nil }
        return try decode(CommitCertificate.self, raw, what: "the certificate of \(id)")
    }

    /// The certificate proving block `id` final: its own, or that of the first later block that has
    /// one (blocks committed together share the certificate of the last of them).
    public func finalityCertificate(height: UInt64, scanLimit: Int = 512) throws -> CommitCertificate? {
        for offset in 0..<UInt64(scanLimit) {
            guard let block = try block(height: height + offset) else { return nil }
            if let certificate = try certificate(id: block.id) { return certificate }
        }
        return nil
    }

    /// The receipts of committed block `id`.
    public func receipts(blockID: Hash) throws -> [TransactionReceipt]? {
        guard let raw = try store.get(blockID.bytes, column: Self.receipts) else { return nil }
        do {
            var decoder = try CanonicalDecoder(raw)
            let receipts = try decoder.readArray(of: TransactionReceipt.self)
            try decoder.finish()
            return receipts
        } catch {
            throw StoreError.corrupted("receipts of \(blockID): \(error)")
        }
    }

    /// Where committed transaction `id` is.
    public func location(of id: TransactionID) throws -> TransactionLocation? {
        guard let raw = try store.get(id.hash.bytes, column: Self.transactions) else { return nil }
        return try decode(TransactionLocation.self, raw, what: "the location of transaction \(id)")
    }

    static func heightKey(_ height: UInt64) -> [UInt8] {
        withUnsafeBytes(of: height.bigEndian) { Array($0) }
    }

    private func decode<T: CanonicalDecodable>(_ type: T.Type, _ raw: [UInt8], what: String) throws -> T {
        do { return try Canonical.decode(T.self, from: raw) } catch {
            throw StoreError.corrupted("\(what) does not decode: \(error)")
        }
    }
}

/// A committed block and the receipts of its transactions.
public struct CommittedBlock: Sendable {
    public let block: Block
    /// One receipt per transaction of `block`, in order.
    public let receipts: [TransactionReceipt]
    /// The block's bytes are in the store already (`ChainStore.savePending` when it was executed):
    /// the commit does not write them again.
    public let isStored: Bool

    /// A block and its receipts.
    public init(block: Block, receipts: [TransactionReceipt], isStored: Bool = false) {
        self.block = block
        self.receipts = receipts
        self.isStored = isStored
    }
}

/// The last committed block and the epoch state as of it.
public struct CommittedTip: Sendable, Equatable {
    public let header: BlockHeader
    public let epochState: EpochState
}

extension CommittedTip: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(header)
        encoder.write(epochState)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        header = try decoder.read(BlockHeader.self)
        epochState = try decoder.read(EpochState.self)
    }
}

/// Where a committed transaction is: its block and position.
public struct TransactionLocation: Hashable, Sendable {
    public let blockID: Hash
    public let height: UInt64
    public let index: UInt32
}

extension TransactionLocation: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(blockID)
        encoder.write(height)
        encoder.write(index)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        blockID = try decoder.read(Hash.self)
        height = try decoder.read(UInt64.self)
        index = try decoder.read(UInt32.self)
    }
}
