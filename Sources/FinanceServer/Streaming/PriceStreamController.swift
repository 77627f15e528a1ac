import FinanceApp
import FinanceCore
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// `/ws/market/{symbol}/price`: the prices of one symbol, authenticated in the handshake.
///
/// The token comes from `Authorization: Bearer <jwt>`, `Sec-WebSocket-Protocol: bearer, <jwt>` (answered with the
/// `bearer` protocol, so browsers can use it) or `?token=` (least preferred: it can land in logs). A handshake whose
/// token or symbol fails is not upgraded (SwiftNIO's WebSocket upgrader then answers a bare 400: a 401 needs an
/// upgrader of our own, not done yet); a plain GET gets 401, 422 or 426 as problem+json. Each tick of the symbol becomes
/// `{"type":"price","symbol","price","size"?,"bid"?,"ask"?,"ts"}`; a client that falls behind is sent error 407 and
/// closed with code 4007.
struct PriceStreamController {
    let hub: StreamHub
    let auth: AuthService

    /// A plain GET on the WebSocket path (no upgrade): 401 without a valid token, 422 for an invalid symbol, else 426.
    func addPlainRoutes(to router: Router<AppRequestContext>) {
        router.get("/ws/market/{symbol}/price") { request, context -> Response in
            _ = try HTTP.symbol(context)
            _ = try await self.principal(request)
            var problem = Problem(
                status: .upgradeRequired, detail: "this path speaks WebSocket: send an upgrade request")
            problem.headers["Upgrade"] = "websocket"
            throw problem
        }
    }

    func addRoutes(to router: Router<WSRequestContext>) {
        router.ws("/ws/market/{symbol}/price") { request, context in
            _ = try HTTP.symbol(context)
            _ = try await self.principal(request)
            return .upgrade(Self.protocolHeaders(request))
        } onUpgrade: { inbound, outbound, context in
            let symbol = try HTTP.symbol(context.requestContext)
            let principal = try await self.principal(context.request)
            try await self.serve(symbols: [symbol], user: principal.user, inbound: inbound, outbound: outbound)
        }
    }

    /// The handshake's user, or a 401.
    private func principal(_ request: Request) async throws -> Principal {
        guard let token = Self.token(request) else { throw AuthError.invalidToken("a token is required") }
        return try await self.auth.verify(accessToken: token)
    }

    /// The token of a handshake: `Authorization: Bearer`, then `Sec-WebSocket-Protocol: bearer, <jwt>`, then
    /// `?token=`.
    static func token(_ request: Request) -> String? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        if let protocols = request.headers[.secWebSocketProtocol] {
            let items = protocols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if items.count == 2, items[0].lowercased() == "bearer" { return items[1] }
        }
        return request.uri.queryParameters.get("token")
    }

    /// Answers the `bearer` sub-protocol when the client offered it.
    static func protocolHeaders(_ request: Request) -> HTTPFields {
        guard let protocols = request.headers[.secWebSocketProtocol],
            protocols.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "bearer"
        else { return [:] }
        return [.secWebSocketProtocol: "bearer"]
    }

    /// Streams the prices of `symbols` until the client leaves or falls behind.
    func serve(
        symbols: Set<String>, user: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let connection = self.hub.connect(user: user, symbols: symbols)
        defer { self.hub.disconnect(connection) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in connection.wakeUps {
                    if connection.isSlow {
                        try await outbound.write(.text(#"{"type":"error","code":407,"message":"slow client"}"#))
                        try await outbound.close(.unknown(4007), reason: "slow client")
                        return
                    }
                    for text in connection.drain() {
                        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: text)))
                    }
                }
            }
            group.addTask {
                // Client messages are not expected on this endpoint; binary frames are refused.
                for try await frame in inbound where frame.opcode == .binary {
                    try await outbound.close(.unacceptableData, reason: "binary frames are not accepted")
                    return
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }
}
