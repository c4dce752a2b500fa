public import Chain
public import Consensus
public import Primitives

/// A state snapshot: the chain state at one committed height with what proves it, so a new node
/// can start from that height instead of replaying every block (Docs/spec/snapshot.md, ADR 0008).
///
/// The file is a stream of frames (`StateSnapshot.Frame`) between a magic, a format version and a
/// trailing SHA-256 over everything before it. The manifest comes first, then the headers of the
/// snapshot block's epoch, then the state leaves in tree order, then an end frame with the counts.
/// Writing and reading never hold more than one frame in memory.
///
/// The values here are pure (no files): the manifest, its frames, and the checks an importer runs
/// on them. `StateSnapshot.export` and `StateSnapshot.import` do the IO.
public enum StateSnapshot {
    /// The first bytes of every snapshot file.
    public static let magic: [UInt8] = Array("AETHSNAP".utf8)
    /// The format version this code writes and reads.
    public static let formatVersion: UInt32 = 1
    /// Leaves and headers are grouped into frames of about this many bytes.
    public static let chunkBytes = 1 << 20
    /// The largest frame payload a reader accepts (a single leaf may exceed `chunkBytes`).
    public static let maximumFrameBytes = 64 << 20
    /// The size of a frame header: its kind (one byte) and payload length (four, little-endian).
    static let frameHeaderBytes = 5

    /// What a snapshot proves and starts from: everything but the state leaves and the epoch's
    /// earlier headers, which follow in their own frames.
    public struct Manifest: Hashable, Sendable {
        /// The chain's id.
        public var chainId: String
        /// The genesis header (checked against the importing home's `genesis.toml`).
        public var genesis: BlockHeader
        /// The block at the snapshot height H, with its transactions.
        public var block: Block
        /// The receipts of `block`'s transactions (checked against its receipt root).
        public var receipts: [TransactionReceipt]
        /// Headers after H up to the block `certificate` finalizes directly; empty when H carries
        /// its own certificate (H was the last block of its commit).
        public var finalityPath: [BlockHeader]
        /// The commit certificate that proves H (through `finalityPath`) final.
        public var certificate: CommitCertificate
        /// The validator set of H's epoch: it signed the certificate and the epoch's headers.
        public var validators: ValidatorSet
        /// The epoch state the node stored with H as its committed tip.
        public var epochState: EpochState

        /// A manifest from its parts.
        public init(
            chainId: String, genesis: BlockHeader, block: Block, receipts: [TransactionReceipt],
            finalityPath: [BlockHeader], certificate: CommitCertificate, validators: ValidatorSet,
            epochState: EpochState
        ) {
            self.chainId = chainId
            self.genesis = genesis
            self.block = block
            self.receipts = receipts
            self.finalityPath = finalityPath
            self.certificate = certificate
            self.validators = validators
            self.epochState = epochState
        }

        /// The snapshot height H.
        public var height: UInt64 { block.header.height }

        /// The height of the first block of H's epoch: epochs have a fixed length from height 1.
        public var epochStartHeight: UInt64 {
            let (product, overflow) = block.header.epoch.multipliedReportingOverflow(by: epochState.epochLength)
            return overflow ? .max : product &+ 1
        }
    }

    /// One state entry: a key of the state tree and its value.
    public struct Leaf: Hashable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]

        /// A leaf from its key and value.
        public init(key: [UInt8], value: [UInt8]) {
            self.key = key
            self.value = value
        }
    }

    /// The counts in the end frame, checked against what the reader saw.
    public struct Totals: Hashable, Sendable {
        public var headers: UInt64
        public var leaves: UInt64

        /// Totals from the two counts.
        public init(headers: UInt64, leaves: UInt64) {
            self.headers = headers
            self.leaves = leaves
        }
    }

    /// One frame of a snapshot file.
    public enum Frame: Hashable, Sendable {
        case manifest(Manifest)
        /// Consecutive headers of H's epoch, from its first block up to H's parent.
        case headers([BlockHeader])
        /// Consecutive state leaves in ascending path (`SHA-256(key)`) order.
        case leaves([Leaf])
        case end(Totals)

        /// The frame kind byte.
        var kind: UInt8 {
            switch self {
            case .manifest: 1
            case .headers: 2
            case .leaves: 3
            case .end: 4
            }
        }

        /// The frame's payload in the canonical encoding.
        var payload: [UInt8] {
            var encoder = CanonicalEncoder()
            switch self {
            case .manifest(let manifest): encoder.write(manifest)
            case .headers(let headers): encoder.write(headers)
            case .leaves(let leaves): encoder.write(leaves)
            case .end(let totals): encoder.write(totals)
            }
            return encoder.bytes
        }

        /// Decodes the payload of a frame of `kind`.
        static func decode(kind: UInt8, payload: [UInt8]) throws(StateSnapshotError) -> Frame {
            let limits = CodecLimits(
                maxInputBytes: StateSnapshot.maximumFrameBytes, maxByteStringLength: StateSnapshot.maximumFrameBytes,
                maxCollectionCount: 1 << 22, maxDepth: 64)
            do {
                switch kind {
                case 1: return .manifest(try Canonical.decode(Manifest.self, from: payload, limits: limits))
                case 2:
                    var decoder = try CanonicalDecoder(payload, limits: limits)
                    let headers = try decoder.readArray(of: BlockHeader.self)
                    try decoder.finish()
                    return .headers(headers)
                case 3:
                    var decoder = try CanonicalDecoder(payload, limits: limits)
                    let leaves = try decoder.readArray(of: Leaf.self)
                    try decoder.finish()
                    return .leaves(leaves)
                case 4: return .end(try Canonical.decode(Totals.self, from: payload, limits: limits))
                default: throw StateSnapshotError.malformed("unknown frame kind \(kind)")
                }
            } catch let error as StateSnapshotError {
                throw error
            } catch {
                throw .malformed("a frame of kind \(kind) does not decode: \(error)")
            }
        }
    }
}

// MARK: - Canonical encodings

extension StateSnapshot.Manifest: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(chainId)
        encoder.write(genesis)
        encoder.write(block)
        encoder.write(receipts)
        encoder.write(finalityPath)
        encoder.write(certificate)
        encoder.write(validators.validators)
        encoder.write(epochState)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        chainId = try decoder.read(String.self, maxLength: 64)
        genesis = try decoder.read(BlockHeader.self)
        block = try decoder.read(Block.self)
        receipts = try decoder.readArray(of: TransactionReceipt.self)
        finalityPath = try decoder.readArray(of: BlockHeader.self, maxCount: CommitCertificate.maximumPath)
        certificate = try decoder.read(CommitCertificate.self)
        let offset = decoder.offset
        let members = try decoder.readArray(of: Validator.self, maxCount: ValidatorSet.maximumSize)
        do { validators = try ValidatorSet(members) } catch {
            throw .invalidValue(offset: offset, reason: "validator set: \(error)")
        }
        epochState = try decoder.read(EpochState.self)
    }
}

extension StateSnapshot.Leaf: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(bytes: key)
        encoder.write(bytes: value)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        key = try decoder.readBytes()
        value = try decoder.readBytes()
    }
}

extension StateSnapshot.Totals: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(headers)
        encoder.write(leaves)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        headers = try decoder.read(UInt64.self)
        leaves = try decoder.read(UInt64.self)
    }
}

// MARK: - Verification

extension StateSnapshot {
    /// Checks a manifest against what the importer trusts: the genesis header it derives from its
    /// own `genesis.toml` and the id of block H it got from a trusted source. Pure: values in, a
    /// verdict (nothing, or the first failed check) out.
    ///
    /// It checks, in order: the genesis; H against the trusted id; H's transactions and receipts
    /// against its roots; the validator set against H's header; the finality path and the commit
    /// certificate (a quorum of that set) over H; and the epoch state's shape at H.
    /// - Throws: `StateSnapshotError` naming the first check that fails.
    public static func verify(
        _ manifest: Manifest, genesis: BlockHeader, trustedBlockID: Hash, epochLength: UInt64
    ) throws(StateSnapshotError) {
        guard manifest.genesis.id == genesis.id, manifest.chainId == genesis.chainId else {
            throw .genesisMismatch(snapshot: manifest.genesis.id, home: genesis.id)
        }
        let block = manifest.block
        let header = block.header
        guard block.id == trustedBlockID else { throw .untrustedBlock(snapshot: block.id, trusted: trustedBlockID) }
        guard header.chainId == manifest.chainId, header.height >= 1 else {
            throw .blockContents("the snapshot block is of chain \(header.chainId) at height \(header.height)")
        }
        guard ChainStateMachine.transactionRoot(block.transactions) == header.transactionRoot else {
            throw .blockContents("the transactions of block \(header.height) do not match its transaction root")
        }
        guard manifest.receipts.count == block.transactions.count,
            ChainStateMachine.receiptRoot(manifest.receipts) == header.receiptRoot
        else { throw .blockContents("the receipts of block \(header.height) do not match its receipt root") }
        guard manifest.validators.hash == header.validatorSetHash else {
            throw .validatorSet(
                "the snapshot's validator set hashes to \(manifest.validators.hash), block \(header.height) names "
                    + "\(header.validatorSetHash)")
        }
        try verifyFinality(manifest)
        try verifyEpochShape(manifest, epochLength: epochLength)
    }

    /// The finality path links H to the block the certificate finalizes, within H's epoch, and the
    /// certificate is a valid quorum of the epoch's validators over it.
    static func verifyFinality(_ manifest: Manifest) throws(StateSnapshotError) {
        var finalized = manifest.block.header
        for link in manifest.finalityPath {
            guard link.parentID == finalized.id, link.height == finalized.height + 1,
                link.epoch == manifest.block.header.epoch
            else {
                throw .certificate("the finality path does not extend block \(finalized.height) within its epoch")
            }
            finalized = link
        }
        do {
            try manifest.certificate.verify(
                finalizes: finalized, validators: manifest.validators, genesisID: finalized.id)
        } catch {
            throw .certificate("the commit certificate does not finalize block \(finalized.height): \(error)")
        }
    }

    /// The epoch state is the one of a tip at H: the same epoch (H inside it), or the next one when
    /// H is its epoch's ending block.
    static func verifyEpochShape(_ manifest: Manifest, epochLength: UInt64) throws(StateSnapshotError) {
        let state = manifest.epochState
        let header = manifest.block.header
        guard state.epochLength == max(epochLength, 1) else {
            throw .epochState("epoch length \(state.epochLength), the genesis says \(epochLength)")
        }
        let start = manifest.epochStartHeight
        guard start <= header.height, header.height - start < state.epochLength else {
            throw .epochState("block \(header.height) is not in epoch \(header.epoch)")
        }
        let isEnding = header.height == start + state.epochLength - 1
        if isEnding {
            guard state.epoch == header.epoch + 1, state.startHeight == header.height + 1, state.outputs.isEmpty
            else {
                throw .epochState("block \(header.height) ends epoch \(header.epoch), the state is not closed on it")
            }
        } else {
            guard state.epoch == header.epoch, state.startHeight == start else {
                throw .epochState(
                    "the state is at epoch \(state.epoch) from height \(state.startHeight), block \(header.height) "
                        + "is in epoch \(header.epoch) from height \(start)")
            }
        }
        guard state.seed(epoch: header.epoch) != nil, state.seed(epoch: header.epoch + 1) != nil else {
            throw .epochState("the seeds of epochs \(header.epoch) and \(header.epoch + 1) are missing")
        }
    }

    /// Checks the headers of H's epoch as they stream in: they link from the epoch's first block to
    /// H, each parent is certified by the next header's `justify` (a quorum of the epoch), each
    /// proposer's VRF proof verifies and it was the leader of its view under the epoch's seed, and
    /// the epoch state's VRF outputs (or the seed it fixed on closing) match the headers'.
    public struct EpochHeaderVerifier: Sendable {
        let manifest: Manifest
        let schedule: LeaderSchedule
        let seed: Hash
        var previous: BlockHeader?
        var previousID: Hash?
        var outputs: [[UInt8]] = []
        /// How many headers have been checked (H's own excluded).
        public private(set) var count: UInt64 = 0

        /// A verifier for `manifest`, which `StateSnapshot.verify` has accepted.
        public init(manifest: Manifest) throws(StateSnapshotError) {
            self.manifest = manifest
            schedule = LeaderSchedule(chainId: manifest.chainId, validators: manifest.validators)
            guard let seed = manifest.epochState.seed(epoch: manifest.block.header.epoch) else {
                throw .epochState("the seed of epoch \(manifest.block.header.epoch) is missing")
            }
            self.seed = seed
        }

        /// Checks the next header (heights ascending from the epoch's first block).
        public mutating func add(_ header: BlockHeader) throws(StateSnapshotError) {
            let epoch = manifest.block.header.epoch
            let expectedHeight = previous.map { $0.height + 1 } ?? manifest.epochStartHeight
            guard header.height == expectedHeight, header.height < manifest.height, header.epoch == epoch,
                header.chainId == manifest.chainId
            else {
                throw .headerChain(
                    "expected a header of epoch \(epoch) at height \(expectedHeight), found epoch \(header.epoch) "
                        + "height \(header.height)")
            }
            if let previous, let previousID {
                try Self.checkLink(header, parent: previous, parentID: previousID, manifest: manifest)
            } else {
                // An epoch's first block is justified by the signature-less certificate of its base.
                guard header.justify.isGenesis, header.justify.blockID == header.parentID else {
                    throw .headerChain("the first block of epoch \(epoch) is not justified by the epoch's base")
                }
            }
            try checkProposer(header)
            count += 1
            previous = header
            previousID = header.id
        }

        /// Checks H itself against the last header and the collected outputs against the epoch state.
        public mutating func finish() throws(StateSnapshotError) {
            let header = manifest.block.header
            if let previous, let previousID {
                try Self.checkLink(header, parent: previous, parentID: previousID, manifest: manifest)
            } else {
                guard header.height == manifest.epochStartHeight else {
                    throw .headerChain(
                        "the headers of epoch \(header.epoch) before height \(header.height) are missing")
                }
                guard header.justify.isGenesis, header.justify.blockID == header.parentID else {
                    throw .headerChain("the first block of epoch \(header.epoch) is not justified by the epoch's base")
                }
            }
            try checkProposer(header)
            let state = manifest.epochState
            if state.epoch == header.epoch {
                guard state.outputs == outputs else {
                    throw .epochState("the epoch state's VRF outputs differ from those of the epoch's headers")
                }
            } else {
                let previousSeed = state.seed(epoch: header.epoch + 1) ?? .zero
                guard state.seed(epoch: header.epoch + 2) == EpochState.seed(after: previousSeed, outputs: outputs)
                else {
                    throw .epochState("the seed fixed on closing epoch \(header.epoch) does not follow its headers")
                }
            }
        }

        /// `header` extends `parent`, and its `justify` certifies the parent: a quorum's signatures,
        /// or the signature-less certificate of an engine restarted on that parent.
        static func checkLink(_ header: BlockHeader, parent: BlockHeader, parentID: Hash, manifest: Manifest)
            throws(StateSnapshotError)
        {
            guard header.parentID == parentID, header.height == parent.height + 1,
                header.justify.blockID == parentID, header.timestamp > parent.timestamp
            else { throw .headerChain("block \(header.height) does not extend block \(parent.height)") }
            if header.justify.isGenesis {
                guard header.justify.epoch == header.epoch else {
                    throw .headerChain("block \(header.height) is justified by another epoch's base")
                }
                return
            }
            guard header.justify.view == parent.view, header.justify.height == parent.height else {
                throw .headerChain("the certificate in block \(header.height) names another view or height")
            }
            do {
                try header.justify.verify(
                    chainId: manifest.chainId, validators: manifest.validators, genesisID: parentID)
            } catch {
                throw .headerChain("the certificate of block \(parent.height) does not verify: \(error)")
            }
        }

        /// The proposer is in the set, its VRF proof verifies, and it led the view: the weighted
        /// leader under the epoch's seed, or the round-robin one after a timeout.
        mutating func checkProposer(_ header: BlockHeader) throws(StateSnapshotError) {
            guard let index = manifest.validators.index(of: header.proposer),
                let vrfKey = manifest.validators[index]?.vrfPublicKey
            else { throw .headerChain("the proposer of block \(header.height) is not a validator of its epoch") }
            let alpha = LeaderSchedule.vrfInput(chainId: manifest.chainId, epoch: header.epoch, view: header.view)
            let output: [UInt8]
            do { output = try VRF.verify(alpha, proof: header.vrfProof, publicKey: vrfKey) } catch {
                throw .headerChain("the VRF proof of block \(header.height) does not verify: \(error)")
            }
            let viaTimeout = header.justify.view + 1 != header.view
            let leader =
                viaTimeout
                ? schedule.roundRobinLeader(view: header.view) : schedule.weightedLeader(view: header.view, seed: seed)
            guard leader == index else {
                throw .headerChain(
                    "the proposer of block \(header.height) did not lead view \(header.view) under the epoch's seed")
            }
            outputs.append(output)
        }
    }
}

/// Why a snapshot could not be written, read or imported. Every case says what failed; none leaves
/// anything behind in the node's home.
public enum StateSnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file or directory could not be read or written.
    case io(String)
    /// The file does not start with the snapshot magic.
    case notASnapshot
    /// The file is of a format version this code does not read.
    case unsupportedVersion(UInt32)
    /// The file ends early.
    case truncated(String)
    /// The file's structure is wrong (frame order, sizes, encodings, counts).
    case malformed(String)
    /// The trailing hash does not match the contents: the file is damaged or was changed.
    case integrity(expected: Hash, computed: Hash)
    /// The home cannot take a snapshot (not initialised, or it already holds chain data).
    case home(String)
    /// The snapshot is of another genesis than the home's.
    case genesisMismatch(snapshot: Hash, home: Hash)
    /// Block H is not the block the operator trusts.
    case untrustedBlock(snapshot: Hash, trusted: Hash)
    /// Block H's transactions or receipts do not match its header.
    case blockContents(String)
    /// The finality path or commit certificate does not prove H final.
    case certificate(String)
    /// The validator set does not match the header or the state.
    case validatorSet(String)
    /// The epoch state does not fit H or its epoch's headers.
    case epochState(String)
    /// The epoch's headers do not link, verify or lead to H.
    case headerChain(String)
    /// The leaves are not in strictly ascending tree order.
    case leafOrder(String)
    /// The leaves build a state tree with another root than H's.
    case stateRoot(expected: Hash, computed: Hash)
    /// The node's store failed, or lacks what an export needs.
    case store(String)

    public var description: String {
        switch self {
        case .io(let message): "snapshot I/O: \(message)"
        case .notASnapshot: "not an Aether snapshot file (wrong magic)"
        case .unsupportedVersion(let version):
            "snapshot format version \(version) is not supported (this build reads \(StateSnapshot.formatVersion))"
        case .truncated(let message): "the snapshot is truncated: \(message)"
        case .malformed(let message): "the snapshot is malformed: \(message)"
        case .integrity(let expected, let computed):
            "the snapshot is corrupted: its trailing hash is \(expected.hex) but its contents hash to \(computed.hex)"
        case .home(let message): "cannot import into this home: \(message)"
        case .genesisMismatch(let snapshot, let home):
            "the snapshot is of another chain: its genesis is \(snapshot.hex), this home's genesis.toml gives \(home.hex)"
        case .untrustedBlock(let snapshot, let trusted):
            "the snapshot's block is \(snapshot.hex), not the trusted \(trusted.hex): do not use this snapshot"
        case .blockContents(let message): "the snapshot block is inconsistent: \(message)"
        case .certificate(let message): "the snapshot block is not proven final: \(message)"
        case .validatorSet(let message): "the snapshot's validator set is wrong: \(message)"
        case .epochState(let message): "the snapshot's epoch state is wrong: \(message)"
        case .headerChain(let message): "the snapshot's epoch headers are wrong: \(message)"
        case .leafOrder(let message): "the snapshot's state leaves are out of order: \(message)"
        case .stateRoot(let expected, let computed):
            "the snapshot's state leaves build root \(computed.hex), the block's state root is \(expected.hex)"
        case .store(let message): "snapshot store: \(message)"
        }
    }
}
