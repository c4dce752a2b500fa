public import Primitives

/// A channel state with every participant's signature: the only form of a state that counts,
/// off chain or in the adjudicator.
public struct SignedState: Hashable, Sendable {
    /// The state signed.
    public let state: ChannelState
    /// One signature per participant over `state.signBytes(chainID:)`, in participant order.
    public let signatures: [Ed25519.Signature]

    /// Pairs a state with its signatures; nothing is checked until `verify(parameters:chainID:)`.
    public init(state: ChannelState, signatures: [Ed25519.Signature]) {
        self.state = state
        self.signatures = signatures
    }

    /// Checks that the state belongs to the channel of `parameters` on `chainID`, is well formed,
    /// and carries a valid signature from every participant.
    /// - Throws: `ChannelError` naming the first check that failed.
    public func verify(parameters: ChannelParameters, chainID: String) throws(ChannelError) {
        let expected = parameters.channelID(chainID: chainID)
        guard state.channelID == expected else { throw .wrongChannel(expected: expected, actual: state.channelID) }
        do {
            try state.allocation.validate()
        } catch {
            throw .invalidState(error)
        }
        guard signatures.count == parameters.participants.count else {
            throw .missingSignatures(expected: parameters.participants.count, actual: signatures.count)
        }
        let message = state.signBytes(chainID: chainID)
        for (index, key) in parameters.participants.enumerated()
        where !key.isValidSignature(signatures[index], for: message) {
            throw .invalidSignature(participant: index)
        }
    }
}

extension SignedState: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(state)
        encoder.write(signatures)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        state = try decoder.read(ChannelState.self)
        signatures = try decoder.readArray(of: Ed25519.Signature.self, maxCount: ChannelParameters.participantCount)
    }
}

/// Why channel parameters, a state or its signatures are not acceptable.
public enum ChannelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The parameters break a rule (the message says which).
    case invalidParameters(String)
    /// The state names another channel (or the same parameters on another chain).
    case wrongChannel(expected: Hash, actual: Hash)
    /// The state's allocation is malformed.
    case invalidState(UpdateRejection)
    /// Not every participant signed.
    case missingSignatures(expected: Int, actual: Int)
    /// The signature of this participant does not verify over the state's sign bytes for this chain.
    case invalidSignature(participant: Int)
    /// The private key given is not one of the participants' keys.
    case notAParticipant(Ed25519.PublicKey)

    public var description: String {
        switch self {
        case .invalidParameters(let reason): "invalid channel parameters: \(reason)"
        case .wrongChannel(let expected, let actual):
            "state is for channel \(actual.hex), expected \(expected.hex) (wrong parameters or chain id)"
        case .invalidState(let reason): "invalid state: \(reason)"
        case .missingSignatures(let expected, let actual): "state has \(actual) signatures, needs \(expected)"
        case .invalidSignature(let participant):
            "participant \(participant)'s signature does not verify (wrong key, chain id or tampered state)"
        case .notAParticipant(let key): "key \(key) is not a participant of this channel"
        }
    }
}
