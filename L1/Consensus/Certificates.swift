public import Primitives

/// One validator's signature inside a certificate.
public struct SignerSignature: Hashable, Sendable {
    /// The signer's index in the validator set.
    public let index: ValidatorIndex
    /// Its Ed25519 signature over the certificate's sign bytes.
    public let signature: Ed25519.Signature

    /// A signer and its signature.
    public init(index: ValidatorIndex, signature: Ed25519.Signature) {
        self.index = index
        self.signature = signature
    }
}

extension SignerSignature: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(index)
        encoder.write(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        index = try decoder.read(UInt32.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

/// Domain-separated bytes that validators sign. The tag names the message kind and version; the
/// chain id keeps a signature from being replayed on another chain.
public enum SignBytes {
    /// What a validator signs to vote for a block.
    public static func vote(chainId: String, epoch: UInt64, height: UInt64, view: UInt64, blockID: Hash) -> [UInt8] {
        blockMessage(
            tag: "aether/vote/v1", chainId: chainId, epoch: epoch, height: height, view: view, blockID: blockID)
    }

    /// What a leader signs to propose a block.
    public static func proposal(chainId: String, epoch: UInt64, height: UInt64, view: UInt64, blockID: Hash)
        -> [UInt8]
    {
        blockMessage(
            tag: "aether/proposal/v1", chainId: chainId, epoch: epoch, height: height, view: view, blockID: blockID)
    }

    /// What a validator signs to time out of a view, binding the view of its highest QC.
    public static func timeout(chainId: String, epoch: UInt64, view: UInt64, highQCView: UInt64) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.write("aether/timeout/v1")
        encoder.write(chainId)
        encoder.write(epoch)
        encoder.write(view)
        encoder.write(highQCView)
        return encoder.bytes
    }

    private static func blockMessage(
        tag: String, chainId: String, epoch: UInt64, height: UInt64, view: UInt64, blockID: Hash
    ) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.write(tag)
        encoder.write(chainId)
        encoder.write(epoch)
        encoder.write(height)
        encoder.write(view)
        encoder.write(blockID)
        return encoder.bytes
    }
}

/// A quorum's votes for one block: proof that the block is certified in its view.
///
/// Each epoch starts from a committed base block whose certificate is the one kind with no
/// signatures (view 0): the epoch's validators did not vote for it, the previous epoch finalized it.
public struct QuorumCertificate: Hashable, Sendable {
    /// The epoch whose validators signed.
    public let epoch: UInt64
    /// The view the block was proposed in (views restart at 1 each epoch).
    public let view: UInt64
    /// The block's height.
    public let height: UInt64
    /// The certified block.
    public let blockID: Hash
    /// The votes, by strictly ascending signer index.
    public let signatures: [SignerSignature]

    /// A certificate from its parts (checked by `verify`).
    public init(epoch: UInt64, view: UInt64, height: UInt64, blockID: Hash, signatures: [SignerSignature]) {
        self.epoch = epoch
        self.view = view
        self.height = height
        self.blockID = blockID
        self.signatures = signatures
    }

    /// The certificate of the block an epoch starts from (the chain's genesis for epoch 0).
    public static func genesis(_ base: BlockHeader, epoch: UInt64) -> QuorumCertificate {
        QuorumCertificate(epoch: epoch, view: 0, height: base.height, blockID: base.id, signatures: [])
    }

    /// True for an epoch-base certificate (view 0, no signatures).
    public var isGenesis: Bool { view == 0 && signatures.isEmpty }

    /// Checks that a quorum of `validators` (the set of `epoch`) signed this block.
    /// - Parameter genesisID: the block the epoch started from; the signature-less certificate is
    ///   accepted for it alone.
    /// - Throws: `CertificateError` naming the first problem.
    public func verify(chainId: String, validators: ValidatorSet, genesisID: Hash) throws(CertificateError) {
        if isGenesis {
            guard blockID == genesisID else { throw .notGenesis }
            return
        }
        guard view > 0 else { throw .invalidView }
        let message = SignBytes.vote(chainId: chainId, epoch: epoch, height: height, view: view, blockID: blockID)
        try Self.verifyQuorum(signatures, validators: validators) { $0.isValidSignature($1, for: message) }
    }

    /// Checks ascending distinct signers, every signature, and quorum stake.
    static func verifyQuorum(
        _ signatures: [SignerSignature],
        validators: ValidatorSet,
        isValid: (Ed25519.PublicKey, Ed25519.Signature) -> Bool
    ) throws(CertificateError) {
        var stake: UInt64 = 0
        var previous: ValidatorIndex? = nil
        for entry in signatures {
            if let previous, entry.index <= previous { throw .unsortedSigners }
            previous = entry.index
            guard let validator = validators[entry.index] else { throw .unknownSigner(entry.index) }
            guard isValid(validator.publicKey, entry.signature) else { throw .badSignature(entry.index) }
            stake += validator.stake  // cannot overflow: the set's total fits in 64 bits
        }
        guard validators.isQuorum(stake) else { throw .insufficientStake(stake, of: validators.totalStake) }
    }
}

extension QuorumCertificate: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(view)
        encoder.write(height)
        encoder.write(blockID)
        encoder.write(signatures)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        view = try decoder.read(UInt64.self)
        height = try decoder.read(UInt64.self)
        blockID = try decoder.read(Hash.self)
        signatures = try decoder.readArray(of: SignerSignature.self, maxCount: ValidatorSet.maximumSize)
    }
}

/// One validator's timeout inside a timeout certificate: the view of its highest QC, signed.
public struct TimeoutSignature: Hashable, Sendable {
    /// The signer's index.
    public let index: ValidatorIndex
    /// The view of the highest QC the signer held when it timed out.
    public let highQCView: UInt64
    /// The signature over `SignBytes.timeout`.
    public let signature: Ed25519.Signature

    /// A timeout entry.
    public init(index: ValidatorIndex, highQCView: UInt64, signature: Ed25519.Signature) {
        self.index = index
        self.highQCView = highQCView
        self.signature = signature
    }
}

extension TimeoutSignature: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(index)
        encoder.write(highQCView)
        encoder.write(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        index = try decoder.read(UInt32.self)
        highQCView = try decoder.read(UInt64.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

/// A quorum's timeouts for one view, and the highest QC among them: lets the next view start.
public struct TimeoutCertificate: Hashable, Sendable {
    /// The epoch whose validators signed.
    public let epoch: UInt64
    /// The view that timed out.
    public let view: UInt64
    /// The timeouts, by strictly ascending signer index.
    public let signatures: [TimeoutSignature]
    /// The highest QC any signer reported; its view is the largest `highQCView`.
    public let highQC: QuorumCertificate

    /// A certificate from its parts (checked by `verify`).
    public init(epoch: UInt64, view: UInt64, signatures: [TimeoutSignature], highQC: QuorumCertificate) {
        self.epoch = epoch
        self.view = view
        self.signatures = signatures
        self.highQC = highQC
    }

    /// The largest high-QC view the signers reported.
    public var maxHighQCView: UInt64 { signatures.map(\.highQCView).max() ?? 0 }

    /// Checks the timeouts of a quorum and the carried high QC.
    /// - Throws: `CertificateError` naming the first problem.
    public func verify(chainId: String, validators: ValidatorSet, genesisID: Hash) throws(CertificateError) {
        guard view > 0 else { throw .invalidView }
        guard highQC.view == maxHighQCView, highQC.epoch == epoch else { throw .highQCMismatch }
        guard highQC.view < view else { throw .highQCMismatch }
        var messages: [UInt64: [UInt8]] = [:]
        try QuorumCertificate.verifyQuorum(
            signatures.map { SignerSignature(index: $0.index, signature: $0.signature) }, validators: validators
        ) { _, _ in true }
        for entry in signatures {
            guard entry.highQCView < view else { throw .highQCMismatch }
            let message =
                messages[entry.highQCView]
                ?? SignBytes.timeout(chainId: chainId, epoch: epoch, view: view, highQCView: entry.highQCView)
            messages[entry.highQCView] = message
            guard let validator = validators[entry.index],
                validator.publicKey.isValidSignature(entry.signature, for: message)
            else { throw .badSignature(entry.index) }
        }
        try highQC.verify(chainId: chainId, validators: validators, genesisID: genesisID)
    }
}

extension TimeoutCertificate: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(epoch)
        encoder.write(view)
        encoder.write(signatures)
        encoder.write(highQC)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        epoch = try decoder.read(UInt64.self)
        view = try decoder.read(UInt64.self)
        signatures = try decoder.readArray(of: TimeoutSignature.self, maxCount: ValidatorSet.maximumSize)
        highQC = try decoder.read(QuorumCertificate.self)
    }
}

/// Why a certificate does not verify.
public enum CertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    case notGenesis
    case invalidView
    case unsortedSigners
    case unknownSigner(ValidatorIndex)
    case badSignature(ValidatorIndex)
    case insufficientStake(UInt64, of: UInt64)
    case highQCMismatch
    case notAChild

    public var description: String {
        switch self {
        case .notGenesis: "a certificate without signatures is only valid for the genesis block"
        case .invalidView: "a certificate for view 0 is only valid for the genesis block"
        case .unsortedSigners: "signers are not in strictly ascending order (or repeat)"
        case .unknownSigner(let index): "signer \(index) is not in the validator set"
        case .badSignature(let index): "signature of validator \(index) does not verify"
        case .insufficientStake(let stake, let total):
            "signers hold \(stake) of \(total) stake, not more than two thirds"
        case .highQCMismatch: "the timeout certificate's high QC does not match its signed high-QC views"
        case .notAChild: "the certificate's child does not extend this block in the next view"
        }
    }
}
