import FinanceCore
import FinanceStorage
import Logging
import PostgresNIO

/// The PostgreSQL time-series store.
///
/// ```swift
/// let store = try await PostgresStore.connect(url: "postgres://user:pass@localhost:5432/financehub", logger: logger)
/// defer { ... try await store.close() }
/// _ = try await store.migrate()
/// ```
///
/// `connect` starts a background task running the `PostgresClient` connection pool and checks the server answers;
/// `close()` cancels that task and waits for the pool to shut down. Every write runs in one transaction.
public final class PostgresStore: MarketStore {
    /// The parsed location (holds the password: never print it, use `displayName`).
    public let location: PostgresURL
    public let displayName: String
    /// The connection pool; internal so the cross-instance bus (LISTEN/NOTIFY) can share it later.
    let client: PostgresClient
    let logger: Logger
    private let runTask: Task<Void, Never>

    /// Bars per statement in bulk writes (6 arrays of 8-byte values: about 3.6 MB per statement).
    static let chunkSize = 50_000

    private init(location: PostgresURL, client: PostgresClient, runTask: Task<Void, Never>, logger: Logger) {
        self.location = location
        self.displayName = location.displayName
        self.client = client
        self.runTask = runTask
        self.logger = logger
    }

    /// Parses `url` (see `PostgresURL`), starts the pool and checks the server answers.
    /// Throws `StorageError.invalidConfiguration` for a bad URL, `StorageError.backend` when the server cannot be reached.
    public static func connect(url: String, logger: Logger = Logger(label: "financehub.postgres")) async throws
        -> PostgresStore
    {
        try await self.connect(PostgresURL(parsing: url), logger: logger)
    }

    /// Checks the server answers with a single connection (so a bad host, port or password fails at once with the
    /// server's reason instead of the pool's retries), then starts the pool.
    public static func connect(_ location: PostgresURL, logger: Logger = Logger(label: "financehub.postgres"))
        async throws -> PostgresStore
    {
        do {
            let probe = try await PostgresConnection.connect(
                configuration: Self.connectionConfiguration(location), id: 0, logger: logger)
            try? await probe.close()
        } catch {
            throw Self.mapError(error, "connect to \(location.displayName)")
        }
        let client = PostgresClient(configuration: Self.configuration(location), backgroundLogger: logger)
        let runTask = Task { await client.run() }
        let store = PostgresStore(location: location, client: client, runTask: runTask, logger: logger)
        do {
            try await store.ping()
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    /// TLS settings with libpq's `sslmode` meaning; nil for `disable`.
    private static func tls(_ mode: PostgresURL.SSLMode) -> (config: TLSConfiguration, required: Bool)? {
        var t = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return nil
        case .allow, .prefer:
            t.certificateVerification = .none
            return (t, false)
        case .require:
            t.certificateVerification = .none
            return (t, true)
        case .verifyCA:
            t.certificateVerification = .noHostnameVerification
            return (t, true)
        case .verifyFull:
            return (t, true)
        }
    }

    private static func startupParameters(_ location: PostgresURL) -> [(String, String)] {
        var startup: [(String, String)] = []
        if let schema = location.schema { startup.append(("search_path", Self.quoteIdentifier(schema))) }
        if let name = location.applicationName { startup.append(("application_name", name)) }
        return startup
    }

    private static func socketPath(_ location: PostgresURL) -> String {
        (location.host.hasSuffix("/") ? location.host : location.host + "/") + ".s.PGSQL.\(location.port)"
    }

    static func configuration(_ location: PostgresURL) -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        if location.isUnixSocket {
            config = PostgresClient.Configuration(
                unixSocketPath: Self.socketPath(location), username: location.username, password: location.password,
                database: location.database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            if let t = Self.tls(location.sslMode) {
                tls = t.required ? .require(t.config) : .prefer(t.config)
            } else {
                tls = .disable
            }
            config = PostgresClient.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        if let seconds = location.connectTimeoutSeconds { config.options.connectTimeout = .seconds(seconds) }
        config.options.additionalStartupParameters = Self.startupParameters(location)
        return config
    }

    static func connectionConfiguration(_ location: PostgresURL) throws -> PostgresConnection.Configuration {
        var config: PostgresConnection.Configuration
        if location.isUnixSocket {
            config = PostgresConnection.Configuration(
                unixSocketPath: Self.socketPath(location), username: location.username, password: location.password,
                database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            if let t = Self.tls(location.sslMode) {
                let context = try NIOSSLContext(configuration: t.config)
                tls = t.required ? .require(context) : .prefer(context)
            } else {
                tls = .disable
            }
            config = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        config.options.connectTimeout = .seconds(Int64(location.connectTimeoutSeconds ?? 10))
        config.options.additionalStartupParameters = Self.startupParameters(location)
        return config
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    public func close() async throws {
        self.runTask.cancel()
        await self.runTask.value
    }

    // MARK: Schema

    public func migrate() async throws -> Int {
        try await self.transaction("migrate") { conn in
            // Two instances migrating at once: the second waits here, then finds nothing left to apply.
            let lockKey = "financehub.migrate:" + (self.location.schema ?? "")
            try await self.exec(conn, "SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))")
            if let schema = self.location.schema {
                try await self.exec(conn, PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(Self.quoteIdentifier(schema))"))
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
                self.logger.info("applied migration \(migration.version): \(migration.name)", metadata: ["store": "\(self.displayName)"])
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
            try await self.exec(conn, PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(Self.quoteIdentifier(schema)) CASCADE"))
        }
    }

    public func ping() async throws {
        try await self.withConnection("ping") { conn in
            try await self.exec(conn, "SELECT 1")
        }
    }

    // MARK: Assets

    public func assets() async throws -> [Asset] {
        try await self.withConnection("list assets") { conn in
            try await self.readAssets(conn, "\(unescaped: Self.assetColumns) FROM assets ORDER BY symbol")
        }
    }

    public func asset(_ symbol: String) async throws -> Asset {
        let found = try await self.withConnection("read asset") { conn in
            try await self.readAssets(conn, "\(unescaped: Self.assetColumns) FROM assets WHERE symbol = \(symbol)")
        }
        guard let a = found.first else { throw StorageError.notFound("asset \(symbol)") }
        return a
    }

    public func createAsset(_ asset: Asset) async throws {
        let inserted = try await self.withConnection("create asset") { conn in
            try await self.count(
                conn,
                """
                INSERT INTO assets (symbol, name, asset_class, exchange, currency, sector, industry)
                VALUES (\(asset.symbol), \(asset.name), \(asset.assetClass.rawValue), \(asset.exchange), \(asset.currency),
                        \(asset.sector), \(asset.industry))
                ON CONFLICT (symbol) DO NOTHING RETURNING 1
                """)
        }
        if inserted == 0 { throw StorageError.conflict("asset \(asset.symbol)") }
    }

    public func updateAsset(_ asset: Asset) async throws {
        let updated = try await self.withConnection("update asset") { conn in
            try await self.count(
                conn,
                """
                UPDATE assets SET name = \(asset.name), asset_class = \(asset.assetClass.rawValue),
                    exchange = \(asset.exchange), currency = \(asset.currency), sector = \(asset.sector),
                    industry = \(asset.industry)
                WHERE symbol = \(asset.symbol) RETURNING 1
                """)
        }
        if updated == 0 { throw StorageError.notFound("asset \(asset.symbol)") }
    }

    public func deleteAsset(_ symbol: String) async throws {
        let deleted = try await self.transaction("delete asset") { conn in
            // Deleting the asset row first waits for writers holding it (FOR KEY SHARE), so none of their rows survive.
            let n = try await self.count(conn, "DELETE FROM assets WHERE symbol = \(symbol) RETURNING 1")
            guard n > 0 else { return 0 }
            try await self.exec(conn, "DELETE FROM bars WHERE symbol = \(symbol)")
            try await self.exec(conn, "DELETE FROM bar_rollups WHERE symbol = \(symbol)")
            try await self.exec(conn, "DELETE FROM ticks WHERE symbol = \(symbol)")
            return n
        }
        if deleted == 0 { throw StorageError.notFound("asset \(symbol)") }
    }

    private static let assetColumns = "SELECT symbol, name, asset_class, exchange, currency, sector, industry"

    private func readAssets(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [Asset] {
        var out: [Asset] = []
        let rows = try await conn.query(query, logger: self.logger)
        for try await (symbol, name, cls, exchange, currency, sector, industry) in rows.decode(
            (String, String?, String, String?, String?, String?, String?).self)
        {
            out.append(
                Asset(
                    symbol: symbol, name: name, assetClass: AssetClass(rawValue: cls) ?? .unknown, exchange: exchange,
                    currency: currency, sector: sector, industry: industry))
        }
        return out
    }

    /// Creates missing assets (class `unknown`) and locks every one of `symbols` against deletion until commit.
    private func ensureAssets(_ conn: PostgresConnection, _ symbols: Set<String>) async throws {
        guard !symbols.isEmpty else { return }
        let list = symbols.sorted()
        // Retry if a concurrent deleteAsset commits between the insert and the lock (rare).
        for _ in 0..<10 {
            try await self.exec(
                conn,
                "INSERT INTO assets (symbol) SELECT unnest(\(list)::text[]) ON CONFLICT (symbol) DO NOTHING")
            let locked = try await self.count(
                conn, "SELECT 1 FROM assets WHERE symbol = ANY(\(list)::text[]) ORDER BY symbol FOR KEY SHARE")
            if locked == list.count { return }
        }
        throw StorageError.backend("could not create assets: they kept being deleted concurrently")
    }

    /// Serializes writers of the same series (symbol, stored interval) until commit, so that each rebuild of a
    /// tick-built minute or of a rollup bucket sees every committed write before it (READ COMMITTED takes a new
    /// snapshot per statement). Locks are taken in one order (by key hash) so writers cannot deadlock; a hash
    /// collision only serializes two unrelated series.
    private func lockSeries(_ conn: PostgresConnection, _ series: Set<String>) async throws {
        guard !series.isEmpty else { return }
        try await self.exec(
            conn,
            """
            SELECT pg_advisory_xact_lock(\(Self.seriesLockClass), h)
            FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest(\(Array(series))::text[]) AS k ORDER BY h OFFSET 0) AS s
            """)
    }

    /// The first key of the two-key advisory locks on series ("FH" in ASCII).
    static let seriesLockClass: Int32 = 0x4648

    private static func seriesKey(_ symbol: String, _ interval: Interval) -> String { symbol + "|" + interval.name }

    // MARK: Bars

    public func writeBars(_ batches: [BarBatch], progress: (@Sendable (Int) -> Void)?) async throws {
        let total = batches.reduce(0) { $0 + $1.bars.count }
        try await self.transaction("write bars") { conn in
            try await self.lockSeries(conn, Set(batches.filter { !$0.bars.isEmpty }.map { Self.seriesKey($0.symbol, $0.interval) }))
            try await self.ensureAssets(conn, Set(batches.map(\.symbol)))
            var written = 0
            // Rollup buckets touched, per (base interval, rollup interval).
            var touched: [RollupKey: Set<SymbolBucket>] = [:]
            for batch in batches where !batch.bars.isEmpty {
                let bars = batch.bars
                var start = 0
                while start < bars.count {
                    let end = min(start + Self.chunkSize, bars.count)
                    let chunk = bars[start..<end]
                    try await self.exec(
                        conn,
                        """
                        INSERT INTO bars (symbol, "interval", ts, open, high, low, close, volume)
                        SELECT \(batch.symbol), \(batch.interval.name), u.*
                        FROM unnest(\(Int8Array(chunk.lazy.map(\.ts)))::bigint[], \(Float8Array(chunk.lazy.map(\.open)))::float8[],
                                    \(Float8Array(chunk.lazy.map(\.high)))::float8[], \(Float8Array(chunk.lazy.map(\.low)))::float8[],
                                    \(Float8Array(chunk.lazy.map(\.close)))::float8[], \(Float8Array(chunk.lazy.map(\.volume)))::float8[]) AS u
                        ON CONFLICT (symbol, "interval", ts) DO UPDATE SET open = excluded.open, high = excluded.high,
                            low = excluded.low, close = excluded.close, volume = excluded.volume
                        """)
                    written += chunk.count
                    if written < total { progress?(written) }
                    start = end
                }
                for rollup in BarSeries.rollups(of: batch.interval) {
                    let key = RollupKey(base: batch.interval, rollup: rollup)
                    var last: Int64?
                    for bar in bars {
                        let b = rollup.bucketStart(bar.ts)
                        if b != last {
                            touched[key, default: []].insert(SymbolBucket(symbol: batch.symbol, bucket: b))
                            last = b
                        }
                    }
                }
            }
            for (key, buckets) in touched {
                try await self.refreshRollups(conn, key, buckets)
            }
        }
        progress?(total)
    }

    struct RollupKey: Hashable {
        var base: Interval
        var rollup: Interval
    }

    struct SymbolBucket: Hashable {
        var symbol: String
        var bucket: Int64
    }

    /// Recomputes the rollup bars of the given buckets from the stored base bars (one set-based statement).
    /// Rollup intervals are fixed-length (1h, 1d), so a bucket is `[start, start + length)`.
    private func refreshRollups(_ conn: PostgresConnection, _ key: RollupKey, _ buckets: Set<SymbolBucket>) async throws {
        guard !buckets.isEmpty else { return }
        guard case .fixed(let length) = key.rollup.unit else {
            throw StorageError.backend("rollup interval \(key.rollup) is not of fixed length")
        }
        let sorted = buckets.sorted { ($0.symbol, $0.bucket) < ($1.symbol, $1.bucket) }
        let symbols = sorted.map(\.symbol)
        let starts = sorted.map(\.bucket)
        // Ordered aggregates keep the result exactly `Bucketing.aggregate`: open of the first bar, close of the last,
        // volume summed in time order (the same floating-point additions).
        try await self.exec(
            conn,
            """
            INSERT INTO bar_rollups (symbol, base, "interval", ts, open, high, low, close, volume)
            SELECT k.symbol, \(key.base.name), \(key.rollup.name), k.bucket,
                   (array_agg(b.open ORDER BY b.ts))[1], max(b.high), min(b.low),
                   (array_agg(b.close ORDER BY b.ts DESC))[1], sum(b.volume ORDER BY b.ts)
            FROM unnest(\(symbols)::text[], \(Int8Array(starts))::bigint[]) AS k(symbol, bucket)
            JOIN bars b ON b.symbol = k.symbol AND b."interval" = \(key.base.name)
                       AND b.ts >= k.bucket AND b.ts < k.bucket + \(length)::bigint
            GROUP BY k.symbol, k.bucket
            ON CONFLICT (symbol, base, "interval", ts) DO UPDATE SET open = excluded.open, high = excluded.high,
                low = excluded.low, close = excluded.close, volume = excluded.volume
            """)
    }

    // MARK: Ticks

    public func writeTicks(_ ticks: [Tick]) async throws -> [SymbolBar] {
        guard !ticks.isEmpty else { return [] }
        var minutes = Set<SymbolBucket>()
        for t in ticks { minutes.insert(SymbolBucket(symbol: t.symbol, bucket: Interval.minute1.bucketStart(t.ts))) }
        let sortedMinutes = minutes.sorted { ($0.symbol, $0.bucket) < ($1.symbol, $1.bucket) }
        let rebuilt = try await self.transaction("write ticks") { conn in
            try await self.lockSeries(conn, Set(ticks.map { Self.seriesKey($0.symbol, .minute1) }))
            try await self.ensureAssets(conn, Set(ticks.map(\.symbol)))
            // unnest yields rows in array order, so seq (arrival order) follows the order of `ticks`.
            try await self.exec(
                conn,
                """
                INSERT INTO ticks (symbol, ts, price, size, bid, ask, bid_size, ask_size)
                SELECT * FROM unnest(\(ticks.map(\.symbol))::text[], \(Int8Array(ticks.map(\.ts)))::bigint[],
                    \(Float8Array(ticks.map(\.price)))::float8[], \(NullableFloat8Array(ticks.map(\.size)))::float8[],
                    \(NullableFloat8Array(ticks.map(\.bid)))::float8[], \(NullableFloat8Array(ticks.map(\.ask)))::float8[],
                    \(NullableFloat8Array(ticks.map(\.bidSize)))::float8[], \(NullableFloat8Array(ticks.map(\.askSize)))::float8[])
                """)
            var bars: [SymbolBar] = []
            let rows = try await conn.query(
                """
                INSERT INTO bars (symbol, "interval", ts, open, high, low, close, volume)
                SELECT k.symbol, '1m', k.minute,
                       (array_agg(t.price ORDER BY t.ts, t.seq))[1], max(t.price), min(t.price),
                       (array_agg(t.price ORDER BY t.ts DESC, t.seq DESC))[1],
                       sum(coalesce(t.size, 0) ORDER BY t.ts, t.seq)
                FROM unnest(\(sortedMinutes.map(\.symbol))::text[], \(Int8Array(sortedMinutes.map(\.bucket)))::bigint[])
                     AS k(symbol, minute)
                JOIN ticks t ON t.symbol = k.symbol AND t.ts >= k.minute AND t.ts < k.minute + 60000
                GROUP BY k.symbol, k.minute
                ON CONFLICT (symbol, "interval", ts) DO UPDATE SET open = excluded.open, high = excluded.high,
                    low = excluded.low, close = excluded.close, volume = excluded.volume
                RETURNING symbol, ts, open, high, low, close, volume
                """, logger: self.logger)
            for try await (symbol, ts, o, h, l, c, v) in rows.decode(
                (String, Int64, Double, Double, Double, Double, Double).self)
            {
                bars.append(SymbolBar(symbol: symbol, bar: Bar(ts: ts, open: o, high: h, low: l, close: c, volume: v)))
            }
            for rollup in BarSeries.rollups(of: .minute1) {
                let buckets = Set(minutes.map { SymbolBucket(symbol: $0.symbol, bucket: rollup.bucketStart($0.bucket)) })
                try await self.refreshRollups(conn, RollupKey(base: .minute1, rollup: rollup), buckets)
            }
            return bars
        }
        return rebuilt.sorted { ($0.symbol, $0.bar.ts) < ($1.symbol, $1.bar.ts) }
    }

    // MARK: Reads

    public func storedIntervals(symbol: String) async throws -> [Interval] {
        let names = Interval.all.map(\.name)
        let found = try await self.withConnection("read stored intervals") { conn in
            var out: [String] = []
            // One index probe per known interval instead of a DISTINCT over every bar of the symbol.
            let rows = try await conn.query(
                """
                SELECT x.i FROM unnest(\(names)::text[]) AS x(i)
                WHERE EXISTS (SELECT 1 FROM bars b WHERE b.symbol = \(symbol) AND b."interval" = x.i)
                """, logger: self.logger)
            for try await name in rows.decode(String.self) { out.append(name) }
            return out
        }
        return found.compactMap(Interval.init).sorted()
    }

    public func bars(symbol: String, series: BarSeries, from: Int64?, to: Int64?, limit: Int, newestFirst: Bool)
        async throws -> [Bar]
    {
        guard limit > 0 else { return [] }
        let order = newestFirst ? "DESC" : "ASC"
        let query: PostgresQuery
        switch series {
        case .stored(let interval):
            query = """
                SELECT ts, open, high, low, close, volume FROM bars
                WHERE symbol = \(symbol) AND "interval" = \(interval.name)
                  AND (\(from)::bigint IS NULL OR ts >= \(from)) AND (\(to)::bigint IS NULL OR ts < \(to))
                ORDER BY ts \(unescaped: order) LIMIT \(limit)
                """
        case .rollup(let base, let interval):
            query = """
                SELECT ts, open, high, low, close, volume FROM bar_rollups
                WHERE symbol = \(symbol) AND base = \(base.name) AND "interval" = \(interval.name)
                  AND (\(from)::bigint IS NULL OR ts >= \(from)) AND (\(to)::bigint IS NULL OR ts < \(to))
                ORDER BY ts \(unescaped: order) LIMIT \(limit)
                """
        }
        return try await self.withConnection("read bars") { conn in
            var out: [Bar] = []
            out.reserveCapacity(min(limit, 100_000))
            let rows = try await conn.query(query, logger: self.logger)
            for try await (ts, o, h, l, c, v) in rows.decode((Int64, Double, Double, Double, Double, Double).self) {
                out.append(Bar(ts: ts, open: o, high: h, low: l, close: c, volume: v))
            }
            return out
        }
    }

    public func ticks(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Tick] {
        guard limit > 0 else { return [] }
        return try await self.readTicks(
            """
            SELECT symbol, ts, price, size, bid, ask, bid_size, ask_size FROM ticks
            WHERE symbol = \(symbol)
              AND (\(from)::bigint IS NULL OR ts >= \(from)) AND (\(to)::bigint IS NULL OR ts < \(to))
            ORDER BY ts, seq LIMIT \(limit)
            """)
    }

    public func latestTick(symbol: String) async throws -> Tick? {
        try await self.readTicks(
            """
            SELECT symbol, ts, price, size, bid, ask, bid_size, ask_size FROM ticks
            WHERE symbol = \(symbol) ORDER BY ts DESC, seq DESC LIMIT 1
            """
        ).first
    }

    private func readTicks(_ query: PostgresQuery) async throws -> [Tick] {
        try await self.withConnection("read ticks") { conn in
            var out: [Tick] = []
            let rows = try await conn.query(query, logger: self.logger)
            for try await (symbol, ts, price, size, bid, ask, bidSize, askSize) in rows.decode(
                (String, Int64, Double, Double?, Double?, Double?, Double?, Double?).self)
            {
                out.append(
                    Tick(
                        symbol: symbol, ts: ts, price: price, size: size, bid: bid, ask: ask, bidSize: bidSize,
                        askSize: askSize))
            }
            return out
        }
    }

    // MARK: Plumbing

    /// Runs `body` on a pooled connection, mapping errors to `StorageError`.
    func withConnection<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await self.client.withConnection { conn in try await body(conn) }
        } catch {
            throw Self.mapError(error, what)
        }
    }

    /// Runs `body` in one transaction (BEGIN … COMMIT, ROLLBACK on any error), mapping errors to `StorageError`.
    func transaction<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await self.withConnection(what) { conn in
            try await self.exec(conn, "BEGIN")
            do {
                let value = try await body(conn)
                try await self.exec(conn, "COMMIT")
                return value
            } catch {
                try? await self.exec(conn, "ROLLBACK")
                throw error
            }
        }
    }

    /// Runs a statement, draining any rows.
    func exec(_ conn: PostgresConnection, _ query: PostgresQuery) async throws {
        let rows = try await conn.query(query, logger: self.logger)
        for try await _ in rows {}
    }

    /// Runs a statement and counts the rows it returns.
    func count(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> Int {
        var n = 0
        for try await _ in try await conn.query(query, logger: self.logger) { n += 1 }
        return n
    }

    /// A `StorageError` for any error: server errors keep the server's message and SQLSTATE (never the URL or
    /// password, which the server never sees in queries), client errors name what failed.
    static func mapError(_ error: any Error, _ what: String) -> any Error {
        switch error {
        case let e as StorageError:
            return e
        case is CancellationError:
            return error
        case let e as PSQLError:
            if e.code == .server, let info = e.serverInfo {
                let state = info[.sqlState] ?? "?"
                let message = info[.message] ?? "unknown server error"
                if state == "23505" { return StorageError.conflict("\(what): \(message)") }
                return StorageError.backend("\(what): \(message) (SQLSTATE \(state))")
            }
            if e.code == .poolClosed { return StorageError.backend("\(what): the store is closed") }
            if e.code == .queryCancelled { return CancellationError() }
            var message = "\(what): \(e.code)"
            if let underlying = e.underlying { message += " (\(underlying))" }
            return StorageError.backend(message)
        default:
            return StorageError.backend("\(what): \(String(describing: error))")
        }
    }
}
