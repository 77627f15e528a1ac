import FinanceApp
import FinanceCore
import Hummingbird
import HummingbirdWebSocket

/// `/ws`: one connection, many subscriptions (docs/websocket.md). The token may come in the handshake
/// (`StreamHandshake`: a failing one is refused with 401, a user at `maxConnections` with 429) or in-band with
/// `{"action":"auth","token"}` within `ws.authTimeoutSeconds`; a plain GET answers 401 or 429 the same way, else 426.
struct MarketStreamController {
    let handshake: StreamHandshake
    let barQueries: BarQueryService
    let maxMessageBytes: Int

    /// A plain GET on `/ws`, and a refused upgrade: 401 or 429, else 426.
    func addPlainRoutes(to router: Router<AppRequestContext>) {
        router.get("/ws") { request, context -> Response in
            _ = try await self.handshake.check(request, tokenRequired: false)
            throw StreamHandshake.upgradeRequired
        }
    }

    func addRoutes(to router: Router<WSRequestContext>) {
        router.ws("/ws") { request, context in
            _ = try await self.handshake.check(request, tokenRequired: false)
            return .upgrade(StreamHandshake.protocolHeaders(request))
        } onUpgrade: { inbound, outbound, context in
            let principal: Principal? =
                if let token = StreamHandshake.token(context.request) {
                    try await self.handshake.auth.verify(accessToken: token)
                } else {
                    nil
                }
            let session = self.handshake.session(
                principal: principal, ip: context.requestContext.peerIP, endpoint: .multiplexed, mode: .multiplexed,
                barQueries: self.barQueries, maxMessageBytes: self.maxMessageBytes)
            if let principal = session.connection.principal {
                session.startLimits(principal.tier)
                session.reply(StreamMessages.authenticated(principal))
            }
            try await session.run(inbound: inbound, outbound: outbound)
        }
    }
}
