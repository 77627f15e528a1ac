import FinanceCore
import FinanceStorage
import GRDB

/// Users, refresh tokens and the server's secrets.
extension SQLiteStore {
    private static let userColumns = "name, password_hash, role, tier, disabled, created_at"

    private static func user(_ row: Row) -> User {
        User(
            name: row[0], passwordHash: row[1], role: UserRole(rawValue: row[2]) ?? .user,
            tier: UserTier(rawValue: row[3]) ?? .free, disabled: row[4], createdAt: row[5])
    }

    public func createUser(_ user: User) async throws {
        let inserted = try await self.write("create_user") { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO users (\(Self.userColumns)) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    user.name, user.passwordHash, user.role.rawValue, user.tier.rawValue, user.disabled, user.createdAt,
                ])
            return db.changesCount
        }
        if inserted == 0 { throw StorageError.conflict("user \(user.name)") }
    }

    public func user(named name: String) async throws -> User {
        let found = try await self.read("user") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.userColumns) FROM users WHERE name = ?", arguments: [name])
                .map(Self.user)
        }
        guard let found else { throw StorageError.notFound("user \(name)") }
        return found
    }

    public func users() async throws -> [User] {
        try await self.read("users") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.userColumns) FROM users ORDER BY name").map(Self.user)
        }
    }

    public func updateUser(_ user: User) async throws {
        let updated = try await self.write("update_user") { db in
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, role = ?, tier = ?, disabled = ? WHERE name = ?",
                arguments: [user.passwordHash, user.role.rawValue, user.tier.rawValue, user.disabled, user.name])
            return db.changesCount
        }
        if updated == 0 { throw StorageError.notFound("user \(user.name)") }
    }

    public func userCount() async throws -> Int {
        try await self.read("user_count") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0 }
    }

    private static let tokenColumns = "hash, family, user_name, issued_at, expires_at, revoked, replaced_by"

    public func storeRefreshToken(_ token: RefreshTokenRecord) async throws {
        try await self.write("store_refresh_token") { db in try Self.insert(token, db) }
    }

    private static func insert(_ t: RefreshTokenRecord, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO refresh_tokens (\(Self.tokenColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [t.hash, t.family, t.user, t.issuedAt, t.expiresAt, t.revoked, t.replacedBy])
    }

    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        try await self.read("refresh_token") { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.tokenColumns) FROM refresh_tokens WHERE hash = ?", arguments: [hash]
            ).map { row in
                RefreshTokenRecord(
                    hash: row[0], family: row[1], user: row[2], issuedAt: row[3], expiresAt: row[4], revoked: row[5],
                    replacedBy: row[6])
            }
        }
    }

    public func rotateRefreshToken(oldHash: String, next: RefreshTokenRecord) async throws -> Bool {
        try await self.write("rotate_refresh_token") { db in
            try db.execute(
                sql: "UPDATE refresh_tokens SET replaced_by = ? WHERE hash = ? AND revoked = 0 AND replaced_by IS NULL",
                arguments: [next.hash, oldHash])
            guard db.changesCount == 1 else { return false }
            try Self.insert(next, db)
            return true
        }
    }

    public func revokeRefreshFamily(_ family: String) async throws {
        try await self.write("revoke_refresh_family") { db in
            try db.execute(sql: "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?", arguments: [family])
        }
    }

    public func revokeRefreshTokens(user: String) async throws {
        try await self.write("revoke_refresh_tokens") { db in
            try db.execute(sql: "UPDATE refresh_tokens SET revoked = 1 WHERE user_name = ?", arguments: [user])
        }
    }

    public func secret(named name: String, orStore value: String) async throws -> String {
        try await self.write("secret") { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO app_secrets (name, value) VALUES (?, ?)", arguments: [name, value])
            return try String.fetchOne(db, sql: "SELECT value FROM app_secrets WHERE name = ?", arguments: [name])
                ?? value
        }
    }
}
