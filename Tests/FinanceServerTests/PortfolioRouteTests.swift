import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// `/api/portfolios` over the real application on a SQLite file: live value, day change and unrealized P&L from
/// the quote book, 422 problems with JSON pointers into the body, another user's portfolio answered as missing,
/// cursor paging, and the value history the snapshot service records.
final class PortfolioRouteTests: TemporaryFolderTestCase {
    /// AAPL closed at 100 yesterday and trades at 110; BTC closed at 50,000 and trades at 52,000; NODATA has no data.
    private static func seed(_ client: some TestClientProtocol) async throws {
        for (symbol, close) in [("AAPL", 100.0), ("BTC", 50_000.0)] {
            let r = try await client.send(
                .post, "/api/bars/\(symbol)?interval=1d&historical=true",
                json: "[\(dailyBarJSON(portfolioToday - portfolioDay, close: close))]")
            XCTAssertEqual(r.status, .created, r.text)
        }
        let ticks = try await client.send(
            .post, "/api/ticks",
            json: #"[{"symbol":"AAPL","ts":\#(portfolioToday + 3_600_000),"price":110,"size":1},"#
                + #"{"symbol":"BTC","ts":\#(portfolioToday + 3_600_000),"price":52000,"size":1}]"#)
        XCTAssertEqual(ticks.status, .created, ticks.text)
        let asset = try await client.send(.post, "/api/assets", json: #"{"symbol":"NODATA","assetClass":"equity"}"#)
        XCTAssertEqual(asset.status, .created, asset.text)
    }

    private static let core = #"""
        {"name":"Core","cash":1000,"holdings":[{"symbol":"aapl","quantity":10,"costBasis":90},
        {"symbol":"BTC","quantity":0.5,"costBasis":40000}]}
        """#

    func testLiveValueOwnershipAndCRUD() async throws {
        let store = try await portfolioStore(self.path("portfolios.sqlite"))
        let clock = SettableClock(portfolioToday + 2 * 3_600_000)
        let deps = try await portfolioDependencies(store, clock: clock)
        try await buildApplication(deps).test(.router) { client in
            try await Self.seed(client)
            let created = try await client.send(.post, "/api/portfolios", json: Self.core, token: PortfolioUsers.alice)
            XCTAssertEqual(created.status, .created, created.text)
            let p = try created.decode(PortfolioDTO.self)
            XCTAssertEqual(p.name, "Core")
            XCTAssertEqual(p.cash, 1000)
            XCTAssertEqual(p.holdings.map(\.symbol), ["AAPL", "BTC"], "symbols canonical, in the given order")
            XCTAssertEqual(p.value, 1000 + 10 * 110 + 0.5 * 52_000, "cash + Σ quantity × last price")
            XCTAssertEqual(p.dayChange, 10 * 10 + 0.5 * 2_000, "Σ quantity × (price − previous close)")
            XCTAssertEqual(p.unrealizedPnl, 10 * 20 + 0.5 * 12_000, "Σ quantity × (price − cost basis)")
            XCTAssertEqual(p.holdings[0].price, 110)
            XCTAssertEqual(p.holdings[0].value, 1_100)
            XCTAssertEqual(p.holdings[0].dayChange, 100)
            XCTAssertEqual(p.holdings[0].unrealizedPnl, 200)
            XCTAssertEqual(p.createdAt, clock.nowMilliseconds())
            let keys = Set(created.object.keys)
            XCTAssertEqual(
                keys,
                ["id", "name", "cash", "holdings", "value", "dayChange", "unrealizedPnl", "createdAt", "updatedAt"])
            XCTAssertEqual(deps.portfolioValuation.portfolioIds(containing: "AAPL"), [p.id], "indexed by symbol")

            let shown = try await client.send(.get, "/api/portfolios/\(p.id)", token: PortfolioUsers.alice)
            XCTAssertEqual(try shown.decode(PortfolioDTO.self), p)
            // A live tick moves the value at once (the quote book follows the bus).
            let tick = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"AAPL","ts":\#(portfolioToday + 7_000_000),"price":120}]"#)
            XCTAssertEqual(tick.status, .created, tick.text)
            let moved = try await client.send(.get, "/api/portfolios/\(p.id)", token: PortfolioUsers.alice)
            XCTAssertEqual(try moved.decode(PortfolioDTO.self).value, 1000 + 10 * 120 + 0.5 * 52_000)

            // Bob sees none of it: every route answers as for a missing portfolio, and nothing changes.
            for (method, body) in [(HTTPRequest.Method.get, nil), (.put, Self.core), (.delete, nil)]
                as [(HTTPRequest.Method, String?)]
            {
                let r = try await client.send(method, "/api/portfolios/\(p.id)", json: body, token: PortfolioUsers.bob)
                XCTAssertEqual(r.status, .notFound, "\(method): \(r.text)")
                XCTAssertEqual(r.headers[.contentType], "application/problem+json")
            }
            let history = try await client.send(.get, "/api/portfolios/\(p.id)/history", token: PortfolioUsers.bob)
            XCTAssertEqual(history.status, .notFound)
            let bobs = try await client.send(.get, "/api/portfolios", token: PortfolioUsers.bob)
            XCTAssertEqual(try bobs.decode(PortfolioPageDTO.self).items, [])
            let admin = try await client.send(.get, "/api/portfolios/\(p.id)")
            XCTAssertEqual(admin.status, .notFound, "an admin has portfolios of their own, not other users'")
            let unchanged = try await store.portfolio(id: p.id)
            XCTAssertEqual(unchanged.name, "Core")

            // What GET answers can be sent back with PUT (the live fields are ignored).
            clock.advance(by: 1_000)
            let roundTrip = try await client.send(
                .put, "/api/portfolios/\(p.id)", json: moved.text, token: PortfolioUsers.alice)
            XCTAssertEqual(roundTrip.status, .ok, roundTrip.text)
            XCTAssertEqual(try roundTrip.decode(PortfolioDTO.self).updatedAt, clock.nowMilliseconds())
            // A holding without a price: its live fields and the totals are absent, not partial sums.
            let replaced = try await client.send(
                .put, "/api/portfolios/\(p.id)",
                json: #"{"name":"Other","holdings":[{"symbol":"NODATA","quantity":1,"costBasis":5}]}"#,
                token: PortfolioUsers.alice)
            XCTAssertEqual(replaced.status, .ok, replaced.text)
            let other = try replaced.decode(PortfolioDTO.self)
            XCTAssertEqual(other.cash, 0, "cash defaults to 0")
            XCTAssertNil(other.value)
            XCTAssertNil(other.holdings[0].price)
            XCTAssertEqual(other.createdAt, p.createdAt)
            XCTAssertEqual(deps.portfolioValuation.portfolioIds(containing: "AAPL"), [], "the index follows updates")
            XCTAssertEqual(deps.portfolioValuation.portfolioIds(containing: "NODATA"), [p.id])

            let deleted = try await client.send(.delete, "/api/portfolios/\(p.id)", token: PortfolioUsers.alice)
            XCTAssertEqual(deleted.status, .noContent)
            let gone = try await client.send(.get, "/api/portfolios/\(p.id)", token: PortfolioUsers.alice)
            XCTAssertEqual(gone.status, .notFound)
            XCTAssertEqual(deps.portfolioValuation.portfolioIds(containing: "NODATA"), [])
            // The store closes with the application: read the file while it runs.
            let left = try await store.portfolios(owner: nil, after: nil, limit: 10)
            XCTAssertEqual(left, [], "deleted in the file")
        }
    }

    func testProblemsPointIntoTheBodyAndWriteNothing() async throws {
        let store = try await portfolioStore(self.path("portfolios.sqlite"))
        let deps = try await portfolioDependencies(store, clock: SettableClock(portfolioToday + 3_600_000))
        try await buildApplication(deps).test(.router) { client in
            try await Self.seed(client)
            let cases: [(String, [String])] = [
                (
                    #"{"name":"x","holdings":[{"symbol":"AAPL","quantity":1,"costBasis":1},"#
                        + #"{"symbol":"BTC","quantity":1,"costBasis":1},{"symbol":"NODATA","quantity":-1,"costBasis":1}]}"#,
                    ["/holdings/2/quantity"]
                ),
                (
                    #"{"name":"x","holdings":[{"symbol":"ZZZZ","quantity":1,"costBasis":1},"#
                        + #"{"symbol":"AAPL","quantity":1,"costBasis":1}]}"#,
                    ["/holdings/0/symbol"]
                ),
                (
                    #"{"cash":"lots","holdings":[{"symbol":"bad symbol","quantity":0,"costBasis":-2,"a/b":1},"#
                        + #"{"symbol":"AAPL","quantity":1,"costBasis":1},{"symbol":"aapl","quantity":1,"costBasis":1},"#
                        + #"7,{"symbol":"BTC"}]}"#,
                    [
                        "/name", "/cash", "/holdings/0/a~1b", "/holdings/0/symbol", "/holdings/0/quantity",
                        "/holdings/0/costBasis", "/holdings/2/symbol", "/holdings/3", "/holdings/4/quantity",
                        "/holdings/4/costBasis",
                    ]
                ),
                (#"{"name":"","holdings":{}}"#, ["/name", "/holdings"]),
                (#"{"name":"x","cash":1e31,"owner":"bob"}"#, ["/owner", "/cash"]),
                (#"[]"#, [""]),
            ]
            for (body, pointers) in cases {
                let r = try await client.send(.post, "/api/portfolios", json: body, token: PortfolioUsers.alice)
                XCTAssertEqual(r.status, .unprocessableContent, body)
                XCTAssertEqual(r.headers[.contentType], "application/problem+json")
                XCTAssertEqual(r.problemPointers, pointers, body)
            }
            let created = try await client.send(
                .post, "/api/portfolios", json: #"{"name":"ok"}"#, token: PortfolioUsers.alice)
            XCTAssertEqual(created.status, .created, created.text)
            let id = try created.decode(PortfolioDTO.self).id
            let badPut = try await client.send(
                .put, "/api/portfolios/\(id)",
                json: #"{"name":"renamed","holdings":[{"symbol":"NOPE","quantity":1,"costBasis":1}]}"#,
                token: PortfolioUsers.alice)
            XCTAssertEqual(badPut.problemPointers, ["/holdings/0/symbol"])
            let malformed = try await client.send(
                .post, "/api/portfolios", json: #"{"name":"#, token: PortfolioUsers.alice)
            XCTAssertEqual(malformed.status, .badRequest)
            let noToken = try await client.send(.get, "/api/portfolios", token: nil)
            XCTAssertEqual(noToken.status, .unauthorized)
            let stored = try await store.portfolios(owner: nil, after: nil, limit: 10)
            XCTAssertEqual(
                stored.map(\.name), ["ok"], "only the valid body was written; the refused PUT changed nothing")
            let assets = try await store.assets()
            XCTAssertFalse(assets.contains { $0.symbol == "ZZZZ" || $0.symbol == "NOPE" }, "no asset was created")
        }
    }

    func testPagesFollowNextAndStayWithTheirOwner() async throws {
        let store = try await portfolioStore(self.path("portfolios.sqlite"))
        let deps = try await portfolioDependencies(store, clock: SettableClock(portfolioToday))
        try await buildApplication(deps).test(.router) { client in
            var ids: [String] = []
            for i in 0..<5 {
                let r = try await client.send(
                    .post, "/api/portfolios", json: #"{"name":"a\#(i)"}"#, token: PortfolioUsers.alice)
                ids.append(try r.decode(PortfolioDTO.self).id)
            }
            _ = try await client.send(.post, "/api/portfolios", json: #"{"name":"b"}"#, token: PortfolioUsers.bob)
            var seen: [String] = []
            var query = "?limit=2"
            var pages = 0
            while pages < 10 {
                let r = try await client.send(.get, "/api/portfolios" + query, token: PortfolioUsers.alice)
                XCTAssertEqual(r.status, .ok, r.text)
                let page = try r.decode(PortfolioPageDTO.self)
                seen += page.items.map(\.id)
                pages += 1
                guard let next = page.next else { break }
                query = "?limit=2&cursor=" + next
            }
            XCTAssertEqual(pages, 3)
            XCTAssertEqual(seen, ids.sorted(), "every one of alice's, by id, once")
            let whole = try await client.send(.get, "/api/portfolios", token: PortfolioUsers.alice)
            XCTAssertNil(whole.object["next"], "no next after the last page")
            for bad in ["?limit=0", "?limit=201", "?cursor=%25%25", "?cursor=" + String(repeating: "A", count: 300)] {
                let r = try await client.send(.get, "/api/portfolios" + bad, token: PortfolioUsers.alice)
                XCTAssertEqual(r.status, .unprocessableContent, bad)
                XCTAssertEqual(r.problemPointers.count, 1, bad)
            }
        }
    }

    func testSnapshotsMakeTheHistory() async throws {
        let store = try await portfolioStore(self.path("portfolios.sqlite"))
        let period: Int64 = 300_000
        let start = portfolioToday + 2 * 3_600_000 + 12_345
        let clock = SettableClock(start)
        let deps = try await portfolioDependencies(store, clock: clock)
        let snapshots = PortfolioSnapshotService(
            valuation: deps.portfolioValuation, sectors: deps.sectorIndex, settings: PortfolioSettings(),
            clock: clock, logger: deps.logger)
        try await buildApplication(deps).test(.router) { client in
            try await Self.seed(client)
            let created = try await client.send(.post, "/api/portfolios", json: Self.core, token: PortfolioUsers.alice)
            let id = try created.decode(PortfolioDTO.self).id
            // Made on another instance (straight into the file): the snapshot's reload picks it up.
            try await store.createPortfolio(
                Portfolio(
                    id: "elsewhere", owner: "bob", name: "B", cash: 5,
                    holdings: [Holding(symbol: "NODATA", quantity: 1, costBasis: 1)], createdAt: 0))
            let first = try await snapshots.snapshot()
            let firstTs = start - start % period
            XCTAssertEqual(first, [PortfolioSnapshot(portfolioId: id, ts: firstTs, value: 28_100)], "no value, no row")
            XCTAssertEqual(deps.portfolioValuation.portfolioIds(containing: "NODATA"), ["elsewhere"])

            clock.advance(by: period)
            let tick = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"BTC","ts":\#(clock.nowMilliseconds()),"price":54000}]"#)
            XCTAssertEqual(tick.status, .created, tick.text)
            try await snapshots.snapshot()
            // A second instance snapshotting the same period writes the same row.
            try await snapshots.snapshot()

            let r = try await client.send(.get, "/api/portfolios/\(id)/history", token: PortfolioUsers.alice)
            XCTAssertEqual(r.status, .ok, r.text)
            let history = try r.decode(PortfolioHistoryDTO.self)
            XCTAssertEqual(history.id, id)
            XCTAssertEqual(
                history.items,
                [
                    PortfolioSnapshotDTO(ts: firstTs, value: 28_100),
                    PortfolioSnapshotDTO(ts: firstTs + period, value: 29_100),
                ])
            let window = try await client.send(
                .get, "/api/portfolios/\(id)/history?from=\(firstTs + 1)&to=\(firstTs + 2 * period)",
                token: PortfolioUsers.alice)
            XCTAssertEqual(try window.decode(PortfolioHistoryDTO.self).items.map(\.ts), [firstTs + period])
            let limited = try await client.send(
                .get, "/api/portfolios/\(id)/history?limit=1", token: PortfolioUsers.alice)
            XCTAssertEqual(try limited.decode(PortfolioHistoryDTO.self).items.map(\.ts), [firstTs], "oldest first")
            let backwards = try await client.send(
                .get, "/api/portfolios/\(id)/history?from=\(firstTs + 1)&to=\(firstTs)", token: PortfolioUsers.alice)
            XCTAssertEqual(backwards.problemPointers, ["/from"])
            let badTime = try await client.send(
                .get, "/api/portfolios/\(id)/history?to=soon", token: PortfolioUsers.alice)
            XCTAssertEqual(badTime.problemPointers, ["/to"])
        }
    }
}
