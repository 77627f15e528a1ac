import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `MarketDataRepository` bar writes and reads.
extension StoreContract {
    // MARK: - Bars

    @Sendable static func upsertReplaces(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let first = bars(from: t0, step: minute, 0..<5)
        try await store.writeBars(BarBatch(symbol: "UPS", interval: .minute1, bars: first))
        var second = bars(from: t0 + 3 * minute, step: minute, 0..<4, seed: 500)  // overlaps minutes 3, 4
        second[0].volume = 12345
        try await store.writeBars(BarBatch(symbol: "UPS", interval: .minute1, bars: second))
        let stored = try await all(store, "UPS", .stored(.minute1))
        assertBars(stored, Array(first.prefix(3)) + second, "upsert by (symbol, interval, ts)")
        // Same times at another interval and another symbol are separate series.
        try await store.writeBars(BarBatch(symbol: "UPS", interval: .minute5, bars: [bar(t0, 999)]))
        try await store.writeBars(BarBatch(symbol: "UPS2", interval: .minute1, bars: [bar(t0, 998)]))
        let again = try await all(store, "UPS", .stored(.minute1))
        assertBars(again, Array(first.prefix(3)) + second, "other series do not touch a series")
        let fiveMinute = try await all(store, "UPS", .stored(.minute5))
        assertBars(fiveMinute, [bar(t0, 999)], "5m series")
        // Re-writing identical bars is a no-op.
        try await store.writeBars(BarBatch(symbol: "UPS", interval: .minute1, bars: second))
        let same = try await all(store, "UPS", .stored(.minute1))
        assertBars(same, Array(first.prefix(3)) + second, "identical rewrite")
        try await assertRollupsExact(store, "UPS", base: .minute1, "after upserts")
    }

    @Sendable static func valuesRoundTrip(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let values: [Bar] = [
            Bar(ts: t0, open: 0.1 + 0.2, high: 1e-3 + 0.5, low: 1e-8, close: 0.30000000000000004, volume: 0),
            Bar(
                ts: t0 + minute, open: 12345.678901234567, high: 99999.99999999999, low: 1.0000000000000002,
                close: 54321.123456789, volume: 123_456_789_012.5),
            Bar(ts: t0 + 2 * minute, open: 3, high: 3, low: 3, close: 3, volume: 0.000001),
        ]
        try await store.writeBars(BarBatch(symbol: "RT", interval: .minute1, bars: values))
        let stored = try await all(store, "RT", .stored(.minute1))
        assertBars(stored, values, "doubles round-trip bit for bit")
        let ticks = [
            Tick(
                symbol: "RT", ts: t0 + 5, price: 0.1 + 0.2, size: 1e-8, bid: 0.3, ask: 0.30000000000000004, bidSize: 7,
                askSize: 0),
            Tick(symbol: "RT", ts: t0 + 6, price: 1.5),
            Tick(symbol: "RT", ts: t0 + 7, price: 2.5, size: nil, bid: nil, ask: 2.75, bidSize: nil, askSize: 3),
        ]
        _ = try await store.writeTicks(ticks)
        let readTicks = try await store.ticks(symbol: "RT", from: nil, to: nil, limit: 100)
        XCTAssertEqual(readTicks, ticks, "ticks round-trip with optional fields kept nil")
        let latest = try await store.latestTick(symbol: "RT")
        XCTAssertEqual(latest, ticks[2])
    }

    @Sendable static func multipleBatchesAndProgress(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let a = BarBatch(symbol: "MB1", interval: .minute1, bars: bars(from: t0, step: minute, 0..<150))
        let b = BarBatch(symbol: "MB1", interval: .hour1, bars: bars(from: t0, step: hour, 0..<30))
        let c = BarBatch(symbol: "MB2", interval: .day1, bars: bars(from: t0, step: day, 0..<10))
        let reports = ProgressLog()
        try await store.writeBars([a, b, c], progress: { reports.append($0) })
        let seen = reports.values
        XCTAssertFalse(seen.isEmpty, "progress is called")
        XCTAssertEqual(seen.last, 190, "the last progress report is the total bars written")
        XCTAssertEqual(seen, seen.sorted(), "progress never goes backwards")
        let ra = try await all(store, "MB1", .stored(.minute1))
        let rb = try await all(store, "MB1", .stored(.hour1))
        let rc = try await all(store, "MB2", .stored(.day1))
        assertBars(ra, a.bars, "batch 1 of 3")
        assertBars(rb, b.bars, "batch 2 of 3")
        assertBars(rc, c.bars, "batch 3 of 3")
        try await assertRollupsExact(store, "MB1", base: .minute1, "multi-batch write")
        try await assertRollupsExact(store, "MB1", base: .hour1, "multi-batch write")
        // Empty inputs are fine.
        try await store.writeBars([], progress: nil)
        let none = try await store.writeTicks([])
        XCTAssertEqual(none, [], "writeTicks([]) rebuilds nothing")
    }

    /// If a store rejects a write (here: a batch holding a NaN price after a valid batch, which most backends
    /// refuse), nothing of that call may remain. Stores that accept NaN pass trivially; store-specific tests
    /// must then prove atomicity another way.
    @Sendable static func failedWriteLeavesNothing(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        try await store.writeBars(
            BarBatch(symbol: "ATOM", interval: .minute1, bars: bars(from: t0, step: minute, 0..<3)))
        let before = try await all(store, "ATOM", .stored(.minute1))
        let beforeRollup = try await all(store, "ATOM", .rollup(base: .minute1, interval: .hour1))
        var poisoned = bars(from: t0 + 10 * minute, step: minute, 0..<3)
        poisoned[2].close = .nan
        let good = BarBatch(symbol: "ATOMNEW", interval: .minute1, bars: bars(from: t0, step: minute, 0..<5))
        let update = BarBatch(symbol: "ATOM", interval: .minute1, bars: bars(from: t0, step: minute, 0..<3, seed: 77))
        do {
            try await store.writeBars(
                [good, update, BarBatch(symbol: "ATOM", interval: .minute1, bars: poisoned)], progress: nil)
        } catch {
            let after = try await all(store, "ATOM", .stored(.minute1))
            assertBars(after, before, "a failed write leaves earlier bars as they were")
            let afterRollup = try await all(store, "ATOM", .rollup(base: .minute1, interval: .hour1))
            assertBars(afterRollup, beforeRollup, "a failed write leaves rollups as they were")
            let newBars = try await all(store, "ATOMNEW", .stored(.minute1))
            XCTAssertEqual(newBars, [], "a failed write stores none of its batches")
            let newRollups = try await all(store, "ATOMNEW", .rollup(base: .minute1, interval: .hour1))
            XCTAssertEqual(newRollups, [], "a failed write stores no rollups")
            let symbols = try await store.assets().map(\.symbol)
            XCTAssertEqual(symbols, ["ATOM"], "a failed write creates no assets")
            let intervals = try await store.storedIntervals(symbol: "ATOMNEW")
            XCTAssertEqual(intervals, [])
        }
    }

    @Sendable static func barsRangeLimitOrder(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let stored = bars(from: t0, step: minute, 0..<20)
        try await store.writeBars(BarBatch(symbol: "RNG", interval: .minute1, bars: stored))
        try await store.writeBars(
            BarBatch(symbol: "RNG2", interval: .minute1, bars: bars(from: t0, step: minute, 0..<20, seed: 3)))
        func read(_ from: Int64?, _ to: Int64?, _ limit: Int, _ newestFirst: Bool) async throws -> [Bar] {
            try await store.bars(
                symbol: "RNG", series: .stored(.minute1), from: from, to: to, limit: limit, newestFirst: newestFirst)
        }
        let everything = try await read(nil, nil, 1000, false)
        assertBars(everything, stored, "unbounded ascending")
        let newest = try await read(nil, nil, 1000, true)
        assertBars(newest, stored.reversed(), "unbounded descending")
        let range = try await read(t0 + 5 * minute, t0 + 10 * minute, 1000, false)
        assertBars(range, Array(stored[5..<10]), "from inclusive, to exclusive")
        let offGrid = try await read(t0 + 5 * minute + 1, t0 + 10 * minute + 1, 1000, false)
        assertBars(offGrid, Array(stored[6...10]), "bounds between bars")
        let fromOnly = try await read(t0 + 15 * minute, nil, 1000, false)
        assertBars(fromOnly, Array(stored[15...]), "from only")
        let toOnly = try await read(nil, t0 + 3 * minute, 1000, false)
        assertBars(toOnly, Array(stored[..<3]), "to only")
        let firstThree = try await read(nil, nil, 3, false)
        assertBars(firstThree, Array(stored[..<3]), "limit keeps the oldest when ascending")
        let lastThree = try await read(nil, nil, 3, true)
        assertBars(lastThree, Array(stored[17...].reversed()), "limit keeps the newest when descending")
        let rangeNewest = try await read(t0 + 5 * minute, t0 + 10 * minute, 2, true)
        assertBars(rangeNewest, [stored[9], stored[8]], "range + limit + newestFirst")
        let zero = try await read(nil, nil, 0, false)
        XCTAssertEqual(zero, [], "limit 0")
        let emptyRange = try await read(t0 + 10 * minute, t0 + 10 * minute, 10, false)
        XCTAssertEqual(emptyRange, [], "from == to")
        let inverted = try await read(t0 + 10 * minute, t0 + 5 * minute, 10, false)
        XCTAssertEqual(inverted, [], "from > to")
        let missingSymbol = try await store.bars(
            symbol: "NOPE", series: .stored(.minute1), from: nil, to: nil, limit: 10, newestFirst: false)
        XCTAssertEqual(missingSymbol, [], "unknown symbol reads empty")
        let otherInterval = try await store.bars(
            symbol: "RNG", series: .stored(.minute5), from: nil, to: nil, limit: 10, newestFirst: false)
        XCTAssertEqual(otherInterval, [], "unstored interval reads empty")
        // Rollups honour the same bounds.
        try await store.writeBars(
            BarBatch(symbol: "RNGH", interval: .minute1, bars: bars(from: t0, step: 10 * minute, 0..<60)))
        let hours = try await all(store, "RNGH", .rollup(base: .minute1, interval: .hour1))
        XCTAssertEqual(hours.count, 10)
        let hourRange = try await store.bars(
            symbol: "RNGH", series: .rollup(base: .minute1, interval: .hour1), from: t0 + 2 * hour, to: t0 + 5 * hour,
            limit: 2, newestFirst: true)
        assertBars(hourRange, [hours[4], hours[3]], "rollup range + limit + newestFirst")
    }
}
