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
            ])
    ]

    static var latest: Int { all.last?.version ?? 0 }
}
