import FinanceCore
import FinanceStorage
import XCTest

/// Checks of `MarketDataRepository` rollups (continuous aggregates).
extension StoreContract {
    // MARK: - Rollups

    @Sendable static func rollupsMatchAggregate(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        // Three days of minutes with gaps (whole missing hours, a missing day part, scattered minutes).
        let indices = (0..<(3 * 1440)).filter { i in
            let hourOfDay = (i / 60) % 24
            return hourOfDay != 3 && !(i >= 1440 && i < 1440 + 600) && i % 7 != 3
        }
        let stored = bars(from: t0, step: minute, indices)
        try await store.writeBars(BarBatch(symbol: "ROLL", interval: .minute1, bars: stored))
        try await assertRollupsExact(store, "ROLL", base: .minute1, "one batch of three days")
        let hours = try await all(store, "ROLL", .rollup(base: .minute1, interval: .hour1))
        XCTAssertEqual(hours.count, 3 * 24 - 12, "one rollup bar per non-empty hour")
        let days = try await all(store, "ROLL", .rollup(base: .minute1, interval: .day1))
        XCTAssertEqual(days.map(\.ts), [t0, t0 + day, t0 + 2 * day], "daily rollups stamped at 00:00 UTC")
        // A far-away second write does not disturb the first.
        try await store.writeBars(
            BarBatch(symbol: "ROLL", interval: .minute1, bars: bars(from: t0 + 40 * day, step: minute, 0..<90)))
        try await assertRollupsExact(store, "ROLL", base: .minute1, "after a distant write")
    }

    @Sendable static func rollupsLateData(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        // Live-style: minutes arrive one small batch at a time, then late minutes fill gaps in old buckets.
        for chunk in stride(from: 0, to: 180, by: 15) {
            let idx = (chunk..<(chunk + 15)).filter { $0 % 4 != 1 }
            try await store.writeBars(
                BarBatch(symbol: "LATE", interval: .minute1, bars: bars(from: t0, step: minute, idx)))
        }
        try await assertRollupsExact(store, "LATE", base: .minute1, "in-order chunks")
        // Late bars: before the first bar of a bucket (new open), in the middle, and a new low/high.
        var late = bars(from: t0, step: minute, stride(from: 1, to: 180, by: 8), seed: 300)
        late[0].low = 1
        late[0].open = 1.5
        late[0].close = 2
        late[3].high = 10_000
        let earlier = bars(from: t0 - 30 * minute, step: minute, 0..<5, seed: 900)  // the previous day's last hour
        try await store.writeBars(BarBatch(symbol: "LATE", interval: .minute1, bars: late))
        try await store.writeBars(BarBatch(symbol: "LATE", interval: .minute1, bars: earlier))
        try await assertRollupsExact(store, "LATE", base: .minute1, "after late data")
        let days = try await all(store, "LATE", .rollup(base: .minute1, interval: .day1))
        XCTAssertEqual(days.map(\.ts), [t0 - day, t0])
        XCTAssertEqual(days.last?.low, 1)
        XCTAssertEqual(days.last?.high, 10_000)
    }

    @Sendable static func rollupsCorrectionLowersHigh(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        var original = bars(from: t0, step: minute, 0..<120)
        original[30].high = 500  // a spike that sets the hour's and the day's high
        original[90].low = 0.5  // a dip that sets the second hour's and the day's low
        original[0].volume = 1_000_000
        try await store.writeBars(BarBatch(symbol: "CORR", interval: .minute1, bars: original))
        let spiked = try await all(store, "CORR", .rollup(base: .minute1, interval: .day1))
        XCTAssertEqual(spiked.first?.high, 500)
        XCTAssertEqual(spiked.first?.low, 0.5)
        // Corrections: the spike, the dip, the first bar (open/volume) and the last bar (close) are fixed.
        let fixed = [0, 30, 90, 119].map { bar(t0 + Int64($0) * minute, $0) }
        try await store.writeBars(BarBatch(symbol: "CORR", interval: .minute1, bars: fixed))
        try await assertRollupsExact(store, "CORR", base: .minute1, "after a correction")
        let days = try await all(store, "CORR", .rollup(base: .minute1, interval: .day1))
        let expectedDay = Bucketing.aggregate(bars(from: t0, step: minute, 0..<120), into: .day1)
        assertBars(days, expectedDay, "a correction can lower a high and raise a low")
        XCTAssertLessThan(days.first?.high ?? 500, 500)
    }

    @Sendable static func rollupsOf5mBase(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let fiveMinute = Interval.minute5
        let stored = bars(from: t0, step: 5 * minute, (0..<600).filter { $0 % 5 != 2 })
        try await store.writeBars(BarBatch(symbol: "FIVE", interval: fiveMinute, bars: stored))
        try await store.writeBars(
            BarBatch(
                symbol: "FIVE", interval: fiveMinute,
                bars: bars(from: t0 + 10 * minute, step: 5 * minute, 0..<3, seed: 40)))
        try await assertRollupsExact(store, "FIVE", base: fiveMinute, "5m base")
        let hours = try await all(store, "FIVE", .rollup(base: fiveMinute, interval: .hour1))
        XCTAssertEqual(hours.count, 50)
        // The 5m rollups are separate from 1m rollups of the same symbol.
        let oneMinute = try await all(store, "FIVE", .rollup(base: .minute1, interval: .hour1))
        XCTAssertEqual(oneMinute, [], "no 1m rollups when only 5m bars are stored")
        try await store.writeBars(
            BarBatch(symbol: "FIVE", interval: .minute1, bars: bars(from: t0, step: minute, 0..<10, seed: 5)))
        try await assertRollupsExact(store, "FIVE", base: .minute1, "1m next to 5m")
        try await assertRollupsExact(store, "FIVE", base: fiveMinute, "5m next to 1m")
    }

    @Sendable static func rollupsPerBaseInterval(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        XCTAssertEqual(BarSeries.rollups(of: .minute1), [.hour1, .day1])
        XCTAssertEqual(BarSeries.rollups(of: .hour1), [.day1])
        XCTAssertEqual(BarSeries.rollups(of: .day1), [])
        let cases: [(Interval, Int64)] = [
            (.minute15, 15 * minute), (.minute30, 30 * minute), (.hour1, hour), (.hour4, 4 * hour), (.day1, day),
        ]
        for (interval, step) in cases {
            let symbol = "PB\(interval.name.uppercased())"
            try await store.writeBars(
                BarBatch(symbol: symbol, interval: interval, bars: bars(from: t0, step: step, 0..<40)))
            try await assertRollupsExact(store, symbol, base: interval, "base \(interval)")
        }
        let dayIntoHour = try await all(store, "PB1D", .rollup(base: .day1, interval: .hour1))
        XCTAssertEqual(dayIntoHour, [], "no rollup of 1d bars into 1h")
        let dayIntoDay = try await all(store, "PB1D", .rollup(base: .day1, interval: .day1))
        XCTAssertEqual(dayIntoDay, [], "no rollup of 1d bars into 1d")
        let hourIntoHour = try await all(store, "PB1H", .rollup(base: .hour1, interval: .hour1))
        XCTAssertEqual(hourIntoHour, [], "no rollup of 1h bars into 1h")
        let fourHourDays = try await all(store, "PB4H", .rollup(base: .hour4, interval: .day1))
        XCTAssertEqual(fourHourDays.count, 7, "4h bars roll up into days")
        // Weekly and monthly bars are stored and read back, with no rollups.
        let weeks = bars(from: t0 - day, step: 7 * day, 0..<5)  // Mondays 00:00 UTC
        try await store.writeBars(BarBatch(symbol: "PBW", interval: .week1, bars: weeks))
        let readWeeks = try await all(store, "PBW", .stored(.week1))
        assertBars(readWeeks, weeks, "weekly bars")
        let weekIntoDay = try await all(store, "PBW", .rollup(base: .week1, interval: .day1))
        XCTAssertEqual(weekIntoDay, [])
        // Only Interval.rollups are kept: no 5m or 4h rollups of 1m bars.
        try await store.writeBars(
            BarBatch(symbol: "PB1M", interval: .minute1, bars: bars(from: t0, step: minute, 0..<30)))
        for interval in [Interval.minute5, .hour4, .week1] {
            let none = try await all(store, "PB1M", .rollup(base: .minute1, interval: interval))
            XCTAssertEqual(none, [], "no rollup of 1m bars into \(interval)")
        }
    }

    @Sendable static func rollupsBeforeEpoch(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        // Hourly bars around 1970-01-01 (negative times floor to the earlier bucket).
        let start: Int64 = -2 * day - 5 * hour
        let stored = bars(from: start, step: hour, 0..<100)
        try await store.writeBars(BarBatch(symbol: "OLD", interval: .hour1, bars: stored))
        try await store.writeBars(
            BarBatch(symbol: "OLD", interval: .minute1, bars: bars(from: -90 * minute, step: minute, 0..<180)))
        try await assertRollupsExact(store, "OLD", base: .hour1, "hourly bars before 1970")
        try await assertRollupsExact(store, "OLD", base: .minute1, "minute bars across 1970")
        let days = try await all(store, "OLD", .rollup(base: .hour1, interval: .day1))
        XCTAssertEqual(days.first?.ts, -3 * day)
        let range = try await store.bars(
            symbol: "OLD", series: .stored(.hour1), from: -day, to: 0, limit: 100, newestFirst: false)
        XCTAssertEqual(range.count, 24, "negative bounds")
    }

    @Sendable static func rollupsSeveralBatchesOneCall(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        // Two batches of the same series in one call, the second overlapping and correcting the first.
        let first = BarBatch(symbol: "SEV", interval: .minute1, bars: bars(from: t0, step: minute, 0..<90))
        var correction = bars(from: t0 + 50 * minute, step: minute, 0..<20, seed: 4000)
        correction[0].high = correction[0].high + 1000
        let second = BarBatch(symbol: "SEV", interval: .minute1, bars: correction)
        let third = BarBatch(symbol: "SEV", interval: .minute1, bars: [bar(t0 + 55 * minute, 1)])
        try await store.writeBars([first, second, third], progress: nil)
        try await assertRollupsExact(store, "SEV", base: .minute1, "overlapping batches in one call")
        let stored = try await all(store, "SEV", .stored(.minute1))
        XCTAssertEqual(stored.count, 90)
        XCTAssertEqual(stored[55], bar(t0 + 55 * minute, 1), "later batches of a call win")
    }

    /// Concurrent writes into the same rollup buckets must not lose each other's bars: a store that recomputes a
    /// bucket from a snapshot missing a concurrent transaction's rows (e.g. READ COMMITTED without a lock per
    /// series) fails this.
    @Sendable static func concurrentWritesSameBuckets(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<32 {
                group.addTask {
                    // Task k writes minutes k, k+32, k+64...: every hour bucket gets bars from every task.
                    let minutes = stride(from: k, to: 180, by: 32)
                    let batch = BarBatch(
                        symbol: "CONC", interval: .minute1, bars: bars(from: t0, step: minute, minutes))
                    try await store.writeBars(batch)
                    _ = try await store.writeTicks([
                        Tick(
                            symbol: "CONCT", ts: t0 + Int64(k % 3) * minute + Int64(k) * 100, price: 10 + Double(k),
                            size: 1)
                    ])
                }
            }
            try await group.waitForAll()
        }
        let stored = try await all(store, "CONC", .stored(.minute1))
        assertBars(stored, bars(from: t0, step: minute, 0..<180), "every concurrent write stored")
        try await assertRollupsExact(store, "CONC", base: .minute1, "concurrent writers")
        let ticks = try await store.ticks(symbol: "CONCT", from: nil, to: nil, limit: 100)
        XCTAssertEqual(ticks.count, 32)
        let minuteBars = try await all(store, "CONCT", .stored(.minute1))
        XCTAssertEqual(minuteBars.count, 3)
        XCTAssertEqual(minuteBars.map(\.volume).reduce(0, +), 32, "every concurrent tick is in its minute bar")
        for bar in minuteBars {
            let inMinute = ticks.filter { Interval.minute1.bucketStart($0.ts) == bar.ts }
            XCTAssertEqual(bar, Bucketing.minuteBars(from: inMinute).first, "minute bar rebuilt from all its ticks")
        }
        try await assertRollupsExact(store, "CONCT", base: .minute1, "concurrent tick writers")
    }
}
