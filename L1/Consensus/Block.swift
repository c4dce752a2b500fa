public import Primitives

/// A block header: what validators vote on and what light clients follow.
///
/// The block id is SHA-256 of the canonical encoding of the whole header, the parent's quorum
/// certificate (`justify`) included, so a header alone proves its parent was certified.
public struct BlockHeader: Hashable, Sendable {
    public var chainId: String
    public var height: UInt64
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
        chainId: String, height: UInt64, view: UInt64, parentID: Hash, stateRoot: Hash, transactionRoot: Hash,
        receiptRoot: Hash, dataAvailabilityRoot: Hash, validatorSetHash: Hash, nextValidatorSetHash: Hash,
        proposer: Ed25519.PublicKey, vrfProof: VRF.Proof, timestamp: UInt64, justify: QuorumCertificate
    ) {
        self.chainId = chainId
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

    /// The epoch this block belongs to.
    public func epoch(length: UInt64) -> UInt64 { height / max(length, 1) }
}

extension BlockHeader: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(chainId)
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

/// Proof that a block is final: a certified child in the very next view (the two-chain rule).
///
/// A block committed together with a descendant carries that descendant's certificate; the parent
/// links from the block up to `child` connect the two.
public struct CommitCertificate: Hashable, Sendable {
    /// The child whose parent is the committed block, proposed one view later.
    public let child: BlockHeader
    /// The quorum certificate of `child`.
    public let childCertificate: QuorumCertificate

    /// A certificate from its parts.
    public init(child: BlockHeader, childCertificate: QuorumCertificate) {
        self.child = child
        self.childCertificate = childCertificate
    }

    /// The id of the block this certificate finalizes directly.
    public var committedBlockID: Hash { child.parentID }

    /// Checks that this certificate finalizes `header`.
    public func verify(finalizes header: BlockHeader, validators: ValidatorSet, genesisID: Hash)
        throws(CertificateError)
    {
        guard child.parentID == header.id, child.view == header.view + 1, child.justify.blockID == header.id,
            childCertificate.blockID == child.id, childCertificate.view == child.view
        else { throw .notAChild }
        try childCertificate.verify(chainId: header.chainId, validators: validators, genesisID: genesisID)
    }
}

extension CommitCertificate: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(child)
        encoder.write(childCertificate)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        child = try decoder.read(BlockHeader.self)
        childCertificate = try decoder.read(QuorumCertificate.self)
    }
}
