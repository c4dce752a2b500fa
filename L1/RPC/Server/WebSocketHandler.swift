import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Delivers notifications to one connection's handler on its event loop.
final class WebSocketSink: SubscriptionSink {
    private let eventLoop: any EventLoop
    private let handler: NIOLoopBoundBox<WebSocketHandler?>

    init(handler: WebSocketHandler, eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.handler = NIOLoopBoundBox(handler, eventLoop: eventLoop)
    }

    func deliver(subscription: String, text: ByteBuffer) {
        // `execute` keeps the order of publications from one thread.
        eventLoop.execute { [handler] in handler.value?.deliverNotification(subscription: subscription, text: text) }
    }

    /// Breaks the handler ↔ sink cycle once the connection is gone.
    func detach() {
        eventLoop.execute { [handler] in handler.value = nil }
    }
}

/// JSON-RPC over WebSocket text frames, with subscriptions, pings and back-pressure.
///
/// Requests run concurrently up to ``RPCServerConfiguration/WebSocket/maxInFlightRequests``;
/// beyond that the handler stops reading from the socket. Everything written goes through one
/// ordered queue that fills only while the socket is not writable; when more than
/// ``RPCServerConfiguration/WebSocket/maxQueuedNotifications`` notifications wait in it, the
/// connection is dropped with close code 1008 instead of buffering without bound.
final class WebSocketHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case open
        /// We sent a close frame and wait for the client's (or the timeout).
        case closing
        case closed
    }

    private struct Outgoing {
        let frame: WebSocketFrame
        /// The subscription of a notification; nil for responses and control frames.
        let subscription: String?
    }

    private let shared: ServerShared
    private let limits: RPCServerConfiguration.WebSocket
    private var context: ChannelHandlerContext?
    private var sink: WebSocketSink?
    private var subscriptions: ConnectionSubscriptions?
    private var active: Set<String> = []
    private var state = State.open
    private var queue = CircularBuffer<Outgoing>()
    private var queuedNotifications = 0
    private var inFlight = 0
    private var readPending = false
    private var heardSincePing = true
    private var pingTimer: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?

    init(shared: ServerShared) {
        self.shared = shared
        self.limits = shared.configuration.webSocket
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let sink = WebSocketSink(handler: self, eventLoop: context.eventLoop)
        self.sink = sink
        subscriptions = ConnectionSubscriptions(hub: shared.hub, limit: limits.maxSubscriptions, sink: sink)
        schedulePing(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    private func tearDown() {
        state = .closed
        subscriptions?.close()
        sink?.detach()
        pingTimer?.cancel()
        closeTimer?.cancel()
        queue.removeAll()
        queuedNotifications = 0
        active.removeAll()
    }

    // MARK: - Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        heardSincePing = true
        switch frame.opcode {
        case .text:
            guard case .open = state else { return }
            process(frame.unmaskedData, context: context)
        case .binary:
            startClose(code: .unacceptableData, reason: "binary frames are not supported; send JSON-RPC as text")
        case .ping:
            guard case .open = state else { return }
            send(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData), subscription: nil)
        case .pong:
            break
        case .connectionClose:
            switch state {
            case .open:
                // Echo the close (RFC 6455 section 5.5.1), then hang up.
                state = .closing
                queue.removeAll()
                queuedNotifications = 0
                var data = context.channel.allocator.buffer(capacity: 2)
                data.write(webSocketErrorCode: .normalClosure)
                let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
                context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            case .closing:
                context.close(promise: nil)
            case .closed:
                break
            }
        default:
            // Continuation frames are merged by the aggregator in front of this handler.
            break
        }
    }

    /// Runs one message off the event loop and writes its response back in order.
    private func process(_ message: ByteBuffer, context: ChannelHandlerContext) {
        guard let subscriptions else { return }
        inFlight += 1
        let session = MessageSubscriptionSession(connection: subscriptions)
        let dispatcher = shared.dispatcher
        let promise = context.eventLoop.makePromise(of: [UInt8]?.self)
        promise.completeWithTask { await dispatcher.process(message, session: session) }
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.inFlight -= 1
            for change in session.takeChanges() {
                switch change {
                case .started(let id): self.active.insert(id)
                case .ended(let id): self.active.remove(id)
                }
            }
            if case .success(let response?) = result, case .open = self.state {
                let frame = WebSocketFrame(
                    fin: true, opcode: .text, data: context.channel.allocator.buffer(bytes: response))
                self.send(frame, subscription: nil)
            }
            if self.readPending && self.inFlight < self.limits.maxInFlightRequests {
                self.readPending = false
                context.read()
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        // Back-pressure: stop reading while the connection has its fill of requests in flight.
        if inFlight >= limits.maxInFlightRequests {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: - Writing

    /// Called on the event loop for each published notification.
    func deliverNotification(subscription: String, text: ByteBuffer) {
        guard case .open = state, active.contains(subscription) else { return }
        send(WebSocketFrame(fin: true, opcode: .text, data: text), subscription: subscription)
    }

    private func send(_ frame: WebSocketFrame, subscription: String?) {
        guard let context else { return }
        if queue.isEmpty && context.channel.isWritable {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
            return
        }
        queue.append(Outgoing(frame: frame, subscription: subscription))
        guard subscription != nil else { return }
        queuedNotifications += 1
        if queuedNotifications > limits.maxQueuedNotifications { dropSlowSubscriber() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        drainQueue(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func drainQueue(context: ChannelHandlerContext) {
        var wrote = false
        while context.channel.isWritable, let next = queue.popFirst() {
            if let subscription = next.subscription {
                queuedNotifications -= 1
                guard active.contains(subscription) else { continue }
            }
            context.write(wrapOutboundOut(next.frame), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    private func dropSlowSubscriber() {
        shared.metrics.recordSubscriberDropped()
        shared.logger.notice("dropping a WebSocket subscriber that reads too slowly")
        subscriptions?.close()
        active.removeAll()
        startClose(
            code: .policyViolation,
            reason: "too slow: more than \(limits.maxQueuedNotifications) notifications waiting")
    }

    /// Sends a close frame (behind what the socket already holds) and hangs up when the client
    /// answers or ``RPCServerConfiguration/WebSocket/closeTimeout`` passes.
    private func startClose(code: WebSocketErrorCode, reason: String) {
        guard case .open = state, let context else { return }
        state = .closing
        // Nothing may follow a close frame.
        queue.removeAll()
        queuedNotifications = 0
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeBytes(reason.utf8.prefix(123))  // control frame payloads are at most 125 bytes
        context.writeAndFlush(
            wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.closeTimeout)) {
            context.close(promise: nil)
        }
    }

    // MARK: - Keep-alive

    private func schedulePing(context: ChannelHandlerContext) {
        pingTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.pingInterval)) {
            self.pingTick(context: context)
        }
    }

    private func pingTick(context: ChannelHandlerContext) {
        guard case .open = state else { return }
        guard heardSincePing else {
            shared.logger.debug("closing a WebSocket connection that stopped answering pings")
            context.close(promise: nil)
            return
        }
        heardSincePing = false
        send(
            WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(string: "aether")),
            subscription: nil)
        schedulePing(context: context)
    }

    // MARK: - Events and errors

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            startClose(code: .goingAway, reason: "server shutting down")
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let aggregation as NIOWebSocketFrameAggregator.Error:
            switch aggregation {
            case .accumulatedFrameSizeIsTooLarge, .tooManyFragments:
                startClose(
                    code: .messageTooLarge,
                    reason: "message exceeds \(shared.configuration.maxRequestBytes) bytes")
            default:
                startClose(code: .protocolError, reason: "malformed fragmented message")
            }
        default:
            // Frame decoding errors were answered by NIO's WebSocketProtocolErrorHandler.
            context.close(promise: nil)
        }
    }
}
