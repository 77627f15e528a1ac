import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `MarketDataRepository` ticks and the minute bars they build.
extension StoreContract {
    // MARK: - Ticks

    @Sendable static func ticksBuildMinuteBars(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let m0 = t0 + 10 * minute
        let ticks = [
            Tick(symbol: "TCK", ts: m0 + 30_000, price: 10.5, size: 2),
            Tick(symbol: "TCK", ts: m0 + 1_000, price: 10, size: 1),  // out of order: the open
            Tick(symbol: "TCK", ts: m0 + 59_999, price: 9.5, size: nil),  // missing size counts 0; the close
            Tick(symbol: "TCK", ts: m0 + 30_000, price: 11, size: 0.5),  // tie: after 10.5 by arrival
            Tick(symbol: "TCK", ts: m0 + 60_000, price: 12, size: 3),  // the next minute
            Tick(symbol: "TCK2", ts: m0 + 5, price: 100, size: 4, bid: 99.5, ask: 100.5),
            Tick(symbol: "TCK", ts: m0 + 2 * 60_000 + 1, price: 13),
        ]
        let rebuilt = try await store.writeTicks(ticks)
        let expectedTCK = [
            Bar(ts: m0, open: 10, high: 11, low: 9.5, close: 9.5, volume: 3.5),
            Bar(ts: m0 + minute, open: 12, high: 12, low: 12, close: 12, volume: 3),
            Bar(ts: m0 + 2 * minute, open: 13, high: 13, low: 13, close: 13, volume: 0),
        ]
        let expected =
            expectedTCK.map { SymbolBar(symbol: "TCK", bar: $0) }
            + [SymbolBar(symbol: "TCK2", bar: Bar(ts: m0, open: 100, high: 100, low: 100, close: 100, volume: 4))]
        XCTAssertEqual(sortedSymbolBars(rebuilt), expected, "writeTicks returns the rebuilt minute bars")
        let stored = try await all(store, "TCK", .stored(.minute1))
        assertBars(stored, expectedTCK, "ticks build stored 1m bars")
        try await assertRollupsExact(store, "TCK", base: .minute1, "rollups of tick-built bars")
        // A tie at the close: the later arrival is the close.
        let tie = try await store.writeTicks([
            Tick(symbol: "TIE", ts: m0, price: 5, size: 1), Tick(symbol: "TIE", ts: m0, price: 6, size: 1),
            Tick(symbol: "TIE", ts: m0, price: 4, size: 1),
        ])
        XCTAssertEqual(tie, [SymbolBar(symbol: "TIE", bar: Bar(ts: m0, open: 5, high: 6, low: 4, close: 4, volume: 3))])
        let intervals = try await store.storedIntervals(symbol: "TCK")
        XCTAssertEqual(intervals, [.minute1])
    }

    @Sendable static func ticksAcrossCallsAndReplaceBars(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let m0 = t0 + 3 * hour
        // A stored bar of the minute is replaced by the tick-built bar.
        try await store.writeBars(
            BarBatch(symbol: "TX", interval: .minute1, bars: bars(from: m0 - 2 * minute, step: minute, 0..<5)))
        let first = try await store.writeTicks([
            Tick(symbol: "TX", ts: m0 + 20_000, price: 50, size: 1),
            Tick(symbol: "TX", ts: m0 + 40_000, price: 52, size: 1),
        ])
        XCTAssertEqual(
            first, [SymbolBar(symbol: "TX", bar: Bar(ts: m0, open: 50, high: 52, low: 50, close: 52, volume: 2))])
        // A later call adds an earlier tick (new open) and a tie (after the stored one by arrival).
        let second = try await store.writeTicks([
            Tick(symbol: "TX", ts: m0 + 40_000, price: 51, size: 2),
            Tick(symbol: "TX", ts: m0 + 10_000, price: 49, size: 1),
        ])
        XCTAssertEqual(
            second, [SymbolBar(symbol: "TX", bar: Bar(ts: m0, open: 49, high: 52, low: 49, close: 51, volume: 5))])
        let stored = try await all(store, "TX", .stored(.minute1))
        XCTAssertEqual(stored.count, 5)
        XCTAssertEqual(stored[2], second[0].bar, "the minute's stored bar is rebuilt from all its ticks")
        XCTAssertEqual(stored[1], bar(m0 - minute, 1), "other minutes keep their bars")
        try await assertRollupsExact(store, "TX", base: .minute1, "rollups after tick rebuild")
        // A spike by tick raises the hour's high, and the rollups stay exact.
        _ = try await store.writeTicks([Tick(symbol: "TX", ts: m0 + 30_000, price: 500, size: 1)])
        try await assertRollupsExact(store, "TX", base: .minute1, "rollups after a tick spike")
        let hours = try await all(store, "TX", .rollup(base: .minute1, interval: .hour1))
        XCTAssertEqual(hours.last?.high, 500)
    }

    @Sendable static func ticksRangeAndLatest(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let none = try await store.latestTick(symbol: "TR")
        XCTAssertNil(none, "no ticks yet")
        let batch1 = (0..<10).map { Tick(symbol: "TR", ts: t0 + Int64($0) * 1000, price: 100 + Double($0), size: 1) }
        let batch2 = [
            Tick(symbol: "TR", ts: t0 + 5000, price: 200, size: 2),  // a tie with batch1[5], arriving later
            Tick(symbol: "TR", ts: t0 + 9000, price: 300, size: 3),  // a tie with the latest, arriving later
            Tick(symbol: "TR", ts: t0 + 500, price: 400),  // late, out of order
            Tick(symbol: "OTHER", ts: t0 + 99_000, price: 1),
        ]
        _ = try await store.writeTicks(batch1)
        _ = try await store.writeTicks(batch2)
        let all = try await store.ticks(symbol: "TR", from: nil, to: nil, limit: 1000)
        let expected = [batch1[0], batch2[2]] + batch1[1...5] + [batch2[0]] + batch1[6...9] + [batch2[1]]
        XCTAssertEqual(all, expected, "ticks ascending by time, ties by arrival")
        let range = try await store.ticks(symbol: "TR", from: t0 + 5000, to: t0 + 7000, limit: 1000)
        XCTAssertEqual(range, [batch1[5], batch2[0], batch1[6]], "from inclusive, to exclusive")
        let limited = try await store.ticks(symbol: "TR", from: t0 + 1000, to: nil, limit: 3)
        XCTAssertEqual(limited, Array(batch1[1...3]), "limit keeps the oldest")
        let toOnly = try await store.ticks(symbol: "TR", from: nil, to: t0 + 1000, limit: 1000)
        XCTAssertEqual(toOnly, [batch1[0], batch2[2]])
        let zero = try await store.ticks(symbol: "TR", from: nil, to: nil, limit: 0)
        XCTAssertEqual(zero, [])
        let latest = try await store.latestTick(symbol: "TR")
        XCTAssertEqual(latest, batch2[1], "the latest tick by time, then arrival")
        let other = try await store.latestTick(symbol: "OTHER")
        XCTAssertEqual(other, batch2[3])
        let missing = try await store.ticks(symbol: "NOPE", from: nil, to: nil, limit: 10)
        XCTAssertEqual(missing, [])
    }
}
