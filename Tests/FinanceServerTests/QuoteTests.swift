import FinanceCore
import FinanceServer
import FinanceStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

final class QuoteTests: XCTestCase {
    func testQuoteFromBarsWithDayStatisticsAndChange() async throws {
        let store = MemoryStore()
        let day1 = Timestamp.parse("2024-05-01")!
        let day2 = Timestamp.parse("2024-05-02")!
        let bars = [
            Bar(ts: day1 + 60_000, open: 10, high: 12, low: 9, close: 11, volume: 5),
            Bar(ts: day1 + 120_000, open: 11, high: 11.5, low: 10, close: 10, volume: 5),
            Bar(ts: day2, open: 10, high: 10.5, low: 9.5, close: 10.2, volume: 3),
            Bar(ts: day2 + 60_000, open: 10.2, high: 13, low: 10.1, close: 12.5, volume: 4),
        ]
        try await store.writeBars(BarBatch(symbol: "Q", interval: .minute1, bars: bars))
        let quote = try await QuoteService(store: store).quote(symbol: "Q", now: day2 + 3_600_000)
        XCTAssertEqual(quote.price, 12.5)
        XCTAssertEqual(quote.ts, day2 + 60_000)
        XCTAssertEqual(quote.open, 10)
        XCTAssertEqual(quote.high, 13)
        XCTAssertEqual(quote.low, 9.5)
        XCTAssertEqual(quote.volume, 7)
        XCTAssertEqual(quote.change!, 2.5, accuracy: 1e-12)
        XCTAssertEqual(quote.changePercent!, 25, accuracy: 1e-9)
        XCTAssertNil(quote.bid)
    }

    func testQuoteTakesTheNewerOfTheLatestTickAndTheLatestBar() async throws {
        let store = MemoryStore()
        let june = Timestamp.parse("2024-06-03T14:30:00Z")!
        _ = try await store.writeTicks([Tick(symbol: "ACME", ts: june, price: 12.5, bid: 12.4, ask: 12.6)])
        var quote = try await QuoteService(store: store).quote(symbol: "ACME", now: june + 60_000)
        XCTAssertEqual(quote.price, 12.5)
        XCTAssertEqual(quote.bid, 12.4)
        // A bar imported later for a later time: the quote follows it.
        let january = Timestamp.parse("2025-01-02T10:00:00Z")!
        try await store.writeBars(
            BarBatch(
                symbol: "ACME", interval: .minute1,
                bars: [Bar(ts: january, open: 49, high: 51, low: 48, close: 50, volume: 3)]))
        quote = try await QuoteService(store: store).quote(symbol: "ACME", now: january + 60_000)
        XCTAssertEqual(quote.price, 50)
        XCTAssertEqual(quote.ts, january)
        XCTAssertNil(quote.bid)
    }

    func testQuoteFromWeeklyBarsHasNoDayStatistics() async throws {
        let store = MemoryStore()
        let week = Timestamp.parse("2024-05-06")!
        try await store.writeBars(
            BarBatch(
                symbol: "W", interval: .week1, bars: [Bar(ts: week, open: 1, high: 2, low: 0.5, close: 1.5, volume: 9)])
        )
        let quote = try await QuoteService(store: store).quote(symbol: "W", now: week + 86_400_000)
        XCTAssertEqual(quote.price, 1.5)
        XCTAssertNil(quote.open)
        XCTAssertNil(quote.change)
    }

    func testQuoteOfAnAssetWithoutDataIs404() async throws {
        let store = MemoryStore()
        try await store.createAsset(Asset(symbol: "EMPTY", assetClass: .equity))
        try await makeApp(store: store).test(.router) { client in
            let r = try await client.send(.get, "/api/quotes/EMPTY")
            XCTAssertEqual(r.status, .notFound)
            XCTAssertTrue((r.object["detail"] as? String ?? "").contains("EMPTY"))
            let bars = try await client.send(.get, "/api/bars/EMPTY")
            XCTAssertEqual(bars.status, .ok)
            XCTAssertEqual((bars.object["bars"] as? [Any])?.count, 0)
        }
    }

    func testMarketBusDropsOldestForSlowSubscribers() async {
        let bus = MarketBus(bufferSize: 3)
        let stream = bus.subscribe()
        XCTAssertEqual(bus.subscriberCount, 1)
        bus.publish((0..<10).map { .tick(Tick(symbol: "A", ts: Int64($0), price: 1)) })
        bus.finish()
        var seen: [Int64] = []
        for await event in stream { if case .tick(let t) = event { seen.append(t.ts) } }
        XCTAssertEqual(seen, [7, 8, 9])
        XCTAssertEqual(bus.subscriberCount, 0)
    }
}
