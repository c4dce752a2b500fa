import Chain
import ChainConfiguration
import Consensus
import Foundation
import Primitives
import RocksDBStorage
import Storage
import Testing

@testable import Node

/// State snapshots on a real chain: a one-validator `ValidatorNode` runs in this process over
/// RocksDB, the snapshot is exported from its store (while it runs) and imported into a fresh home.
@Suite("State snapshots")
struct SnapshotTests {
    /// A one-validator chain in a temporary directory, its node stopped once it reached `height`.
    struct Fixture {
        let root: URL
        let source: NodeHome
        let genesis: Genesis
        let snapshot: URL
        let summary: StateSnapshot.Summary

        var sourceData: String { source.url.appendingPathComponent("data").path }

        /// A fresh, initialised home with no chain data (config.toml and `genesis`).
        func emptyHome(_ name: String, genesis: Genesis? = nil) throws -> NodeHome {
            let home = NodeHome(root.appendingPathComponent(name))
            try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true)
            try home.write(configuration: NodeConfiguration(moniker: name))
            try home.write(genesis: genesis ?? self.genesis)
            return home
        }

        /// Exports height `height` of the stopped node to a new file.
        func export(height: UInt64) throws -> (URL, StateSnapshot.Summary) {
            let file = root.appendingPathComponent("at-\(height).snapshot")
            let rocks = try RocksDBStore(readOnlyPath: sourceData, columns: ChainStore.columns)
            defer { rocks.close() }
            return (file, try StateSnapshot.export(store: rocks, genesis: genesis, height: height, to: file))
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// Runs a one-validator chain (4-block epochs, 20 ms slots) until it has committed `height`,
    /// exports a snapshot of its tip while it still runs, then stops it.
    static func fixture(height: UInt64 = 10) async throws -> Fixture {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("aether-snapshot-\(UUID())")
        let plan = LocalnetPlan(
            count: 1, chainId: "snapshot-test", p2pBasePort: 0, rpcBasePort: 0, epochSlots: 4, slotMilliseconds: 20)
        try plan.create(under: root, genesisTime: UInt64(Date().timeIntervalSince1970 * 1_000) - 1_000)
        let home = plan.home(0, under: root)
        let configuration = try home.configuration()
        let genesis = try home.genesis()
        let password = try #require(try home.passwordFromFile(configuration))
        let node = try ValidatorNode(
            home: home.url, genesis: genesis, configuration: configuration,
            identity: try home.identity(configuration: configuration, password: password))
        try await node.start()
        let snapshot = root.appendingPathComponent("tip.snapshot")
        do {
            // Seconds alone; beside the whole suite on two loaded cores the node's tasks can wait
            // on the cooperative pool for a minute.
            let deadline = Date().addingTimeInterval(180)
            while await node.committed.height < height {
                guard Date() < deadline else { throw FixtureError("the chain did not reach height \(height)") }
                try await Task.sleep(for: .milliseconds(20))
            }
            // Exported while the node runs and holds the store's lock.
            let summary = try StateSnapshot.export(home: home, to: snapshot)
            await node.stop()
            return Fixture(root: root, source: home, genesis: genesis, snapshot: snapshot, summary: summary)
        } catch {
            await node.stop()
            try? FileManager.default.removeItem(at: root)
            throw error
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Every leaf of the state at `root` in `store`.
    static func leaves(of store: any KeyValueStore, root: Hash) throws -> [StateSnapshot.Leaf] {
        var out: [StateSnapshot.Leaf] = []
        try SparseMerkleTree(store: store).forEachLeaf(root: root) { key, value in
            out.append(StateSnapshot.Leaf(key: key, value: value))
            return true
        }
        return out
    }

    /// The home holds neither a data directory nor an import's staging directory.
    static func isUntouched(_ home: NodeHome) -> Bool {
        let data = home.url.appendingPathComponent("data").path
        return !FileManager.default.fileExists(atPath: data)
            && !FileManager.default.fileExists(atPath: data + ".import")
    }

    // MARK: - Round trip

    @Test("a snapshot exported from a running node imports into an empty home: same tip, state and epoch")
    func roundTrip() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let summary = fixture.summary
        #expect(summary.height >= 10)
        // 4-block epochs: the tip's epoch is well past the first.
        #expect(summary.epoch >= 2)

        let target = try fixture.emptyHome("imported")
        let imported = try StateSnapshot.import(
            from: fixture.snapshot, into: target, trustedBlockID: summary.blockID)
        #expect(imported == summary)

        let source = try RocksDBStore(readOnlyPath: fixture.sourceData, columns: ChainStore.columns)
        defer { source.close() }
        let copy = try RocksDBStore(
            readOnlyPath: target.url.appendingPathComponent("data").path, columns: ChainStore.columns)
        defer { copy.close() }
        let sourceChain = ChainStore(store: source)
        let copyChain = ChainStore(store: copy)
        let block = try #require(try sourceChain.block(height: summary.height))
        // The node ran on after the export: its epoch state at H is rebuilt from its blocks.
        let epochState = try StateSnapshot.replayEpochState(to: summary.height, in: sourceChain, epochLength: 4)
        #expect(try copyChain.tip() == CommittedTip(header: block.header, epochState: epochState))
        #expect(try copyChain.genesis() == sourceChain.genesis())
        #expect(try copyChain.block(height: summary.height) == block)
        #expect(try copyChain.block(height: 0) == sourceChain.block(height: 0))
        #expect(try copyChain.block(height: summary.height - 1) == nil)
        #expect(try copyChain.receipts(blockID: block.id) == sourceChain.receipts(blockID: block.id))
        #expect(try copyChain.certificate(id: block.id) == sourceChain.certificate(id: block.id))
        #expect(try copyChain.snapshotBase() == summary.height)
        #expect(try sourceChain.snapshotBase() == nil)
        let sourceLeaves = try Self.leaves(of: source, root: block.header.stateRoot)
        #expect(sourceLeaves.count == Int(summary.leaves))
        #expect(try Self.leaves(of: copy, root: block.header.stateRoot) == sourceLeaves)

        // Until it has synced into a later epoch, the imported node lacks the headers a snapshot of
        // its tip needs: it says so and writes nothing.
        let again = fixture.root.appendingPathComponent("again.snapshot")
        #expect {
            try StateSnapshot.export(home: target, to: again)
        } throws: { error in
            guard case .store(let message)? = error as? StateSnapshotError else { return false }
            return message.contains("starts from a snapshot at height \(summary.height)")
        }
        #expect(!FileManager.default.fileExists(atPath: again.path))

        // The imported home opens as a node on block H (its genesis check passes).
        copy.close()
        let node = try ValidatorNode(
            home: target.url, genesis: fixture.genesis, configuration: try target.configuration(),
            identity: .init(
                signer: .generate(), vrfKey: .generate(), operatorKey: .generate()))
        #expect(await node.committed == block.header)
        #expect(await node.epochState == epochState)
        await node.stop()
    }

    @Test("a snapshot at an older height rebuilds that height's epoch state, which the importer checks")
    func olderHeight() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let source = try RocksDBStore(readOnlyPath: fixture.sourceData, columns: ChainStore.columns)
        defer { source.close() }
        let chain = ChainStore(store: source)
        let tip = try #require(try chain.tip())
        // Replaying to the tip gives exactly the epoch state the engine stored.
        #expect(try StateSnapshot.replayEpochState(to: tip.header.height, in: chain, epochLength: 4) == tip.epochState)
        // Every height of one epoch, its ending block (a closed epoch state) included.
        for height in UInt64(5)...8 {
            let (file, summary) = try fixture.export(height: height)
            let block = try #require(try chain.block(height: height))
            #expect(summary.blockID == block.id && summary.height == height)
            #expect(summary.headers == height - 5)
            let target = try fixture.emptyHome("at-\(height)")
            let imported = try StateSnapshot.import(from: file, into: target, trustedBlockID: block.id)
            #expect(imported.stateRoot == block.header.stateRoot)
        }
    }

    // MARK: - Refusals

    /// A change to a snapshot file and the error the importer must answer it with.
    enum Tamper: String, CaseIterable, CustomTestStringConvertible {
        case flippedByte, truncated, truncatedInsideHash, wrongTrustHash, wrongGenesis, changedLeaf, droppedLeaf,
            swappedLeaves, changedCertificateSignature, changedEpochOutputs, changedEpochHeader, notASnapshot

        var testDescription: String { rawValue }

        /// True when `error` is the specific refusal this tampering must cause.
        func matches(_ error: StateSnapshotError) -> Bool {
            switch (self, error) {
            case (.flippedByte, .integrity), (.truncated, .truncated), (.truncatedInsideHash, .truncated),
                (.wrongTrustHash, .untrustedBlock), (.wrongGenesis, .genesisMismatch), (.changedLeaf, .stateRoot),
                (.droppedLeaf, .stateRoot), (.swappedLeaves, .leafOrder), (.changedCertificateSignature, .certificate),
                (.changedEpochOutputs, .epochState), (.changedEpochHeader, .headerChain),
                (.notASnapshot, .notASnapshot):
                true
            default: false
            }
        }
    }

    /// Every frame of a snapshot file.
    static func frames(of file: URL) throws -> [StateSnapshot.Frame] {
        let reader = try StateSnapshot.Reader(source: file)
        var frames: [StateSnapshot.Frame] = []
        while let frame = try reader.next() { frames.append(frame) }
        return frames
    }

    /// Writes `frames` as a well-formed file (a valid trailing hash): only the content checks can
    /// catch what changed.
    static func rewrite(_ frames: [StateSnapshot.Frame], to file: URL) throws {
        let writer = try StateSnapshot.Writer(destination: file)
        for frame in frames { try writer.write(frame) }
        try writer.finish()
    }

    static func mapManifest(_ frames: [StateSnapshot.Frame], _ change: (inout StateSnapshot.Manifest) throws -> Void)
        rethrows -> [StateSnapshot.Frame]
    {
        try frames.map { frame in
            guard case .manifest(var manifest) = frame else { return frame }
            try change(&manifest)
            return .manifest(manifest)
        }
    }

    static func mapLeaves(_ frames: [StateSnapshot.Frame], _ change: (inout [StateSnapshot.Leaf]) -> Void)
        -> [StateSnapshot.Frame]
    {
        var done = false
        return frames.map { frame in
            guard !done, case .leaves(var leaves) = frame, leaves.count >= 2 else { return frame }
            done = true
            change(&leaves)
            return .leaves(leaves)
        }
    }

    /// One chain serves every kind of tampering: twelve chains started at once on a loaded machine
    /// made the fixture itself the thing under test.
    @Test("a tampered, damaged or untrusted snapshot is refused with its own error and nothing is written")
    func refusals() async throws {
        let fixture = try await Self.fixture(height: 7)
        defer { fixture.remove() }
        // Height 6: inside epoch 1 (heights 5 to 8), so the file has an epoch header and VRF outputs.
        let (snapshot, summary) = try fixture.export(height: 6)
        for tamper in Tamper.allCases {
            try Self.checkRefusal(tamper, fixture: fixture, snapshot: snapshot, summary: summary)
        }
    }

    static func checkRefusal(
        _ tamper: Tamper, fixture: Fixture, snapshot: URL, summary: StateSnapshot.Summary
    ) throws {
        let file = fixture.root.appendingPathComponent("tampered-\(tamper).snapshot")
        var original = try Array(Data(contentsOf: snapshot))
        var trusted = summary.blockID
        var home = try fixture.emptyHome("target-\(tamper)")
        switch tamper {
        case .flippedByte:
            original[original.count / 2] ^= 0x01
            try Data(original).write(to: file)
        case .truncated:
            try Data(original[..<(original.count / 2)]).write(to: file)
        case .truncatedInsideHash:
            try Data(original.dropLast(5)).write(to: file)
        case .notASnapshot:
            original[0] ^= 0xff
            try Data(original).write(to: file)
        case .wrongTrustHash:
            try Data(original).write(to: file)
            trusted = Hashing.sha256(trusted.bytes)
        case .wrongGenesis:
            try Data(original).write(to: file)
            var other = fixture.genesis
            other.chain.genesisTimeMilliseconds += 1
            home = try fixture.emptyHome("other-genesis-\(tamper)", genesis: other)
        case .changedLeaf:
            try Self.rewrite(
                Self.mapLeaves(try Self.frames(of: snapshot)) { $0[0].value.append(0x01) }, to: file)
        case .droppedLeaf:
            try Self.rewrite(Self.mapLeaves(try Self.frames(of: snapshot)) { $0.removeLast() }, to: file)
        case .swappedLeaves:
            try Self.rewrite(Self.mapLeaves(try Self.frames(of: snapshot)) { $0.swapAt(0, 1) }, to: file)
        case .changedCertificateSignature:
            let frames = try Self.mapManifest(try Self.frames(of: snapshot)) { manifest in
                let qc = manifest.certificate.certificate
                var signatures = qc.signatures
                var bytes = signatures[0].signature.bytes
                bytes[0] ^= 0x01
                signatures[0] = SignerSignature(index: signatures[0].index, signature: try Ed25519.Signature(bytes))
                manifest.certificate = CommitCertificate(
                    path: manifest.certificate.path,
                    certificate: QuorumCertificate(
                        epoch: qc.epoch, view: qc.view, height: qc.height, blockID: qc.blockID, signatures: signatures))
            }
            try Self.rewrite(frames, to: file)
        case .changedEpochOutputs:
            let frames = try Self.mapManifest(try Self.frames(of: snapshot)) { manifest in
                // The state's outputs are checked against the epoch's headers.
                var encoded = Canonical.encode(manifest.epochState)
                encoded[encoded.count - 1] ^= 0x01
                manifest.epochState = try Canonical.decode(EpochState.self, from: encoded)
            }
            try Self.rewrite(frames, to: file)
        case .changedEpochHeader:
            // A header of H's epoch replaced by one with another timestamp: it no longer links to H.
            let frames = try Self.frames(of: snapshot).map { frame -> StateSnapshot.Frame in
                guard case .headers(var headers) = frame, !headers.isEmpty else { return frame }
                headers[headers.count - 1].timestamp += 1
                return .headers(headers)
            }
            try Self.rewrite(frames, to: file)
        }
        #expect {
            _ = try StateSnapshot.import(from: file, into: home, trustedBlockID: trusted)
        } throws: { error in
            guard let error = error as? StateSnapshotError else { return false }
            if !tamper.matches(error) { Issue.record("\(tamper): unexpected error \(error)") }
            return tamper.matches(error)
        }
        #expect(Self.isUntouched(home))
    }

    @Test("a home that already holds chain data is refused, and keeps its data")
    func refusesHomeWithData() async throws {
        let fixture = try await Self.fixture(height: 3)
        defer { fixture.remove() }
        let tipBefore = try Data(contentsOf: fixture.snapshot)
        #expect {
            _ = try StateSnapshot.import(
                from: fixture.snapshot, into: fixture.source, trustedBlockID: fixture.summary.blockID)
        } throws: { error in
            guard case .home(let message)? = error as? StateSnapshotError else { return false }
            return message.contains("already holds chain data up to height")
        }
        // An uninitialised directory is refused too.
        let bare = NodeHome(fixture.root.appendingPathComponent("bare"))
        #expect {
            _ = try StateSnapshot.import(from: fixture.snapshot, into: bare, trustedBlockID: fixture.summary.blockID)
        } throws: { error in
            guard case .home(let message)? = error as? StateSnapshotError else { return false }
            return message.contains("not initialised")
        }
        // The source still opens on its own tip.
        let rocks = try RocksDBStore(readOnlyPath: fixture.sourceData, columns: ChainStore.columns)
        defer { rocks.close() }
        #expect(try ChainStore(store: rocks).tip()?.header.height ?? 0 >= fixture.summary.height)
        #expect(try Data(contentsOf: fixture.snapshot) == tipBefore)
    }
}
