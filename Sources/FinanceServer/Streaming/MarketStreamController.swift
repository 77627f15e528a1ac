import FinanceApp
import FinanceCore
import Hummingbird
import HummingbirdWebSocket
import NIOCore

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
            _ = try await self.handshake.check(
                request, ip: self.handshake.clientIP(request, peer: context.remoteAddress), tokenRequired: false,
                count: true)
            throw StreamHandshake.upgradeRequired
        }
    }

    /// Upgrades unless a handshake token fails or its user is at `maxConnections`.
    func decide(_ request: Request, peer: SocketAddress?) async -> WebSocketUpgradeDecision {
        let ip = self.handshake.clientIP(request, peer: peer)
        guard let admitted = await self.handshake.admitUpgrade(request, ip: ip, tokenRequired: false) else {
            return .refuse
        }
        let principal = admitted
        return .upgrade(StreamHandshake.protocolHeaders(request)) { inbound, outbound, context in
            let session = self.handshake.session(
                principal: principal, ip: context.peerIP, endpoint: .multiplexed, mode: .multiplexed,
                barQueries: self.barQueries, maxMessageBytes: self.maxMessageBytes)
            if let principal = session.connection.principal {
                session.startLimits(principal.tier)
                session.reply(StreamMessages.authenticated(principal))
            }
            try await session.run(
                inbound: inbound, outbound: StreamFrameWriter(channel: context.channel, outbound: outbound))
        }
    }
}

/// The WebSocket paths: which upgrade request goes to which endpoint (`WebSocketUpgradeChannel` asks).
struct StreamRoutes: Sendable {
    let price: PriceStreamController?
    let multiplexed: MarketStreamController?

    func decide(_ request: Request, peer: SocketAddress?) async -> WebSocketUpgradeDecision {
        let parts = request.uri.path.split(separator: "/")
        if parts == ["ws"], let multiplexed = self.multiplexed { return await multiplexed.decide(request, peer: peer) }
        if parts.count == 4, parts[0] == "ws", parts[1] == "market", parts[3] == "price", let price = self.price {
            return await price.decide(request, rawSymbol: String(parts[2]), peer: peer)
        }
        return .refuse
    }
}
