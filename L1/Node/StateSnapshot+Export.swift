import Chain
public import ChainConfiguration
import Consensus
public import Foundation
public import Primitives
import RocksDBStorage
import Staking
public import Storage

extension StateSnapshot {
    /// What an export or import did.
    public struct Summary: Sendable, Equatable {
        /// The snapshot height H and its block id (the trust hash an importer needs).
        public let height: UInt64
        public let blockID: Hash
        public let stateRoot: Hash
        /// The epoch of block H.
        public let epoch: UInt64
        public let headers: UInt64
        public let leaves: UInt64
        /// The trailing hash of the file.
        public let fileHash: Hash
    }

    /// Exports the state at `height` (default: the latest committed block) of the node in `home`
    /// to `destination`. Opens the store read-only, so it works while the node runs; the export is
    /// of the store as it was when opened.
    /// - Throws: `StateSnapshotError` saying what is missing or failed.
    public static func export(home: NodeHome, height: UInt64? = nil, to destination: URL)
        throws(StateSnapshotError) -> Summary
    {
        let configuration: NodeConfiguration
        let genesis: Genesis
        do {
            configuration = try home.configuration()
            genesis = try home.genesis()
        } catch {
            throw .home("\(error)")
        }
        let dataPath = home.url.appendingPathComponent(configuration.dataDirectory).path
        let rocks: RocksDBStore
        do { rocks = try RocksDBStore(readOnlyPath: dataPath, columns: ChainStore.columns) } catch {
            throw .store("cannot open the node's store read-only: \(error)")
        }
        defer { rocks.close() }
        return try export(store: rocks, genesis: genesis, height: height, to: destination)
    }

    /// Exports the state at `height` (default: the tip) of the chain in `store` to `destination`.
    /// - Throws: `StateSnapshotError` saying what is missing or failed.
    public static func export(store: any KeyValueStore, genesis: Genesis, height: UInt64? = nil, to destination: URL)
        throws(StateSnapshotError) -> Summary
    {
        do {
            return try exportChecked(store: store, genesis: genesis, height: height, to: destination)
        } catch let error as StateSnapshotError {
            throw error
        } catch {
            throw .store("\(error)")
        }
    }

    private static func exportChecked(store: any KeyValueStore, genesis: Genesis, height: UInt64?, to destination: URL)
        throws -> Summary
    {
        let chain = ChainStore(store: store)
        guard let tip = try chain.tip(), let genesisHeader = try chain.genesis() else {
            throw StateSnapshotError.store("the store holds no chain (the node has never started)")
        }
        let height = height ?? tip.header.height
        guard height >= 1, height <= tip.header.height else {
            throw StateSnapshotError.store(
                "height \(height) is not a committed height above genesis (the tip is \(tip.header.height))")
        }
        guard let block = try chain.block(height: height) else {
            throw StateSnapshotError.store("block \(height) is not in the store")
        }
        let header = block.header
        if let base = try chain.snapshotBase() {
            // Older epoch states are rebuilt from genesis, and the epoch's headers must be here.
            let epochStart = header.epoch &* tip.epochState.epochLength &+ 1
            guard height == tip.header.height, epochStart > base else {
                throw StateSnapshotError.store(
                    "this node starts from a snapshot at height \(base) and has no blocks below it: it can export "
                        + "its tip once the tip's epoch began after that height")
            }
        }
        guard let receipts = try chain.receipts(blockID: block.id) else {
            throw StateSnapshotError.store("the receipts of block \(height) are not in the store")
        }
        let (path, certificate) = try finality(of: block, in: chain)
        let machine = try genesis.stateMachine(tree: SparseMerkleTree(store: store))
        let initial = try genesis.initialValidatorSet()
        guard
            let validators = try machine.validatorSet(epoch: header.epoch, root: header.stateRoot)
                ?? (header.epoch <= 1 ? initial : nil)
        else { throw StateSnapshotError.store("the state at \(height) has no validator set for epoch \(header.epoch)") }
        let epochState =
            height == tip.header.height
            ? tip.epochState : try replayEpochState(to: height, in: chain, epochLength: tip.epochState.epochLength)
        let manifest = Manifest(
            chainId: genesisHeader.chainId, genesis: genesisHeader, block: block, receipts: receipts,
            finalityPath: path, certificate: certificate, validators: validators, epochState: epochState)

        let writer = try Writer(destination: destination)
        try writer.write(.manifest(manifest))
        var headers: [BlockHeader] = []
        var headerBytes = 0
        var headerCount: UInt64 = 0
        var cursor = manifest.epochStartHeight
        while cursor < height {
            guard let earlier = try chain.block(height: cursor) else {
                throw StateSnapshotError.store("block \(cursor) of epoch \(header.epoch) is not in the store")
            }
            headers.append(earlier.header)
            headerBytes += Canonical.encode(earlier.header).count
            headerCount += 1
            if headerBytes >= chunkBytes {
                try writer.write(.headers(headers))
                headers = []
                headerBytes = 0
            }
            cursor += 1
        }
        if !headers.isEmpty { try writer.write(.headers(headers)) }

        var leaves: [Leaf] = []
        var leafBytes = 0
        var leafCount: UInt64 = 0
        try SparseMerkleTree(store: store).forEachLeaf(root: header.stateRoot) { key, value in
            leaves.append(Leaf(key: key, value: value))
            leafBytes += key.count + value.count + 8
            leafCount += 1
            if leafBytes >= chunkBytes {
                try writer.write(.leaves(leaves))
                leaves = []
                leafBytes = 0
            }
            return true
        }
        if !leaves.isEmpty { try writer.write(.leaves(leaves)) }
        try writer.write(.end(Totals(headers: headerCount, leaves: leafCount)))
        let fileHash = try writer.finish()
        return Summary(
            height: height, blockID: block.id, stateRoot: header.stateRoot, epoch: header.epoch,
            headers: headerCount, leaves: leafCount, fileHash: fileHash)
    }

    /// The commit certificate proving `block` final and the headers between it and the block the
    /// certificate finalizes directly (blocks committed together share the last one's certificate).
    static func finality(of block: Block, in chain: ChainStore) throws -> ([BlockHeader], CommitCertificate) {
        if let own = try chain.certificate(id: block.id), own.committedBlockID == block.id { return ([], own) }
        var path: [BlockHeader] = []
        for offset in 1...UInt64(CommitCertificate.maximumPath) {
            guard let later = try chain.block(height: block.header.height + offset) else { break }
            path.append(later.header)
            if let certificate = try chain.certificate(id: later.id), certificate.committedBlockID == later.id {
                return (path, certificate)
            }
        }
        throw StateSnapshotError.store("no commit certificate for block \(block.header.height) is in the store yet")
    }

    /// The epoch state as of committed height `height`, replayed from genesis over the stored
    /// headers the way the engine builds it: each block's VRF output is recorded, and an epoch
    /// closes on its ending block. (The store keeps only the tip's epoch state.)
    static func replayEpochState(to height: UInt64, in chain: ChainStore, epochLength: UInt64) throws -> EpochState {
        guard let genesis = try chain.genesis() else { throw StateSnapshotError.store("the genesis header is missing") }
        var state = EpochState(chainId: genesis.chainId, epochLength: epochLength)
        for current in 1...height {
            guard let block = try chain.block(height: current) else {
                throw StateSnapshotError.store(
                    "block \(current) is missing: cannot rebuild the epoch state at \(height)")
            }
            guard let output = block.header.vrfProof.unverifiedOutput else {
                throw StateSnapshotError.store("block \(current) has a malformed VRF proof")
            }
            state.recordCommitted(block.header, output: output)
            if current >= state.endingHeight { state.close(on: block.header) }
        }
        return state
    }
}
