import FinanceCore
import FinanceStorage
import Foundation
import GRDB
import GRDBSQLite

/// The embedded time-series store: one SQLite file in WAL mode (readers run concurrently with the writer,
/// other processes may write the same file), `synchronous=NORMAL` (acknowledged writes survive a killed
/// process), a busy timeout for lock waits. Every write is one IMMEDIATE transaction holding the bars,
/// the new assets and the recomputed rollups. Nothing is cached in memory: each read sees the latest commit.
public final class SQLiteStore: MarketStore {
    /// The database file.
    public let path: String
    private let pool: DatabasePool
    /// What the writer last wrote at the head of each series (see `WriterCache`).
    let writerCache = WriterCache()
    /// Tick batches that arrive while the writer is busy share its next transaction.
    let tickCommits = GroupCommit<[Tick], [SymbolBar]>()

    public var displayName: String { "sqlite:\(self.path)" }

    /// The default most read connections and writer page cache (MiB).
    public static let defaultMaxReaders = 4
    public static let defaultCacheSizeMiB = 128

    /// Opens (creating the file and its folder if missing) the database at `path`. Run `migrate()` before use.
    ///
    /// - Parameters:
    ///   - busyTimeout: seconds to wait for another connection's lock before failing (default 10).
    ///   - maxReaders: the most concurrent read connections (default 4).
    ///   - cacheSizeMiB: the page cache of the writer connection (default 128; readers get a quarter, at least
    ///     8 MiB). Memory is only taken as pages are used.
    public init(
        path: String, busyTimeout: Double = 10, maxReaders: Int = SQLiteStore.defaultMaxReaders,
        cacheSizeMiB: Int = SQLiteStore.defaultCacheSizeMiB
    ) throws {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else {
            throw StorageError.invalidConfiguration("the SQLite store needs a file path, got \"\(path)\"")
        }
        guard busyTimeout >= 0, maxReaders >= 1, cacheSizeMiB >= 1 else {
            throw StorageError.invalidConfiguration("invalid SQLite options (busy timeout, readers or cache size)")
        }
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StorageError.invalidConfiguration("cannot create the folder \(folder.path) for \(path): \(error)")
        }
        var config = Configuration()
        config.label = "FinanceHub.SQLiteStore"
        config.busyMode = .timeout(busyTimeout)
        config.maximumReaderCount = maxReaders
        config.foreignKeysEnabled = true
        config.journalMode = .wal
        let writerCacheKiB = cacheSizeMiB * 1024
        let readerCacheKiB = max(8 * 1024, writerCacheKiB / 4)
        config.prepareDatabase { db in
            let readonly = db.configuration.readonly
            try db.execute(
                sql: """
                    PRAGMA cache_size = -\(readonly ? readerCacheKiB : writerCacheKiB);
                    PRAGMA temp_store = MEMORY;
                    """)
            if !readonly {
                // 16 KiB pages for a new file (ignored for an existing one): fewer page splits on bulk imports.
                try db.execute(sql: "PRAGMA page_size = 16384")
                // WAL + NORMAL: a commit is durable once in the WAL file, which survives kill -9 of the process.
                try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864;")
            }
        }
        do {
            self.pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw Self.storageError(error)
        }
    }

    // MARK: - Errors

    static func storageError(_ error: any Error) -> any Error {
        switch error {
        case let error as StorageError: return error
        case let error as DatabaseError:
            return StorageError.backend(
                "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "unknown error")")
        case is CancellationError: return error
        default: return StorageError.backend(String(describing: error))
        }
    }

    /// Runs `body` on a reader, timed as `operation`.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T)
        async throws -> T
    {
        try await OperationTimer.measure(operation) {
            do {
                return try await self.pool.read(body)
            } catch {
                throw Self.storageError(error)
            }
        }
    }

    /// Runs `body` in one IMMEDIATE transaction (the write lock is taken up front, so reads inside the
    /// transaction never race another process's writer), timed as `operation`, then `committed` with its result
    /// once it has committed, still on the writer (so no other write starts in between).
    @discardableResult
    func write<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database) throws -> T,
        committed: (@Sendable (T) -> Void)? = nil
    ) async throws -> T {
        try await OperationTimer.measure(operation) {
            do {
                return try await self.pool.writeWithoutTransaction { db in
                    var result: T?
                    try db.inTransaction(.immediate) {
                        result = try body(db)
                        return .commit
                    }
                    committed?(result!)
                    return result!
                }
            } catch {
                throw Self.storageError(error)
            }
        }
    }

    /// `write` with a `BarWriter` over the writer cache: what the writer learned about the series it wrote is
    /// recorded in the cache once the transaction commits.
    @discardableResult
    func writeThroughCache<T: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database, BarWriter) throws -> T
    ) async throws -> T {
        let cache = self.writerCache
        return try await self.write(operation) { db in
            let writer = try BarWriter(db, cache: cache)
            return (try body(db, writer), writer.updates, writer.dataVersion)
        } committed: { _, updates, version in
            cache.commit(updates, atDataVersion: version)
        }.0
    }

    // MARK: - Schema

    public func migrate() async throws -> Int {
        do {
            let before = try await self.pool.read { try SQLiteSchema.appliedCount($0) }
            if before > SQLiteSchema.latest {
                throw StorageError.schemaAhead(current: before, latest: SQLiteSchema.latest)
            }
            do {
                try SQLiteSchema.migrator().migrate(self.pool)
            } catch {
                // Another process may have migrated the file at the same time: fine if it is current now.
                let now = try await self.pool.read { try SQLiteSchema.appliedCount($0) }
                if now < SQLiteSchema.latest { throw error }
            }
            let after = try await self.pool.read { try SQLiteSchema.appliedCount($0) }
            return max(0, after - before)
        } catch {
            throw Self.storageError(error)
        }
    }

    public func schemaVersion() async throws -> SchemaVersion {
        let current = try await self.read("schema_version") { try SQLiteSchema.appliedCount($0) }
        return SchemaVersion(current: current, latest: SQLiteSchema.latest)
    }

    public func ping() async throws {
        _ = try await self.read("ping") { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// Throws `StorageError.invalidConfiguration` when SQLite could open the file for reading only (its
    /// permissions, its folder's, an immutable file or a read-only mount): reads would work and every write
    /// fail, so a server must not start "ready" on it.
    public func checkWritable() async throws {
        let readOnly: Bool
        do {
            readOnly = try await self.pool.writeWithoutTransaction { db in
                sqlite3_db_readonly(db.sqliteConnection, "main") == 1
            }
        } catch {
            throw Self.storageError(error)
        }
        if readOnly {
            throw StorageError.invalidConfiguration(
                "the SQLite file \(self.path) can only be read: FinanceHub writes it (check the file's and its folder's permissions and the mount)"
            )
        }
    }

    public func close() async throws {
        do {
            try self.pool.close()
        } catch {
            throw Self.storageError(error)
        }
    }

    /// The effective settings of the writer connection, for diagnostics (`doctor`) and tests.
    public struct Settings: Sendable, Equatable {
        /// `wal` when readers can run concurrently with the writer.
        public var journalMode: String
        /// 1 = NORMAL (durable against process crashes in WAL mode).
        public var synchronous: Int
        public var pageSize: Int
        public var busyTimeoutMilliseconds: Int
        public var foreignKeys: Bool
        /// The page cache's bound in KiB.
        public var cacheKiB: Int
    }

    /// Reads the effective settings of the writer connection.
    public func settings() async throws -> Settings {
        do {
            return try await self.pool.writeWithoutTransaction { db in
                Settings(
                    journalMode: try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                    synchronous: try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                    pageSize: try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0,
                    busyTimeoutMilliseconds: try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? 0,
                    foreignKeys: try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false,
                    cacheKiB: abs(try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? 0))
            }
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Runs raw SQL in one write transaction (tests use it to inject faults, e.g. a failing trigger).
    @_spi(Testing) public func executeForTesting(_ sql: String) async throws {
        try await self.write("execute") { db in try db.execute(sql: sql) }
    }

    // MARK: - Assets

    private static let assetColumns = "symbol, name, asset_class, exchange, currency, sector, industry, market_cap"

    private static func asset(_ row: Row) -> Asset {
        Asset(
            symbol: row[0], name: row[1], assetClass: AssetClass(rawValue: row[2] ?? "unknown") ?? .unknown,
            exchange: row[3], currency: row[4], sector: row[5], industry: row[6], marketCap: row[7])
    }

    private static func arguments(_ a: Asset) -> StatementArguments {
        [a.symbol, a.name, a.assetClass.rawValue, a.exchange, a.currency, a.sector, a.industry, a.marketCap]
    }

    public func assets() async throws -> [Asset] {
        try await self.read("assets") { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.assetColumns) FROM assets ORDER BY symbol").map(Self.asset)
        }
    }

    public func asset(_ symbol: String) async throws -> Asset {
        let found = try await self.read("asset") { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.assetColumns) FROM assets WHERE symbol = ?", arguments: [symbol])
                .map(Self.asset)
        }
        guard let found else { throw StorageError.notFound("asset \(symbol)") }
        return found
    }

    public func createAsset(_ asset: Asset) async throws {
        try await self.write("create_asset") { db in
            guard try !Self.assetExists(db, asset.symbol) else { throw StorageError.conflict("asset \(asset.symbol)") }
            try db.execute(
                sql: "INSERT INTO assets (\(Self.assetColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: Self.arguments(asset))
        }
    }

    public func updateAsset(_ asset: Asset) async throws {
        try await self.write("update_asset") { db in
            guard try Self.assetExists(db, asset.symbol) else { throw StorageError.notFound("asset \(asset.symbol)") }
            try db.execute(
                sql: """
                    UPDATE assets SET name = ?2, asset_class = ?3, exchange = ?4, currency = ?5, sector = ?6,
                    industry = ?7, market_cap = ?8 WHERE symbol = ?1
                    """,
                arguments: Self.arguments(asset))
        }
    }

    public func deleteAsset(_ symbol: String) async throws {
        try await self.write("delete_asset") { db in
            guard try Self.assetExists(db, symbol) else { throw StorageError.notFound("asset \(symbol)") }
            for table in ["bars", "bar_rollups", "ticks", "assets"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE symbol = ?", arguments: [symbol])
            }
        } committed: { [writerCache] _ in
            writerCache.remove(symbol)
        }
    }

    private static func assetExists(_ db: Database, _ symbol: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM assets WHERE symbol = ?)", arguments: [symbol])
            ?? false
    }

    // MARK: - Writes

    /// Reports progress every this many bars during a long `writeBars`.
    static let progressStep = 100_000

    public func writeBars(_ batches: [BarBatch], progress: (@Sendable (Int) -> Void)?) async throws {
        guard !batches.isEmpty else {
            progress?(0)
            return
        }
        let total = batches.reduce(0) { $0 + $1.bars.count }
        try await self.writeThroughCache("write_bars") { db, writer in
            var written = 0
            var nextReport = Self.progressStep
            func report(_ count: Int) {
                guard let progress, count >= nextReport, count < total else { return }
                progress(count)
                nextReport = count / Self.progressStep * Self.progressStep + Self.progressStep
            }
            for batch in batches {
                try writer.ensureAsset(batch.symbol)
                try writer.upsert(symbol: batch.symbol, interval: batch.interval, bars: batch.bars) { done in
                    report(written + done)
                }
                written += batch.bars.count
                report(written)
            }
        }
        // The final report comes after the commit.
        progress?(total)
    }

    // MARK: - Reads

    public func storedIntervals(symbol: String) async throws -> [Interval] {
        try await self.read("stored_intervals") { db in
            // One index probe per known interval: no scan of the symbol's bars.
            let probe = try RawStatement(db, "SELECT EXISTS (SELECT 1 FROM bars WHERE symbol = ?1 AND interval = ?2)")
            probe.bind(1, symbol)
            var found: [Interval] = []
            for interval in Interval.all {
                probe.bind(2, interval.name)
                defer { probe.reset() }
                if try probe.step(), probe.int64(0) != 0 { found.append(interval) }
            }
            return found.sorted()
        }
    }

    public func bars(symbol: String, series: BarSeries, from: Int64?, to: Int64?, limit: Int, newestFirst: Bool)
        async throws -> [Bar]
    {
        guard limit > 0 else { return [] }
        let table: String
        let keys: [String]
        switch series {
        case .stored(let interval):
            table = "bars"
            keys = [symbol, interval.name]
        case .rollup(let base, let interval):
            table = "bar_rollups"
            keys = [symbol, base.name, interval.name]
        }
        var sql = "SELECT ts, open, high, low, close, volume FROM \(table) WHERE symbol = ?1 AND interval = ?2"
        if keys.count == 3 {
            sql =
                "SELECT ts, open, high, low, close, volume FROM \(table) WHERE symbol = ?1 AND base = ?2 AND interval = ?3"
        }
        let fromIndex = Int32(keys.count + 1)
        let toIndex = Int32(keys.count + 2)
        let limitIndex = Int32(keys.count + 3)
        if from != nil { sql += " AND ts >= ?\(fromIndex)" }
        if to != nil { sql += " AND ts < ?\(toIndex)" }
        sql += newestFirst ? " ORDER BY ts DESC" : " ORDER BY ts"
        sql += " LIMIT ?\(limitIndex)"
        let query = sql
        return try await self.read("read_bars") { db in
            let statement = try RawStatement(db, query)
            for (i, key) in keys.enumerated() { statement.bind(Int32(i + 1), key) }
            if let from { statement.bind(fromIndex, from) }
            if let to { statement.bind(toIndex, to) }
            statement.bind(limitIndex, Int64(limit))
            var out: [Bar] = []
            if limit <= 100_000 { out.reserveCapacity(limit) }
            try statement.readBars(into: &out)
            return out
        }
    }

    public func ticks(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Tick] {
        guard limit > 0 else { return [] }
        var sql = "SELECT ts, price, size, bid, ask, bid_size, ask_size FROM ticks WHERE symbol = ?1"
        if from != nil { sql += " AND ts >= ?2" }
        if to != nil { sql += " AND ts < ?3" }
        sql += " ORDER BY ts, seq LIMIT ?4"
        let query = sql
        return try await self.read("read_ticks") { db in
            let statement = try RawStatement(db, query)
            statement.bind(1, symbol)
            if let from { statement.bind(2, from) }
            if let to { statement.bind(3, to) }
            statement.bind(4, Int64(limit))
            defer { statement.reset() }
            var out: [Tick] = []
            while try statement.step() { out.append(Self.tick(symbol, statement)) }
            return out
        }
    }

    public func latestTick(symbol: String) async throws -> Tick? {
        try await self.read("latest_tick") { db in
            let statement = try RawStatement(
                db,
                "SELECT ts, price, size, bid, ask, bid_size, ask_size FROM ticks WHERE symbol = ?1 ORDER BY ts DESC, seq DESC LIMIT 1"
            )
            statement.bind(1, symbol)
            defer { statement.reset() }
            return try statement.step() ? Self.tick(symbol, statement) : nil
        }
    }

    private static func tick(_ symbol: String, _ s: RawStatement) -> Tick {
        Tick(
            symbol: symbol, ts: s.int64(0), price: s.double(1), size: s.optionalDouble(2), bid: s.optionalDouble(3),
            ask: s.optionalDouble(4), bidSize: s.optionalDouble(5), askSize: s.optionalDouble(6))
    }
}
