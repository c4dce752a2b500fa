public import ChannelCore
public import Primitives

/// What two channel endpoints say to each other over their authenticated link: the update
/// protocol's messages, a resync that carries the sender's latest fully signed state (sent on
/// every (re)connection and when the peer is behind), and the streaming meter's messages.
public enum WireMessage: Hashable, Sendable {
    case update(ChannelMessage)
    case sync(SignedState)
    case meter(MeterMessage)
    /// Opener → other participant: open a channel with these parameters and funding state
    /// (version 0), signed by the opener.
    case open(ChannelParameters, ChannelState, signature: Ed25519.Signature)
    /// The other participant's countersignature of the funding state: the channel is open.
    case opened(signature: Ed25519.Signature)
    /// The other participant refuses the channel, and why.
    case openRefused(String)
    /// A fully signed state of a child channel (a sub- or virtual channel) this channel is about
    /// to lock or release: the receiver checks the lock or release against it (ADR 0016).
    case child(ChannelParameters, SignedState)
}

/// The streaming meter on the wire, for the session the channel's current state has open.
public enum MeterMessage: Hashable, Sendable {
    /// Payer → provider: serve `request` (a prompt, opaque here), at most `maxUnits` units.
    case request(sessionID: Hash, maxUnits: UInt64, request: [UInt8])
    /// Provider → payer: units `first`, `first + 1`, … (1-based over the session), one payload each.
    case units(sessionID: Hash, first: UInt64, payloads: [[UInt8]])
    /// Payer → provider: the hash-chain preimages paying the next units, in order.
    case ticks(sessionID: Hash, preimages: [Hash])
    /// Either side: no more units will be served or paid in this session, and why.
    case end(sessionID: Hash, reason: String)

    /// The most payloads or preimages one message carries.
    public static let maxBatch = 4_096
    /// The largest payload of one unit, and of a request, in bytes.
    public static let maxPayload = 64 << 10

    public var sessionID: Hash {
        switch self {
        case .request(let id, _, _), .units(let id, _, _), .ticks(let id, _), .end(let id, _): id
        }
    }
}

extension MeterMessage: CanonicalCodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .request(let id, let maxUnits, let request):
            encoder.write(UInt8(0))
            encoder.write(id)
            encoder.write(maxUnits)
            encoder.write(bytes: request)
        case .units(let id, let first, let payloads):
            encoder.write(UInt8(1))
            encoder.write(id)
            encoder.write(first)
            encoder.writeLength(payloads.count)
            for payload in payloads { encoder.write(bytes: payload) }
        case .ticks(let id, let preimages):
            encoder.write(UInt8(2))
            encoder.write(id)
            encoder.write(preimages)
        case .end(let id, let reason):
            encoder.write(UInt8(3))
            encoder.write(id)
            encoder.write(reason)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let at = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0:
            self = .request(
                sessionID: try decoder.read(Hash.self), maxUnits: try decoder.read(UInt64.self),
                request: try decoder.readBytes(maxLength: Self.maxPayload))
        case 1:
            let id = try decoder.read(Hash.self)
            let first = try decoder.read(UInt64.self)
            let count = try decoder.readLength(limit: Self.maxBatch)
            var payloads: [[UInt8]] = []
            payloads.reserveCapacity(Int(count))
            for _ in 0..<count { payloads.append(try decoder.readBytes(maxLength: Self.maxPayload)) }
            self = .units(sessionID: id, first: first, payloads: payloads)
        case 2:
            self = .ticks(
                sessionID: try decoder.read(Hash.self),
                preimages: try decoder.readArray(of: Hash.self, maxCount: Self.maxBatch))
        case 3:
            self = .end(sessionID: try decoder.read(Hash.self), reason: try decoder.read(String.self, maxLength: 256))
        case let tag: throw .unknownTag(offset: at, tag: UInt64(tag), type: "MeterMessage")
        }
    }
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
        case .meter(let message):
            encoder.write(UInt8(2))
            encoder.write(message)
        case .open(let parameters, let funding, let signature):
            encoder.write(UInt8(3))
            encoder.write(parameters)
            encoder.write(funding)
            encoder.write(signature)
        case .opened(let signature):
            encoder.write(UInt8(4))
            encoder.write(signature)
        case .openRefused(let reason):
            encoder.write(UInt8(5))
            encoder.write(reason)
        case .child(let parameters, let signed):
            encoder.write(UInt8(6))
            encoder.write(parameters)
            encoder.write(signed)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        let offset = decoder.offset
        switch try decoder.read(UInt8.self) {
        case 0: self = .update(try decoder.read(ChannelMessage.self))
        case 1: self = .sync(try decoder.read(SignedState.self))
        case 2: self = .meter(try decoder.read(MeterMessage.self))
        case 3:
            self = .open(
                try decoder.read(ChannelParameters.self), try decoder.read(ChannelState.self),
                signature: try decoder.read(Ed25519.Signature.self))
        case 4: self = .opened(signature: try decoder.read(Ed25519.Signature.self))
        case 5: self = .openRefused(try decoder.read(String.self, maxLength: 256))
        case 6: self = .child(try decoder.read(ChannelParameters.self), try decoder.read(SignedState.self))
        case let tag: throw .unknownTag(offset: offset, tag: UInt64(tag), type: "WireMessage")
        }
    }
}
