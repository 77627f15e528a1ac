import FinanceApp
import FinanceCore
import Foundation
import Hummingbird

/// Personal API keys: `POST /api/auth/keys {"name"}` (the key is in the answer, once), `GET /api/auth/keys` (the
/// caller's keys, never the keys themselves), `DELETE /api/auth/keys/{id}`. snake_case like the rest of /api/auth.
/// A personal key acts with its owner's role and tier; service keys come from `financehub apikey create`.
extension AuthController {
    func addKeyRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("keys", use: self.createKey)
        group.get("keys", use: self.listKeys)
        group.delete("keys/{id}", use: self.revokeKey)
    }

    /// The most keys a user may hold.
    static let maxKeysPerUser = 20

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard !principal.isService else { throw Problem(status: .forbidden, detail: "a service key cannot make keys") }
        let fields = try await self.read(request, ["name"])
        guard APIKeyRecord.isValidName(fields["name"]!) else {
            throw ValidationError(field: "name", detail: "name must be 1–64 printable ASCII characters")
        }
        let live = try await self.auth.users.apiKeys(owner: principal.user).filter { !$0.revoked }
        guard live.count < Self.maxKeysPerUser else {
            throw Problem(
                status: .conflict, detail: "a user holds at most \(Self.maxKeysPerUser) keys; revoke one first")
        }
        let (record, key) = try await self.auth.createAPIKey(name: fields["name"]!, owner: principal.user)
        self.audit.record(.apikeyCreated, user: principal.user, detail: "personal key \(record.id)")
        return try HTTP.json(APIKeyDTO(record, key: key), status: .created)
    }

    @Sendable func listKeys(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let keys = try await self.auth.users.apiKeys(owner: principal.user)
        return try HTTP.json(APIKeyListDTO(items: keys.map { APIKeyDTO($0, key: nil) }))
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        let owner = principal.role == .admin ? nil : principal.user
        guard try await self.auth.revokeAPIKey(id: id, owner: owner) else {
            throw Problem(status: .notFound, detail: "no API key \(Echo.text(id)) of yours")
        }
        self.audit.record(.apikeyRevoked, user: principal.user, detail: "key \(id)")
        return Response(status: .noContent)
    }
}

/// An API key as listed; `key` only in the answer that created it.
public struct APIKeyDTO: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var key: String?
    public var owner: String?
    public var created_at: String
    public var revoked: Bool

    init(_ record: APIKeyRecord, key: String?) {
        self.id = record.id
        self.name = record.name
        self.key = key
        self.owner = record.owner
        self.created_at = Timestamp.iso8601(record.createdAt)
        self.revoked = record.revoked
    }
}

public struct APIKeyListDTO: Codable, Sendable, Equatable {
    public var items: [APIKeyDTO]
}
