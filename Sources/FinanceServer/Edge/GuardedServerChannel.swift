import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Synchronization

/// A child channel (HTTP/1 with the WebSocket upgrade) with the edge's guard in its pipeline: a `ConnectionGuard.Tap`
/// first, and the `ConnectionGuard` right after the HTTP request decoder, before the upgrade handler.
struct GuardedServerChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let settings: HTTPEdgeSettings
    let connections: OpenConnections
    /// The decoder's limit on a request head, for the guard's 414 / 431 split.
    let maxHeadBytes: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let overCapacity = self.connections.opened(channel, max: self.settings.maxConnections)
        let settings = self.settings
        let maxHeadBytes = self.maxHeadBytes
        return self.inner.setup(channel: channel, logger: logger).assumeIsolated().flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let edge = ConnectionGuard(settings: settings, overCapacity: overCapacity, maxHeadBytes: maxHeadBytes)
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(edge, position: .after(decoder))
            try pipeline.addHandler(ConnectionGuard.Tap(edge), position: .first)
            return value
        }.nonisolated()
    }

    func handle(value: Value, logger: Logger) async {
        await self.inner.handle(value: value, logger: logger)
    }
}

/// The server's open connections (HTTP and WebSocket), counted from accept to close, in the
/// `financehub_http_connections` gauge.
public final class OpenConnections: Sendable {
    private let count = Atomic<Int>(0)
    private let gauge = Gauge(label: "financehub_http_connections")

    public init() {}

    /// The connections open now.
    public var current: Int { self.count.load(ordering: .relaxed) }

    /// Counts `channel` until it closes; true when it is beyond `max`.
    func opened(_ channel: any Channel, max: Int) -> Bool {
        let now = self.count.wrappingAdd(1, ordering: .relaxed).newValue
        self.gauge.record(now)
        channel.closeFuture.whenComplete { _ in
            self.gauge.record(self.count.wrappingSubtract(1, ordering: .relaxed).newValue)
        }
        return now > max
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the WebSocket upgrade (`webSocketRouter`), behind the edge's guard (`settings`).
    ///
    /// Connections beyond `http.maxConnections` are answered 503; beyond that plus a margin (a tenth, at least 64)
    /// the server stops accepting until some close, so answering never exhausts its file descriptors.
    static func guardedHTTP1WebSocketUpgrade<WSResponderBuilder: HTTPResponderBuilder & _HB_SendableMetatype>(
        webSocketRouter: WSResponderBuilder, configuration: HTTP1WebSocketUpgradeChannel.Configuration,
        settings: HTTPEdgeSettings, connections: OpenConnections
    ) -> HTTPServerBuilder where WSResponderBuilder.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        return .init { responder in
            GuardedServerChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                settings: settings, connections: connections,
                maxHeadBytes: configuration.http1.httpDecoder.maxHeaderListSize)
        }
    }
}

extension HTTPEdgeSettings {
    /// Connections accepted at most: `maxConnections` plus a margin answered 503 (a tenth, at least 64).
    public var acceptLimit: Int { self.maxConnections + max(64, self.maxConnections / 10) }
}

extension HTTPServerBuilder {
    /// HTTP/1 with FinanceHub's WebSocket upgrade (`WebSocketUpgradeChannel`: refused upgrades reach the router for
    /// their real status), behind the edge's guard (`settings`), as `guardedHTTP1WebSocketUpgrade` does for
    /// Hummingbird's own upgrade channel.
    static func guardedWebSocketUpgrade(
        http1: HTTP1Channel.Configuration = .init(), ws: WebSocketServerConfiguration,
        decide: @escaping WebSocketUpgradeChannel.Decide, settings: HTTPEdgeSettings, connections: OpenConnections
    ) -> HTTPServerBuilder {
        .init { responder in
            GuardedServerChannel(
                inner: WebSocketUpgradeChannel(responder: responder, http1: http1, ws: ws, decide: decide),
                settings: settings, connections: connections, maxHeadBytes: http1.httpDecoder.maxHeaderListSize)
        }
    }
}
