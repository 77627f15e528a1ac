import FinanceCore
import FinanceStorage
import PostgresNIO

/// Portfolios, their holdings and value snapshots.
extension PostgresStore {
    public func createPortfolio(_ portfolio: Portfolio) async throws {
        let p = portfolio
        let inserted = try await self.transaction("create portfolio") { conn in
            let n = try await self.count(
                conn,
                """
                INSERT INTO portfolios (id, owner, name, cash, created_at, updated_at)
                VALUES (\(p.id), \(p.owner), \(p.name), \(p.cash), \(p.createdAt), \(p.updatedAt))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """)
            guard n > 0 else { return 0 }
            try await self.insertHoldings(conn, p)
            return n
        }
        if inserted == 0 { throw StorageError.conflict("portfolio \(p.id)") }
    }

    public func portfolio(id: String) async throws -> Portfolio {
        let found = try await self.withConnection("read portfolio") { conn in
            try await self.readPortfolios(conn, "\(unescaped: Self.portfolioSelect) WHERE id = \(id)")
        }
        guard let p = found.first else { throw StorageError.notFound("portfolio \(id)") }
        return p
    }

    public func portfolios(owner: String?, after: String?, limit: Int) async throws -> [Portfolio] {
        guard limit > 0 else { return [] }
        return try await self.withConnection("list portfolios") { conn in
            // Absent filters are NULL parameters; each query is planned with its values, so they cost nothing.
            try await self.readPortfolios(
                conn,
                """
                \(unescaped: Self.portfolioSelect)
                WHERE (\(owner)::text IS NULL OR owner = \(owner)) AND (\(after)::text IS NULL OR id > \(after)::text)
                ORDER BY id LIMIT \(Int64(limit))
                """)
        }
    }

    public func updatePortfolio(_ portfolio: Portfolio) async throws {
        let p = portfolio
        let updated = try await self.transaction("update portfolio") { conn in
            let n = try await self.count(
                conn,
                """
                UPDATE portfolios SET name = \(p.name), cash = \(p.cash), updated_at = \(p.updatedAt)
                WHERE id = \(p.id) RETURNING 1
                """)
            guard n > 0 else { return 0 }
            try await self.exec(conn, "DELETE FROM portfolio_holdings WHERE portfolio_id = \(p.id)")
            try await self.insertHoldings(conn, p)
            return n
        }
        if updated == 0 { throw StorageError.notFound("portfolio \(p.id)") }
    }

    public func deletePortfolio(id: String) async throws {
        let deleted = try await self.withConnection("delete portfolio") { conn in
            // Holdings and snapshots go with it (ON DELETE CASCADE).
            try await self.count(conn, "DELETE FROM portfolios WHERE id = \(id) RETURNING 1")
        }
        if deleted == 0 { throw StorageError.notFound("portfolio \(id)") }
    }

    public func appendPortfolioSnapshots(_ snapshots: [PortfolioSnapshot]) async throws {
        guard !snapshots.isEmpty else { return }
        let ids = snapshots.map(\.portfolioId)
        let times = snapshots.map(\.ts)
        let values = snapshots.map(\.value)
        try await self.withConnection("append portfolio snapshots") { conn in
            // A snapshot of a portfolio deleted meanwhile is skipped; the last of duplicates in one batch wins.
            try await self.exec(
                conn,
                """
                INSERT INTO portfolio_snapshots (portfolio_id, ts, value)
                SELECT DISTINCT ON (s.id, s.ts) s.id, s.ts, s.value
                FROM unnest(\(ids)::text[], \(times)::int8[], \(values)::float8[]) WITH ORDINALITY AS s(id, ts, value, n)
                JOIN portfolios p ON p.id = s.id
                ORDER BY s.id, s.ts, s.n DESC
                ON CONFLICT (portfolio_id, ts) DO UPDATE SET value = excluded.value
                """)
        }
    }

    public func portfolioSnapshots(id: String, from: Int64, to: Int64, limit: Int) async throws -> [PortfolioSnapshot] {
        guard limit > 0 else { return [] }
        return try await self.withConnection("read portfolio snapshots") { conn in
            let rows = try await conn.query(
                """
                SELECT ts, value FROM portfolio_snapshots
                WHERE portfolio_id = \(id) AND ts >= \(from) AND ts < \(to) ORDER BY ts LIMIT \(Int64(limit))
                """, logger: self.logger)
            var out: [PortfolioSnapshot] = []
            for try await (ts, value) in rows.decode((Int64, Double).self) {
                out.append(PortfolioSnapshot(portfolioId: id, ts: ts, value: value))
            }
            return out
        }
    }

    private static let portfolioSelect = "SELECT id, owner, name, cash, created_at, updated_at FROM portfolios"

    /// The portfolios a query selects, each with its holdings in order (one more query for all their holdings).
    private func readPortfolios(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> [Portfolio] {
        var out: [Portfolio] = []
        for try await (id, owner, name, cash, createdAt, updatedAt) in try await conn.query(query, logger: self.logger)
            .decode((String, String, String, Double, Int64, Int64).self)
        {
            out.append(
                Portfolio(id: id, owner: owner, name: name, cash: cash, createdAt: createdAt, updatedAt: updatedAt))
        }
        guard !out.isEmpty else { return out }
        let ids = out.map(\.id)
        var holdings: [String: [Holding]] = [:]
        let rows = try await conn.query(
            """
            SELECT portfolio_id, symbol, quantity, cost_basis FROM portfolio_holdings
            WHERE portfolio_id = ANY(\(ids)::text[]) ORDER BY portfolio_id, position
            """, logger: self.logger)
        for try await (id, symbol, quantity, costBasis) in rows.decode((String, String, Double, Double).self) {
            holdings[id, default: []].append(Holding(symbol: symbol, quantity: quantity, costBasis: costBasis))
        }
        for i in out.indices { out[i].holdings = holdings[out[i].id] ?? [] }
        return out
    }

    private func insertHoldings(_ conn: PostgresConnection, _ portfolio: Portfolio) async throws {
        guard !portfolio.holdings.isEmpty else { return }
        let symbols = portfolio.holdings.map(\.symbol)
        let quantities = portfolio.holdings.map(\.quantity)
        let costs = portfolio.holdings.map(\.costBasis)
        try await self.exec(
            conn,
            """
            INSERT INTO portfolio_holdings (portfolio_id, symbol, position, quantity, cost_basis)
            SELECT \(portfolio.id), h.symbol, h.n - 1, h.quantity, h.cost
            FROM unnest(\(symbols)::text[], \(quantities)::float8[], \(costs)::float8[]) WITH ORDINALITY
                AS h(symbol, quantity, cost, n)
            """)
    }
}
