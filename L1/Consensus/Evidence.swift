public import Primitives

/// Proof that a validator signed two conflicting messages for one view: two votes, or two
/// proposals, for different blocks. Anyone holding the validator set can check it.
public struct Evidence: Hashable, Sendable {
    /// What was signed twice.
    public enum Kind: UInt8, Sendable {
        case vote = 1
        case proposal = 2
    }

    public let kind: Kind
    public let chainId: String
    /// The offender's signing key.
    public let validator: Ed25519.PublicKey
    public let epoch: UInt64
    public let view: UInt64
    /// The two signed (height, block id) pairs, ordered by block id so one equivocation has one form.
    public let first: SignedBlockReference
    public let second: SignedBlockReference

    /// Evidence from two conflicting signed references (put in canonical order here).
    public init(
        kind: Kind, chainId: String, validator: Ed25519.PublicKey, epoch: UInt64, view: UInt64,
        _ a: SignedBlockReference, _ b: SignedBlockReference
    ) {
        self.kind = kind
        self.chainId = chainId
        self.validator = validator
        self.epoch = epoch
        self.view = view
        (first, second) = a.blockID < b.blockID ? (a, b) : (b, a)
    }

    /// Checks both signatures and that they conflict.
    /// - Throws: `EvidenceError` saying which check failed.
    public func verify() throws(EvidenceError) {
        guard first.blockID != second.blockID else { throw .notConflicting }
        for reference in [first, second] {
            let message =
                switch kind {
                case .vote:
                    SignBytes.vote(
                        chainId: chainId, epoch: epoch, height: reference.height, view: view, blockID: reference.blockID
                    )
                case .proposal:
                    SignBytes.proposal(
                        chainId: chainId, epoch: epoch, height: reference.height, view: view, blockID: reference.blockID
                    )
                }
            guard validator.isValidSignature(reference.signature, for: message) else { throw .badSignature }
        }
    }

    /// A stable identity: one equivocation, one id, whoever reports it.
    public var id: Hash { Hashing.sha256(Canonical.encode(self)) }
}

/// A signed claim about one block: its height and id, with the signature.
public struct SignedBlockReference: Hashable, Sendable {
    public let height: UInt64
    public let blockID: Hash
    public let signature: Ed25519.Signature

    /// A reference from its parts.
    public init(height: UInt64, blockID: Hash, signature: Ed25519.Signature) {
        self.height = height
        self.blockID = blockID
        self.signature = signature
    }
}

extension SignedBlockReference: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(height)
        encoder.write(blockID)
        encoder.write(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        height = try decoder.read(UInt64.self)
        blockID = try decoder.read(Hash.self)
        signature = try decoder.read(Ed25519.Signature.self)
    }
}

extension Evidence: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(kind.rawValue)
        encoder.write(chainId)
        encoder.write(validator)
        encoder.write(epoch)
        encoder.write(view)
        encoder.write(first)
        encoder.write(second)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        let tag = try decoder.read(UInt8.self)
        guard let kind = Kind(rawValue: tag) else {
            throw .unknownTag(offset: offset, tag: UInt64(tag), type: "Evidence.Kind")
        }
        let chainId = try decoder.read(String.self, maxLength: 64)
        let validator = try decoder.read(Ed25519.PublicKey.self)
        let epoch = try decoder.read(UInt64.self)
        let view = try decoder.read(UInt64.self)
        let first = try decoder.read(SignedBlockReference.self)
        let second = try decoder.read(SignedBlockReference.self)
        guard first.blockID < second.blockID else {
            throw .invalidValue(offset: offset, reason: "evidence references are not in canonical order")
        }
        self.init(kind: kind, chainId: chainId, validator: validator, epoch: epoch, view: view, first, second)
    }
}

/// Why evidence does not prove an equivocation.
public enum EvidenceError: Error, Equatable, Sendable, CustomStringConvertible {
    case notConflicting
    case badSignature

    public var description: String {
        switch self {
        case .notConflicting: "the two signed messages are for the same block"
        case .badSignature: "a signature in the evidence does not verify under the validator's key"
        }
    }
}
