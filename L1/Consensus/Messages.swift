public import Primitives

/// A validator's signed vote for a block.
public struct Vote: Hashable, Sendable {
    public let epoch: UInt64
    public let view: UInt64
    public let height: UInt64
    public let blockID: Hash
    /// The voter's index in the validator set.
    public let voter: ValidatorIndex
    /// Signature over `SignBytes.vote`.
    public let signature: Ed25519.Signature

    /// A vote from its parts.
    public init(
        epoch: UInt64, view: UInt64, height: UInt64, blockID: Hash, voter: ValidatorIndex, signature: Ed25519.Signature
    ) {
        self.epoch = epoch
        self.view = view
        self.height = height
        self.blockID = blockID
        self.voter = voter
        self.signature = signature
    }

    /// True when the signature is the voter's, for these fields on `chainId`.
    public func isValid(chainId: String, validators: ValidatorSet) -> Bool {
        guard let validator = validators[voter] else { return false }
        let message = SignBytes.vote(chainId: chainId, epoch: epoch, height: height, view: view, blockID: blockID)
        return validator.publicKey.isValidSignature(signature, for: message)
    }
}

extension Vote: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(view)
        encoder.write(height)
        encoder.write(blockID)
        encoder.write(voter)
        encoder.write(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        view = try decoder.read(UInt64.self)
        height = try decoder.read(UInt64.self)
        blockID = try decoder.read(Hash.self)
        voter = try decoder.read(UInt32.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

/// A validator giving up on a view, with its highest quorum certificate.
public struct Timeout: Hashable, Sendable {
    public let epoch: UInt64
    public let view: UInt64
    /// The sender's highest QC; its view is what the signature binds.
    public let highQC: QuorumCertificate
    public let voter: ValidatorIndex
    /// Signature over `SignBytes.timeout(view, highQC.view)`.
    public let signature: Ed25519.Signature

    /// A timeout from its parts.
    public init(
        epoch: UInt64, view: UInt64, highQC: QuorumCertificate, voter: ValidatorIndex, signature: Ed25519.Signature
    ) {
        self.epoch = epoch
        self.view = view
        self.highQC = highQC
        self.voter = voter
        self.signature = signature
    }

    /// True when the signature is the voter's for this view and high-QC view.
    public func isValid(chainId: String, validators: ValidatorSet) -> Bool {
        guard let validator = validators[voter], highQC.view < view, highQC.epoch == epoch else { return false }
        let message = SignBytes.timeout(chainId: chainId, epoch: epoch, view: view, highQCView: highQC.view)
        return validator.publicKey.isValidSignature(signature, for: message)
    }
}

extension Timeout: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(view)
        encoder.write(highQC)
        encoder.write(voter)
        encoder.write(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        view = try decoder.read(UInt64.self)
        highQC = try decoder.read(QuorumCertificate.self)
        voter = try decoder.read(UInt32.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

/// A leader's signed block for a view, with the timeout certificate that let the view start when
/// the previous view did not end with a QC.
public struct Proposal: Hashable, Sendable {
    public let block: Block
    /// `TC(view − 1)` when the proposer entered the view through a timeout.
    public let timeoutCertificate: TimeoutCertificate?
    /// The proposer's signature over `SignBytes.proposal`.
    public let signature: Ed25519.Signature

    /// A proposal from its parts.
    public init(block: Block, timeoutCertificate: TimeoutCertificate?, signature: Ed25519.Signature) {
        self.block = block
        self.timeoutCertificate = timeoutCertificate
        self.signature = signature
    }

    /// True when the proposer's signature covers this block.
    public func isSignedByProposer(id: Hash) -> Bool {
        let header = block.header
        let message = SignBytes.proposal(
            chainId: header.chainId, epoch: header.epoch, height: header.height, view: header.view, blockID: id)
        return header.proposer.isValidSignature(signature, for: message)
    }
}

extension Proposal: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(block)
        encoder.write(timeoutCertificate)
        encoder.write(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        block = try decoder.read(Block.self)
        timeoutCertificate = try decoder.readOptional(TimeoutCertificate.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

/// Everything validators send each other about consensus.
public enum ConsensusMessage: Hashable, Sendable {
    case proposal(Proposal)
    case vote(Vote)
    case timeout(Timeout)
    /// Ask for blocks: `ids` explicitly, walking back through parents from the last one.
    case blockRequest(BlockRequest)
    /// Blocks with the certificates that justify them, oldest first.
    case blockResponse([CertifiedBlock])
    /// Ask for committed blocks from a height on (catching up across epochs).
    case syncRequest(SyncRequest)
    /// Committed blocks, oldest first, and the certificate that finalizes the last one.
    case syncResponse(SyncResponse)

    /// The epoch the message belongs to, for messages that belong to one.
    public var epoch: UInt64? {
        switch self {
        case .proposal(let proposal): proposal.block.header.epoch
        case .vote(let vote): vote.epoch
        case .timeout(let timeout): timeout.epoch
        case .blockRequest, .blockResponse, .syncRequest, .syncResponse: nil
        }
    }
}

/// A request for committed blocks starting at `fromHeight`.
public struct SyncRequest: Hashable, Sendable {
    public let fromHeight: UInt64
    /// At most this many blocks (capped at `BlockRequest.maximumCount`).
    public let count: UInt32

    /// A request for up to `count` committed blocks from `fromHeight`.
    public init(fromHeight: UInt64, count: UInt32) {
        self.fromHeight = fromHeight
        self.count = min(max(count, 1), BlockRequest.maximumCount)
    }
}

/// Committed blocks and the commit certificate of the last one: the parent links make the whole
/// run final once the certificate verifies.
public struct SyncResponse: Hashable, Sendable {
    public let blocks: [Block]
    public let certificate: CommitCertificate

    /// A response from its parts.
    public init(blocks: [Block], certificate: CommitCertificate) {
        self.blocks = blocks
        self.certificate = certificate
    }
}

extension SyncRequest: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(fromHeight)
        encoder.write(count)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let height = try decoder.read(UInt64.self)
        self.init(fromHeight: height, count: try decoder.read(UInt32.self))
    }
}

extension SyncResponse: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(blocks)
        encoder.write(certificate)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        blocks = try decoder.readArray(of: Block.self, maxCount: Int(BlockRequest.maximumCount))
        certificate = try decoder.read(CommitCertificate.self)
    }
}

/// A request for missing blocks.
public struct BlockRequest: Hashable, Sendable {
    /// The newest block wanted.
    public let blockID: Hash
    /// How many ancestors to include, walking back from `blockID` (at most `maximumCount`).
    public let count: UInt32

    /// The most blocks one response may carry.
    public static let maximumCount: UInt32 = 256

    /// A request for `blockID` and up to `count − 1` of its ancestors.
    public init(blockID: Hash, count: UInt32) {
        self.blockID = blockID
        self.count = min(max(count, 1), Self.maximumCount)
    }
}

/// A block and, when known, the certificate of the block itself (the next block's `justify` also
/// carries it; the newest block of a response needs it explicitly).
public struct CertifiedBlock: Hashable, Sendable {
    public let block: Block
    public let certificate: QuorumCertificate?

    /// A block and its certificate.
    public init(block: Block, certificate: QuorumCertificate?) {
        self.block = block
        self.certificate = certificate
    }
}

extension BlockRequest: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(blockID)
        encoder.write(count)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let id = try decoder.read(Hash.self)
        self.init(blockID: id, count: try decoder.read(UInt32.self))
    }
}

extension CertifiedBlock: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(block)
        encoder.write(certificate)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        block = try decoder.read(Block.self)
        certificate = try decoder.readOptional(QuorumCertificate.self)
    }
}

extension ConsensusMessage: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .proposal(let proposal):
            encoder.write(UInt8(1))
            encoder.write(proposal)
        case .vote(let vote):
            encoder.write(UInt8(2))
            encoder.write(vote)
        case .timeout(let timeout):
            encoder.write(UInt8(3))
            encoder.write(timeout)
        case .blockRequest(let request):
            encoder.write(UInt8(4))
            encoder.write(request)
        case .blockResponse(let blocks):
            encoder.write(UInt8(5))
            encoder.write(blocks)
        case .syncRequest(let request):
            encoder.write(UInt8(6))
            encoder.write(request)
        case .syncResponse(let response):
            encoder.write(UInt8(7))
            encoder.write(response)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 1: self = .proposal(try decoder.read(Proposal.self))
        case 2: self = .vote(try decoder.read(Vote.self))
        case 3: self = .timeout(try decoder.read(Timeout.self))
        case 4: self = .blockRequest(try decoder.read(BlockRequest.self))
        case 5:
            self = .blockResponse(
                try decoder.readArray(of: CertifiedBlock.self, maxCount: Int(BlockRequest.maximumCount)))
        case 6: self = .syncRequest(try decoder.read(SyncRequest.self))
        case 7: self = .syncResponse(try decoder.read(SyncResponse.self))
        case let tag: throw .unknownTag(offset: offset, tag: UInt64(tag), type: "ConsensusMessage")
        }
    }
}
