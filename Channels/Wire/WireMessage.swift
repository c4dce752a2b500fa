public import ChannelCore
public import Primitives

/// What two channel endpoints say to each other over their authenticated link: the update
/// protocol's messages, and a resync that carries the sender's latest fully signed state (sent on
/// every (re)connection and when the peer is behind).
public enum WireMessage: Hashable, Sendable {
    case update(ChannelMessage)
    case sync(SignedState)
}

extension WireMessage: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .update(let message):
            encoder.write(UInt8(0))
            encoder.write(message)
        case .sync(let signed):
            encoder.write(UInt8(1))
            encoder.write(signed)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0: self = .update(try decoder.read(ChannelMessage.self))
        case 1: self = .sync(try decoder.read(SignedState.self))
        case let tag: throw .unknownTag(offset: offset, tag: UInt64(tag), type: "WireMessage")
        }
    }
}
