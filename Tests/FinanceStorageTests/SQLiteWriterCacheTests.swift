import FinanceCore
import FinanceStorage
import FinanceStorageTesting
import Foundation
import XCTest

@testable import FinanceStorageSQLite

/// Minute bars built from ticks stay the fold of every stored tick of their minute, in time then arrival order,
/// whichever way the ticks arrive (extending the minute, late, equal times, across minutes), when another
/// connection writes ticks too, and after an asset's ticks are deleted.
final class SQLiteWriterCacheTests: XCTestCase {
    private var folder: URL!

    override func setUp() {
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("fh-minutes-\(UUID().uuidString)")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: self.folder)
    }

    private func open() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: self.folder.appendingPathComponent("store.sqlite").path)
        _ = try await store.migrate()
        return store
    }

    private let t0 = StoreContract.t0

    /// The fold of `ticks` (in arrival order) into one-minute bars.
    static func expectedMinutes(_ ticks: [Tick], symbol: String) -> [Bar] {
        let mine = ticks.enumerated().filter { $0.element.symbol == symbol }
            .sorted { ($0.element.ts, $0.offset) < ($1.element.ts, $1.offset) }.map(\.element)
        var bars: [Int64: Bar] = [:]
        for tick in mine {
            let minute = Interval.minute1.bucketStart(tick.ts)
            let bar = Bar(
                ts: minute, open: tick.price, high: tick.price, low: tick.price, close: tick.price,
                volume: tick.size ?? 0)
            if bars[minute] == nil { bars[minute] = bar } else { bars[minute]!.absorb(bar) }
        }
        return bars.values.sorted { $0.ts < $1.ts }
    }

    private func storedMinutes(_ store: SQLiteStore, _ symbol: String) async throws -> [Bar] {
        try await store.bars(
            symbol: symbol, series: .stored(.minute1), from: nil, to: nil, limit: 100_000, newestFirst: false)
    }

    func testRandomArrivalsMatchTheFoldOfAllTicks() async throws {
        let store = try await self.open()
        var random = SeededRandom(seed: 42)
        var all: [Tick] = []
        var clock = self.t0
        var extended = 0
        for batch in 0..<300 {
            var ticks: [Tick] = []
            for _ in 0..<random.int(1, 12) {
                let symbol = ["AAA", "BBB", "CCC"][random.int(0, 2)]
                // Mostly forward in time; sometimes equal, sometimes late (back up to two minutes).
                switch random.int(0, 9) {
                case 0: clock -= Int64(random.int(1, 120_000))
                case 1: break
                case 2, 3: clock -= Int64(random.int(1, 8_000))
                default: clock += Int64(random.int(1, 4_000))
                }
                // AAA trades whole sizes (late ticks fold in from memory), the others fractional ones (late ticks
                // read the minute back so that the volume is summed in time order).
                let size = Double(random.int(1, 500)) / (symbol == "AAA" ? 1 : 10)
                ticks.append(
                    Tick(
                        symbol: symbol, ts: clock, price: Double(random.int(9_000, 11_000)) / 100,
                        size: random.int(0, 4) == 0 ? nil : size))
            }
            let before = store.writerCache.count
            let rebuilt = try await store.writeTicks(ticks)
            if before > 0 { extended += 1 }
            all += ticks
            // What the write returns is the current fold of each minute it touched.
            for symbol in Set(ticks.map(\.symbol)) {
                let expected = Self.expectedMinutes(all, symbol: symbol)
                for bar in rebuilt where bar.symbol == symbol {
                    XCTAssertEqual(bar.bar, expected.first { $0.ts == bar.bar.ts }, "batch \(batch), \(symbol)")
                }
            }
        }
        XCTAssertGreaterThan(extended, 200, "most batches extend a held minute")
        for symbol in ["AAA", "BBB", "CCC"] {
            let stored = try await self.storedMinutes(store, symbol)
            XCTAssertEqual(stored, Self.expectedMinutes(all, symbol: symbol), symbol)
        }
    }

    func testLateTicksSetTheOpenAndKeepTheClose() async throws {
        let store = try await self.open()
        let m = self.t0
        for (symbol, size) in [("AAA", 3.0), ("BBB", 0.3)] {
            var all = [
                Tick(symbol: symbol, ts: m + 30_000, price: 10, size: 1),
                Tick(symbol: symbol, ts: m + 40_000, price: 12, size: 2),
            ]
            for tick in all { _ = try await store.writeTicks([tick]) }
            // Earlier than the minute's first tick (a new open), then equal to its last (a new close).
            for late in [
                Tick(symbol: symbol, ts: m + 10_000, price: 5, size: size),
                Tick(symbol: symbol, ts: m + 40_000, price: 11, size: size),
            ] {
                let rebuilt = try await store.writeTicks([late])
                all.append(late)
                XCTAssertEqual(rebuilt.map(\.bar), Self.expectedMinutes(all, symbol: symbol), symbol)
            }
            let bar = try await self.storedMinutes(store, symbol)
            XCTAssertEqual(bar.first?.open, 5)
            XCTAssertEqual(bar.first?.close, 11)
            XCTAssertEqual(bar, Self.expectedMinutes(all, symbol: symbol))
        }
    }

    func testAnotherConnectionsTicksAreFoldedIn() async throws {
        let store = try await self.open()
        let other = try SQLiteStore(path: self.folder.appendingPathComponent("store.sqlite").path)
        let minute = self.t0
        var all = [Tick(symbol: "AAA", ts: minute + 1_000, price: 10, size: 1)]
        _ = try await store.writeTicks(all)
        XCTAssertEqual(store.writerCache.count, 2, "the minute and its series' tail")
        // Another writer adds a tick in the same minute (a higher price, a later time); the first store's next tick
        // must fold it in although its own held bar never saw it.
        let foreign = Tick(symbol: "AAA", ts: minute + 2_000, price: 50, size: 2)
        _ = try await other.writeTicks([foreign])
        all.append(foreign)
        let next = Tick(symbol: "AAA", ts: minute + 3_000, price: 11, size: 3)
        let rebuilt = try await store.writeTicks([next])
        all.append(next)
        let expected = Self.expectedMinutes(all, symbol: "AAA")
        XCTAssertEqual(rebuilt.map(\.bar), expected)
        XCTAssertEqual(expected.first?.high, 50)
        let stored = try await self.storedMinutes(store, "AAA")
        XCTAssertEqual(stored, expected)
    }

    func testDeletedTicksAreNotFoldedAgain() async throws {
        let store = try await self.open()
        let minute = self.t0
        _ = try await store.writeTicks([Tick(symbol: "AAA", ts: minute + 1_000, price: 99, size: 5)])
        try await store.deleteAsset("AAA")
        XCTAssertEqual(store.writerCache.count, 0)
        let later = Tick(symbol: "AAA", ts: minute + 2_000, price: 10, size: 1)
        let rebuilt = try await store.writeTicks([later])
        XCTAssertEqual(rebuilt.map(\.bar), Self.expectedMinutes([later], symbol: "AAA"))
    }

    /// A symbol's two newest minutes are kept, so a batch arriving late across a minute boundary folds from memory.
    func testRecentMinutesKeepTheTwoNewest() {
        func entry(_ minute: Int64, _ price: Double) -> WriterCache.MinuteEntry {
            WriterCache.MinuteEntry(minute: minute, ts: minute, price: price, size: 1)
        }
        var recent = WriterCache.RecentMinutes()
        XCTAssertNil(recent[0])
        recent.keep(entry(60_000, 1))
        recent.keep(entry(0, 2))
        XCTAssertEqual(recent[0]?.bar.close, 2, "an older minute is kept while there is room")
        recent.keep(entry(120_000, 3))
        XCTAssertNil(recent[0], "a third minute pushes the oldest out")
        XCTAssertEqual(recent[60_000]?.bar.close, 1)
        XCTAssertEqual(recent[120_000]?.bar.close, 3)
        recent.keep(entry(0, 4))
        XCTAssertNil(recent[0], "a minute older than both is not kept")
        recent.keep(entry(60_000, 5))
        recent.keep(entry(120_000, 6))
        XCTAssertEqual([recent[60_000]?.bar.close, recent[120_000]?.bar.close], [5, 6], "a kept minute is replaced")
    }

    func testTheCacheIsBounded() {
        let cache = WriterCache(capacity: 2)
        let bar = Bar(ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 0)
        var entry = WriterCache.RecentMinutes()
        entry.keep(WriterCache.MinuteEntry(minute: 0, ts: 0, price: 1, size: 0))
        cache.commit(WriterCache.Entries(minutes: ["A": entry, "B": entry]), atDataVersion: 1)
        XCTAssertEqual(cache.count, 2)
        cache.commit(WriterCache.Entries(minutes: ["C": entry]), atDataVersion: 1)
        XCTAssertEqual(cache.count, 1, "beyond its capacity the cache starts over")
        XCTAssertEqual(cache.entries(atDataVersion: 2), WriterCache.Entries(), "another connection's commit drops all")
        let key = WriterCache.SeriesKey(symbol: "D", interval: .minute1)
        let tail = WriterCache.SeriesTail(last: bar, buckets: [])
        cache.commit(WriterCache.Entries(tails: [key: tail]), atDataVersion: 2)
        XCTAssertEqual(cache.entries(atDataVersion: 2).tails, [key: tail])
        cache.commit(WriterCache.Entries(dropped: [key]), atDataVersion: 2)
        XCTAssertEqual(cache.count, 0, "a dropped tail is forgotten")
    }

    /// Rollups stay the aggregate of the stored bars whichever way bars arrive: ticks, bars that replace or follow
    /// the latest one, bars behind it, across hours and days, for several series.
    func testRollupsMatchTheAggregateOfTheStoredBars() async throws {
        let store = try await self.open()
        var random = SeededRandom(seed: 11)
        var clock = self.t0
        var fromCache = 0
        for _ in 0..<250 {
            let symbol = ["AAA", "BBB"][random.int(0, 1)]
            if random.int(0, 2) == 0 {
                // A tick batch (minute bars from ticks).
                var ticks: [Tick] = []
                for _ in 0..<random.int(1, 6) {
                    clock += Int64(random.int(0, 90_000))
                    ticks.append(
                        Tick(
                            symbol: symbol, ts: clock, price: Double(random.int(100, 200)),
                            size: Double(random.int(0, 9))))
                }
                _ = try await store.writeTicks(ticks)
            } else {
                // A bar batch: mostly at or after the series' head, sometimes behind it, sometimes across days.
                var ts = Interval.minute1.bucketStart(clock)
                switch random.int(0, 5) {
                case 0: ts -= Int64(random.int(1, 3_000)) * 60_000
                case 1: ts += Int64(random.int(1, 3)) * 86_400_000
                default: ts += Int64(random.int(0, 3)) * 60_000
                }
                var bars: [Bar] = []
                for _ in 0..<random.int(1, 5) {
                    let open = Double(random.int(100, 200))
                    let close = Double(random.int(100, 200))
                    bars.append(
                        Bar(
                            ts: ts, open: open, high: max(open, close) + Double(random.int(0, 5)),
                            low: min(open, close) - Double(random.int(0, 5)), close: close,
                            volume: Double(random.int(0, 1000)) / 7))
                    ts += Int64(random.int(1, 200)) * 60_000
                }
                clock = max(clock, ts)
                try await store.writeBars([BarBatch(symbol: symbol, interval: .minute1, bars: bars)], progress: nil)
            }
            if store.writerCache.count > 0 { fromCache += 1 }
        }
        XCTAssertGreaterThan(fromCache, 200)
        for symbol in ["AAA", "BBB"] {
            let minutes = try await self.storedMinutes(store, symbol)
            for rollup in BarSeries.rollups(of: .minute1) {
                let stored = try await store.bars(
                    symbol: symbol, series: .rollup(base: .minute1, interval: rollup), from: nil, to: nil,
                    limit: 100_000, newestFirst: false)
                XCTAssertEqual(stored, Bucketing.aggregate(minutes, into: rollup), "\(symbol) \(rollup.name)")
            }
        }
    }
}
