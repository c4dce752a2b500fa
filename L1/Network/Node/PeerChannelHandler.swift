import NIOCore
internal import NetworkCore
import Primitives

/// What a `PeerChannelHandler` reports to its owner (the node). Called on the channel's event loop.
protocol PeerLinkDelegate: AnyObject, Sendable {
    /// The peer proved `peer` (responder: before the verdict; initiator: after `accepted`).
    /// Returns nil to accept (the link is registered as the peer's link) or a refusal reason.
    func admit(connection: UInt64, peer: PeerKey, outbound: Bool, channel: any Channel) -> String?
    /// A transport message arrived on an established link.
    func received(connection: UInt64, peer: PeerKey, message: WireMessage, frameBytes: Int)
    /// The connection closed. `peer` is set once the peer proved its identity.
    func closed(connection: UInt64, peer: PeerKey?, established: Bool, reason: DisconnectReason)
}

/// Asks a `PeerChannelHandler` to close its connection with a reason (sent as a user outbound
/// event, so any thread can ask and the reason reaches the handler on its loop).
struct CloseLink: Sendable {
    /// Why.
    let reason: DisconnectReason
}

/// The NIO side of one link: length-prefixed frames in and out, the handshake state machine
/// until the link is up, then ChaCha20-Poly1305 transport frames carrying `WireMessage`s.
///
/// Frame lengths are checked before any body is buffered; an oversized, undecryptable or
/// malformed frame closes the connection with `DisconnectReason.protocolViolation`.
final class PeerChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = WireMessage
    typealias OutboundOut = ByteBuffer

    private enum State {
        case handshaking(HandshakeStateMachine)
        case established(PeerKey, TransportCipher)
        case closed
    }

    private let connection: UInt64
    private let outbound: Bool
    private let delegate: any PeerLinkDelegate
    private let maxFrameBytes: Int
    private let codecLimits: CodecLimits
    private let handshakeTimeout: TimeAmount

    private var state: State
    private var inbound = ByteBuffer()
    private var started = false
    private var timeout: Scheduled<Void>?
    private var peer: PeerKey?
    private var closeReason: DisconnectReason?
    private var flushScheduled = false
    private var removed = false

    init(
        connection: UInt64,
        outbound: Bool,
        machine: HandshakeStateMachine,
        delegate: any PeerLinkDelegate,
        maxFrameBytes: Int,
        handshakeTimeout: Duration
    ) {
        self.connection = connection
        self.outbound = outbound
        self.delegate = delegate
        self.maxFrameBytes = maxFrameBytes
        self.codecLimits = CodecLimits(
            maxInputBytes: maxFrameBytes, maxByteStringLength: maxFrameBytes, maxCollectionCount: 1, maxDepth: 4)
        self.handshakeTimeout = TimeAmount(handshakeTimeout)
        self.state = .handshaking(machine)
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { begin(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        timeout?.cancel()
        timeout = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { [weak self] in
            guard let self, case .handshaking = self.state else { return }
            self.close(context: context, reason: .handshakeFailed("timed out"))
        }
        feed(.start, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
        let established: Bool
        let reason: DisconnectReason
        switch state {
        case .established:
            established = true
            reason = closeReason ?? .closedByPeer
        case .handshaking:
            established = false
            reason = closeReason ?? .handshakeFailed("the connection closed during the handshake")
        case .closed:
            return
        }
        state = .closed
        delegate.closed(connection: connection, peer: peer, established: established, reason: reason)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close(context: context, reason: .connectionError(String(describing: error)))
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let request = event as? CloseLink {
            close(context: context, reason: request.reason)
            promise?.succeed()
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    private func close(context: ChannelHandlerContext, reason: DisconnectReason) {
        guard closeReason == nil else { return }
        closeReason = reason
        context.close(promise: nil)
    }

    // MARK: - Inbound frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard closeReason == nil else { return }
        if inbound.readableBytes == 0 {
            inbound = incoming
        } else {
            inbound.writeBuffer(&incoming)
        }
        readFrames(context: context)
        if inbound.readableBytes == 0 {
            inbound = ByteBuffer()
        } else if inbound.readerIndex > 1 << 20 {
            inbound.discardReadBytes()
        }
    }

    private func readFrames(context: ChannelHandlerContext) {
        while closeReason == nil {
            guard let length = inbound.getInteger(at: inbound.readerIndex, as: UInt32.self) else { return }
            let limit: Int
            if case .handshaking = state { limit = Framing.maxHandshakeFrameBytes } else { limit = maxFrameBytes }
            // Checked before the body is buffered: a hostile length cannot make us allocate.
            guard UInt64(length) <= UInt64(limit) else {
                violation("a frame announces \(length) bytes, over the limit of \(limit)", context: context)
                return
            }
            let frameBytes = Framing.prefixBytes + Int(length)
            guard inbound.readableBytes >= frameBytes else { return }
            inbound.moveReaderIndex(forwardBy: Framing.prefixBytes)
            guard let body = inbound.readBytes(length: Int(length)) else { return }
            handleFrame(body, frameBytes: frameBytes, context: context)
        }
    }

    private func handleFrame(_ body: [UInt8], frameBytes: Int, context: ChannelHandlerContext) {
        switch state {
        case .handshaking:
            feed(.received(body), context: context)
        case .established(let peer, var cipher):
            let plaintext: [UInt8]
            do {
                plaintext = try cipher.open(body)
            } catch {
                violation("a frame failed decryption (\(error))", context: context)
                return
            }
            state = .established(peer, cipher)
            let message: WireMessage
            do {
                message = try Canonical.decode(WireMessage.self, from: plaintext, limits: codecLimits)
            } catch {
                violation("a frame's plaintext is malformed (\(error))", context: context)
                return
            }
            delegate.received(connection: connection, peer: peer, message: message, frameBytes: frameBytes)
        case .closed:
            return
        }
    }

    private func violation(_ reason: String, context: ChannelHandlerContext) {
        close(context: context, reason: .protocolViolation(reason))
    }

    // MARK: - Handshake

    private func feed(_ event: HandshakeStateMachine.Event, context: ChannelHandlerContext) {
        guard case .handshaking(var machine) = state else { return }
        let actions = machine.on(event)
        state = .handshaking(machine)
        for action in actions {
            guard closeReason == nil else { return }
            switch action {
            case .send(let body):
                var buffer = context.channel.allocator.buffer(capacity: Framing.prefixBytes + body.count)
                buffer.writeInteger(UInt32(body.count))
                buffer.writeBytes(body)
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            case .authenticate(let peer):
                self.peer = peer
                let refusal = delegate.admit(
                    connection: connection, peer: peer, outbound: false, channel: context.channel)
                feed(refusal.map { .refuse($0) } ?? .accept, context: context)
            case .established(let peer, let cipher):
                self.peer = peer
                if outbound {
                    let refusal = delegate.admit(
                        connection: connection, peer: peer, outbound: true, channel: context.channel)
                    if let refusal {
                        close(context: context, reason: .handshakeFailed("refused the peer: \(refusal)"))
                        return
                    }
                }
                timeout?.cancel()
                timeout = nil
                state = .established(peer, cipher)
            case .fail(let error):
                close(context: context, reason: .handshakeFailed(error.description))
            }
        }
    }

    // MARK: - Outbound messages

    /// Coalesces flushes: sends from other threads each arrive as `writeAndFlush`; one flush at the
    /// end of the loop's current batch sends them in one system call instead of one each.
    func flush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [weak self] in
            guard let self, !self.removed else { return }
            self.flushScheduled = false
            context.flush()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        guard closeReason == nil, case .established(let peer, var cipher) = state else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let ciphertext: [UInt8]
        do {
            ciphertext = try cipher.seal(Canonical.encode(message))
        } catch {
            promise?.fail(error)
            close(context: context, reason: .connectionError("cannot encrypt: \(error)"))
            return
        }
        state = .established(peer, cipher)
        var buffer = context.channel.allocator.buffer(capacity: Framing.prefixBytes + ciphertext.count)
        buffer.writeInteger(UInt32(ciphertext.count))
        buffer.writeBytes(ciphertext)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}
