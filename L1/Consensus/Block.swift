public import Primitives

/// A block header: what validators vote on and what light clients follow.
///
/// The block id is SHA-256 of the canonical encoding of the whole header, the parent's quorum
/// certificate (`justify`) included, so a header alone proves its parent was certified.
public struct BlockHeader: Hashable, Sendable {
    public var chainId: String
    /// The epoch whose validators certify this block.
    public var epoch: UInt64
    public var height: UInt64
    /// The view within the epoch (views restart at 1 each epoch).
    public var view: UInt64
    public var parentID: Hash
    /// State root after applying this block's transactions.
    public var stateRoot: Hash
    /// Merkle root (RFC 6962) over the block's transactions.
    public var transactionRoot: Hash
    /// Merkle root over the block's receipts.
    public var receiptRoot: Hash
    /// Data-availability root (zero until the DA layer commits one).
    public var dataAvailabilityRoot: Hash
    /// Hash of the validator set that certifies this block.
    public var validatorSetHash: Hash
    /// Hash of the validator set for the next height (differs at epoch boundaries).
    public var nextValidatorSetHash: Hash
    /// The proposer's signing key.
    public var proposer: Ed25519.PublicKey
    /// The proposer's VRF proof over `LeaderSchedule.vrfInput(epoch:view:)`.
    public var vrfProof: VRF.Proof
    /// Milliseconds since the Unix epoch, strictly greater than the parent's.
    public var timestamp: UInt64
    /// The quorum certificate of the parent block.
    public var justify: QuorumCertificate

    /// A header from all its fields.
    public init(
        chainId: String, epoch: UInt64, height: UInt64, view: UInt64, parentID: Hash, stateRoot: Hash,
        transactionRoot: Hash,
        receiptRoot: Hash, dataAvailabilityRoot: Hash, validatorSetHash: Hash, nextValidatorSetHash: Hash,
        proposer: Ed25519.PublicKey, vrfProof: VRF.Proof, timestamp: UInt64, justify: QuorumCertificate
    ) {
        self.chainId = chainId
        self.epoch = epoch
        self.height = height
        self.view = view
        self.parentID = parentID
        self.stateRoot = stateRoot
        self.transactionRoot = transactionRoot
        self.receiptRoot = receiptRoot
        self.dataAvailabilityRoot = dataAvailabilityRoot
        self.validatorSetHash = validatorSetHash
        self.nextValidatorSetHash = nextValidatorSetHash
        self.proposer = proposer
        self.vrfProof = vrfProof
        self.timestamp = timestamp
        self.justify = justify
    }

    /// SHA-256 of the canonical encoding.
    public var id: Hash { Hashing.sha256(Canonical.encode(self)) }
}

extension BlockHeader: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(chainId)
        encoder.write(epoch)
        encoder.write(height)
        encoder.write(view)
        encoder.write(parentID)
        encoder.write(stateRoot)
        encoder.write(transactionRoot)
        encoder.write(receiptRoot)
        encoder.write(dataAvailabilityRoot)
        encoder.write(validatorSetHash)
        encoder.write(nextValidatorSetHash)
        encoder.write(proposer)
        encoder.write(fixed: vrfProof.bytes)
        encoder.write(timestamp)
        encoder.write(justify)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        chainId = try decoder.read(String.self, maxLength: 64)
        epoch = try decoder.read(UInt64.self)
        height = try decoder.read(UInt64.self)
        view = try decoder.read(UInt64.self)
        parentID = try decoder.read(Hash.self)
        stateRoot = try decoder.read(Hash.self)
        transactionRoot = try decoder.read(Hash.self)
        receiptRoot = try decoder.read(Hash.self)
        dataAvailabilityRoot = try decoder.read(Hash.self)
        validatorSetHash = try decoder.read(Hash.self)
        nextValidatorSetHash = try decoder.read(Hash.self)
        proposer = try decoder.read(Ed25519.PublicKey.self)
        let proofOffset = decoder.offset
        do { vrfProof = try VRF.Proof(try decoder.readFixed(count: 80)) } catch {
            throw .invalidValue(offset: proofOffset, reason: "VRF proof")
        }
        timestamp = try decoder.read(UInt64.self)
        justify = try decoder.read(QuorumCertificate.self)
    }
}

/// A block: its header and its transactions, each an opaque canonical encoding the application
/// decodes (consensus orders bytes; the chain gives them meaning).
public struct Block: Hashable, Sendable {
    /// The header.
    public var header: BlockHeader
    /// The encoded transactions, in order.
    public var transactions: [[UInt8]]

    /// A block from its header and transactions.
    public init(header: BlockHeader, transactions: [[UInt8]]) {
        self.header = header
        self.transactions = transactions
    }

    /// The block id (the header's).
    public var id: Hash { header.id }

    /// The encoded size in bytes.
    public var encodedSize: Int { Canonical.encode(self).count }
}

extension Block: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(header)
        encoder.writeLength(transactions.count)
        for transaction in transactions { encoder.write(bytes: transaction) }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        header = try decoder.read(BlockHeader.self)
        let count = try decoder.readLength(limit: decoder.limits.maxCollectionCount)
        var transactions: [[UInt8]] = []
        for _ in 0..<count { transactions.append(try decoder.readBytes()) }
        self.transactions = transactions
    }
}

/// Proof that a block is final under the two-chain rule: a chain of descendants whose last block
/// is certified and was proposed one view after its parent.
///
/// Usually `path` is just the block's child. A block committed together with descendants carries
/// the descendants' path (an epoch's ending block, committed through empty suffix blocks, is the
/// common case).
public struct CommitCertificate: Hashable, Sendable {
    /// Descendants from the committed block's child up to the certified block, in order.
    public let path: [BlockHeader]
    /// The quorum certificate of `path.last`.
    public let certificate: QuorumCertificate

    /// The most headers a path may hold.
    public static let maximumPath = 256

    /// A certificate from its parts.
    public init(path: [BlockHeader], certificate: QuorumCertificate) {
        self.path = path
        self.certificate = certificate
    }

    /// A certificate whose path is the committed block's child alone.
    public init(child: BlockHeader, childCertificate: QuorumCertificate) {
        self.init(path: [child], certificate: childCertificate)
    }

    /// The id of the block this certificate finalizes directly (the parent of the path).
    public var committedBlockID: Hash { path.first?.parentID ?? .zero }

    /// The certified block at the end of the path.
    public var child: BlockHeader? { path.last }

    /// Checks that this certificate finalizes `header`.
    public func verify(finalizes header: BlockHeader, validators: ValidatorSet, genesisID: Hash)
        throws(CertificateError)
    {
        guard !path.isEmpty, path.count <= Self.maximumPath else { throw .notAChild }
        var previous = header
        var previousID = header.id
        for link in path {
            guard link.parentID == previousID, link.height == previous.height + 1, link.epoch == header.epoch,
                link.justify.blockID == previousID
            else { throw .notAChild }
            if link != path.last { previous = link }
            previousID = link.id
        }
        // `previous` is now the certified block's parent.
        let last = path[path.count - 1]
        guard last.view == previous.view + 1, certificate.blockID == previousID, certificate.view == last.view,
            certificate.epoch == last.epoch
        else { throw .notAChild }
        try certificate.verify(chainId: header.chainId, validators: validators, genesisID: genesisID)
    }
}

extension CommitCertificate: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(path)
        encoder.write(certificate)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        path = try decoder.readArray(of: BlockHeader.self, maxCount: Self.maximumPath)
        certificate = try decoder.read(QuorumCertificate.self)
    }
}
