import FinanceCore
import FinanceStorage
import Logging
import PostgresNIO

/// Migrations and the schema version.
extension PostgresStore {
    public func migrate() async throws -> Int {
        try await self.transaction("migrate") { conn in
            // Two instances migrating at once: the second waits here, then finds nothing left to apply.
            let lockKey = "financehub.migrate:" + (self.location.schema ?? "")
            try await self.exec(conn, "SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))")
            if let schema = self.location.schema {
                try await self.exec(
                    conn, PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(Self.quoteIdentifier(schema))"))
            }
            try await self.exec(
                conn,
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            var applied = Set<Int>()
            for try await version in try await conn.query("SELECT version FROM schema_migrations", logger: self.logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > PostgresMigrations.latest {
                throw StorageError.schemaAhead(current: newest, latest: PostgresMigrations.latest)
            }
            var count = 0
            for migration in PostgresMigrations.all where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await self.exec(conn, PostgresQuery(unsafeSQL: statement))
                }
                try await self.exec(
                    conn,
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
                self.logger.info(
                    "applied migration \(migration.version): \(migration.name)",
                    metadata: ["store": "\(self.displayName)"])
                count += 1
            }
            return count
        }
    }

    public func schemaVersion() async throws -> SchemaVersion {
        try await self.withConnection("read the schema version") { conn in
            var current = 0
            let rows = try await conn.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: self.logger)
            var exists = false
            for try await e in rows.decode(Bool.self) { exists = e }
            if exists {
                for try await v in try await conn.query(
                    "SELECT coalesce(max(version), 0) FROM schema_migrations", logger: self.logger
                ).decode(Int.self) {
                    current = v
                }
            }
            return SchemaVersion(current: current, latest: PostgresMigrations.latest)
        }
    }

    /// Throws `StorageError.schemaBehind` / `.schemaAhead` unless the schema is exactly the version this build knows.
    public func requireCurrentSchema() async throws {
        let v = try await self.schemaVersion()
        if v.current < v.latest { throw StorageError.schemaBehind(current: v.current, latest: v.latest) }
        if v.current > v.latest { throw StorageError.schemaAhead(current: v.current, latest: v.latest) }
    }

    /// Drops the configured schema with everything in it (tests and throwaway environments). Refuses when the URL
    /// names no `schema`, so it can never drop `public`.
    public func dropSchema() async throws {
        guard let schema = self.location.schema else {
            throw StorageError.invalidConfiguration("dropSchema needs a URL with ?schema=")
        }
        try await self.withConnection("drop schema") { conn in
            try await self.exec(
                conn, PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(Self.quoteIdentifier(schema)) CASCADE"))
        }
    }

    public func ping() async throws {
        try await self.withConnection("ping") { conn in
            try await self.exec(conn, "SELECT 1")
        }
    }
}
