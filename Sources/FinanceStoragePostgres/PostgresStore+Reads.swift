import FinanceCore
import FinanceStorage
import Logging
import PostgresNIO

/// Reads of bars, stored intervals and ticks.
extension PostgresStore {
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
}
