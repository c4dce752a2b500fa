public import Primitives

/// What the two machines of a channel send each other during an update.
public enum ChannelMessage: Hashable, Sendable {
    /// A proposed next state with the proposer's signature over its sign bytes.
    case proposal(ChannelState, signature: Ed25519.Signature)
    /// The other participant's signature over the proposed state of `version`: the proposer now
    /// has a fully signed state.
    case acceptance(channelID: Hash, version: UInt64, signature: Ed25519.Signature)
    /// The proposal of `version` was refused, and why.
    case rejection(channelID: Hash, version: UInt64, reason: UpdateRejection)

    /// The channel the message is about.
    public var channelID: Hash {
        switch self {
        case .proposal(let state, _): state.channelID
        case .acceptance(let channelID, _, _), .rejection(let channelID, _, _): channelID
        }
    }
}

extension ChannelMessage: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .proposal(let state, let signature):
            encoder.write(UInt8(0))
            encoder.write(state)
            encoder.write(signature)
        case .acceptance(let channelID, let version, let signature):
            encoder.write(UInt8(1))
            encoder.write(channelID)
            encoder.write(version)
            encoder.write(signature)
        case .rejection(let channelID, let version, let reason):
            encoder.write(UInt8(2))
            encoder.write(channelID)
            encoder.write(version)
            encoder.write(reason)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let at = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0:
            self = .proposal(try decoder.read(ChannelState.self), signature: try decoder.read(Ed25519.Signature.self))
        case 1:
            self = .acceptance(
                channelID: try decoder.read(Hash.self),
                version: try decoder.read(UInt64.self),
                signature: try decoder.read(Ed25519.Signature.self)
            )
        case 2:
            self = .rejection(
                channelID: try decoder.read(Hash.self),
                version: try decoder.read(UInt64.self),
                reason: try decoder.read(UpdateRejection.self)
            )
        case let tag: throw .unknownTag(offset: at, tag: UInt64(tag), type: "ChannelMessage")
        }
    }
}
