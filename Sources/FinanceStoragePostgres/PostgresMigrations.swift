/// One schema change. Versions are consecutive from 1; applied versions are recorded in `schema_migrations`.
/// Never edit a released migration: append a new one.
struct PostgresMigration: Sendable {
    var version: Int
    var name: String
    /// Statements run in order inside the migration transaction (the extended protocol takes one statement per query).
    var statements: [String]
}

enum PostgresMigrations {
    static let all: [PostgresMigration] = [
        PostgresMigration(
            version: 1, name: "assets, bars, bar_rollups, ticks",
            statements: [
                // Symbols are compared and ordered bytewise (COLLATE "C"), never by the database's locale.
                """
                CREATE TABLE assets (
                    symbol      text COLLATE "C" PRIMARY KEY,
                    name        text,
                    asset_class text NOT NULL DEFAULT 'unknown',
                    exchange    text,
                    currency    text,
                    sector      text,
                    industry    text
                )
                """,
                // Bars as ingested, keyed by (symbol, interval, ts); ts is the bar start in ms since the epoch (UTC).
                // No foreign key to assets: the per-row RI trigger halves bulk import speed. Writers create the asset
                // and lock it (FOR KEY SHARE) in the same transaction; deleteAsset deletes the children explicitly.
                """
                CREATE TABLE bars (
                    symbol     text   COLLATE "C" NOT NULL,
                    "interval" text   COLLATE "C" NOT NULL,
                    ts         bigint NOT NULL,
                    open       double precision NOT NULL,
                    high       double precision NOT NULL,
                    low        double precision NOT NULL,
                    close      double precision NOT NULL,
                    volume     double precision NOT NULL,
                    PRIMARY KEY (symbol, "interval", ts)
                )
                """,
                // Continuous aggregates of stored bars at `base` into `interval`, recomputed per touched bucket.
                """
                CREATE TABLE bar_rollups (
                    symbol     text   COLLATE "C" NOT NULL,
                    base       text   COLLATE "C" NOT NULL,
                    "interval" text   COLLATE "C" NOT NULL,
                    ts         bigint NOT NULL,
                    open       double precision NOT NULL,
                    high       double precision NOT NULL,
                    low        double precision NOT NULL,
                    close      double precision NOT NULL,
                    volume     double precision NOT NULL,
                    PRIMARY KEY (symbol, base, "interval", ts)
                )
                """,
                // seq is the arrival order (ties on ts keep arrival order).
                """
                CREATE TABLE ticks (
                    symbol   text   COLLATE "C" NOT NULL,
                    ts       bigint NOT NULL,
                    seq      bigserial NOT NULL,
                    price    double precision NOT NULL,
                    size     double precision,
                    bid      double precision,
                    ask      double precision,
                    bid_size double precision,
                    ask_size double precision,
                    PRIMARY KEY (symbol, ts, seq)
                )
                """,
            ]),
        PostgresMigration(
            version: 2, name: "asset sources, provider budgets, key states, usage log, symbol map, health history",
            statements: [
                // Where each asset's latest data came from: push, simulated, import or a provider's name.
                "ALTER TABLE assets ADD COLUMN source text",
                // Requests reserved per provider key and budget window (ended windows are deleted as keys are used).
                """
                CREATE TABLE provider_budget (
                    provider     text   COLLATE "C" NOT NULL,
                    key_id       text   COLLATE "C" NOT NULL,
                    kind         text   COLLATE "C" NOT NULL,
                    window_start bigint NOT NULL,
                    window_end   bigint NOT NULL,
                    used         integer NOT NULL,
                    PRIMARY KEY (provider, key_id, kind, window_start)
                )
                """,
                """
                CREATE TABLE provider_keys (
                    provider        text COLLATE "C" NOT NULL,
                    key_id          text COLLATE "C" NOT NULL,
                    parked_until    bigint,
                    disabled_reason text,
                    unavailable     text NOT NULL,
                    PRIMARY KEY (provider, key_id)
                )
                """,
                """
                CREATE TABLE provider_usage (
                    seq        bigserial PRIMARY KEY,
                    ts         bigint NOT NULL,
                    provider   text COLLATE "C" NOT NULL,
                    key_id     text,
                    endpoint   text NOT NULL,
                    status     text NOT NULL,
                    latency_ms double precision NOT NULL,
                    credits    integer NOT NULL,
                    cache_hit  boolean NOT NULL
                )
                """,
                "CREATE INDEX provider_usage_by_time ON provider_usage (provider, ts, seq)",
                // Per-asset provider identifiers that override the built-in symbol map.
                """
                CREATE TABLE provider_symbols (
                    symbol      text COLLATE "C" NOT NULL,
                    provider    text COLLATE "C" NOT NULL,
                    upstream_id text NOT NULL,
                    PRIMARY KEY (symbol, provider)
                )
                """,
                """
                CREATE TABLE provider_health (
                    provider       text COLLATE "C" NOT NULL,
                    minute         bigint NOT NULL,
                    score          double precision NOT NULL,
                    requests       integer NOT NULL,
                    failures       integer NOT NULL,
                    latency_p95_ms double precision,
                    circuit        text NOT NULL,
                    PRIMARY KEY (provider, minute)
                )
                """,
            ]),
        PostgresMigration(
            version: 3, name: "users, refresh tokens, secrets",
            statements: [
                """
                CREATE TABLE users (
                    name          text COLLATE "C" PRIMARY KEY,
                    password_hash text NOT NULL,
                    role          text NOT NULL,
                    tier          text NOT NULL,
                    disabled      boolean NOT NULL,
                    created_at    bigint NOT NULL
                )
                """,
                // Refresh tokens by hash (never the token); a family is one login and its rotations.
                """
                CREATE TABLE refresh_tokens (
                    hash        text COLLATE "C" PRIMARY KEY,
                    family      text COLLATE "C" NOT NULL,
                    user_name   text COLLATE "C" NOT NULL,
                    issued_at   bigint NOT NULL,
                    expires_at  bigint NOT NULL,
                    revoked     boolean NOT NULL,
                    replaced_by text
                )
                """,
                "CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family)",
                "CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_name)",
                // The server's own secrets (the generated JWT key), shared by every instance.
                "CREATE TABLE app_secrets (name text COLLATE \"C\" PRIMARY KEY, value text NOT NULL)",
            ]),
        PostgresMigration(
            version: 4, name: "api keys, token revocations",
            statements: [
                // API keys by public id, with the SHA-256 of the whole key (never the key); owner NULL: a service key.
                """
                CREATE TABLE api_keys (
                    id         text COLLATE "C" PRIMARY KEY,
                    hash       text NOT NULL,
                    name       text NOT NULL,
                    owner      text COLLATE "C",
                    created_at bigint NOT NULL,
                    revoked    boolean NOT NULL
                )
                """,
                "CREATE INDEX api_keys_by_owner ON api_keys (owner)",
                // Revoked access tokens (kind 'token', by jti) and sign-ins (kind 'family'), until their tokens expire.
                """
                CREATE TABLE token_revocations (
                    kind       text COLLATE "C" NOT NULL,
                    value      text COLLATE "C" NOT NULL,
                    revoked_at bigint NOT NULL,
                    expires_at bigint NOT NULL,
                    PRIMARY KEY (kind, value)
                )
                """,
                "CREATE INDEX token_revocations_by_time ON token_revocations (revoked_at)",
            ]),
        PostgresMigration(
            version: 5, name: "audit log",
            statements: [
                // `id` is assigned by the recorder, so a batch written twice stores each event once.
                """
                CREATE TABLE audit_events (
                    id        text COLLATE "C" PRIMARY KEY,
                    ts        bigint NOT NULL,
                    type      text NOT NULL,
                    user_name text COLLATE "C",
                    ip        text,
                    detail    text NOT NULL
                )
                """,
                "CREATE INDEX audit_events_by_time ON audit_events (ts, id)",
                "CREATE INDEX audit_events_by_user ON audit_events (user_name, ts, id)",
            ]),
        PostgresMigration(
            version: 6, name: "alerts, alert history and states, delivery outbox, email confirmations",
            statements: [
                // `definition` is the JSON of the target, conditions, combine, trigger, channels (with their secrets)
                // and message; the columns are what the store filters and orders by.
                """
                CREATE TABLE alerts (
                    id              text COLLATE "C" PRIMARY KEY,
                    owner           text COLLATE "C" NOT NULL,
                    name            text NOT NULL,
                    definition      text NOT NULL,
                    enabled         boolean NOT NULL,
                    expires_at      bigint,
                    created_at      bigint NOT NULL,
                    updated_at      bigint NOT NULL,
                    triggered_at    bigint,
                    disabled_reason text
                )
                """,
                "CREATE INDEX alerts_by_owner ON alerts (owner, created_at, id)",
                // The engine's named numbers per alert (which side of a threshold the last price was on, ...).
                """
                CREATE TABLE alert_states (
                    alert_id text COLLATE "C" NOT NULL,
                    key      text COLLATE "C" NOT NULL,
                    value    double precision NOT NULL,
                    PRIMARY KEY (alert_id, key)
                )
                """,
                // Every firing; the unique (alert_id, event) key makes the same firing event notify once.
                """
                CREATE TABLE alert_history (
                    id        bigserial PRIMARY KEY,
                    alert_id  text COLLATE "C" NOT NULL,
                    owner     text COLLATE "C" NOT NULL,
                    ts        bigint NOT NULL,
                    symbol    text,
                    condition text NOT NULL,
                    value     double precision NOT NULL,
                    price     double precision,
                    event     text COLLATE "C" NOT NULL,
                    UNIQUE (alert_id, event)
                )
                """,
                "CREATE INDEX alert_history_by_owner ON alert_history (owner, ts, id)",
                "CREATE INDEX alert_history_by_alert ON alert_history (alert_id, ts, id)",
                // One row per notification and channel (the notification records); `channel` is its JSON with the
                // secret. A claimed row's next_attempt_at is the end of its lease.
                """
                CREATE TABLE alert_deliveries (
                    id              text COLLATE "C" PRIMARY KEY,
                    alert_id        text COLLATE "C" NOT NULL,
                    owner           text COLLATE "C" NOT NULL,
                    event           text,
                    channel         text NOT NULL,
                    body            text NOT NULL,
                    status          text NOT NULL,
                    attempts        integer NOT NULL,
                    last_error      text,
                    next_attempt_at bigint NOT NULL,
                    created_at      bigint NOT NULL,
                    updated_at      bigint NOT NULL
                )
                """,
                "CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at, id) WHERE status = 'pending'",
                "CREATE INDEX alert_deliveries_by_alert ON alert_deliveries (alert_id, created_at, id)",
                // The SHA-256 of the pending one-time code (never the code).
                """
                CREATE TABLE alert_email_confirmations (
                    owner      text COLLATE "C" NOT NULL,
                    address    text COLLATE "C" NOT NULL,
                    code_hash  text,
                    expires_at bigint NOT NULL,
                    attempts   integer NOT NULL,
                    confirmed  boolean NOT NULL,
                    PRIMARY KEY (owner, address)
                )
                """,
            ]),
        PostgresMigration(
            version: 7, name: "portfolios, asset market caps",
            statements: [
                // An asset's market capitalisation weights it in value-weighted sector figures.
                "ALTER TABLE assets ADD COLUMN market_cap double precision",
                """
                CREATE TABLE portfolios (
                    id         text COLLATE "C" PRIMARY KEY,
                    owner      text COLLATE "C" NOT NULL,
                    name       text NOT NULL,
                    cash       double precision NOT NULL,
                    created_at bigint NOT NULL,
                    updated_at bigint NOT NULL
                )
                """,
                "CREATE INDEX portfolios_by_owner ON portfolios (owner, id)",
                // `position` keeps the order the owner gave; a symbol appears once per portfolio.
                """
                CREATE TABLE portfolio_holdings (
                    portfolio_id text COLLATE "C" NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
                    symbol       text COLLATE "C" NOT NULL,
                    position     integer NOT NULL,
                    quantity     double precision NOT NULL,
                    cost_basis   double precision NOT NULL,
                    PRIMARY KEY (portfolio_id, symbol)
                )
                """,
                // Value history, one row per (portfolio, snapshot time in ms).
                """
                CREATE TABLE portfolio_snapshots (
                    portfolio_id text COLLATE "C" NOT NULL REFERENCES portfolios (id) ON DELETE CASCADE,
                    ts           bigint NOT NULL,
                    value        double precision NOT NULL,
                    PRIMARY KEY (portfolio_id, ts)
                )
                """,
            ]),
    ]

    static var latest: Int { all.last?.version ?? 0 }
}
