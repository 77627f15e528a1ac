import FinanceCore
import FinanceStorage
import PostgresNIO

/// API keys and token revocations.
extension PostgresStore {
    public func createAPIKey(_ key: APIKeyRecord) async throws {
        let inserted = try await self.withConnection("create api key") { conn in
            try await self.count(
                conn,
                """
                INSERT INTO api_keys (id, hash, name, owner, created_at, revoked)
                VALUES (\(key.id), \(key.hash), \(key.name), \(key.owner), \(key.createdAt), \(key.revoked))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """)
        }
        if inserted == 0 { throw StorageError.conflict("api key \(key.id)") }
    }

    public func apiKey(id: String) async throws -> APIKeyRecord? {
        try await self.withConnection("read api key") { conn in
            try await self.readKeys(conn, "SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE id = \(id)").first
        }
    }

    public func apiKeys(owner: String?) async throws -> [APIKeyRecord] {
        try await self.withConnection("list api keys") { conn in
            if let owner {
                return try await self.readKeys(
                    conn,
                    "SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE owner = \(owner) ORDER BY created_at, id")
            }
            return try await self.readKeys(
                conn, "SELECT \(unescaped: Self.keyColumns) FROM api_keys ORDER BY created_at, id")
        }
    }

    public func revokeAPIKey(id: String) async throws -> Bool {
        try await self.withConnection("revoke api key") { conn in
            try await self.count(conn, "UPDATE api_keys SET revoked = true WHERE id = \(id) RETURNING 1") == 1
        }
    }

    private static let keyColumns = "id, hash, name, owner, created_at, revoked"

    private func readKeys(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [APIKeyRecord] {
        var out: [APIKeyRecord] = []
        let rows = try await conn.query(query, logger: self.logger)
        for try await (id, hash, name, owner, created, revoked) in rows.decode(
            (String, String, String, String?, Int64, Bool).self)
        {
            out.append(
                APIKeyRecord(id: id, hash: hash, name: name, owner: owner, createdAt: created, revoked: revoked))
        }
        return out
    }

    public func addRevocation(_ r: TokenRevocation) async throws {
        try await self.withConnection("add revocation") { conn in
            try await self.exec(
                conn,
                """
                INSERT INTO token_revocations (kind, value, revoked_at, expires_at)
                VALUES (\(r.kind.rawValue), \(r.value), \(r.revokedAt), \(r.expiresAt))
                ON CONFLICT (kind, value) DO NOTHING
                """)
        }
    }

    public func revocations(since: Int64, now: Int64) async throws -> [TokenRevocation] {
        try await self.withConnection("read revocations") { conn in
            let rows = try await conn.query(
                """
                SELECT kind, value, revoked_at, expires_at FROM token_revocations
                WHERE revoked_at >= \(since) AND expires_at > \(now) ORDER BY revoked_at, value
                """, logger: self.logger)
            var out: [TokenRevocation] = []
            for try await (kind, value, revokedAt, expiresAt) in rows.decode((String, String, Int64, Int64).self) {
                if let kind = TokenRevocation.Kind(rawValue: kind) {
                    out.append(TokenRevocation(kind: kind, value: value, revokedAt: revokedAt, expiresAt: expiresAt))
                }
            }
            return out
        }
    }

    public func pruneRevocations(now: Int64) async throws {
        try await self.withConnection("prune revocations") { conn in
            try await self.exec(conn, "DELETE FROM token_revocations WHERE expires_at < \(now)")
        }
    }
}
