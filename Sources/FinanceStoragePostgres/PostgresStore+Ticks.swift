import FinanceCore
import FinanceStorage
import Logging
import PostgresNIO

/// Tick writes and the minute bars they rebuild.
extension PostgresStore {
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
}
