import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `PortfolioRepository` (CRUD with holdings in order, paging by owner, value snapshots) and of the
/// assets' market cap.
extension StoreContract {
    static func portfolio(_ id: String, owner: String, holdings: [Holding] = [], cash: Double = 0) -> Portfolio {
        Portfolio(id: id, owner: owner, name: "Portfolio \(id)", cash: cash, holdings: holdings, createdAt: t0)
    }

    @Sendable static func portfolioCRUD(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let none = try await store.portfolios(owner: nil, after: nil, limit: 10)
        XCTAssertEqual(none, [])
        await expectError(.notFound("portfolio p1"), "portfolio() of a missing id") {
            _ = try await store.portfolio(id: "p1")
        }
        // Holdings keep the owner's order (not the symbols'), values round-trip exactly.
        let holdings = [
            Holding(symbol: "MSFT", quantity: 10, costBasis: 310.25),
            Holding(symbol: "BTC-USD", quantity: 0.125, costBasis: 42_000.5),
            Holding(symbol: "AAPL", quantity: 1e-8, costBasis: 0),
        ]
        let p1 = portfolio("p1", owner: "alice", holdings: holdings, cash: 1_234.5)
        try await store.createPortfolio(p1)
        let read = try await store.portfolio(id: "p1")
        XCTAssertEqual(read, p1, "every field and the holdings in order")
        await expectError(.conflict("portfolio p1"), "createPortfolio of an existing id") {
            try await store.createPortfolio(portfolio("p1", owner: "bob"))
        }
        let unchanged = try await store.portfolio(id: "p1")
        XCTAssertEqual(unchanged, p1, "a conflicting create changes nothing")
        let empty = portfolio("p2", owner: "alice")
        try await store.createPortfolio(empty)
        let readEmpty = try await store.portfolio(id: "p2")
        XCTAssertEqual(readEmpty, empty, "a portfolio without holdings")

        var changed = p1
        changed.name = "Renamed"
        changed.cash = -50
        changed.holdings = [Holding(symbol: "AAPL", quantity: 3, costBasis: 180), holdings[0]]
        changed.updatedAt = t0 + 5_000
        changed.owner = "mallory"
        changed.createdAt = 0
        try await store.updatePortfolio(changed)
        var expected = changed
        expected.owner = "alice"
        expected.createdAt = t0
        let afterUpdate = try await store.portfolio(id: "p1")
        XCTAssertEqual(afterUpdate, expected, "update replaces name, cash and holdings; owner and createdAt stay")
        await expectError(.notFound("portfolio nope"), "updatePortfolio of a missing id") {
            try await store.updatePortfolio(portfolio("nope", owner: "alice"))
        }

        try await store.appendPortfolioSnapshots([PortfolioSnapshot(portfolioId: "p1", ts: t0, value: 1)])
        try await store.deletePortfolio(id: "p1")
        await expectError(.notFound("portfolio p1"), "portfolio() after delete") {
            _ = try await store.portfolio(id: "p1")
        }
        await expectError(.notFound("portfolio p1"), "deletePortfolio twice") {
            try await store.deletePortfolio(id: "p1")
        }
        // The id may be used again: nothing of the deleted portfolio comes back with it.
        try await store.createPortfolio(portfolio("p1", owner: "bob"))
        let reborn = try await store.portfolio(id: "p1")
        XCTAssertEqual(reborn.holdings, [], "holdings went with the deleted portfolio")
        let history = try await store.portfolioSnapshots(id: "p1", from: .min, to: .max, limit: 10)
        XCTAssertEqual(history, [], "snapshots went with the deleted portfolio")
    }

    @Sendable static func portfolioPaging(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        // Ids whose byte order differs from a locale's: upper case sorts before lower case.
        let ids = ["b", "B", "a1", "A2", "z", "m-1", "m_1", "0", "ZZ", "aa"]
        var ownerOf: [String: String] = [:]
        for (i, id) in ids.enumerated() {
            let owner = i % 3 == 0 ? "bob" : "alice"
            ownerOf[id] = owner
            try await store.createPortfolio(
                portfolio(id, owner: owner, holdings: [Holding(symbol: "S\(i)", quantity: Double(i + 1), costBasis: 1)])
            )
        }
        let bytewise = ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let everyone = try await store.portfolios(owner: nil, after: nil, limit: 100)
        XCTAssertEqual(everyone.map(\.id), bytewise, "every owner, by id bytewise")
        XCTAssertEqual(everyone.first { $0.id == "z" }?.holdings.first?.symbol, "S4", "listed with their holdings")
        for owner in ["alice", "bob", nil] as [String?] {
            let expected = bytewise.filter { id in owner.map { ownerOf[id] == $0 } ?? true }
            for limit in [1, 3, 100] {
                var pages: [String] = []
                var after: String? = nil
                for _ in 0..<20 {
                    let page = try await store.portfolios(owner: owner, after: after, limit: limit)
                    XCTAssertLessThanOrEqual(page.count, limit)
                    pages += page.map(\.id)
                    guard let last = page.last else { break }
                    after = last.id
                }
                XCTAssertEqual(pages, expected, "pages of \(limit) of \(owner ?? "everyone") add up, in order")
            }
        }
        let zero = try await store.portfolios(owner: nil, after: nil, limit: 0)
        XCTAssertEqual(zero, [])
        let nobody = try await store.portfolios(owner: "carol", after: nil, limit: 10)
        XCTAssertEqual(nobody, [])
    }

    @Sendable static func portfolioSnapshots(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        try await store.createPortfolio(portfolio("p1", owner: "alice"))
        try await store.createPortfolio(portfolio("p2", owner: "bob"))
        let five = (0..<5).map {
            PortfolioSnapshot(portfolioId: "p1", ts: t0 + Int64($0) * minute, value: 100.25 + Double($0))
        }
        try await store.appendPortfolioSnapshots(
            five.reversed() + [PortfolioSnapshot(portfolioId: "p2", ts: t0, value: 7)])
        let all = try await store.portfolioSnapshots(id: "p1", from: .min, to: .max, limit: 100)
        XCTAssertEqual(all, five, "oldest first, values exact")
        let window = try await store.portfolioSnapshots(id: "p1", from: t0 + minute, to: t0 + 3 * minute, limit: 100)
        XCTAssertEqual(window, Array(five[1..<3]), "from inclusive, to exclusive")
        let limited = try await store.portfolioSnapshots(id: "p1", from: .min, to: .max, limit: 2)
        XCTAssertEqual(limited, Array(five[0..<2]), "the oldest `limit`")
        // The same (portfolio, ts) again replaces the value; a snapshot of a missing portfolio is skipped.
        try await store.appendPortfolioSnapshots([
            PortfolioSnapshot(portfolioId: "p1", ts: t0, value: 99),
            PortfolioSnapshot(portfolioId: "gone", ts: t0, value: 1),
        ])
        let replaced = try await store.portfolioSnapshots(id: "p1", from: t0, to: t0 + 1, limit: 10)
        XCTAssertEqual(replaced.map(\.value), [99])
        let gone = try await store.portfolioSnapshots(id: "gone", from: .min, to: .max, limit: 10)
        XCTAssertEqual(gone, [])
        let other = try await store.portfolioSnapshots(id: "p2", from: .min, to: .max, limit: 10)
        XCTAssertEqual(other, [PortfolioSnapshot(portfolioId: "p2", ts: t0, value: 7)], "per portfolio")
        try await store.appendPortfolioSnapshots([])
    }

    @Sendable static func assetMarketCap(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let nvda = Asset(
            symbol: "NVDA", assetClass: .equity, sector: "Information Technology", marketCap: 3.2e12)
        try await store.createAsset(nvda)
        try await store.createAsset(Asset(symbol: "SOL", assetClass: .crypto))
        let read = try await store.asset("NVDA")
        XCTAssertEqual(read, nvda, "marketCap round-trips")
        let sol = try await store.asset("SOL")
        XCTAssertNil(sol.marketCap, "no market cap")
        var cleared = nvda
        cleared.marketCap = nil
        try await store.updateAsset(cleared)
        let afterClear = try await store.asset("NVDA")
        XCTAssertNil(afterClear.marketCap, "update clears it")
        cleared.marketCap = 12.5
        try await store.updateAsset(cleared)
        let listed = try await store.assets()
        XCTAssertEqual(listed.first { $0.symbol == "NVDA" }?.marketCap, 12.5, "listed with it")
        // Ticks create assets without one.
        _ = try await store.writeTicks([Tick(symbol: "NEW", ts: t0, price: 1)])
        let created = try await store.asset("NEW")
        XCTAssertNil(created.marketCap)
    }
}
