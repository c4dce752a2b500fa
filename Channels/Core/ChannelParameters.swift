public import Primitives

/// The fixed terms of a channel, agreed before it is funded: who is in it, how long a dispute
/// waits, and which application rules its states follow.
///
/// A channel has exactly two participants for now (`participantCount`): the update protocol's
/// concurrent-proposal rule and the meter are written for a payer and a provider. More
/// participants would change the wire protocol (an acceptance from each), not this type's
/// encoding, which already stores a list.
public struct ChannelParameters: Hashable, Sendable {
    /// The number of participants every channel has today.
    public static let participantCount = 2

    /// The domain tag hashed in front of the chain id and parameters to make the channel id.
    public static let idDomainTag = "aether/channel/id/v1"

    /// The participants' Ed25519 keys; a participant's index is its position here, and the
    /// allocation's balances and a signed state's signatures use the same order.
    public let participants: [Ed25519.PublicKey]
    /// How many blocks a registered state can be refuted before it concludes (the adjudicator's
    /// challenge window).
    public let challengeDuration: UInt64
    /// Chosen by the participants so that two channels with the same keys get different ids.
    public let nonce: UInt64
    /// Names the application rule states follow (the meter, or `Hash.zero` for plain payments).
    public let appID: Hash

    /// Parameters for two distinct participants and a non-zero challenge duration.
    /// - Throws: `ChannelError.invalidParameters` when either is not so.
    public init(
        participants: [Ed25519.PublicKey],
        challengeDuration: UInt64,
        nonce: UInt64,
        appID: Hash
    ) throws(ChannelError) {
        guard participants.count == Self.participantCount else {
            throw .invalidParameters("a channel has \(Self.participantCount) participants, got \(participants.count)")
        }
        guard participants[0] != participants[1] else {
            throw .invalidParameters("the two participants must have different keys")
        }
        guard challengeDuration > 0 else {
            throw .invalidParameters("the challenge duration must be at least one block")
        }
        self.participants = participants
        self.challengeDuration = challengeDuration
        self.nonce = nonce
        self.appID = appID
    }

    /// The channel's id on `chainID`: `SHA-256(canonical(idDomainTag) ‖ canonical(chainID) ‖ canonical(self))`.
    ///
    /// The chain id is inside so the same parameters open unrelated channels on two chains, and a
    /// state signed for one can never be registered on the other.
    public func channelID(chainID: String) -> Hash {
        var encoder = CanonicalEncoder(capacity: 160)
        encoder.write(Self.idDomainTag)
        encoder.write(chainID)
        encoder.write(self)
        return Hashing.sha256(encoder.bytes)
    }

    /// The index of `key` among the participants, or nil.
    public func index(of key: Ed25519.PublicKey) -> Int? {
        participants.firstIndex(of: key)
    }
}

extension ChannelParameters: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(participants)
        encoder.write(challengeDuration)
        encoder.write(nonce)
        encoder.write(appID)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let at = decoder.offset
        let participants = try decoder.readArray(of: Ed25519.PublicKey.self, maxCount: Self.participantCount)
        let challengeDuration = try decoder.read(UInt64.self)
        let nonce = try decoder.read(UInt64.self)
        let appID = try decoder.read(Hash.self)
        do {
            try self.init(participants: participants, challengeDuration: challengeDuration, nonce: nonce, appID: appID)
        } catch {
            throw .invalidValue(offset: at, reason: error.description)
        }
    }
}
