import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of WebSocket upgrades (`/ws/...`), served by their own router beside the HTTP one.
struct WSRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    /// The address the connection came from.
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address, for listings (`unknown` without a socket).
    var peerIP: String { self.remoteAddress?.ipAddress ?? "unknown" }
}
