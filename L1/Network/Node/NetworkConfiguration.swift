public import NetworkCore

/// Where to reach a peer and who must answer there.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// The Ed25519 identity the node at this address must prove; anything else is refused.
    public var key: PeerKey

    /// An address for `key` at `host:port`.
    public init(host: String, port: Int, key: PeerKey) {
        self.host = host
        self.port = port
        self.key = key
    }

    public var description: String { "\(key)@\(host):\(port)" }
}

/// Everything a `NetworkNode` needs besides its identity key. Defaults suit a validator on
/// loopback; the node driver fills in the chain id, the keys and the peers.
public struct NetworkConfiguration: Sendable {
    /// The chain id: part of the handshake prologue and of every identity proof.
    public var chainId: String
    /// The address to listen on (default: loopback only).
    public var host: String = "127.0.0.1"
    /// The port to listen on; 0 picks a free one (`start()` returns it).
    public var port: Int = 0
    /// Validator keys: allowed to connect.
    public var validators: Set<PeerKey>
    /// Full-node keys also allowed to connect (the allowlist).
    public var fullNodes: Set<PeerKey> = []
    /// Accept inbound links from any key that proves itself in the handshake, not only validators
    /// and the allowlist: for a service open to the public (a payment-channel provider). Bans and
    /// scores still apply; outbound dials still need an allowed key. Never set on a validator.
    public var admitAnyPeer = false
    /// Peers to dial and keep connected (each key must be a validator or on the allowlist).
    public var peers: [PeerAddress] = []
    /// The largest transport frame body (ciphertext and tag) sent or accepted; default 8 MiB.
    public var maxFrameBytes: Int = 8 << 20
    /// How long a handshake may take before the connection is dropped.
    public var handshakeTimeout: Duration = .seconds(5)
    /// How long a TCP connect may take.
    public var connectTimeout: Duration = .seconds(3)
    /// Per-channel gossip behaviour; channels not listed use `defaultChannelPolicy`.
    public var channels: [UInt8: ChannelPolicy] = [:]
    /// The behaviour of channels not in `channels`: de-duplicated, not relayed.
    public var defaultChannelPolicy = ChannelPolicy()
    /// How many recent `(channel, SHA-256(payload))` pairs de-duplication remembers.
    public var deduplicationCapacity: Int = 65_536
    /// Per-peer inbound limits.
    public var rateLimit = RateLimit()
    /// Misbehaviour scoring and bans.
    public var scoring = ScoringPolicy()
    /// Redial backoff.
    public var redial = RedialPolicy()
    /// Inbound messages buffered for the application; beyond this they are dropped (`queueFull`).
    public var inboundQueueCapacity: Int = 65_536
    /// Bytes queued for one peer before further sends to it are dropped (`backpressure`).
    public var outboundBufferBytes: Int = 32 << 20
    /// How long the losing link of a duplicate pair (both ends dialed at once) is still read
    /// before it closes, so frames sent on it while the ends converge are not lost.
    public var duplicateLinkGrace: Duration = .seconds(2)
    /// Inbound connections allowed to be in their handshake at once.
    public var maxPendingHandshakes: Int = 64

    /// A configuration for `chainId` that accepts `validators` and `fullNodes` and dials `peers`.
    public init(
        chainId: String,
        validators: Set<PeerKey>,
        fullNodes: Set<PeerKey> = [],
        peers: [PeerAddress] = []
    ) {
        self.chainId = chainId
        self.validators = validators
        self.fullNodes = fullNodes
        self.peers = peers
    }

    /// The policy for `channel`.
    public func policy(for channel: UInt8) -> ChannelPolicy {
        channels[channel] ?? defaultChannelPolicy
    }

    /// The largest payload `send` and `broadcast` accept (the frame limit less framing overhead).
    public var maxPayloadBytes: Int { Framing.maxPayloadBytes(maxFrameBytes: maxFrameBytes) }

    /// Throws when a value cannot work (a zero frame limit, a burst smaller than one frame…).
    public func validate() throws(NetworkError) {
        func require(_ condition: Bool, _ reason: String) throws(NetworkError) {
            guard condition else { throw .invalidConfiguration(reason) }
        }
        try require(!chainId.isEmpty, "the chain id is empty")
        try require((0...65_535).contains(port), "port \(port) is not in 0...65535")
        try require(
            maxFrameBytes >= 1_024 && maxFrameBytes <= Int(UInt32.max),
            "maxFrameBytes \(maxFrameBytes) must be between 1 KiB and 4 GiB")
        try require(
            rateLimit.byteBurst >= Double(maxFrameBytes),
            "the byte burst \(rateLimit.byteBurst) is smaller than one frame (\(maxFrameBytes)), "
                + "so the largest messages could never pass")
        try require(rateLimit.messageBurst >= 1, "the message burst must be at least 1")
        try require(scoring.banThreshold < 0, "the ban threshold must be negative")
        try require(
            redial.initialDelay > .zero && redial.maxDelay >= redial.initialDelay, "redial delays are not ordered")
        try require(handshakeTimeout > .zero, "the handshake timeout must be positive")
        try require(
            inboundQueueCapacity > 0 && deduplicationCapacity > 0, "queue and de-duplication sizes must be positive")
        let allowed = validators.union(fullNodes)
        for peer in peers {
            try require(allowed.contains(peer.key), "peer \(peer) is neither a validator nor on the allowlist")
        }
    }
}

/// How the network treats one channel's messages.
public struct ChannelPolicy: Sendable, Equatable {
    /// Drop an inbound message whose `(channel, SHA-256(payload))` was seen recently.
    /// Turn off for request/response channels where a repeated request is legitimate.
    public var deduplicate: Bool
    /// Forward a first-seen inbound message to every other connected peer (gossip to nodes that
    /// are not directly connected). Needs `deduplicate` to stop loops.
    public var relay: Bool

    /// A policy; the default de-duplicates and does not relay. `relay` is ignored without
    /// `deduplicate` (relaying without it would loop forever).
    public init(deduplicate: Bool = true, relay: Bool = false) {
        self.deduplicate = deduplicate
        self.relay = relay && deduplicate
    }
}

/// Per-peer inbound token buckets. Messages over either limit are dropped (`rateLimited`).
public struct RateLimit: Sendable, Equatable {
    /// Sustained messages per second.
    public var messagesPerSecond: Double
    /// Messages allowed at once above the sustained rate.
    public var messageBurst: Double
    /// Sustained bytes per second (frame bytes on the wire).
    public var bytesPerSecond: Double
    /// Bytes allowed at once; must hold at least one largest frame.
    public var byteBurst: Double

    /// Limits; the defaults (20,000 messages/s, 64 MiB/s, bursts of one second) leave room for
    /// a validator at the 5,000 TPS target and stop a flooding peer.
    public init(
        messagesPerSecond: Double = 20_000,
        messageBurst: Double = 20_000,
        bytesPerSecond: Double = Double(64 << 20),
        byteBurst: Double = Double(64 << 20)
    ) {
        self.messagesPerSecond = messagesPerSecond
        self.messageBurst = messageBurst
        self.bytesPerSecond = bytesPerSecond
        self.byteBurst = byteBurst
    }
}

/// Misbehaviour scoring: scores start at 0, recover toward 0, and a peer at or below
/// `banThreshold` is disconnected and banned for `banDuration`.
public struct ScoringPolicy: Sendable, Equatable {
    /// Points lost for an oversized or malformed frame or a failed decryption (the link also closes).
    public var protocolViolationPenalty: Double
    /// Points lost per `penalize(peer:reason:)` unless the call gives its own.
    public var invalidPayloadPenalty: Double
    /// The score at or below which a peer is banned.
    public var banThreshold: Double
    /// Points recovered per second.
    public var recoveryPerSecond: Double
    /// How long a ban lasts (the peer is neither accepted nor dialed).
    public var banDuration: Duration

    /// A policy; by default two protocol violations or four invalid payloads in a short time ban
    /// a peer for a minute.
    public init(
        protocolViolationPenalty: Double = 60,
        invalidPayloadPenalty: Double = 30,
        banThreshold: Double = -100,
        recoveryPerSecond: Double = 1,
        banDuration: Duration = .seconds(60)
    ) {
        self.protocolViolationPenalty = protocolViolationPenalty
        self.invalidPayloadPenalty = invalidPayloadPenalty
        self.banThreshold = banThreshold
        self.recoveryPerSecond = recoveryPerSecond
        self.banDuration = banDuration
    }
}

/// Capped exponential backoff for redialing a configured peer.
public struct RedialPolicy: Sendable, Equatable {
    /// The first delay after a drop or failed attempt.
    public var initialDelay: Duration
    /// The longest delay (the doubling stops here).
    public var maxDelay: Duration
    /// A link that lasted this long resets the backoff to `initialDelay`.
    public var stableAfter: Duration

    /// A policy: 100 ms doubling to 5 s, reset after a link of 5 s.
    public init(
        initialDelay: Duration = .milliseconds(100),
        maxDelay: Duration = .seconds(5),
        stableAfter: Duration = .seconds(5)
    ) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.stableAfter = stableAfter
    }

    /// The delay before attempt number `attempt` (0-based).
    public func delay(attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 0..<min(max(0, attempt), 32) {
            delay *= 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }
}
