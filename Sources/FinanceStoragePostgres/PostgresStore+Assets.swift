import FinanceCore
import FinanceStorage
import Logging
import PostgresNIO

/// Assets.
extension PostgresStore {
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
                INSERT INTO assets (symbol, name, asset_class, exchange, currency, sector, industry, market_cap)
                VALUES (\(asset.symbol), \(asset.name), \(asset.assetClass.rawValue), \(asset.exchange), \(asset.currency),
                        \(asset.sector), \(asset.industry), \(asset.marketCap))
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
                    industry = \(asset.industry), market_cap = \(asset.marketCap)
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

    private static let assetColumns =
        "SELECT symbol, name, asset_class, exchange, currency, sector, industry, market_cap"

    private func readAssets(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [Asset] {
        var out: [Asset] = []
        let rows = try await conn.query(query, logger: self.logger)
        for try await (symbol, name, cls, exchange, currency, sector, industry, marketCap) in rows.decode(
            (String, String?, String, String?, String?, String?, String?, Double?).self)
        {
            out.append(
                Asset(
                    symbol: symbol, name: name, assetClass: AssetClass(rawValue: cls) ?? .unknown, exchange: exchange,
                    currency: currency, sector: sector, industry: industry, marketCap: marketCap))
        }
        return out
    }

    /// Creates missing assets (class `unknown`) and locks every one of `symbols` against deletion until commit.
    func ensureAssets(_ conn: PostgresConnection, _ symbols: Set<String>) async throws {
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
    func lockSeries(_ conn: PostgresConnection, _ series: Set<String>) async throws {
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

    static func seriesKey(_ symbol: String, _ interval: Interval) -> String { symbol + "|" + interval.name }
}
