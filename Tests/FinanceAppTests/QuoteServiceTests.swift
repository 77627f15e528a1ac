import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import XCTest

final class QuoteServiceTests: XCTestCase {
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

    /// Daily bars imported for past years and minute bars from live ticks: each bucket comes from the coarsest
    /// stored interval with data in it (before, the minute bars hid every stored daily bar).
    func testStoredBarsOfACoarserIntervalAreNotHiddenByFinerOnes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mixed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("m.sqlite").path)
        _ = try await store.migrate()
        let day: Int64 = 86_400_000
        let first = Timestamp.parse("2020-01-01")!
        let daily = (0..<1_096).map { k in
            Bar(ts: first + Int64(k) * day, open: 10, high: 11, low: 9, close: 10.5, volume: Double(k + 1))
        }
        let jan2 = Timestamp.parse("2024-01-02")!
        let jan3 = Timestamp.parse("2024-01-03")!
        try await store.writeBars(
            BarBatch(
                symbol: "MIX", interval: .day1,
                bars: daily + [Bar(ts: jan2, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1)]))
        _ = try await store.writeTicks([Tick(symbol: "MIX", ts: jan2 + 36_000_000, price: 1)])
        let minutes = (0..<10).map { k in
            Bar(ts: jan3 + Int64(k) * 60_000, open: 3, high: 3 + Double(k), low: 2, close: 3.5, volume: 2)
        }
        try await store.writeBars(BarBatch(symbol: "MIX", interval: .minute1, bars: minutes))
        let service = BarQueryService(store: store)
        let now = jan3 + day
        for source in [BarSource.auto, .raw] {
            let past = try await service.bars(
                symbol: "MIX", interval: .day1, from: first, to: Timestamp.parse("2021-01-01")!, source: source,
                now: now)
            XCTAssertEqual(past, Array(daily.prefix(366)), "\(source)")
            // The stored daily bar of Jan 2 wins over the one minute of ticks that day; Jan 3 comes from minutes.
            let latest = try await service.bars(
                symbol: "MIX", interval: .day1, from: nil, to: nil, limit: 3, source: source, now: now)
            XCTAssertEqual(latest.map(\.ts), [daily[1_095].ts, jan2, jan3], "\(source)")
            XCTAssertEqual(latest[1].high, 2)
            XCTAssertEqual(latest[1].volume, 1)
            XCTAssertEqual(latest[2].high, 12)
            XCTAssertEqual(latest[2].volume, 20)
            let weeks = try await service.bars(
                symbol: "MIX", interval: .week1, from: first, to: Timestamp.parse("2020-02-03")!, source: source,
                now: now)
            // Weeks start on Monday: the first whole one from Wednesday 2020-01-01 is 6–12 January.
            XCTAssertEqual(weeks.first?.volume, daily[5..<12].reduce(0) { $0 + $1.volume }, "\(source)")
            XCTAssertEqual(weeks.count, 4)
        }
        // Paging through every daily bucket from the first: the union in order, each once.
        var cursor = first
        var all: [Bar] = []
        while true {
            let page = try await service.bars(
                symbol: "MIX", interval: .day1, from: cursor, to: nil, limit: 400, now: now)
            all += page
            guard page.count == 400, let last = page.last else { break }
            cursor = last.ts + 1
        }
        XCTAssertEqual(all.map(\.ts), daily.map(\.ts) + [jan2, jan3])
        // The quote is the newest price: the last minute of Jan 3.
        let quote = try await QuoteService(store: store).quote(symbol: "MIX", now: now)
        XCTAssertEqual(quote.ts, minutes[9].ts)
        XCTAssertEqual(quote.high, 12)
        // Minute bars older than the daily ones: the quote follows the newer daily bar.
        try await store.writeBars(
            BarBatch(
                symbol: "OLD", interval: .minute1,
                bars: [Bar(ts: first + 60_000, open: 5, high: 5, low: 5, close: 5, volume: 1)]))
        try await store.writeBars(
            BarBatch(
                symbol: "OLD", interval: .day1, bars: [Bar(ts: jan2, open: 7, high: 8, low: 6, close: 7.5, volume: 1)]))
        let old = try await QuoteService(store: store).quote(symbol: "OLD", now: now)
        XCTAssertEqual(old.price, 7.5)
        XCTAssertEqual(old.ts, jan2)
        try await store.close()
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
}
