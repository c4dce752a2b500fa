package import Primitives

/// The two transport cipher states of an established link: one per direction, each with its own
/// key from Noise `Split()` and its own 64-bit counter nonce.
package struct TransportCipher: Sendable {
    private var sender: NoiseCipherState
    private var receiver: NoiseCipherState

    /// The cipher for the keys `split()` returned.
    package init(send: NoiseCipherState, receive: NoiseCipherState) {
        sender = send
        receiver = receive
    }

    /// Encrypts one frame body (empty associated data).
    package mutating func seal(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        try sender.encrypt(plaintext, associatedData: [])
    }

    /// Decrypts one frame body; fails on any tampering, replay, reordering or loss.
    package mutating func open(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        try receiver.decrypt(ciphertext, associatedData: [])
    }

    /// The nonce the next outgoing frame uses (frames sent so far).
    package var framesSent: UInt64 { sender.nonce }
    /// The nonce the next incoming frame must use (frames received so far).
    package var framesReceived: UInt64 { receiver.nonce }
}

/// The plaintext of a transport frame: `canonical(channel: UInt8, payload: bytes)`.
package struct WireMessage: Sendable, Equatable, CanonicalCodable {
    /// The application channel (consensus, transactions, sync…; the driver assigns them).
    package var channel: UInt8
    /// The opaque payload.
    package var payload: [UInt8]

    /// A message on `channel`.
    package init(channel: UInt8, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }

    package func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(channel)
        encoder.write(bytes: payload)
    }

    package init(from decoder: inout CanonicalDecoder) throws(CodecError) {
        channel = try decoder.read(UInt8.self)
        payload = try decoder.readBytes()
    }

    /// The size of this message as a frame on the wire: length prefix, plaintext and tag.
    package var frameBytes: Int { Framing.frameBytes(forPayloadCount: payload.count) }
}

/// Frame sizes (Docs/spec/network.md §3): a `u32` big-endian length, then that many bytes.
package enum Framing {
    /// The length prefix.
    package static let prefixBytes = 4
    /// The largest handshake message frame body (messages are 32, 192 and 160 bytes).
    package static let maxHandshakeFrameBytes = 1_024
    /// The default largest transport frame body (ciphertext with tag): 8 MiB.
    package static let defaultMaxFrameBytes = 8 << 20
    /// The longest refusal reason a verdict may carry, in UTF-8 bytes.
    package static let maxRefusalReasonBytes = 256

    /// The ciphertext length of a transport frame carrying `payloadCount` payload bytes.
    package static func ciphertextBytes(forPayloadCount payloadCount: Int) -> Int {
        1 + leb128Length(payloadCount) + payloadCount + NoiseConstants.tagLength
    }

    /// The whole frame size on the wire (prefix included) for `payloadCount` payload bytes.
    package static func frameBytes(forPayloadCount payloadCount: Int) -> Int {
        prefixBytes + ciphertextBytes(forPayloadCount: payloadCount)
    }

    /// The largest payload whose frame body fits in `maxFrameBytes`.
    package static func maxPayloadBytes(maxFrameBytes: Int) -> Int {
        var payload = max(0, maxFrameBytes - NoiseConstants.tagLength - 1 - 1)
        while payload > 0 && ciphertextBytes(forPayloadCount: payload) > maxFrameBytes { payload -= 1 }
        return payload
    }

    private static func leb128Length(_ value: Int) -> Int {
        var count = 1
        var rest = UInt64(max(0, value)) >> 7
        while rest > 0 {
            count += 1
            rest >>= 7
        }
        return count
    }
}
