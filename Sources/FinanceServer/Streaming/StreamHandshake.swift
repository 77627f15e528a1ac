import FinanceApp
import FinanceCore
import Hummingbird

/// The checks of a WebSocket handshake, shared by the upgrade (which is refused when they fail) and by the plain
/// HTTP route of the same path (which answers the refusal's status: the upgrade channel hands a refused upgrade to
/// the HTTP router, `WebSocketUpgradeChannel`).
///
/// The token comes from `Authorization: Bearer <jwt>`, `Sec-WebSocket-Protocol: bearer, <jwt>` (answered with the
/// `bearer` protocol, so browsers can use it) or `?token=` (least preferred: it can land in logs).
struct StreamHandshake {
    let hub: StreamHub
    let auth: AuthService

    /// How long a client refused for `maxConnections` should wait (`Retry-After`).
    static let retryAfterSeconds = 5

    /// The handshake's user: a 401 for a token that fails (or a missing one when `tokenRequired`), a 429 with
    /// `Retry-After` for a user already at `maxConnections`; nil without a token when it is optional.
    func check(_ request: Request, tokenRequired: Bool) async throws -> Principal? {
        guard let token = Self.token(request) else {
            if tokenRequired { throw AuthError.invalidToken("a token is required") }
            return nil
        }
        let principal = try await self.auth.verify(accessToken: token)
        let limit = self.hub.session.limits(principal.tier).maxConnections
        if self.hub.connectionCount(user: principal.user) >= limit {
            var problem = Problem(
                status: .tooManyRequests,
                detail: "connection limit: at most \(limit) open WebSockets for the \(principal.tier) tier")
            problem.headers["Retry-After"] = String(Self.retryAfterSeconds)
            throw problem
        }
        return principal
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

    /// The 426 a plain GET on a WebSocket path gets once its checks pass.
    static var upgradeRequired: Problem {
        var problem = Problem(status: .upgradeRequired, detail: "this path speaks WebSocket: send an upgrade request")
        problem.headers["Upgrade"] = "websocket"
        return problem
    }

    /// Starts a session on an upgraded connection: admits `principal` (when known) against `maxConnections`, else
    /// the connection gets error 406 and close 1008.
    func session(
        principal: Principal?, ip: String, endpoint: StreamConnection.Endpoint, mode: StreamSession.Mode,
        barQueries: BarQueryService?, maxMessageBytes: Int
    ) -> StreamSession {
        let connection = self.hub.open(ip: ip, endpoint: endpoint)
        if let principal, !self.hub.admit(connection, as: principal) {
            let limit = self.hub.session.limits(principal.tier).maxConnections
            connection.requestClose(
                code: 1008, reason: "connection limit",
                message: StreamMessages.error(
                    .connectionLimit,
                    "connection limit: at most \(limit) open WebSockets for the \(principal.tier) tier"))
        }
        return StreamSession(
            connection: connection, hub: self.hub, auth: self.auth, barQueries: barQueries, mode: mode,
            maxMessageBytes: maxMessageBytes)
    }
}
