import Chain
import ChainConfiguration
import Consensus
public import Foundation
public import Primitives
import RocksDBStorage
import Staking
import Storage

#if canImport(Glibc)
    import Glibc
#endif

extension StateSnapshot {
    /// Imports the snapshot in `source` into `home`, which must be initialised (`config.toml`,
    /// `genesis.toml`) and hold no chain data, trusting only the genesis and `trustedBlockID`.
    ///
    /// Everything is checked before the node's data directory exists: the file's integrity, the
    /// manifest (`verify`), the epoch's headers (`EpochHeaderVerifier`), the leaves' order, the
    /// state root they build, and the validator sets in that state. The state is built in a
    /// staging store next to the data directory and renamed into place once its last, synced
    /// batch (block H, certificate, tip, snapshot base) is written, so a failure or a crash leaves
    /// the home as it was (a crash may leave the staging directory, which the next import removes).
    /// - Throws: `StateSnapshotError` naming the first check that fails.
    public static func `import`(from source: URL, into home: NodeHome, trustedBlockID: Hash)
        throws(StateSnapshotError) -> Summary
    {
        let configuration: NodeConfiguration
        let genesis: Genesis
        do {
            configuration = try home.configuration()
            genesis = try home.genesis()
        } catch {
            throw .home("the home is not initialised (run `aether node init` first): \(error)")
        }
        let data = home.url.appendingPathComponent(configuration.dataDirectory)
        try requireNoChainData(at: data)
        let fileHash = try checkIntegrity(of: source)
        let genesisHeader = try homeGenesisHeader(genesis)
        let staging = URL(fileURLWithPath: data.path + ".import")
        try? FileManager.default.removeItem(at: staging)
        do throws(StateSnapshotError) {
            let summary = try build(
                from: source, at: staging, genesis: genesis, genesisHeader: genesisHeader,
                trustedBlockID: trustedBlockID, fileHash: fileHash)
            if FileManager.default.fileExists(atPath: data.path) { try? FileManager.default.removeItem(at: data) }
            guard rename(staging.path, data.path) == 0 else {
                throw .io("cannot rename \(staging.path) to \(data.path): errno \(errno)")
            }
            syncDirectory(of: data)
            return summary
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// Refuses a data directory that exists and is not empty, naming the height it holds if any.
    static func requireNoChainData(at data: URL) throws(StateSnapshotError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw .home("\(data.path) exists and is not a directory") }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: data.path)) ?? ["?"]
        guard !entries.isEmpty else { return }
        let tip: UInt64? = {
            guard let rocks = try? RocksDBStore(readOnlyPath: data.path, columns: ChainStore.columns) else {
                return nil
            }
            defer { rocks.close() }
            return (try? ChainStore(store: rocks).tip())??.header.height
        }()
        let holding = tip.map { "chain data up to height \($0)" } ?? "files"
        throw .home(
            "\(data.path) already holds \(holding); a snapshot goes only into a home without chain data "
                + "(stop the node and move that directory away first)")
    }

    /// The genesis header `genesis.toml` gives (what a node started from genesis would store).
    static func homeGenesisHeader(_ genesis: Genesis) throws(StateSnapshotError) -> BlockHeader {
        do {
            let memory = MemoryStore(columns: ChainStore.columns)
            let machine = try genesis.stateMachine(tree: SparseMerkleTree(store: memory))
            var batch = WriteBatch()
            let root = try machine.initGenesis(genesis.chainGenesis(), batch: &batch)
            return ValidatorNode.genesisHeader(
                genesis: genesis, stateRoot: root, validators: try genesis.initialValidatorSet())
        } catch {
            throw .home("genesis.toml does not make a chain: \(error)")
        }
    }

    /// Reads and checks the file again, building the state in a new store at `staging`, and
    /// writes the chain records last. Throws before that last write on any failed check.
    private static func build(
        from source: URL, at staging: URL, genesis: Genesis, genesisHeader: BlockHeader, trustedBlockID: Hash,
        fileHash: Hash
    ) throws(StateSnapshotError) -> Summary {
        let reader = try Reader(source: source)
        guard case .manifest(let manifest)? = try reader.next() else {
            throw .malformed("the first frame is not the manifest")
        }
        try verify(
            manifest, genesis: genesisHeader, trustedBlockID: trustedBlockID,
            epochLength: genesis.consensusConfiguration().epochLength)
        var headers = try EpochHeaderVerifier(manifest: manifest)
        var frame = try reader.next()
        while case .headers(let batch)? = frame {
            for header in batch { try headers.add(header) }
            frame = try reader.next()
        }
        try headers.finish()

        let rocks: RocksDBStore
        do { rocks = try RocksDBStore(path: staging.path, columns: ChainStore.columns) } catch {
            throw .io("cannot create the staging store \(staging.path): \(error)")
        }
        defer { rocks.close() }
        let tree = SparseMerkleTree(store: rocks)
        var root = SparseMerkleTree.emptyRoot
        var previousPath: Hash?
        var leafCount: UInt64 = 0
        while case .leaves(let leaves)? = frame {
            var changes: [(key: [UInt8], value: [UInt8]?)] = []
            changes.reserveCapacity(leaves.count)
            for leaf in leaves {
                let path = SparseMerkleTree.path(of: leaf.key)
                if let previousPath, !(previousPath < path) {
                    throw .leafOrder("leaf \(leafCount) (path \(path.hex)) does not follow path \(previousPath.hex)")
                }
                previousPath = path
                changes.append((leaf.key, leaf.value))
                leafCount += 1
            }
            do {
                var batch = WriteBatch()
                root = try tree.update(root: root, changes: changes, batch: &batch)
                try rocks.write(batch, sync: false)
            } catch {
                throw .io("cannot write the staging store: \(error)")
            }
            frame = try reader.next()
        }
        guard case .end(let totals)? = frame else {
            throw .malformed(
                "expected the end frame after the leaves, found \(frame.map { "kind \($0.kind)" } ?? "nothing")")
        }
        guard try reader.next() == nil, let trailing = reader.trailingHash else {
            throw .malformed("frames follow the end frame")
        }
        guard trailing == fileHash else { throw .integrity(expected: fileHash, computed: trailing) }
        let header = manifest.block.header
        guard root == header.stateRoot else { throw .stateRoot(expected: header.stateRoot, computed: root) }
        guard totals.headers == headers.count, totals.leaves == leafCount else {
            throw .malformed(
                "the end frame counts \(totals.headers) headers and \(totals.leaves) leaves, the file holds "
                    + "\(headers.count) and \(leafCount)")
        }
        try checkValidatorSets(manifest, genesis: genesis, tree: tree)

        do {
            try ChainStore(store: rocks).initialize(
                genesis: genesisHeader, snapshot: CommittedBlock(block: manifest.block, receipts: manifest.receipts),
                certificate: manifest.finalityPath.isEmpty ? manifest.certificate : nil,
                epochState: manifest.epochState, stateBatch: WriteBatch())
        } catch {
            throw .io("cannot write the chain records: \(error)")
        }
        return Summary(
            height: header.height, blockID: manifest.block.id, stateRoot: root, epoch: header.epoch,
            headers: headers.count, leaves: leafCount, fileHash: fileHash)
    }

    /// The state at H holds the manifest's set for H's epoch, and a set for the epoch the node
    /// will run first (the next one when H ends its epoch).
    private static func checkValidatorSets(_ manifest: Manifest, genesis: Genesis, tree: SparseMerkleTree)
        throws(StateSnapshotError)
    {
        let header = manifest.block.header
        do {
            let machine = try genesis.stateMachine(tree: tree)
            let initial = try genesis.initialValidatorSet()
            func set(_ epoch: UInt64) throws -> ValidatorSet? {
                try machine.validatorSet(epoch: epoch, root: header.stateRoot) ?? (epoch <= 1 ? initial : nil)
            }
            guard let current = try set(header.epoch), current == manifest.validators else {
                throw StateSnapshotError.validatorSet(
                    "the state at \(header.height) does not hold the manifest's validator set of epoch \(header.epoch)")
            }
            guard try set(manifest.epochState.epoch) != nil else {
                throw StateSnapshotError.validatorSet(
                    "the state at \(header.height) has no validator set for epoch \(manifest.epochState.epoch)")
            }
        } catch let error as StateSnapshotError {
            throw error
        } catch {
            throw .validatorSet("cannot read the validator sets from the snapshot state: \(error)")
        }
    }
}
