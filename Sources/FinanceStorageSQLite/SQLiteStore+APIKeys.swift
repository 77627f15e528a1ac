import FinanceCore
import FinanceStorage
import GRDB

/// API keys and token revocations.
extension SQLiteStore {
    private static let keyColumns = "id, hash, name, owner, created_at, revoked"

    private static func apiKey(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(id: row[0], hash: row[1], name: row[2], owner: row[3], createdAt: row[4], revoked: row[5])
    }

    public func createAPIKey(_ key: APIKeyRecord) async throws {
        let inserted = try await self.write("create_api_key") { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO api_keys (\(Self.keyColumns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [key.id, key.hash, key.name, key.owner, key.createdAt, key.revoked])
            return db.changesCount
        }
        if inserted == 0 { throw StorageError.conflict("api key \(key.id)") }
    }

    public func apiKey(id: String) async throws -> APIKeyRecord? {
        try await self.read("api_key") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.keyColumns) FROM api_keys WHERE id = ?", arguments: [id])
                .map(Self.apiKey)
        }
    }

    public func apiKeys(owner: String?) async throws -> [APIKeyRecord] {
        try await self.read("api_keys") { db in
            if let owner {
                return try Row.fetchAll(
                    db, sql: "SELECT \(Self.keyColumns) FROM api_keys WHERE owner = ? ORDER BY created_at, id",
                    arguments: [owner]
                ).map(Self.apiKey)
            }
            return try Row.fetchAll(db, sql: "SELECT \(Self.keyColumns) FROM api_keys ORDER BY created_at, id")
                .map(Self.apiKey)
        }
    }

    public func revokeAPIKey(id: String) async throws -> Bool {
        try await self.write("revoke_api_key") { db in
            try db.execute(sql: "UPDATE api_keys SET revoked = 1 WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    public func addRevocation(_ r: TokenRevocation) async throws {
        try await self.write("add_revocation") { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO token_revocations (kind, value, revoked_at, expires_at) VALUES (?, ?, ?, ?)
                    """,
                arguments: [r.kind.rawValue, r.value, r.revokedAt, r.expiresAt])
        }
    }

    public func revocations(since: Int64, now: Int64) async throws -> [TokenRevocation] {
        try await self.read("revocations") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT kind, value, revoked_at, expires_at FROM token_revocations
                    WHERE revoked_at >= ? AND expires_at > ? ORDER BY revoked_at, value
                    """,
                arguments: [since, now]
            ).compactMap { row in
                TokenRevocation.Kind(rawValue: row[0]).map {
                    TokenRevocation(kind: $0, value: row[1], revokedAt: row[2], expiresAt: row[3])
                }
            }
        }
    }

    public func pruneRevocations(now: Int64) async throws {
        try await self.write("prune_revocations") { db in
            try db.execute(sql: "DELETE FROM token_revocations WHERE expires_at < ?", arguments: [now])
        }
    }
}
