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

    /// Upgrades unless a handshake token fails or its user is at `maxConnections`.
    func decide(_ request: Request) async -> WebSocketUpgradeDecision {
        let principal: Principal?
        do {
            principal = try await self.handshake.check(request, tokenRequired: false)
        } catch {
            return .refuse
        }
        return .upgrade(StreamHandshake.protocolHeaders(request)) { inbound, outbound, context in
            let session = self.handshake.session(
                principal: principal, ip: context.peerIP, endpoint: .multiplexed, mode: .multiplexed,
                barQueries: self.barQueries, maxMessageBytes: self.maxMessageBytes)
            if let principal = session.connection.principal {
                session.startLimits(principal.tier)
                session.reply(StreamMessages.authenticated(principal))
            }
            try await session.run(inbound: inbound, outbound: outbound)
        }
    }
}

/// The WebSocket paths: which upgrade request goes to which endpoint (`WebSocketUpgradeChannel` asks).
struct StreamRoutes: Sendable {
    let price: PriceStreamController?
    let multiplexed: MarketStreamController?

    func decide(_ request: Request) async -> WebSocketUpgradeDecision {
        let parts = request.uri.path.split(separator: "/")
        if parts == ["ws"], let multiplexed = self.multiplexed { return await multiplexed.decide(request) }
        if parts.count == 4, parts[0] == "ws", parts[1] == "market", parts[3] == "price", let price = self.price {
            return await price.decide(request, rawSymbol: String(parts[2]))
        }
        return .refuse
    }
}
