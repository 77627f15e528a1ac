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
        ),
        (
            "v2-provider-state",
            """
            -- Where each asset's latest data came from: push, simulated, import or a provider's name.
            ALTER TABLE assets ADD COLUMN source TEXT;

            -- Requests reserved per provider key and budget window (ended windows are deleted as keys are used).
            CREATE TABLE provider_budget (
                provider TEXT NOT NULL,
                key_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                window_start INTEGER NOT NULL,
                window_end INTEGER NOT NULL,
                used INTEGER NOT NULL,
                PRIMARY KEY (provider, key_id, kind, window_start)
            ) WITHOUT ROWID;

            CREATE TABLE provider_keys (
                provider TEXT NOT NULL,
                key_id TEXT NOT NULL,
                parked_until INTEGER,
                disabled_reason TEXT,
                unavailable TEXT NOT NULL,
                PRIMARY KEY (provider, key_id)
            ) WITHOUT ROWID;

            CREATE TABLE provider_usage (
                seq INTEGER PRIMARY KEY,
                ts INTEGER NOT NULL,
                provider TEXT NOT NULL,
                key_id TEXT,
                endpoint TEXT NOT NULL,
                status TEXT NOT NULL,
                latency_ms REAL NOT NULL,
                credits INTEGER NOT NULL,
                cache_hit INTEGER NOT NULL
            );
            CREATE INDEX provider_usage_by_time ON provider_usage (provider, ts, seq);

            -- Per-asset provider identifiers that override the built-in symbol map.
            CREATE TABLE provider_symbols (
                symbol TEXT NOT NULL,
                provider TEXT NOT NULL,
                upstream_id TEXT NOT NULL,
                PRIMARY KEY (symbol, provider)
            ) WITHOUT ROWID;

            CREATE TABLE provider_health (
                provider TEXT NOT NULL,
                minute INTEGER NOT NULL,
                score REAL NOT NULL,
                requests INTEGER NOT NULL,
                failures INTEGER NOT NULL,
                latency_p95_ms REAL,
                circuit TEXT NOT NULL,
                PRIMARY KEY (provider, minute)
            ) WITHOUT ROWID;
            """
        ),
        (
            "v3-users",
            """
            CREATE TABLE users (
                name TEXT PRIMARY KEY,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL,
                tier TEXT NOT NULL,
                disabled INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            ) WITHOUT ROWID;

            -- Refresh tokens by hash (never the token); a family is one login and its rotations.
            CREATE TABLE refresh_tokens (
                hash TEXT PRIMARY KEY,
                family TEXT NOT NULL,
                user_name TEXT NOT NULL,
                issued_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                revoked INTEGER NOT NULL,
                replaced_by TEXT
            ) WITHOUT ROWID;
            CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
            CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_name);

            -- The server's own secrets (the generated JWT key), shared by every process on the file.
            CREATE TABLE app_secrets (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) WITHOUT ROWID;
            """
        ),
        (
            "v4-api-keys",
            """
            -- API keys by public id, with the SHA-256 of the whole key (never the key); owner NULL: a service key.
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                hash TEXT NOT NULL,
                name TEXT NOT NULL,
                owner TEXT,
                created_at INTEGER NOT NULL,
                revoked INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX api_keys_by_owner ON api_keys (owner);

            -- Revoked access tokens (kind 'token', by jti) and sign-ins (kind 'family'), until their tokens expire.
            CREATE TABLE token_revocations (
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                revoked_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                PRIMARY KEY (kind, value)
            ) WITHOUT ROWID;
            CREATE INDEX token_revocations_by_time ON token_revocations (revoked_at);
            """
        ),
        (
            "v5-audit",
            """
            -- The audit log; `id` is assigned by the recorder, so a batch written twice stores each event once.
            CREATE TABLE audit_events (
                id TEXT PRIMARY KEY,
                ts INTEGER NOT NULL,
                type TEXT NOT NULL,
                user_name TEXT,
                ip TEXT,
                detail TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX audit_events_by_time ON audit_events (ts, id);
            CREATE INDEX audit_events_by_user ON audit_events (user_name, ts, id);
            """
        ),
        (
            "v6-alerts",
            """
            -- Users' alerts; `definition` is the JSON of the target, conditions, combine, trigger, channels (with their
            -- secrets) and message; the columns are what the store filters and orders by.
            CREATE TABLE alerts (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                name TEXT NOT NULL,
                definition TEXT NOT NULL,
                enabled INTEGER NOT NULL,
                expires_at INTEGER,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                triggered_at INTEGER,
                disabled_reason TEXT
            ) WITHOUT ROWID;
            CREATE INDEX alerts_by_owner ON alerts (owner, created_at, id);

            -- The engine's named numbers per alert (which side of a threshold the last price was on, ...).
            CREATE TABLE alert_states (
                alert_id TEXT NOT NULL,
                key TEXT NOT NULL,
                value REAL NOT NULL,
                PRIMARY KEY (alert_id, key)
            ) WITHOUT ROWID;

            -- Every firing; the unique (alert_id, event) key makes the same firing event notify once.
            CREATE TABLE alert_history (
                id INTEGER PRIMARY KEY,
                alert_id TEXT NOT NULL,
                owner TEXT NOT NULL,
                ts INTEGER NOT NULL,
                symbol TEXT,
                condition TEXT NOT NULL,
                value REAL NOT NULL,
                price REAL,
                event TEXT NOT NULL,
                UNIQUE (alert_id, event)
            );
            CREATE INDEX alert_history_by_owner ON alert_history (owner, ts, id);
            CREATE INDEX alert_history_by_alert ON alert_history (alert_id, ts, id);

            -- The delivery outbox: one row per notification and channel (the notification records); `channel` is
            -- its JSON with the secret. A claimed row's next_attempt_at is the end of its lease.
            CREATE TABLE alert_deliveries (
                id TEXT PRIMARY KEY,
                alert_id TEXT NOT NULL,
                owner TEXT NOT NULL,
                event TEXT,
                channel TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                last_error TEXT,
                next_attempt_at INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at, id);
            CREATE INDEX alert_deliveries_by_alert ON alert_deliveries (alert_id, created_at, id);

            -- Email addresses of alert channels: the SHA-256 of the pending one-time code (never the code).
            CREATE TABLE alert_email_confirmations (
                owner TEXT NOT NULL,
                address TEXT NOT NULL,
                code_hash TEXT,
                expires_at INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                confirmed INTEGER NOT NULL,
                PRIMARY KEY (owner, address)
            ) WITHOUT ROWID;
            """
        ),
        (
            "v7-portfolios-sectors",
            """
            -- An asset's market capitalisation weights it in value-weighted sector figures.
            ALTER TABLE assets ADD COLUMN market_cap REAL;

            CREATE TABLE portfolios (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                name TEXT NOT NULL,
                cash REAL NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX portfolios_by_owner ON portfolios (owner, id);

            -- `position` keeps the order the owner gave; a symbol appears once per portfolio.
            CREATE TABLE portfolio_holdings (
                portfolio_id TEXT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
                symbol TEXT NOT NULL,
                position INTEGER NOT NULL,
                quantity REAL NOT NULL,
                cost_basis REAL NOT NULL,
                PRIMARY KEY (portfolio_id, symbol)
            ) WITHOUT ROWID;

            -- Value history, one row per (portfolio, snapshot time in ms).
            CREATE TABLE portfolio_snapshots (
                portfolio_id TEXT NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
                ts INTEGER NOT NULL,
                value REAL NOT NULL,
                PRIMARY KEY (portfolio_id, ts)
            ) WITHOUT ROWID;
            """
        ),
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
