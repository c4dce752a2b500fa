import Logging
import NIOCore
import NIOHTTP1

/// Serves `POST /` (JSON-RPC), `GET /metrics`, `GET /health`, and answers everything else with
/// a clear status. Bodies are limited while they arrive: crossing the limit sends 413 at once,
/// then the rest of the body is read and dropped (up to a bound) so the client can read the
/// answer, and the connection is closed.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The name the handler is added under (the WebSocket upgrade removes it by name).
    static let name = "aether.rpc.http"

    private enum Endpoint {
        case metrics
        case health
        case fixed(Reply)
    }

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        case ignoringBody(HTTPRequestHead, Endpoint, discarded: Int)
        case rejecting(discarded: Int, written: EventLoopFuture<Void>)
        case responding
    }

    private let shared: ServerShared
    private let limit: Int
    private var state = State.idle

    init(shared: ServerShared) {
        self.shared = shared
        self.limit = shared.configuration.maxRequestBytes
    }

    // MARK: - Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): received(head, context: context)
        case .body(var part): received(&part, context: context)
        case .end: receivedEnd(context: context)
        }
    }

    private func received(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else {
            // The pipelining handler delivers one request at a time; anything else is a bug.
            context.close(promise: nil)
            return
        }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        switch (path, head.method) {
        case ("/", .POST):
            guard Self.isJSON(head.headers) else {
                let error = RPCError.invalidRequest("Content-Type must be application/json")
                state = .ignoringBody(head, .fixed(.rpcError(error, status: .unsupportedMediaType)), discarded: 0)
                return
            }
            let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
            if let declared, declared > limit {
                reject(head, context: context)
                return
            }
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
            state = .receiving(head, context.channel.allocator.buffer(capacity: min(declared ?? 0, limit)))
        case ("/metrics", .GET):
            state = .ignoringBody(head, .metrics, discarded: 0)
        case ("/health", .GET):
            state = .ignoringBody(head, .health, discarded: 0)
        case ("/ws", .GET):
            // A GET /ws that reaches this handler was not a valid WebSocket upgrade request.
            state = .ignoringBody(head, .fixed(.upgradeRequired), discarded: 0)
        case ("/", _):
            state = .ignoringBody(head, .fixed(.methodNotAllowed(allow: "POST")), discarded: 0)
        case ("/metrics", _), ("/health", _), ("/ws", _):
            state = .ignoringBody(head, .fixed(.methodNotAllowed(allow: "GET")), discarded: 0)
        default:
            state = .ignoringBody(head, .fixed(.text("not found\n", status: .notFound)), discarded: 0)
        }
    }

    private func received(_ part: inout ByteBuffer, context: ChannelHandlerContext) {
        switch state {
        case .receiving(let head, var body):
            guard body.readableBytes + part.readableBytes <= limit else {
                reject(head, context: context)
                return
            }
            state = .responding  // drop the state's reference so the append below does not copy
            body.writeBuffer(&part)
            state = .receiving(head, body)
        case .ignoringBody(let head, let endpoint, let discarded):
            let total = discarded + part.readableBytes
            guard total <= limit else {
                context.close(promise: nil)
                return
            }
            state = .ignoringBody(head, endpoint, discarded: total)
        case .rejecting(let discarded, let written):
            // Drain a bounded amount so the client gets to read the 413; then hang up regardless.
            let total = discarded + part.readableBytes
            guard total <= 8 * limit else {
                context.close(promise: nil)
                return
            }
            state = .rejecting(discarded: total, written: written)
        case .idle, .responding:
            break
        }
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        switch state {
        case .receiving(let head, let body):
            state = .responding
            dispatch(body, head: head, context: context)
        case .ignoringBody(let head, let endpoint, _):
            state = .idle
            write(reply(for: endpoint), to: head, context: context)
        case .rejecting(_, let written):
            state = .responding
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .idle, .responding:
            break
        }
    }

    /// Answers 413 now, before the body has all arrived; the connection closes after the request ends.
    private func reject(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        shared.metrics.recordRPCRequest(method: NodeMetrics.invalidMethodLabel, code: RPCError.Code.invalidRequest)
        let error = RPCError.invalidRequest(
            "the request body exceeds the limit of \(limit) bytes", data: ["limit": .integer(Int64(limit))])
        let written = write(
            .rpcError(error, status: .payloadTooLarge), to: head, closing: .afterRequestEnds, context: context)
        state = .rejecting(discarded: 0, written: written)
    }

    private func dispatch(_ body: ByteBuffer, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let dispatcher = shared.dispatcher
        let promise = context.eventLoop.makePromise(of: [UInt8]?.self)
        promise.completeWithTask { await dispatcher.process(body, session: nil) }
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.state = .idle
            let reply: Reply =
                switch result {
                case .success(let response?): .json(response, status: .ok)
                case .success(nil): .noContent
                case .failure: .rpcError(.internalError, status: .internalServerError)
                }
            self.write(reply, to: head, context: context)
        }
    }

    private func reply(for endpoint: Endpoint) -> Reply {
        switch endpoint {
        case .metrics:
            return Reply(
                status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: shared.metrics.render())
        case .health:
            if shared.isStopping { return .json(Array(#"{"status":"stopping"}"#.utf8), status: .serviceUnavailable) }
            return .json(Array(#"{"status":"ok"}"#.utf8), status: .ok)
        case .fixed(let reply):
            return reply
        }
    }

    // MARK: - Writing

    private enum Closing {
        /// Keep the connection if the request asked to and the server is not stopping.
        case ifRequested
        /// Announce `Connection: close`; the caller closes once the request has been read.
        case afterRequestEnds
    }

    @discardableResult
    private func write(
        _ reply: Reply, to request: HTTPRequestHead, closing: Closing = .ifRequested, context: ChannelHandlerContext
    ) -> EventLoopFuture<Void> {
        let keepAlive = closing == .ifRequested && request.isKeepAlive && !shared.isStopping
        var headers = HTTPHeaders()
        if let contentType = reply.contentType { headers.add(name: "Content-Type", value: contentType) }
        if reply.status != .noContent { headers.add(name: "Content-Length", value: String(reply.body.count)) }
        headers.add(contentsOf: reply.extraHeaders)
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if request.version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: request.version, status: reply.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !reply.body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: reply.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive && closing == .ifRequested {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        return written
    }

    // MARK: - Events and errors

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // Never cut a request that is being answered; anything else idle that long goes.
            if case .responding = state { return }
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            shared.logger.debug("closing an HTTP connection after an error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        // The decoder closes the connection right after this returns, so answer synchronously, and
        // only if no response is under way.
        switch state {
        case .responding, .rejecting:
            break
        case .idle, .receiving, .ignoringBody:
            let configuration = shared.configuration
            let reply: Reply =
                if case .headerOverflow = parserError {
                    .rpcError(
                        .invalidRequest(
                            "the request headers exceed \(configuration.maxHeaderBytes) bytes "
                                + "or \(configuration.maxHeaderCount) fields"),
                        status: .requestHeaderFieldsTooLarge)
                } else {
                    .rpcError(.invalidRequest("malformed HTTP request"), status: .badRequest)
                }
            let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
            write(reply, to: request, closing: .afterRequestEnds, context: context)
        }
        state = .responding
        context.close(promise: nil)
    }

    // MARK: - Helpers

    private static func isJSON(_ headers: HTTPHeaders) -> Bool {
        guard let value = headers.first(name: "content-type") else { return false }
        let mediaType = value.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingWhitespace().lowercased() == "application/json"
    }
}

/// A complete HTTP response.
struct Reply {
    var status: HTTPResponseStatus
    var contentType: String?
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []

    static let noContent = Reply(status: .noContent, contentType: nil, body: [])

    static var upgradeRequired: Reply {
        var reply = Reply.text("GET /ws needs a WebSocket upgrade\n", status: .upgradeRequired)
        reply.extraHeaders = [("Upgrade", "websocket")]
        return reply
    }

    static func json(_ body: [UInt8], status: HTTPResponseStatus) -> Reply {
        Reply(status: status, contentType: "application/json", body: body)
    }

    static func rpcError(_ error: RPCError, status: HTTPResponseStatus) -> Reply {
        .json(RPCDispatcher.errorBody(error), status: status)
    }

    static func text(_ text: String, status: HTTPResponseStatus) -> Reply {
        Reply(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    static func methodNotAllowed(allow: String) -> Reply {
        var reply = Reply.text("method not allowed\n", status: .methodNotAllowed)
        reply.extraHeaders = [("Allow", allow)]
        return reply
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let trimmed = drop { $0 == " " || $0 == "\t" }
        return trimmed.dropLast(trimmed.reversed().prefix { $0 == " " || $0 == "\t" }.count)
    }
}
