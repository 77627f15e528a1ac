import FinanceApp
import FinanceCore
import Hummingbird
import NIOCore

/// The checks of a WebSocket handshake, shared by the upgrade (which is refused when they fail) and by the plain
/// HTTP route of the same path (which answers the refusal's status: the upgrade channel hands a refused upgrade to
/// the HTTP router, `WebSocketUpgradeChannel`).
///
/// The token comes from `Authorization: Bearer <jwt>`, `Sec-WebSocket-Protocol: bearer, <jwt>` (answered with the
/// `bearer` protocol, so browsers can use it) or `?token=` (least preferred: it can land in logs).
struct StreamHandshake {
    let hub: StreamHub
    let auth: AuthService
    /// Connection-attempt limits and bans.
    let abuse: AbuseGuard
    let audit: AuditLog

    /// How long a client refused for `maxConnections` should wait (`Retry-After`).
    static let retryAfterSeconds = 5

    /// The handshake's user: a 403 for a banned address or user, a 429 with `Retry-After` past the connection-attempt
    /// limits of the address or user, a 401 for a token that fails (or a missing one when `tokenRequired`; a
    /// violation that counts towards a ban), a 429 for a user already at `maxConnections`; nil without a token when it
    /// is optional. `count` spends connection attempts and records refusals (the attempt that reaches the router once
    /// refused); the upgrade decision checks without counting first, then counts an attempt it lets through.
    func check(_ request: Request, ip: String?, tokenRequired: Bool, count: Bool) async throws -> Principal? {
        if let seconds = self.abuse.isBanned(ip: ip, user: nil) { throw self.banned(seconds) }
        if count, case .limited(let seconds) = self.abuse.connectAttempt(ip: ip ?? "unknown") {
            throw self.limited(seconds, "connection attempts from your address", ip: ip, user: nil)
        }
        guard let token = Self.token(request) else {
            if tokenRequired { throw AuthError.invalidToken("a token is required") }
            return nil
        }
        let principal: Principal
        do {
            principal = try await self.auth.verify(accessToken: token)
        } catch {
            if count {
                self.audit.record(.authFailed, ip: ip, detail: "WebSocket handshake: \(error)")
                _ = self.abuse.recordViolation(.badToken, ip: ip, user: nil)
            }
            throw error
        }
        if let seconds = self.abuse.isBanned(ip: ip, user: principal.user) {
            throw self.banned(seconds)
        }
        if count, case .limited(let seconds) = self.abuse.connectAttempt(user: principal.user) {
            throw self.limited(seconds, "connection attempts of \(principal.user)", ip: ip, user: principal.user)
        }
        let limit = self.hub.session.limits(principal.tier).maxConnections
        if self.hub.connectionCount(user: principal.user) >= limit {
            var problem = Problem(
                status: .tooManyRequests,
                detail: "connection limit: at most \(limit) open WebSockets for the \(principal.tier) tier")
            problem.headers["Retry-After"] = String(Self.retryAfterSeconds)
            if count { self.audit.record(.limitHit, user: principal.user, ip: ip, detail: "maxConnections \(limit)") }
            throw problem
        }
        return principal
    }

    /// The checks of an upgrade: without counting first (a refusal goes on to the router, which counts it once), then
    /// the connection attempt of an upgrade it lets through.
    func admitUpgrade(_ request: Request, ip: String?, tokenRequired: Bool) async -> Principal?? {
        let principal: Principal?
        do {
            principal = try await self.check(request, ip: ip, tokenRequired: tokenRequired, count: false)
        } catch {
            return nil
        }
        if case .limited = self.abuse.connectAttempt(ip: ip ?? "unknown") { return nil }
        if let principal, case .limited = self.abuse.connectAttempt(user: principal.user) { return nil }
        self.audit.record(.connect, user: principal?.user, ip: ip, detail: request.uri.path)
        return .some(principal)
    }

    private func banned(_ seconds: Int) -> Problem {
        var problem = Problem(status: .forbidden, detail: "banned for \(seconds) s after repeated violations")
        problem.headers["Retry-After"] = String(seconds)
        return problem
    }

    private func limited(_ seconds: Int, _ what: String, ip: String?, user: String?) -> Problem {
        self.audit.record(.limitHit, user: user, ip: ip, detail: "too many \(what)")
        var problem = Problem(status: .tooManyRequests, detail: "too many \(what); retry after \(seconds) s")
        problem.headers["Retry-After"] = String(seconds)
        return problem
    }

    /// The client's address (`http.trustedProxies` decides whether `X-Forwarded-For` counts).
    func clientIP(_ request: Request, peer: SocketAddress?) -> String? {
        ClientIP.of(request, peer: peer, trusted: self.abuse.settings.trustedProxies)
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
            maxMessageBytes: maxMessageBytes, abuse: self.abuse)
    }
}
