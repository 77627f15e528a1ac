import Hummingbird
import HummingbirdWebSocket

/// The request context of WebSocket upgrades (`/ws/...`), served by their own router beside the HTTP one.
struct WSRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
    }
}
