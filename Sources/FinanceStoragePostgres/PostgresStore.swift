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
    /// The default `bulkThreshold`.
    public static let defaultBulkThreshold = 1_000
    /// Series writes of at least this many bars compute their rollups in Swift from a pre-read of the touched
    /// spans (and insert new bars without ON CONFLICT); smaller ones let the server aggregate the touched buckets.
    /// Both give `Bucketing.aggregate` exactly (the tests run the contract both ways).
    public let bulkThreshold: Int

    private init(
        location: PostgresURL, client: PostgresClient, runTask: Task<Void, Never>, logger: Logger, bulkThreshold: Int
    ) {
        self.bulkThreshold = bulkThreshold
        self.location = location
        self.displayName = location.displayName
        self.client = client
        self.runTask = runTask
        self.logger = logger
    }

    /// Parses `url` (see `PostgresURL`), starts the pool and checks the server answers.
    /// Throws `StorageError.invalidConfiguration` for a bad URL, `StorageError.backend` when the server cannot be reached.
    public static func connect(
        url: String, logger: Logger = Logger(label: "financehub.postgres"), bulkThreshold: Int = defaultBulkThreshold
    ) async throws -> PostgresStore {
        try await self.connect(PostgresURL(parsing: url), logger: logger, bulkThreshold: bulkThreshold)
    }

    /// Checks the server answers with a single connection (so a bad host, port or password fails at once with the
    /// server's reason instead of the pool's retries), then starts the pool.
    public static func connect(
        _ location: PostgresURL, logger: Logger = Logger(label: "financehub.postgres"),
        bulkThreshold: Int = defaultBulkThreshold
    ) async throws -> PostgresStore {
        do {
            let probe = try await PostgresConnection.connect(
                configuration: Self.connectionConfiguration(location), id: 0, logger: logger)
            try? await probe.close()
        } catch {
            throw Self.mapError(error, "connect to \(location.displayName)")
        }
        let client = PostgresClient(configuration: Self.configuration(location), backgroundLogger: logger)
        // The pool leases connections only once `run()` is going (a lease before it logs a warning): wait until
        // its task has started, then give it a turn to get there.
        let (started, starting) = AsyncStream<Void>.makeStream()
        let runTask = Task {
            starting.finish()
            await client.run()
        }
        for await _ in started {}
        await Task.yield()
        let store = PostgresStore(
            location: location, client: client, runTask: runTask, logger: logger, bulkThreshold: bulkThreshold)
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

    /// Writes every batch in one transaction, holding the advisory lock of each series (symbol, interval) written.
    /// Batches of one series merge in call order (later bars win). Per series:
    /// - bulk (at least `bulkThreshold` bars): the stored bars of the touched rollup spans are read first; new
    ///   times go in with a plain INSERT (`unnest` of binary arrays, 50,000 rows a statement), changed ones with
    ///   an upsert, identical ones are skipped; the rollups of the touched buckets are computed in Swift from the
    ///   merged bars (`Bucketing.aggregate`) and upserted. An import into an empty range reads nothing back.
    /// - small: the bars are upserted and the server recomputes each touched rollup bucket from the stored bars.
    /// Series without rollups (1d, 1w, 1M) are upserted.
    public func writeBars(_ batches: [BarBatch], progress: (@Sendable (Int) -> Void)?) async throws {
        let total = batches.reduce(0) { $0 + $1.bars.count }
        let writes = Self.seriesWrites(batches)
        try await self.transaction("write bars") { conn in
            try await self.lockSeries(conn, Set(writes.map { Self.seriesKey($0.id.symbol, $0.id.interval) }))
            try await self.ensureAssets(conn, Set(batches.map(\.symbol)))

            // Bulk series (at least `bulkThreshold` bars) read the stored bars of their touched rollup spans up
            // front; small writes (live ingest) upsert and let the server aggregate the touched buckets, so a
            // one-bar write never ships a day of bars to the client.
            var spans: [SeriesSpan] = []
            var touched: [SeriesID: [[Int64]]] = [:]
            var serverBuckets = RollupBuckets()
            for w in writes {
                let rollups = BarSeries.rollups(of: w.id.interval)
                guard !rollups.isEmpty else { continue }
                let t = rollups.map { RollupPlanning.touchedBuckets(w.bars, $0) }
                if w.bars.count >= self.bulkThreshold {
                    touched[w.id] = t
                    for (lo, hi) in RollupPlanning.spans(t, rollups) {
                        spans.append(SeriesSpan(id: w.id, lo: lo, hi: hi))
                    }
                } else {
                    serverBuckets.append(w.id, touched: t)
                }
            }
            let stored = try await self.readSpans(conn, spans)

            var written = 0
            var rollupRows = RollupRows()
            let report: (Int) -> Void = { n in
                written += n
                if written < total { progress?(written) }
            }
            for w in writes {
                if let t = touched[w.id] {
                    // The spans hold every bar of the batch, so the stored bars say which times are new (plain
                    // INSERT: no speculative insertion, about 3x faster than ON CONFLICT), which changed (upsert)
                    // and which are unchanged (skipped). The series lock keeps that knowledge true until commit.
                    let plan = Self.mergePlan(stored[w.id] ?? [], w.bars)
                    try await self.writeBars(conn, w.id, plan.inserts, .insert, report)
                    try await self.writeBars(conn, w.id, plan.updates, .upsert, report)
                    report(w.bars.count - plan.inserts.count - plan.updates.count)
                    rollupRows.append(w.id, plan.merged, touched: t)
                } else {
                    try await self.writeBars(conn, w.id, w.bars, .upsert, report)
                }
            }
            try await self.upsertRollups(conn, rollupRows)
            try await self.refreshRollupsInServer(conn, serverBuckets)
        }
        progress?(total)
    }

    struct SeriesID: Hashable {
        var symbol: String
        var interval: Interval
    }

    /// One series' bars to write, ascending by time.
    struct SeriesWrite {
        var id: SeriesID
        var bars: [Bar]
    }

    /// A `[lo, hi)` time range of one series.
    struct SeriesSpan {
        var id: SeriesID
        var lo: Int64
        var hi: Int64
    }

    /// Groups batches by series in call order. Batches of one series merge (a later bar replaces an earlier one
    /// of the same time); every series' bars end up ascending by time.
    static func seriesWrites(_ batches: [BarBatch]) -> [SeriesWrite] {
        var order: [SeriesID] = []
        var parts: [SeriesID: [[Bar]]] = [:]
        for batch in batches where !batch.bars.isEmpty {
            let id = SeriesID(symbol: batch.symbol, interval: batch.interval)
            if parts[id] == nil { order.append(id) }
            parts[id, default: []].append(batch.bars)
        }
        return order.map { id in
            let p = parts[id]!
            if p.count == 1 {
                // A validated batch is sorted with unique times; duplicates (invalid) are left for the upsert to reject.
                return SeriesWrite(id: id, bars: Self.isAscending(p[0]) ? p[0] : Self.stableSorted(p[0]))
            }
            var out: [Bar] = []
            for bar in Self.stableSorted(p.flatMap { $0 }) {
                if let last = out.last, last.ts == bar.ts { out[out.count - 1] = bar } else { out.append(bar) }
            }
            return SeriesWrite(id: id, bars: out)
        }
    }

    static func isAscending(_ bars: [Bar]) -> Bool {
        var previous = Int64.min
        for (i, bar) in bars.enumerated() {
            if i > 0 && bar.ts <= previous { return false }
            previous = bar.ts
        }
        return true
    }

    static func stableSorted(_ bars: [Bar]) -> [Bar] {
        bars.enumerated().sorted { ($0.element.ts, $0.offset) < ($1.element.ts, $1.offset) }.map(\.element)
    }

    /// The result of merging a batch over the stored bars of its spans.
    struct MergePlan {
        /// Stored and new bars, ascending; new bars win on equal times.
        var merged: [Bar] = []
        /// New bars at times with no stored bar.
        var inserts: [Bar] = []
        /// New bars replacing a different stored bar.
        var updates: [Bar] = []
    }

    /// Merges two ascending bar lists (`new` wins on equal times) and sorts the new bars into inserts, updates
    /// and unchanged ones (bit-for-bit equal to the stored bar, left out of both lists).
    static func mergePlan(_ old: [Bar], _ new: [Bar]) -> MergePlan {
        var plan = MergePlan()
        if old.isEmpty {
            plan.merged = new
            plan.inserts = new
            return plan
        }
        plan.merged.reserveCapacity(old.count + new.count)
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && old[i].ts < new[j].ts) {
                plan.merged.append(old[i])
                i += 1
            } else {
                if i < old.count && old[i].ts == new[j].ts {
                    if !Self.identical(old[i], new[j]) { plan.updates.append(new[j]) }
                    i += 1
                } else {
                    plan.inserts.append(new[j])
                }
                plan.merged.append(new[j])
                j += 1
            }
        }
        return plan
    }

    static func identical(_ a: Bar, _ b: Bar) -> Bool {
        a.ts == b.ts && a.open.bitPattern == b.open.bitPattern && a.high.bitPattern == b.high.bitPattern
            && a.low.bitPattern == b.low.bitPattern && a.close.bitPattern == b.close.bitPattern
            && a.volume.bitPattern == b.volume.bitPattern
    }

    /// The stored bars of each span, ascending by time per series. Each span is its own index range scan (the
    /// LATERAL subquery keeps the planner from joining the whole series).
    private func readSpans(_ conn: PostgresConnection, _ spans: [SeriesSpan]) async throws -> [SeriesID: [Bar]] {
        guard !spans.isEmpty else { return [:] }
        var out: [SeriesID: [Bar]] = [:]
        let rows = try await conn.query(
            """
            SELECT s.n, b.ts, b.open, b.high, b.low, b.close, b.volume
            FROM unnest(\(spans.map(\.id.symbol))::text[], \(spans.map(\.id.interval.name))::text[],
                        \(Int8Array(spans.map(\.lo)))::bigint[], \(Int8Array(spans.map(\.hi)))::bigint[])
                 WITH ORDINALITY AS s(symbol, iv, lo, hi, n)
            CROSS JOIN LATERAL (
                SELECT ts, open, high, low, close, volume FROM bars
                WHERE bars.symbol = s.symbol AND bars."interval" = s.iv AND bars.ts >= s.lo AND bars.ts < s.hi
                ORDER BY ts
            ) AS b
            """, logger: self.logger)
        for try await (n, ts, o, h, l, c, v) in rows.decode((Int64, Int64, Double, Double, Double, Double, Double).self)
        {
            guard n >= 1 && n <= spans.count else { continue }
            out[spans[Int(n) - 1].id, default: []].append(Bar(ts: ts, open: o, high: h, low: l, close: c, volume: v))
        }
        for (id, bars) in out where !Self.isAscending(bars) { out[id] = Self.stableSorted(bars) }
        return out
    }

    enum BarWriteMode {
        /// Plain INSERT: the times are known to be new.
        case insert
        /// INSERT … ON CONFLICT DO UPDATE, leaving identical rows untouched (no dead tuple for a re-import).
        /// Replacing a bulk of existing rows runs at about 50–60k rows/s here (UPDATE … FROM unnest and
        /// DELETE + INSERT measured no faster).
        case upsert
    }

    /// Writes bars of one series in chunks of `chunkSize`, reporting each chunk's size.
    private func writeBars(
        _ conn: PostgresConnection, _ id: SeriesID, _ bars: [Bar], _ mode: BarWriteMode, _ chunkDone: (Int) -> Void
    ) async throws {
        var start = 0
        while start < bars.count {
            let end = min(start + Self.chunkSize, bars.count)
            let chunk = bars[start..<end]
            let ts = Int8Array(chunk.lazy.map(\.ts))
            let open = Float8Array(chunk.lazy.map(\.open))
            let high = Float8Array(chunk.lazy.map(\.high))
            let low = Float8Array(chunk.lazy.map(\.low))
            let close = Float8Array(chunk.lazy.map(\.close))
            let volume = Float8Array(chunk.lazy.map(\.volume))
            let query: PostgresQuery
            switch mode {
            case .insert:
                query = """
                    INSERT INTO bars (symbol, "interval", ts, open, high, low, close, volume)
                    SELECT \(id.symbol), \(id.interval.name), u.*
                    FROM unnest(\(ts)::bigint[], \(open)::float8[], \(high)::float8[], \(low)::float8[], \(close)::float8[],
                                \(volume)::float8[]) AS u
                    """
            case .upsert:
                query = """
                    INSERT INTO bars (symbol, "interval", ts, open, high, low, close, volume)
                    SELECT \(id.symbol), \(id.interval.name), u.*
                    FROM unnest(\(ts)::bigint[], \(open)::float8[], \(high)::float8[], \(low)::float8[], \(close)::float8[],
                                \(volume)::float8[]) AS u
                    ON CONFLICT (symbol, "interval", ts) DO UPDATE SET open = excluded.open, high = excluded.high,
                        low = excluded.low, close = excluded.close, volume = excluded.volume
                    WHERE (bars.open, bars.high, bars.low, bars.close, bars.volume)
                        IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
                    """
            }
            try await self.exec(conn, query)
            chunkDone(chunk.count)
            start = end
        }
    }

    /// Rollup bars to upsert, as columns.
    struct RollupRows {
        var symbols: [String] = []
        var bases: [String] = []
        var intervals: [String] = []
        var bars: [Bar] = []

        /// Adds the rollups of the touched buckets, aggregated from `stored` (every stored bar of the series in the
        /// touched buckets, ascending). `touched[k]` holds the bucket starts of `BarSeries.rollups(of:)[k]`.
        mutating func append(_ id: SeriesID, _ stored: [Bar], touched: [[Int64]]) {
            for (k, rollup) in BarSeries.rollups(of: id.interval).enumerated() {
                let wanted = Set(touched[k])
                for bar in Bucketing.aggregate(stored, into: rollup) where wanted.contains(bar.ts) {
                    self.symbols.append(id.symbol)
                    self.bases.append(id.interval.name)
                    self.intervals.append(rollup.name)
                    self.bars.append(bar)
                }
            }
        }
    }

    private func upsertRollups(_ conn: PostgresConnection, _ rows: RollupRows) async throws {
        var start = 0
        while start < rows.bars.count {
            let end = min(start + Self.chunkSize, rows.bars.count)
            let bars = rows.bars[start..<end]
            try await self.exec(
                conn,
                """
                INSERT INTO bar_rollups (symbol, base, "interval", ts, open, high, low, close, volume)
                SELECT * FROM unnest(\(Array(rows.symbols[start..<end]))::text[], \(Array(rows.bases[start..<end]))::text[],
                    \(Array(rows.intervals[start..<end]))::text[], \(Int8Array(bars.lazy.map(\.ts)))::bigint[],
                    \(Float8Array(bars.lazy.map(\.open)))::float8[], \(Float8Array(bars.lazy.map(\.high)))::float8[],
                    \(Float8Array(bars.lazy.map(\.low)))::float8[], \(Float8Array(bars.lazy.map(\.close)))::float8[],
                    \(Float8Array(bars.lazy.map(\.volume)))::float8[])
                ON CONFLICT (symbol, base, "interval", ts) DO UPDATE SET open = excluded.open, high = excluded.high,
                    low = excluded.low, close = excluded.close, volume = excluded.volume
                WHERE (bar_rollups.open, bar_rollups.high, bar_rollups.low, bar_rollups.close, bar_rollups.volume)
                    IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
                """)
            start = end
        }
    }

    /// Rollup buckets to recompute in the server, as columns.
    struct RollupBuckets {
        var symbols: [String] = []
        var bases: [String] = []
        var intervals: [String] = []
        var starts: [Int64] = []
        var lengths: [Int64] = []

        /// `touched[k]` holds the bucket starts of `BarSeries.rollups(of: id.interval)[k]`.
        mutating func append(_ id: SeriesID, touched: [[Int64]]) {
            for (k, rollup) in BarSeries.rollups(of: id.interval).enumerated() {
                for start in touched[k] {
                    self.symbols.append(id.symbol)
                    self.bases.append(id.interval.name)
                    self.intervals.append(rollup.name)
                    self.starts.append(start)
                    self.lengths.append(rollup.nextBucketStart(after: start) - start)
                }
            }
        }
    }

    /// Recomputes the given rollup buckets from the stored bars in one statement. Each bucket is its own index
    /// range scan (LATERAL); open and close are index probes; volume is summed in time order, the additions
    /// `Bucketing.aggregate` makes.
    private func refreshRollupsInServer(_ conn: PostgresConnection, _ b: RollupBuckets) async throws {
        guard !b.starts.isEmpty else { return }
        try await self.exec(
            conn,
            """
            INSERT INTO bar_rollups (symbol, base, "interval", ts, open, high, low, close, volume)
            SELECT k.symbol, k.base, k.iv, k.lo,
                   (SELECT o.open FROM bars o WHERE o.symbol = k.symbol AND o."interval" = k.base
                        AND o.ts >= k.lo AND o.ts < k.lo + k.len ORDER BY o.ts LIMIT 1),
                   a.high, a.low,
                   (SELECT c.close FROM bars c WHERE c.symbol = k.symbol AND c."interval" = k.base
                        AND c.ts >= k.lo AND c.ts < k.lo + k.len ORDER BY c.ts DESC LIMIT 1),
                   a.volume
            FROM unnest(\(b.symbols)::text[], \(b.bases)::text[], \(b.intervals)::text[], \(Int8Array(b.starts))::bigint[],
                        \(Int8Array(b.lengths))::bigint[]) AS k(symbol, base, iv, lo, len)
            CROSS JOIN LATERAL (
                SELECT max(x.high) AS high, min(x.low) AS low, sum(x.volume ORDER BY x.ts) AS volume, count(*) AS n
                FROM bars x WHERE x.symbol = k.symbol AND x."interval" = k.base AND x.ts >= k.lo AND x.ts < k.lo + k.len
            ) AS a
            WHERE a.n > 0
            ON CONFLICT (symbol, base, "interval", ts) DO UPDATE SET open = excluded.open, high = excluded.high,
                low = excluded.low, close = excluded.close, volume = excluded.volume
            WHERE (bar_rollups.open, bar_rollups.high, bar_rollups.low, bar_rollups.close, bar_rollups.volume)
                IS DISTINCT FROM (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
            """)
    }

    // MARK: Ticks

    public func writeTicks(_ ticks: [Tick]) async throws -> [SymbolBar] {
        guard !ticks.isEmpty else { return [] }
        var minutes = Set<SymbolMinute>()
        for t in ticks { minutes.insert(SymbolMinute(symbol: t.symbol, minute: Interval.minute1.bucketStart(t.ts))) }
        let sortedMinutes = minutes.sorted { ($0.symbol, $0.minute) < ($1.symbol, $1.minute) }
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
            // Each touched minute is rebuilt from all its stored ticks by (ts, seq): open first, close last, volume
            // summed in that order (missing size counts 0), like `Bucketing.minuteBars`.
            var bars: [SymbolBar] = []
            let rows = try await conn.query(
                """
                INSERT INTO bars (symbol, "interval", ts, open, high, low, close, volume)
                SELECT k.symbol, '1m', k.minute, a.open, a.high, a.low, a.close, a.volume
                FROM unnest(\(sortedMinutes.map(\.symbol))::text[], \(Int8Array(sortedMinutes.map(\.minute)))::bigint[])
                     AS k(symbol, minute)
                CROSS JOIN LATERAL (
                    SELECT (array_agg(t.price ORDER BY t.ts, t.seq))[1] AS open, max(t.price) AS high,
                           min(t.price) AS low, (array_agg(t.price ORDER BY t.ts DESC, t.seq DESC))[1] AS close,
                           sum(coalesce(t.size, 0) ORDER BY t.ts, t.seq) AS volume, count(*) AS n
                    FROM ticks t WHERE t.symbol = k.symbol AND t.ts >= k.minute AND t.ts < k.minute + 60000
                ) AS a
                WHERE a.n > 0
                ON CONFLICT (symbol, "interval", ts) DO UPDATE SET open = excluded.open, high = excluded.high,
                    low = excluded.low, close = excluded.close, volume = excluded.volume
                RETURNING symbol, ts, open, high, low, close, volume
                """, logger: self.logger)
            for try await (symbol, ts, o, h, l, c, v) in rows.decode(
                (String, Int64, Double, Double, Double, Double, Double).self)
            {
                bars.append(SymbolBar(symbol: symbol, bar: Bar(ts: ts, open: o, high: h, low: l, close: c, volume: v)))
            }
            // Rollups of the touched buckets, aggregated in the server from the stored minute bars.
            var buckets = RollupBuckets()
            for (symbol, group) in Dictionary(grouping: sortedMinutes, by: \.symbol) {
                let starts = group.map(\.minute)
                buckets.append(
                    SeriesID(symbol: symbol, interval: .minute1),
                    touched: BarSeries.rollups(of: .minute1).map { r in Set(starts.map { r.bucketStart($0) }).sorted() }
                )
            }
            try await self.refreshRollupsInServer(conn, buckets)
            return bars
        }
        return rebuilt.sorted { ($0.symbol, $0.bar.ts) < ($1.symbol, $1.bar.ts) }
    }

    struct SymbolMinute: Hashable {
        var symbol: String
        var minute: Int64
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
            "read ticks",
            """
            SELECT symbol, ts, price, size, bid, ask, bid_size, ask_size FROM ticks
            WHERE symbol = \(symbol)
              AND (\(from)::bigint IS NULL OR ts >= \(from)) AND (\(to)::bigint IS NULL OR ts < \(to))
            ORDER BY ts, seq LIMIT \(limit)
            """)
    }

    public func latestTick(symbol: String) async throws -> Tick? {
        try await self.readTicks(
            "read the latest tick",
            """
            SELECT symbol, ts, price, size, bid, ask, bid_size, ask_size FROM ticks
            WHERE symbol = \(symbol) ORDER BY ts DESC, seq DESC LIMIT 1
            """
        ).first
    }

    private func readTicks(_ what: String, _ query: PostgresQuery) async throws -> [Tick] {
        try await self.withConnection(what) { conn in
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

    /// The operation names of `financehub_db_operation_duration_seconds`, by what error messages call them.
    static let operationNames: [String: String] = [
        "migrate": "migrate", "read the schema version": "schema_version", "drop schema": "drop_schema",
        "ping": "ping", "list assets": "assets", "read asset": "asset", "create asset": "create_asset",
        "update asset": "update_asset", "delete asset": "delete_asset", "write bars": "write_bars",
        "write ticks": "write_ticks", "read stored intervals": "stored_intervals", "read bars": "read_bars",
        "read ticks": "read_ticks", "read the latest tick": "latest_tick",
    ]

    /// Runs `body` on a pooled connection, timed, mapping errors to `StorageError`.
    func withConnection<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await OperationTimer.measure(Self.operationNames[what] ?? what) {
            do {
                return try await self.client.withConnection { conn in try await body(conn) }
            } catch {
                throw Self.mapError(error, what)
            }
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
                do {
                    try await self.exec(conn, "ROLLBACK")
                } catch {
                    // Never hand a connection that may still be inside the transaction back to the pool.
                    try? await conn.close()
                }
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
