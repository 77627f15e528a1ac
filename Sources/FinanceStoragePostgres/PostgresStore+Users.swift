import FinanceCore
import FinanceStorage
import PostgresNIO

/// Users, refresh tokens and the server's secrets.
extension PostgresStore {
    public func createUser(_ user: User) async throws {
        let inserted = try await self.withConnection("create user") { conn in
            try await self.count(
                conn,
                """
                INSERT INTO users (name, password_hash, role, tier, disabled, created_at)
                VALUES (\(user.name), \(user.passwordHash), \(user.role.rawValue), \(user.tier.rawValue),
                        \(user.disabled), \(user.createdAt))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """)
        }
        if inserted == 0 { throw StorageError.conflict("user \(user.name)") }
    }

    public func user(named name: String) async throws -> User {
        let found = try await self.withConnection("read user") { conn in
            try await self.readUsers(conn, "SELECT \(unescaped: Self.userColumns) FROM users WHERE name = \(name)")
        }
        guard let user = found.first else { throw StorageError.notFound("user \(name)") }
        return user
    }

    public func users() async throws -> [User] {
        try await self.withConnection("list users") { conn in
            try await self.readUsers(conn, "SELECT \(unescaped: Self.userColumns) FROM users ORDER BY name")
        }
    }

    public func updateUser(_ user: User) async throws {
        let updated = try await self.withConnection("update user") { conn in
            try await self.count(
                conn,
                """
                UPDATE users SET password_hash = \(user.passwordHash), role = \(user.role.rawValue),
                    tier = \(user.tier.rawValue), disabled = \(user.disabled)
                WHERE name = \(user.name) RETURNING 1
                """)
        }
        if updated == 0 { throw StorageError.notFound("user \(user.name)") }
    }

    public func userCount() async throws -> Int {
        try await self.withConnection("count users") { conn in
            let rows = try await conn.query("SELECT COUNT(*) FROM users", logger: self.logger)
            for try await n in rows.decode(Int64.self) { return Int(n) }
            return 0
        }
    }

    private static let userColumns = "name, password_hash, role, tier, disabled, created_at"

    private func readUsers(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [User] {
        var out: [User] = []
        let rows = try await conn.query(query, logger: self.logger)
        for try await (name, hash, role, tier, disabled, created) in rows.decode(
            (String, String, String, String, Bool, Int64).self)
        {
            out.append(
                User(
                    name: name, passwordHash: hash, role: UserRole(rawValue: role) ?? .user,
                    tier: UserTier(rawValue: tier) ?? .free, disabled: disabled, createdAt: created))
        }
        return out
    }

    public func storeRefreshToken(_ token: RefreshTokenRecord) async throws {
        try await self.withConnection("store refresh token") { conn in try await self.insert(token, conn) }
    }

    private func insert(_ t: RefreshTokenRecord, _ conn: PostgresConnection) async throws {
        try await self.exec(
            conn,
            """
            INSERT INTO refresh_tokens (hash, family, user_name, issued_at, expires_at, revoked, replaced_by)
            VALUES (\(t.hash), \(t.family), \(t.user), \(t.issuedAt), \(t.expiresAt), \(t.revoked), \(t.replacedBy))
            """)
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await self.withConnection("read refresh token") { conn in
            let rows = try await conn.query(
                """
                SELECT hash, family, user_name, issued_at, expires_at, revoked, replaced_by FROM refresh_tokens
                WHERE hash = \(hash)
                """, logger: self.logger)
            for try await (h, family, user, issued, expires, revoked, replaced) in rows.decode(
                (String, String, String, Int64, Int64, Bool, String?).self)
            {
                return RefreshTokenRecord(
                    hash: h, family: family, user: user, issuedAt: issued, expiresAt: expires, revoked: revoked,
                    replacedBy: replaced)
            }
            return nil
        }
    }

    public func rotateRefreshToken(oldHash: String, next: RefreshTokenRecord) async throws -> Bool {
        try await self.transaction("rotate refresh token") { conn in
            let n = try await self.count(
                conn,
                """
                UPDATE refresh_tokens SET replaced_by = \(next.hash)
                WHERE hash = \(oldHash) AND NOT revoked AND replaced_by IS NULL RETURNING 1
                """)
            guard n == 1 else { return false }
            try await self.insert(next, conn)
            return true
        }
    }

    public func revokeRefreshFamily(_ family: String) async throws {
        try await self.withConnection("revoke refresh family") { conn in
            try await self.exec(conn, "UPDATE refresh_tokens SET revoked = true WHERE family = \(family)")
        }
    }

    public func revokeRefreshTokens(user: String) async throws {
        try await self.withConnection("revoke refresh tokens") { conn in
            try await self.exec(conn, "UPDATE refresh_tokens SET revoked = true WHERE user_name = \(user)")
        }
    }

    public func secret(named name: String, orStore value: String) async throws -> String {
        try await self.withConnection("read secret") { conn in
            try await self.exec(
                conn, "INSERT INTO app_secrets (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO NOTHING")
            let rows = try await conn.query("SELECT value FROM app_secrets WHERE name = \(name)", logger: self.logger)
            for try await stored in rows.decode(String.self) { return stored }
            return value
        }
    }
}
