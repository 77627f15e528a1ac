import FinanceApp
import FinanceCore
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// `/ws/market/{symbol}/price`: the prices of one symbol, authenticated in the handshake (`StreamHandshake`).
///
/// A handshake whose token fails gets 401, an invalid symbol 422, a user at `maxConnections` 429 with
/// `Retry-After`, all as problem+json and without upgrading (the plain route answers refused upgrades); a plain GET
/// gets the same, else 426. Each tick of the symbol becomes `{"type":"price","symbol","price","size"?,"bid"?,
/// "ask"?,"ts"}`; a client that falls behind is sent error 407 and closed with code 4007; client text is ignored,
/// binary frames close with 1003.
struct PriceStreamController {
    let handshake: StreamHandshake
    let maxMessageBytes: Int

    /// A plain GET on the WebSocket path, and a refused upgrade: 401, 422 or 429, else 426.
    func addPlainRoutes(to router: Router<AppRequestContext>) {
        router.get("/ws/market/{symbol}/price") { request, context -> Response in
            _ = try HTTP.symbol(context)
            _ = try await self.handshake.check(
                request, ip: self.handshake.clientIP(request, peer: context.remoteAddress), tokenRequired: true,
                count: true)
            throw StreamHandshake.upgradeRequired
        }
    }

    /// Upgrades when the symbol and the token pass; else refuses (the plain route then answers).
    func decide(_ request: Request, rawSymbol: String, peer: SocketAddress?) async -> WebSocketUpgradeDecision {
        let ip = self.handshake.clientIP(request, peer: peer)
        guard let symbol = Symbol.normalize(rawSymbol.removingPercentEncoding ?? rawSymbol),
            let admitted = await self.handshake.admitUpgrade(request, ip: ip, tokenRequired: true),
            let principal = admitted
        else { return .refuse }
        return .upgrade(StreamHandshake.protocolHeaders(request)) { inbound, outbound, context in
            let session = self.handshake.session(
                principal: principal, ip: context.peerIP, endpoint: .price, mode: .price, barQueries: nil,
                maxMessageBytes: self.maxMessageBytes)
            if session.connection.principal != nil {
                self.handshake.hub.update(
                    session.connection, to: StreamSubscriptions(symbols: [.price: [symbol]]), first: [])
            }
            try await session.run(
                inbound: inbound, outbound: StreamFrameWriter(channel: context.channel, outbound: outbound))
        }
    }
}
