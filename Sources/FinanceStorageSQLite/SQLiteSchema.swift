import GRDB

/// The versioned schema of the SQLite store. Migrations are append-only: never edit a shipped one, add a new one.
enum SQLiteSchema {
    /// The migrations in order: (identifier, SQL).
    static let migrations: [(id: String, sql: String)] = [
        (
            "v1-assets-bars-rollups-ticks",
            """
            CREATE TABLE assets (
                symbol TEXT NOT NULL PRIMARY KEY,
                name TEXT,
                asset_class TEXT NOT NULL DEFAULT 'unknown',
                exchange TEXT,
                currency TEXT,
                sector TEXT,
                industry TEXT
            ) WITHOUT ROWID;

            -- Bars as ingested, one row per (symbol, interval name, bar start in ms UTC).
            CREATE TABLE bars (
                symbol TEXT NOT NULL,
                interval TEXT NOT NULL,
                ts INTEGER NOT NULL,
                open REAL NOT NULL,
                high REAL NOT NULL,
                low REAL NOT NULL,
                close REAL NOT NULL,
                volume REAL NOT NULL,
                PRIMARY KEY (symbol, interval, ts)
            ) WITHOUT ROWID;

            -- Continuous aggregates of stored bars at `base` into `interval`, kept exact by every write.
            CREATE TABLE bar_rollups (
                symbol TEXT NOT NULL,
                base TEXT NOT NULL,
                interval TEXT NOT NULL,
                ts INTEGER NOT NULL,
                open REAL NOT NULL,
                high REAL NOT NULL,
                low REAL NOT NULL,
                close REAL NOT NULL,
                volume REAL NOT NULL,
                PRIMARY KEY (symbol, base, interval, ts)
            ) WITHOUT ROWID;

            -- Every tick as received; `seq` is the arrival order (ties in ts keep it).
            CREATE TABLE ticks (
                seq INTEGER PRIMARY KEY,
                symbol TEXT NOT NULL,
                ts INTEGER NOT NULL,
                price REAL NOT NULL,
                size REAL,
                bid REAL,
                ask REAL,
                bid_size REAL,
                ask_size REAL
            );
            CREATE INDEX ticks_by_symbol_ts ON ticks (symbol, ts, seq);
            """
        )
    ]

    static var latest: Int { migrations.count }

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            let sql = migration.sql
            migrator.registerMigration(migration.id) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    /// The number of migrations recorded in the file (including ones newer than this build), 0 for a new file.
    static func appliedCount(_ db: Database) throws -> Int {
        guard try db.tableExists("grdb_migrations") else { return 0 }
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") ?? 0
    }
}
