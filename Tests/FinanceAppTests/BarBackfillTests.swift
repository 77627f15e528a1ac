import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import FinanceTestSupport
import Logging
import XCTest

final class BarBackfillTests: XCTestCase {
    private let day: Int64 = 86_400_000
    /// 2026-03-11T12:00:00Z: 800 days after 2024-01-01, mid-day.
    private var now: Int64 { t0 + 800 * self.day + 12 * 3_600_000 }

    private struct Rig {
        let store = MemoryStore()
        let bus = InProcessMarketBus()
        let clock: SettableClock
        let backfill: BarBackfill

        init(_ providers: [any MarketDataProvider], now: Int64, ttlSeconds: Int64 = 3_600) {
            self.clock = SettableClock(now)
            let sources = DataSourceLedger(assets: self.store)
            self.backfill = BarBackfill(
                router: scriptedRouter(providers, repository: self.store, clock: self.clock),
                cache: ResponseCache(maxEntries: 100, clock: self.clock),
                ingestor: Ingestor(marketData: self.store, bus: self.bus, sources: sources), assets: self.store,
                fetched: FetchedRanges(), cacheTTLMilliseconds: ttlSeconds * 1_000, clock: self.clock,
                logger: Logger(label: "test"))
        }
    }

    func testARangeIsClampedToNowAndTheProviderDepthAndStoredAsHistoryFromItsProvider() async throws {
        let polygon = ScriptedBarProvider("polygon", price: 190)
        let coingecko = ScriptedBarProvider("coingecko", price: 60_000)
        let rig = Rig([coingecko, polygon], now: self.now)
        let history = rig.bus.subscribe("test", includingHistory: true)
        let result = try await rig.backfill.backfill(
            symbol: "AAPL", interval: .day1, from: t0 - 100 * self.day, to: self.now + 10 * self.day)
        let today = self.now - self.now % self.day
        let depthStart = today + self.day - 730 * self.day
        XCTAssertEqual(
            polygon.requests,
            [BarRequest(symbol: "AAPL", id: "AAPL", interval: .day1, from: depthStart, to: today + self.day)],
            "asked from Polygon's 2-year depth up to the end of today")
        XCTAssertEqual(coingecko.requests, [], "an equity never goes to a crypto provider")
        XCTAssertEqual(result.outcome, .fetched)
        XCTAssertEqual(result.provider, "polygon")
        XCTAssertEqual(result.from, t0 - 100 * self.day)
        XCTAssertEqual(result.fetchedFrom, depthStart)
        XCTAssertEqual(result.stored, 730)
        let stored = try await rig.store.bars(
            symbol: "AAPL", series: .stored(.day1), from: nil, to: nil, limit: 10_000, newestFirst: false)
        XCTAssertEqual(stored.count, 730)
        XCTAssertEqual(stored.first?.ts, depthStart)
        let asset = try await rig.store.asset("AAPL")
        XCTAssertEqual(asset.assetClass, .equity, "the asset is created with its class")
        let source = try await rig.store.source(of: "AAPL")
        XCTAssertEqual(source, "polygon")
        var iterator = history.makeAsyncIterator()
        let message = await iterator.next()
        XCTAssertEqual(message?.freshness, .historical, "a backfill is history: never analysed or alerted on")

        let crypto = try await rig.backfill.backfill(
            symbol: "BTC", interval: .hour1, from: self.now - 200 * self.day, to: self.now)
        XCTAssertEqual(crypto.provider, "coingecko", "crypto goes to CoinGecko first (preference)")
        XCTAssertEqual(coingecko.requests.map(\.id), ["bitcoin"])
        XCTAssertEqual(
            coingecko.requests.first?.from, self.now - 90 * self.day,
            "CoinGecko's hourly points reach 90 days back")
    }

    func testAnEmptyRangeIsNotAskedAgainAndAFetchedOneIsCached() async throws {
        let polygon = ScriptedBarProvider("polygon") { _ in [] }
        let rig = Rig([polygon], now: self.now)
        let from = self.now - 30 * self.day
        let first = try await rig.backfill.backfill(symbol: "IBM", interval: .day1, from: from, to: self.now - self.day)
        XCTAssertEqual(first.outcome, .fetched)
        XCTAssertEqual(first.stored, 0)
        let inside = try await rig.backfill.backfill(
            symbol: "IBM", interval: .day1, from: from + 2 * self.day, to: self.now - 5 * self.day)
        XCTAssertEqual(inside.outcome, .knownEmpty, "a range inside one that came back empty is not asked")
        XCTAssertEqual(polygon.requests.count, 1)
        let assets = try await rig.store.assets()
        XCTAssertEqual(assets, [], "nothing is created when nothing came back")

        let filled = ScriptedBarProvider("polygon", price: 10)
        let rig2 = Rig([filled], now: self.now)
        let fetched = try await rig2.backfill.backfill(symbol: "IBM", interval: .day1, from: from, to: self.now)
        XCTAssertEqual(fetched.outcome, .fetched)
        let again = try await rig2.backfill.backfill(symbol: "IBM", interval: .day1, from: from, to: self.now)
        XCTAssertEqual(again.outcome, .cached, "within providers.cache.barsSeconds the fetch is not repeated")
        XCTAssertEqual(again.stored, 0)
        XCTAssertEqual(filled.requests.count, 1)
        rig2.clock.advance(by: 3_601_000)
        _ = try await rig2.backfill.backfill(symbol: "IBM", interval: .day1, from: from, to: self.now)
        XCTAssertEqual(filled.requests.count, 2, "after the TTL the range is fetched again")
    }

    func testFailoverAndWhyNothingCouldServe() async throws {
        let polygon = ScriptedBarProvider("polygon") { _ in throw ProviderError.server(status: 502) }
        let finnhub = ScriptedBarProvider("finnhub", price: 50)
        let rig = Rig([polygon, finnhub], now: self.now)
        let result = try await rig.backfill.backfill(
            symbol: "MSFT", interval: .hour1, from: self.now - 2 * self.day, to: self.now)
        XCTAssertEqual(result.provider, "finnhub")
        XCTAssertEqual(result.attempts.map(\.provider), ["polygon"])
        XCTAssertEqual(result.stored, 48)

        do {
            _ = try await rig.backfill.backfill(symbol: "ETH", interval: .day1, from: self.now - self.day, to: self.now)
            XCTFail("no configured provider serves crypto here but polygon, which fails")
        } catch let error as ProvidersUnavailable {
            XCTAssertEqual(error.attempts.map(\.provider), ["polygon"])
        }
        do {
            _ = try await rig.backfill.backfill(
                symbol: "MSFT", interval: .minute1, from: t0 - 3_000 * self.day, to: t0 - 2_000 * self.day)
            XCTFail("beyond every provider's history")
        } catch let error as BackfillUnavailable {
            XCTAssertTrue(error.reason.contains("beyond"), error.reason)
        }
        let onlyFinnhub = Rig([ScriptedBarProvider("finnhub")], now: self.now)
        do {
            _ = try await onlyFinnhub.backfill.backfill(
                symbol: "BTC", interval: .day1, from: self.now - self.day, to: self.now)
            XCTFail("finnhub serves no crypto bars")
        } catch let error as BackfillUnavailable {
            XCTAssertTrue(error.reason.contains("crypto"), error.reason)
        }
        let future = try await rig.backfill.backfill(
            symbol: "MSFT", interval: .day1, from: self.now + 2 * self.day, to: self.now + 5 * self.day)
        XCTAssertEqual(future.outcome, .future)
    }

    func testWeeksAreFetchedAsDays() async throws {
        let polygon = ScriptedBarProvider("polygon", price: 5)
        let rig = Rig([polygon], now: self.now)
        let result = try await rig.backfill.backfill(
            symbol: "SPY", interval: .week1, from: self.now - 21 * self.day, to: self.now)
        XCTAssertEqual(result.interval, .day1)
        XCTAssertEqual(polygon.requests.first?.interval, .day1)
        let weeks = try await BarQueryService(store: rig.store).bars(
            symbol: "SPY", interval: .week1, from: self.now - 21 * self.day, to: self.now, now: self.now)
        XCTAssertFalse(weeks.isEmpty, "weekly bars are bucketed from the daily ones")
    }
}
