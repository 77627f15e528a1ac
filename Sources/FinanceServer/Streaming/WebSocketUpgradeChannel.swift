import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
@_spi(WSInternal) import WSCore

/// What the WebSocket side decides for an upgrade request.
enum WebSocketUpgradeDecision: Sendable {
    /// Upgrade, answering `headers`, and serve the connection with `handler`.
    case upgrade(HTTPFields, handler: WebSocketDataHandler<WebSocketUpgradeContext>)
    /// Do not upgrade: the HTTP router answers the request (its plain route says why: 401, 422, 429, 426...).
    case refuse
}

/// The context of an upgraded connection: the upgrade request, the peer's address and the NIO channel (for batched
/// writes, `StreamFrameWriter`).
struct WebSocketUpgradeContext: WebSocketContext {
    let request: Request
    let remoteAddress: SocketAddress?
    let logger: Logger
    let channel: any Channel

    /// The peer's IP address, for listings (`unknown` without one).
    var peerIP: String { self.remoteAddress?.ipAddress ?? "unknown" }
}

/// HTTP/1 with WebSocket upgrades whose refusals get real HTTP answers.
///
/// Hummingbird's `HTTP1WebSocketUpgradeChannel` (hummingbird-websocket 2.8.1) answers every refused upgrade with a
/// bare 400 (`writeFailedUpgrade`), and the types that would let us intercept it (`Value.upgradeResult`,
/// `WebSocketRouterContext.init`) are internal. This channel is the same NIO pipeline (`NIOTypedWebSocketServerUpgrader`
/// in `configureUpgradableHTTPServerPipeline`), except that a refused upgrade is answered as an ordinary HTTP request:
/// NIO's typed upgrade handler consumes the head of an upgrade request (it is not re-delivered to the HTTP pipeline
/// when no upgrade happens), so the channel keeps the head `decide` refused and hands it to the HTTP responder, where
/// the router's plain route of the same path answers it (401, 422, 429 with `Retry-After`, or 426) as problem+json,
/// without upgrading; the connection then closes.
///
/// Unlike Hummingbird's channel it does not redirect (307) an upgrade request that arrives as a later request of a
/// kept-alive HTTP connection: the plain route answers it.
struct WebSocketUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Decide = @Sendable (Request, SocketAddress?, Logger) async -> WebSocketUpgradeDecision
    typealias WebSocketChannelHandler =
        @Sendable (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, Logger) async -> Void

    enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, WebSocketChannelHandler, Logger)
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade request `decide` refused: NIO consumed its head, so the channel answers it through the
        /// responder from the head it kept.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, HTTPRequest)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let http1: HTTP1Channel.Configuration
    let ws: WebSocketServerConfiguration
    let decide: Decide

    /// A server builder for `Application(server:)`.
    static func builder(
        http1: HTTP1Channel.Configuration = .init(), ws: WebSocketServerConfiguration, decide: @escaping Decide
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            WebSocketUpgradeChannel(responder: responder, http1: http1, ws: ws, decide: decide)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // What `decide` chose for this connection's upgrade request, for the pipeline handler that follows, and
            // the head of a refused one.
            let chosen = NIOLockedValueBox<WebSocketChannelHandler?>(nil)
            let refused = NIOLockedValueBox<HTTPRequest?>(nil)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: self.ws.maxFrameSize,
                shouldUpgrade: { channel, head in
                    self.shouldUpgrade(head, channel: channel, logger: logger, chosen: chosen, refused: refused)
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let handler = chosen.withLockedValue({ $0 }) else {
                            throw ChannelError.inappropriateOperationForState
                        }
                        let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        return UpgradeResult.websocket(asyncChannel, handler, logger)
                    }
                })
            let serverUpgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try sync.addHandlers(self.http1.additionalChannelHandlers())
                        try sync.addHandler(
                            HTTPConnectionStateHandler(
                                idleTimeout: self.http1.idleTimeout.map { .init($0) }, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        if let head = refused.withLockedValue({ $0 }) {
                            return UpgradeResult.refused(asyncChannel, head)
                        }
                        return UpgradeResult.notUpgraded(asyncChannel)
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(
                upgradeConfiguration: serverUpgradeConfiguration)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            configuration.decoderConfiguration.maxHeaderFieldSize = self.http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = self.http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = self.http1.httpDecoder.maxHeaderFieldCount
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: configuration)
            return Value(upgradeResult: result, channel: channel)
        }
    }

    /// Asks `decide`; a refusal is `nil` for NIO, which then hands the request on to the HTTP pipeline.
    private func shouldUpgrade(
        _ head: HTTPRequestHead, channel: any Channel, logger: Logger,
        chosen: NIOLockedValueBox<WebSocketChannelHandler?>, refused: NIOLockedValueBox<HTTPRequest?>
    ) -> EventLoopFuture<HTTPHeaders?> {
        let request: HTTPRequest
        do {
            request = try HTTPRequest(head, secure: false, splitCookie: false)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let remoteAddress = channel.remoteAddress
        let ws = self.ws
        let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
        promise.completeWithTask {
            let request = Request(head: request, body: .init(buffer: ByteBuffer()))
            switch await self.decide(request, remoteAddress, logger) {
            case .refuse:
                refused.withLockedValue { $0 = request.head }
                return nil
            case .upgrade(let headers, let handler):
                let context = WebSocketUpgradeContext(
                    request: request, remoteAddress: remoteAddress, logger: logger, channel: channel)
                chosen.withLockedValue {
                    $0 = { asyncChannel, logger in
                        do {
                            _ = try await WebSocketHandler.handle(
                                type: .server,
                                configuration: .init(
                                    extensions: [], autoPing: ws.autoPing, closeTimeout: ws.closeTimeout,
                                    validateUTF8: ws.validateUTF8, maxFrameSize: ws.maxFrameSize),
                                asyncChannel: asyncChannel, context: context, handler: handler)
                        } catch {
                            logger.debug("WebSocket handler error", metadata: ["error.type": "\(error)"])
                        }
                    }
                }
                return HTTPHeaders(headers)
            }
        }
        return promise.futureResult
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http1):
                await self.handleHTTP(asyncChannel: http1, logger: logger)
            case .refused(let http1, let head):
                try await http1.executeThenClose { _, outbound in
                    // The refusal's status comes from the router (the plain route of the same path); the
                    // connection closes after it, as after Hummingbird's bare 400.
                    try await self.responder(
                        Request(head: head, body: .init(buffer: ByteBuffer())), ResponseWriter(outbound: outbound),
                        http1.channel)
                }
            case .websocket(let asyncChannel, let handler, let logger):
                await handler(asyncChannel, logger)
            }
        } catch let error as ChannelError where error == .inputClosed {
            logger.trace("Upgrade failed as input was closed")
        } catch {
            logger.debug("Error handling upgrade result", metadata: ["error.type": "\(error)"])
        }
    }
}
