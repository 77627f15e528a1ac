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

/// `GET /api/sectors` and the live `SectorIndex` over the real application on a SQLite file: 1-day and 1-week
/// changes from stored daily bars and the quote book, equal- or value-weighted, crypto and FX assets without a
/// sector in "Crypto" and "Currencies"; asset market caps through `/api/assets`.
final class SectorRouteTests: TemporaryFolderTestCase {
    /// Assets with a close a week back (the day that started 8 days before today), yesterday's close and today's
    /// price; nil: no bar that day.
    private static let market: [(asset: String, week: Double?, yesterday: Double, now: Double)] = [
        (#"{"symbol":"AAPL","assetClass":"equity","sector":"Information Technology","marketCap":3e12}"#, 100, 180, 200),
        (
            #"{"symbol":"MSFT","assetClass":"equity","sector":"Information Technology","marketCap":1000000000000}"#,
            400, 400, 380
        ),
        (#"{"symbol":"XOM","assetClass":"equity","sector":"Energy"}"#, 50, 50, 55),
        (#"{"symbol":"CVX","assetClass":"equity","sector":"Energy","marketCap":2e11}"#, 100, 100, 95),
        (#"{"symbol":"BTC","assetClass":"crypto"}"#, 40_000, 50_000, 52_000),
        (#"{"symbol":"EURUSD","assetClass":"fx"}"#, nil, 1.25, 1.3),
        (#"{"symbol":"SPY","assetClass":"etf"}"#, 400, 400, 500),
    ]

    private static func seed(_ client: some TestClientProtocol) async throws {
        for (asset, week, yesterday, now) in Self.market {
            let created = try await client.send(.post, "/api/assets", json: asset)
            XCTAssertEqual(created.status, .created, created.text)
            let symbol = try created.decode(AssetDTO.self).symbol
            var bars = [dailyBarJSON(portfolioToday - portfolioDay, close: yesterday)]
            if let week { bars.insert(dailyBarJSON(portfolioToday - 8 * portfolioDay, close: week), at: 0) }
            let posted = try await client.send(
                .post, "/api/bars/\(symbol)?interval=1d&historical=true", json: "[" + bars.joined(separator: ",") + "]")
            XCTAssertEqual(posted.status, .created, posted.text)
            let tick = try await client.send(
                .post, "/api/ticks",
                json: #"[{"symbol":"\#(symbol)","ts":\#(portfolioToday + 3_600_000),"price":\#(now)}]"#)
            XCTAssertEqual(tick.status, .created, tick.text)
        }
        let empty = try await client.send(
            .post, "/api/assets", json: #"{"symbol":"NODATA","assetClass":"equity","sector":"Utilities"}"#)
        XCTAssertEqual(empty.status, .created, empty.text)
    }

    func testSectorsChangeEqualOrValueWeighted() async throws {
        let store = try await portfolioStore(self.path("sectors.sqlite"))
        let deps = try await portfolioDependencies(store, clock: SettableClock(portfolioToday + 2 * 3_600_000))
        try await buildApplication(deps).test(.router) { client in
            try await Self.seed(client)
            let r = try await client.send(.get, "/api/sectors", token: PortfolioUsers.alice)
            XCTAssertEqual(r.status, .ok, r.text)
            let sectors = try r.decode(SectorListDTO.self).items
            XCTAssertEqual(
                sectors.map(\.name), ["Crypto", "Currencies", "Energy", "Information Technology", "Utilities"],
                "by name; the ETF without a sector is in none")
            let byName = Dictionary(uniqueKeysWithValues: sectors.map { ($0.name, $0) })

            let tech = try XCTUnwrap(byName["Information Technology"])
            XCTAssertEqual(tech.weighting, "value", "every member has a market cap")
            XCTAssertEqual(tech.members.map(\.symbol), ["AAPL", "MSFT"])
            let aapl1d = (200.0 - 180) / 180 * 100
            XCTAssertEqual(tech.members[0].change1d ?? .nan, aapl1d, accuracy: 1e-9)
            XCTAssertEqual(tech.members[0].change1w ?? .nan, 100, accuracy: 1e-9)
            XCTAssertEqual(tech.members[0].marketCap, 3e12)
            XCTAssertEqual(tech.members[1].price, 380)
            XCTAssertEqual(tech.change1d ?? .nan, (3 * aapl1d + 1 * -5) / 4, accuracy: 1e-9)
            XCTAssertEqual(tech.change1w ?? .nan, (3 * 100 + 1 * -5) / 4, accuracy: 1e-9)

            let energy = try XCTUnwrap(byName["Energy"])
            XCTAssertEqual(energy.weighting, "equal", "XOM has no market cap")
            XCTAssertEqual(energy.change1d ?? .nan, (10 + -5) / 2, accuracy: 1e-9)
            XCTAssertEqual(energy.change1w ?? .nan, (10 + -5) / 2, accuracy: 1e-9)

            let crypto = try XCTUnwrap(byName["Crypto"])
            XCTAssertEqual(crypto.members.map(\.symbol), ["BTC"])
            XCTAssertEqual(crypto.change1d ?? .nan, 4, accuracy: 1e-9)
            XCTAssertEqual(crypto.change1w ?? .nan, 30, accuracy: 1e-9)

            let fx = try XCTUnwrap(byName["Currencies"])
            XCTAssertEqual(fx.change1d ?? .nan, 4, accuracy: 1e-9)
            XCTAssertNil(fx.change1w, "no close a week back")

            let utilities = try XCTUnwrap(byName["Utilities"])
            XCTAssertNil(utilities.change1d)
            XCTAssertNil(utilities.members[0].price)
            let first = (r.object["items"] as? [[String: Any]])?.first ?? [:]
            XCTAssertEqual(Set(first.keys), ["name", "change1d", "change1w", "weighting", "members"])
        }
    }

    func testLiveSectorIndexFollowsTicksAndChainLinks() async throws {
        let store = try await portfolioStore(self.path("sectors.sqlite"))
        let deps = try await portfolioDependencies(store, clock: SettableClock(portfolioToday + 2 * 3_600_000))
        // An index of its own: the application's is also reloaded by the snapshot service when the app starts, which
        // may take a member's first price from yesterday's bar before the seeded tick arrives.
        let index = SectorIndex(assets: store, book: deps.quoteBook, bus: deps.marketBus)
        try await buildApplication(deps).test(.router) { client in
            try await Self.seed(client)
            try await index.reload()
            XCTAssertEqual(index.sectors(of: "BTC"), ["Crypto"])
            XCTAssertEqual(index.sectors(of: "EURUSD"), ["Currencies"])
            XCTAssertEqual(index.sectors(of: "AAPL"), ["Information Technology"])
            XCTAssertEqual(index.sectors(of: "SPY"), [])
            XCTAssertEqual(index.weighting(of: "Information Technology"), .value)
            XCTAssertEqual(index.level(of: "Information Technology") ?? .nan, 100, accuracy: 1e-9)
            XCTAssertNil(index.level(of: "Utilities"), "no member has a price")
            XCTAssertNil(index.level(of: "Nothing"))

            // AAPL +10 %: value-weighted 3:1.
            let tick = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"AAPL","ts":\#(portfolioToday + 4_000_000),"price":220}]"#)
            XCTAssertEqual(tick.status, .created, tick.text)
            XCTAssertEqual(index.level(of: "Information Technology") ?? .nan, 107.5, accuracy: 1e-9)
            // History never moves it.
            let past = try await client.send(
                .post, "/api/ticks?historical=true",
                json: #"[{"symbol":"MSFT","ts":\#(portfolioToday - 4_000_000),"price":1}]"#)
            XCTAssertEqual(past.status, .created, past.text)
            XCTAssertEqual(index.level(of: "Information Technology") ?? .nan, 107.5, accuracy: 1e-9)

            // A new member (with its price) joins: the level carries on, then moves with it at its weight.
            let joined = try await client.send(
                .put, "/api/assets/NODATA",
                json: #"{"assetClass":"equity","sector":"Information Technology","marketCap":4e12}"#)
            XCTAssertEqual(joined.status, .ok, joined.text)
            let priced = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"NODATA","ts":\#(portfolioToday + 4_100_000),"price":10}]"#)
            XCTAssertEqual(priced.status, .created, priced.text)
            try await index.reload()
            XCTAssertEqual(index.level(of: "Information Technology") ?? .nan, 107.5, accuracy: 1e-9)
            let up = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"NODATA","ts":\#(portfolioToday + 4_200_000),"price":11}]"#)
            XCTAssertEqual(up.status, .created, up.text)
            // Weights 3:1:4 over 8; NODATA's +10 % adds 107.5 × (4/8 × 0.1) / (Σ w·ratio / Σ w before).
            let before = (3 * 1.1 + 1 * 1.0 + 4 * 1.0) / 8
            let after = (3 * 1.1 + 1 * 1.0 + 4 * 1.1) / 8
            XCTAssertEqual(index.level(of: "Information Technology") ?? .nan, 107.5 * after / before, accuracy: 1e-9)
            XCTAssertNil(index.level(of: "Utilities"), "a sector with no member left is gone")
        }
    }

    func testAssetsCarryAMarketCap() async throws {
        let store = try await portfolioStore(self.path("assets.sqlite"))
        let deps = try await portfolioDependencies(store, clock: SystemClock())
        try await buildApplication(deps).test(.router) { client in
            let created = try await client.send(
                .post, "/api/assets", json: #"{"symbol":"NVDA","sector":"Information Technology","marketCap":3.2e12}"#)
            XCTAssertEqual(created.status, .created, created.text)
            let shown = try await client.send(.get, "/api/assets/NVDA")
            XCTAssertEqual(try shown.decode(AssetDTO.self).marketCap, 3.2e12)
            let cleared = try await client.send(.put, "/api/assets/NVDA", json: #"{"sector":"Information Technology"}"#)
            XCTAssertEqual(cleared.status, .ok, cleared.text)
            XCTAssertNil(cleared.object["marketCap"], "PUT replaces every field")
            for (body, pointer) in [
                (#"{"marketCap":-1}"#, "/marketCap"), (#"{"marketCap":"big"}"#, "/marketCap"),
                (#"{"marketCap":1e31}"#, "/marketCap"),
            ] {
                let r = try await client.send(.put, "/api/assets/NVDA", json: body)
                XCTAssertEqual(r.problemPointers, [pointer], body)
            }
            let stored = try await store.asset("NVDA")
            XCTAssertEqual(stored.sector, "Information Technology", "refused bodies changed nothing")
            XCTAssertNil(stored.marketCap)
        }
    }
}
