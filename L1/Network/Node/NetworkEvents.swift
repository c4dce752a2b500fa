public import NetworkCore

/// A message from a peer, after decryption, rate limiting and de-duplication.
public struct InboundMessage: Sendable, Equatable {
    /// The authenticated sender (the peer the link is with, not necessarily the author when relayed).
    public let peer: PeerKey
    /// The application channel.
    public let channel: UInt8
    /// The payload, unverified: the application checks it and may `penalize` the peer.
    public let payload: [UInt8]

    /// A message.
    public init(peer: PeerKey, channel: UInt8, payload: [UInt8]) {
        self.peer = peer
        self.channel = channel
        self.payload = payload
    }
}

/// A peer came or went. One link per peer: swapping a duplicate link is not an event.
public enum PeerEvent: Sendable, Equatable {
    /// An authenticated link to the peer is up.
    case connected(PeerKey)
    /// The peer's link closed, and why.
    case disconnected(PeerKey, DisconnectReason)
}

/// Why a link closed.
public enum DisconnectReason: Sendable, Equatable, CustomStringConvertible {
    /// The peer closed the connection (or it broke).
    case closedByPeer
    /// The peer sent an oversized or malformed frame, or one that failed decryption.
    case protocolViolation(String)
    /// The handshake did not complete (the text says why).
    case handshakeFailed(String)
    /// The peer's score fell to the ban threshold; the text is the last penalty's reason.
    case banned(String)
    /// The peer is no longer a validator or on the allowlist.
    case notAllowed
    /// Another link to the same peer was kept instead.
    case replaced
    /// `stop()` closed it.
    case stopped
    /// A socket error.
    case connectionError(String)

    public var description: String {
        switch self {
        case .closedByPeer: "closed by the peer"
        case .protocolViolation(let reason): "protocol violation: \(reason)"
        case .handshakeFailed(let reason): "handshake failed: \(reason)"
        case .banned(let reason): "banned for misbehaviour (\(reason))"
        case .notAllowed: "no longer a validator or on the allowlist"
        case .replaced: "replaced by another link to the same peer"
        case .stopped: "the node stopped"
        case .connectionError(let reason): "connection error: \(reason)"
        }
    }
}

/// Why a message was dropped instead of delivered or sent.
public enum DropReason: String, Sendable, CaseIterable, Comparable {
    /// Inbound, seen recently on the same channel.
    case duplicate
    /// Inbound, over the peer's message or byte rate.
    case rateLimited
    /// To or from a peer cut off by `isolate(from:)`.
    case isolated
    /// Inbound, the application's queue was full.
    case queueFull
    /// Outbound, the peer's send buffer was full.
    case backpressure

    public static func < (lhs: DropReason, rhs: DropReason) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A snapshot of the node's counters (monotonic since start, except `peersConnected`).
public struct NetworkMetrics: Sendable, Equatable {
    /// Peers with an established link now.
    public var peersConnected: Int = 0
    /// Transport frame bytes received (prefix included).
    public var bytesIn: UInt64 = 0
    /// Transport frame bytes queued for sending (prefix included; each copy of a broadcast counts).
    public var bytesOut: UInt64 = 0
    /// Messages received and decrypted.
    public var messagesIn: UInt64 = 0
    /// Messages handed to the application.
    public var messagesDelivered: UInt64 = 0
    /// Messages queued for sending (each copy of a broadcast or relay counts).
    public var messagesOut: UInt64 = 0
    /// Messages forwarded on relayed channels.
    public var messagesRelayed: UInt64 = 0
    /// Dropped messages by reason.
    public var drops: [DropReason: UInt64] = [:]
    /// Handshakes that failed or were refused.
    public var handshakeFailures: UInt64 = 0
    /// Links closed for oversized, malformed or undecryptable frames.
    public var protocolViolations: UInt64 = 0
    /// Bans imposed.
    public var bans: UInt64 = 0

    /// The drops for `reason` (0 if none).
    public func drops(_ reason: DropReason) -> UInt64 { drops[reason] ?? 0 }
}

/// Why a `NetworkNode` call failed.
public enum NetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration value cannot work; the text says which and why.
    case invalidConfiguration(String)
    /// `start()` was called twice.
    case alreadyStarted
    /// The node has been stopped (a stopped node cannot be restarted; make a new one).
    case stopped
    /// The call needs `start()` first.
    case notStarted
    /// Listening failed (the port is taken, the host does not resolve…).
    case bindFailed(host: String, port: Int, reason: String)
    /// There is no link to this peer now.
    case notConnected(PeerKey)
    /// The key is neither a validator nor on the allowlist.
    case peerNotAllowed(PeerKey)
    /// The payload does not fit in one frame.
    case payloadTooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): "invalid network configuration: \(reason)"
        case .alreadyStarted: "the network node is already started"
        case .stopped: "the network node is stopped; create a new one"
        case .notStarted: "the network node is not started"
        case .bindFailed(let host, let port, let reason): "cannot listen on \(host):\(port): \(reason)"
        case .notConnected(let key): "no link to peer \(key)"
        case .peerNotAllowed(let key): "peer \(key) is neither a validator nor on the allowlist"
        case .payloadTooLarge(let size, let limit): "payload of \(size) bytes exceeds the limit of \(limit)"
        }
    }
}
