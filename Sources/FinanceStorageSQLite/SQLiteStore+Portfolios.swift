import FinanceCore
import FinanceStorage
import GRDB

/// Portfolios, their holdings and value snapshots.
extension SQLiteStore {
    public func createPortfolio(_ portfolio: Portfolio) async throws {
        try await self.write("create_portfolio") { db in
            guard try !Self.portfolioExists(db, portfolio.id) else {
                throw StorageError.conflict("portfolio \(portfolio.id)")
            }
            try db.execute(
                sql: """
                    INSERT INTO portfolios (id, owner, name, cash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    portfolio.id, portfolio.owner, portfolio.name, portfolio.cash, portfolio.createdAt,
                    portfolio.updatedAt,
                ])
            try Self.insertHoldings(db, portfolio)
        }
    }

    public func portfolio(id: String) async throws -> Portfolio {
        let found = try await self.read("portfolio") { db in
            try Self.readPortfolios(db, sql: "\(Self.portfolioSelect) WHERE id = ?", arguments: [id]).first
        }
        guard let found else { throw StorageError.notFound("portfolio \(id)") }
        return found
    }

    public func portfolios(owner: String?, after: String?, limit: Int) async throws -> [Portfolio] {
        guard limit > 0 else { return [] }
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let owner {
            conditions.append("owner = ?")
            arguments += [owner]
        }
        if let after {
            conditions.append("id > ?")
            arguments += [after]
        }
        arguments += [limit]
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = "\(Self.portfolioSelect)\(filter) ORDER BY id LIMIT ?"
        let bound = arguments
        return try await self.read("portfolios") { db in try Self.readPortfolios(db, sql: sql, arguments: bound) }
    }

    public func updatePortfolio(_ portfolio: Portfolio) async throws {
        try await self.write("update_portfolio") { db in
            try db.execute(
                sql: "UPDATE portfolios SET name = ?, cash = ?, updated_at = ? WHERE id = ?",
                arguments: [portfolio.name, portfolio.cash, portfolio.updatedAt, portfolio.id])
            guard db.changesCount > 0 else { throw StorageError.notFound("portfolio \(portfolio.id)") }
            try db.execute(sql: "DELETE FROM portfolio_holdings WHERE portfolio_id = ?", arguments: [portfolio.id])
            try Self.insertHoldings(db, portfolio)
        }
    }

    public func deletePortfolio(id: String) async throws {
        try await self.write("delete_portfolio") { db in
            // Holdings and snapshots go with it (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM portfolios WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw StorageError.notFound("portfolio \(id)") }
        }
    }

    public func appendPortfolioSnapshots(_ snapshots: [PortfolioSnapshot]) async throws {
        guard !snapshots.isEmpty else { return }
        try await self.write("append_portfolio_snapshots") { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO portfolio_snapshots (portfolio_id, ts, value)
                    SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM portfolios WHERE id = ?1)
                    ON CONFLICT (portfolio_id, ts) DO UPDATE SET value = excluded.value
                    """)
            for s in snapshots { try insert.execute(arguments: [s.portfolioId, s.ts, s.value]) }
        }
    }

    public func portfolioSnapshots(id: String, from: Int64, to: Int64, limit: Int) async throws -> [PortfolioSnapshot] {
        guard limit > 0 else { return [] }
        return try await self.read("portfolio_snapshots") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT ts, value FROM portfolio_snapshots WHERE portfolio_id = ? AND ts >= ? AND ts < ?
                    ORDER BY ts LIMIT ?
                    """,
                arguments: [id, from, to, limit]
            ).map { PortfolioSnapshot(portfolioId: id, ts: $0[0], value: $0[1]) }
        }
    }

    private static let portfolioSelect = "SELECT id, owner, name, cash, created_at, updated_at FROM portfolios"

    /// The portfolios a query selects, each with its holdings in order.
    private static func readPortfolios(_ db: Database, sql: String, arguments: StatementArguments) throws
        -> [Portfolio]
    {
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        let holdings = try db.cachedStatement(
            sql: """
                SELECT symbol, quantity, cost_basis FROM portfolio_holdings WHERE portfolio_id = ? ORDER BY position
                """)
        return try rows.map { row in
            let id: String = row[0]
            let held = try Row.fetchAll(holdings, arguments: [id]).map {
                Holding(symbol: $0[0], quantity: $0[1], costBasis: $0[2])
            }
            return Portfolio(
                id: id, owner: row[1], name: row[2], cash: row[3], holdings: held, createdAt: row[4],
                updatedAt: row[5])
        }
    }

    private static func insertHoldings(_ db: Database, _ portfolio: Portfolio) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO portfolio_holdings (portfolio_id, symbol, position, quantity, cost_basis)
                VALUES (?, ?, ?, ?, ?)
                """)
        for (position, h) in portfolio.holdings.enumerated() {
            try insert.execute(arguments: [portfolio.id, h.symbol, position, h.quantity, h.costBasis])
        }
    }

    private static func portfolioExists(_ db: Database, _ id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM portfolios WHERE id = ?)", arguments: [id]) ?? false
    }
}
