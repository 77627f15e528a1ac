import FinanceApp
import FinanceCore
import Foundation
import Hummingbird

/// The WebSocket connections, for admins (the role is checked for all of /api/admin by `AuthenticationMiddleware`):
/// `GET /api/admin/connections`, `GET /api/admin/connections/stats`, `DELETE /api/admin/connections/{id}` and
/// `DELETE /api/admin/users/{name}/connections` (forced disconnects, close 1008).
struct AdminConnectionsController {
    let hub: StreamHub
    let audit: AuditLog

    func addRoutes(to admin: RouterGroup<AppRequestContext>) {
        admin.get("connections", use: self.list)
        admin.get("connections/stats", use: self.stats)
        admin.delete("connections/{id}", use: self.disconnect)
        admin.delete("users/{name}/connections", use: self.disconnectUser)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(AdminConnectionsDTO(items: self.hub.connections()))
    }

    @Sendable func stats(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(self.hub.stats())
    }

    @Sendable func disconnect(_ request: Request, context: AppRequestContext) async throws -> Response {
        let raw = context.parameters.get("id") ?? ""
        guard let id = Int(raw), id > 0 else {
            throw ValidationError(
                field: "id", detail: "id must be a positive integer (from GET /api/admin/connections)")
        }
        guard self.hub.disconnect(id: id) else {
            throw Problem(status: .notFound, detail: "no open WebSocket \(id)")
        }
        self.audit.record(.forcedDisconnect, user: context.principal?.user, detail: "WebSocket \(id)")
        return Response(status: .noContent)
    }

    @Sendable func disconnectUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        let raw = context.parameters.get("name") ?? ""
        guard let name = User.normalizeName(raw.removingPercentEncoding ?? raw) else {
            throw ValidationError(field: "name", detail: "name must follow the user name rule: \(User.nameRule)")
        }
        let closed = self.hub.disconnect(user: name)
        self.audit.record(
            .forcedDisconnect, user: context.principal?.user, detail: "\(closed) WebSockets of \(name)")
        return try HTTP.json(AdminDisconnectedDTO(closed: closed))
    }
}

/// `GET /api/admin/connections`.
struct AdminConnectionsDTO: Codable, Sendable {
    var items: [StreamConnectionInfo]
}

/// The answer of a forced disconnect of a user: how many WebSockets were closed.
struct AdminDisconnectedDTO: Codable, Sendable {
    var closed: Int
}
