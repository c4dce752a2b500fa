import Chain
import Consensus
import Foundation
import Node
import Primitives
import RocksDBStorage
import Storage
import Testing

@Suite("Chain store")
struct ChainStoreTests {
    static let chainId = "chain-store-test"
    static let proposer = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: 32))

    /// A header at `height` on `parent` (contents other than the links do not matter to the store).
    static func header(height: UInt64, parent: Hash, epoch: UInt64 = 0) -> BlockHeader {
        BlockHeader(
            chainId: chainId, epoch: epoch, height: height, view: height, parentID: parent,
            stateRoot: Hashing.sha256(Array("state \(height)".utf8)), transactionRoot: .zero, receiptRoot: .zero,
            dataAvailabilityRoot: .zero, validatorSetHash: .zero, nextValidatorSetHash: .zero,
            proposer: proposer.publicKey, vrfProof: try! VRF.Proof([UInt8](repeating: 0, count: 80)),
            timestamp: 1_000 + height,
            justify: QuorumCertificate(
                epoch: epoch, view: height == 0 ? 0 : height - 1, height: height == 0 ? 0 : height - 1,
                blockID: parent, signatures: []))
    }

    static func withRocksDB(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chainstore-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    @Test("a commit writes blocks, height index, transaction index, certificate and tip; all survive reopening")
    func commitAndReopen() throws {
        try Self.withRocksDB { directory in
            let genesis = Self.header(height: 0, parent: .zero)
            let epochState = EpochState(chainId: Self.chainId, epochLength: 10)
            let first = Block(header: Self.header(height: 1, parent: genesis.id), transactions: [[1, 2, 3]])
            let second = Block(header: Self.header(height: 2, parent: first.id), transactions: [[4], [5, 6]])
            let certificate = CommitCertificate(
                path: [second.header],
                certificate: QuorumCertificate(
                    epoch: 0, view: 2, height: 2, blockID: second.id, signatures: []))
            do {
                let rocks = try RocksDBStore(path: directory.path, columns: ChainStore.columns)
                defer { rocks.close() }
                let store = ChainStore(store: rocks)
                #expect(try store.tip() == nil)
                try store.initialize(genesis: genesis, epochState: epochState, stateBatch: WriteBatch())
                try store.commit(
                    [CommittedBlock(block: first, receipts: []), CommittedBlock(block: second, receipts: [])],
                    certificate: certificate, epochState: epochState)
                let safety = SafetyState(
                    epoch: 0, lastVotedView: 9, highQC: certificate.certificate, lastProposedView: 8)
                try store.saveSafety(safety)
            }
            let rocks = try RocksDBStore(path: directory.path, columns: ChainStore.columns)
            defer { rocks.close() }
            let store = ChainStore(store: rocks)
            #expect(try store.genesis() == genesis)
            #expect(try store.tip()?.header == second.header)
            #expect(try store.tip()?.epochState == epochState)
            #expect(try store.block(height: 1) == first)
            #expect(try store.block(id: second.id) == second)
            #expect(try store.block(height: 3) == nil)
            #expect(try store.certificate(id: second.id) == certificate)
            #expect(try store.certificate(id: first.id) == nil)
            // Blocks committed together share the certificate of the last.
            #expect(try store.finalityCertificate(height: 1) == certificate)
            let location = try #require(try store.location(of: TransactionID(encoded: [5, 6])))
            #expect(location.height == 2 && location.index == 1 && location.blockID == second.id)
            #expect(try store.receipts(blockID: first.id) == [])
            #expect(try store.safety()?.lastVotedView == 9)
            #expect(try store.safety()?.lastProposedView == 8)
        }
    }

    @Test("a pending block is readable by id but not indexed by height until committed, then not written twice")
    func pendingBlocks() throws {
        let memory = MemoryStore(columns: ChainStore.columns)
        let store = ChainStore(store: memory)
        let genesis = Self.header(height: 0, parent: .zero)
        try store.initialize(
            genesis: genesis, epochState: EpochState(chainId: Self.chainId, epochLength: 10),
            stateBatch: WriteBatch())
        let pending = Block(header: Self.header(height: 1, parent: genesis.id), transactions: [])
        try store.savePending(pending)
        #expect(try store.block(id: pending.id) == pending)
        #expect(try store.block(height: 1) == nil)
        #expect(try store.tip()?.header == genesis)

        // Committing it as stored indexes it without rewriting its bytes.
        let certificate = CommitCertificate(
            path: [pending.header],
            certificate: QuorumCertificate(epoch: 0, view: 1, height: 1, blockID: pending.id, signatures: []))
        let before = try #require(try memory.get(pending.id.bytes, column: StoreColumn("chain.blocks")))
        try store.commit(
            [CommittedBlock(block: pending, receipts: [], isStored: true)], certificate: certificate,
            epochState: EpochState(chainId: Self.chainId, epochLength: 10))
        #expect(try store.block(height: 1) == pending)
        #expect(try store.tip()?.header == pending.header)
        #expect(try memory.get(pending.id.bytes, column: StoreColumn("chain.blocks")) == before)
    }

    @Test("a corrupted record is a clear error naming what it is, never a crash or a wrong value")
    func corruption() throws {
        let memory = MemoryStore(columns: ChainStore.columns)
        let store = ChainStore(store: memory)
        try memory.put(Array("tip".utf8), [1, 2, 3], column: StoreColumn("chain.meta"))
        #expect {
            _ = try store.tip()
        } throws: { error in
            "\(error)".contains("the committed tip")
        }
        try memory.put(Array("safety".utf8), [], column: StoreColumn("chain.meta"))
        #expect {
            _ = try store.safety()
        } throws: { error in
            "\(error)".contains("safety state")
        }
    }
}
