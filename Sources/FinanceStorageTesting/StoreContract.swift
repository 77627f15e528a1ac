import FinanceCore
import FinanceStorage
import Synchronization
import XCTest

/// The storage contract: driver-agnostic checks of the `MarketStore` semantics, run by the tests of every store.
///
/// Each check takes a fresh, empty store (the check calls `migrate()` itself) and reports through XCTest
/// assertions; unexpected errors are thrown. Test targets run them one XCTest method per check (XCTest on
/// Linux does not reliably discover inherited test methods), e.g.
///
/// ```swift
/// func testUpsertReplaces() async throws { try await StoreContract.run("upsertReplaces", on: makeStore()) }
/// ```
///
/// and should also assert that every name in `StoreContract.names` has a test (see `missing(from:)`).
public enum StoreContract {
    /// One named check.
    public struct Check: Sendable {
        public let name: String
        public let run: @Sendable (any MarketStore) async throws -> Void
        public init(_ name: String, _ run: @escaping @Sendable (any MarketStore) async throws -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Every check, in a stable order.
    public static let checks: [Check] = [
        Check("migrateIdempotent", migrateIdempotent),
        Check("assetCRUD", assetCRUD),
        Check("writeBarsCreatesUnknownAssets", writeBarsCreatesUnknownAssets),
        Check("symbolsWithPunctuation", symbolsWithPunctuation),
        Check("upsertReplaces", upsertReplaces),
        Check("valuesRoundTrip", valuesRoundTrip),
        Check("multipleBatchesAndProgress", multipleBatchesAndProgress),
        Check("failedWriteLeavesNothing", failedWriteLeavesNothing),
        Check("barsRangeLimitOrder", barsRangeLimitOrder),
        Check("rollupsMatchAggregate", rollupsMatchAggregate),
        Check("rollupsLateData", rollupsLateData),
        Check("rollupsCorrectionLowersHigh", rollupsCorrectionLowersHigh),
        Check("rollupsOf5mBase", rollupsOf5mBase),
        Check("rollupsPerBaseInterval", rollupsPerBaseInterval),
        Check("rollupsBeforeEpoch", rollupsBeforeEpoch),
        Check("rollupsSeveralBatchesOneCall", rollupsSeveralBatchesOneCall),
        Check("concurrentWritesSameBuckets", concurrentWritesSameBuckets),
        Check("ticksBuildMinuteBars", ticksBuildMinuteBars),
        Check("ticksAcrossCallsAndReplaceBars", ticksAcrossCallsAndReplaceBars),
        Check("ticksRangeAndLatest", ticksRangeAndLatest),
        Check("deleteAssetCascades", deleteAssetCascades),
        Check("storedIntervalsFinestFirst", storedIntervalsFinestFirst),
    ]

    /// The names of every check.
    public static var names: [String] { checks.map(\.name) }

    /// The check named `name`.
    public static func check(_ name: String) -> Check? { checks.first { $0.name == name } }

    /// Runs the check named `name` on `store`, then closes the store.
    public static func run(
        _ name: String, on store: any MarketStore, file: StaticString = #filePath, line: UInt = #line
    )
        async throws
    {
        guard let check = check(name) else {
            XCTFail("no storage contract check named \(name)", file: file, line: line)
            return
        }
        do {
            try await check.run(store)
        } catch {
            try? await store.close()
            XCTFail("contract check \(name) on \(store.displayName) threw \(error)", file: file, line: line)
            return
        }
        try await store.close()
    }

    /// The names of checks not in `covered` (for a test asserting a test target runs every check).
    public static func missing(from covered: [String]) -> [String] {
        names.filter { !covered.contains($0) }
    }

    // MARK: - Fixtures

    /// 2024-01-02 00:00 UTC (a Tuesday), in milliseconds.
    public static let t0: Int64 = 1_704_153_600_000
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// A deterministic valid bar at `ts`; `seed` varies prices; volumes are integers so sums are exact in any order.
    public static func bar(_ ts: Int64, _ seed: Int, volume: Double? = nil) -> Bar {
        let base = 100 + Double((seed * 37) % 101) / 4  // multiples of 0.25: exact in binary
        let open = base
        let close = base + Double((seed * 13) % 9 - 4) / 4
        let high = max(open, close) + Double((seed * 7) % 5) / 4
        let low = min(open, close) - Double((seed * 11) % 5) / 4
        return Bar(
            ts: ts, open: open, high: high, low: low, close: close, volume: volume ?? Double(1 + (seed * 17) % 1000))
    }

    /// Bars at `start + i * step` for each i in `indices`.
    public static func bars(from start: Int64, step: Int64, _ indices: some Sequence<Int>, seed: Int = 0) -> [Bar] {
        indices.map { bar(start + Int64($0) * step, $0 + seed) }
    }

    static func all(_ store: any MarketStore, _ symbol: String, _ series: BarSeries) async throws -> [Bar] {
        try await store.bars(symbol: symbol, series: series, from: nil, to: nil, limit: Int.max, newestFirst: false)
    }

    /// Asserts every rollup of `symbol`'s stored `base` bars equals `Bucketing.aggregate` of the stored bars.
    public static func assertRollupsExact(
        _ store: any MarketStore, _ symbol: String, base: Interval, _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let stored = try await all(store, symbol, .stored(base))
        for r in BarSeries.rollups(of: base) {
            let expected = Bucketing.aggregate(stored, into: r)
            let actual = try await all(store, symbol, .rollup(base: base, interval: r))
            assertBars(actual, expected, "\(context): rollup \(base)→\(r) of \(symbol)", file: file, line: line)
        }
    }

    /// Asserts two bar lists are equal, reporting the first difference.
    public static func assertBars(
        _ actual: [Bar], _ expected: [Bar], _ context: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard actual != expected else { return }
        if actual.count != expected.count {
            XCTFail(
                "\(context): \(actual.count) bars, expected \(expected.count); first actual \(actual.first.map { "\($0)" } ?? "none"), "
                    + "first expected \(expected.first.map { "\($0)" } ?? "none")", file: file, line: line)
            return
        }
        for (a, e) in zip(actual, expected) where a != e {
            XCTFail("\(context): got \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    static func expectError(
        _ expected: StorageError, _ context: String, file: StaticString = #filePath, line: UInt = #line,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            XCTFail("\(context): expected \(expected), no error thrown", file: file, line: line)
        } catch let error as StorageError {
            XCTAssertEqual(error, expected, context, file: file, line: line)
        } catch {
            XCTFail("\(context): expected \(expected), got \(error)", file: file, line: line)
        }
    }

    static func sortedSymbolBars(_ bars: [SymbolBar]) -> [SymbolBar] {
        bars.sorted { ($0.symbol, $0.bar.ts) < ($1.symbol, $1.bar.ts) }
    }

    // MARK: - Schema

    @Sendable static func migrateIdempotent(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let again = try await store.migrate()
        XCTAssertEqual(again, 0, "a second migrate() applies nothing")
        let version = try await store.schemaVersion()
        XCTAssertGreaterThanOrEqual(version.latest, 1, "latest schema version")
        XCTAssertEqual(version.current, version.latest, "schema current after migrate")
        XCTAssertTrue(version.isCurrent)
        try await store.ping()
        XCTAssertFalse(store.displayName.isEmpty, "displayName")
    }

    // MARK: - Assets

    @Sendable static func assetCRUD(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let empty = try await store.assets()
        XCTAssertEqual(empty, [], "a fresh store has no assets")
        await expectError(.notFound("asset NOPE"), "asset() of a missing symbol") { _ = try await store.asset("NOPE") }

        let msft = Asset(
            symbol: "MSFT", name: "Microsoft Corporation", assetClass: .equity, exchange: "NASDAQ", currency: "USD",
            sector: "Technology", industry: "Software—Infrastructure")
        let aapl = Asset(symbol: "AAPL", name: "Apple Inc.", assetClass: .equity, exchange: "NASDAQ", currency: "USD")
        let btc = Asset(symbol: "BTC-USD", assetClass: .crypto)
        try await store.createAsset(msft)
        try await store.createAsset(btc)
        try await store.createAsset(aapl)
        let listed = try await store.assets()
        XCTAssertEqual(listed, [aapl, btc, msft], "assets() ordered by symbol, with every field")
        let fetched = try await store.asset("MSFT")
        XCTAssertEqual(fetched, msft, "asset() returns every field")

        await expectError(.conflict("asset MSFT"), "createAsset of an existing symbol") {
            try await store.createAsset(Asset(symbol: "MSFT", name: "Other"))
        }
        let unchanged = try await store.asset("MSFT")
        XCTAssertEqual(unchanged, msft, "a conflicting create changes nothing")

        var updated = msft
        updated.name = "Microsoft"
        updated.sector = nil
        updated.assetClass = .etf
        try await store.updateAsset(updated)
        let afterUpdate = try await store.asset("MSFT")
        XCTAssertEqual(afterUpdate, updated, "updateAsset replaces fields, including clearing them")
        await expectError(.notFound("asset NOPE"), "updateAsset of a missing symbol") {
            try await store.updateAsset(Asset(symbol: "NOPE"))
        }

        try await store.deleteAsset("BTC-USD")
        await expectError(.notFound("asset BTC-USD"), "asset() after delete") { _ = try await store.asset("BTC-USD") }
        await expectError(.notFound("asset BTC-USD"), "deleteAsset twice") { try await store.deleteAsset("BTC-USD") }
        let remaining = try await store.assets()
        XCTAssertEqual(remaining.map(\.symbol), ["AAPL", "MSFT"], "assets() after delete")
        // A deleted symbol can be created again.
        try await store.createAsset(btc)
        let recreated = try await store.asset("BTC-USD")
        XCTAssertEqual(recreated, btc)
    }

    @Sendable static func writeBarsCreatesUnknownAssets(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let known = Asset(symbol: "KNOWN", name: "Known Inc.", assetClass: .equity)
        try await store.createAsset(known)
        try await store.writeBars(
            BarBatch(symbol: "NEW1", interval: .minute1, bars: bars(from: t0, step: minute, 0..<3)))
        try await store.writeBars(BarBatch(symbol: "KNOWN", interval: .day1, bars: bars(from: t0, step: day, 0..<2)))
        let created = try await store.asset("NEW1")
        XCTAssertEqual(created, Asset(symbol: "NEW1", assetClass: .unknown), "writeBars creates an unknown asset")
        let kept = try await store.asset("KNOWN")
        XCTAssertEqual(kept, known, "writeBars keeps an existing asset's fields")
        _ = try await store.writeTicks([Tick(symbol: "TICKONLY", ts: t0, price: 10, size: 1)])
        let tickAsset = try await store.asset("TICKONLY")
        XCTAssertEqual(tickAsset, Asset(symbol: "TICKONLY"), "writeTicks creates an unknown asset")
        let symbols = try await store.assets().map(\.symbol)
        XCTAssertEqual(symbols, ["KNOWN", "NEW1", "TICKONLY"])
    }

    /// Symbols use `A–Z 0–9 . - _ ^ =`; every store orders them bytewise (as Swift's `<` on ASCII does),
    /// not by a locale collation that ignores punctuation (PostgreSQL: use COLLATE "C").
    @Sendable static func symbolsWithPunctuation(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let symbols = [
            "^GSPC", "BRK.B", "EURUSD=X", "A_B-C", "BRK-A", "A", "AA", "Z9", "0700.HK", "BTC-USD",
            String(repeating: "X", count: 32),
        ]
        for (k, symbol) in symbols.enumerated() {
            try await store.writeBars(BarBatch(symbol: symbol, interval: .minute1, bars: [bar(t0, k)]))
        }
        let listed = try await store.assets().map(\.symbol)
        XCTAssertEqual(listed, symbols.sorted(), "assets ordered bytewise by symbol")
        for (k, symbol) in symbols.enumerated() {
            let read = try await all(store, symbol, .stored(.minute1))
            XCTAssertEqual(read, [bar(t0, k)], "bars of \(symbol)")
            let asset = try await store.asset(symbol)
            XCTAssertEqual(asset.symbol, symbol)
        }
        // Symbols are exact keys: no prefix or pattern matching.
        let prefix = try await all(store, "BRK", .stored(.minute1))
        XCTAssertEqual(prefix, [], "no prefix match")
        let pattern = try await all(store, "BRK_B", .stored(.minute1))
        XCTAssertEqual(pattern, [], "_ is not a wildcard")
        await expectError(.notFound("asset BRK%"), "% is not a wildcard") { _ = try await store.asset("BRK%") }
        try await store.deleteAsset("BRK.B")
        let afterDelete = try await all(store, "BRK-A", .stored(.minute1))
        XCTAssertEqual(afterDelete, [bar(t0, symbols.firstIndex(of: "BRK-A")!)], "deleting BRK.B keeps BRK-A")
    }

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

    // MARK: - Deletes and listing

    @Sendable static func deleteAssetCascades(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        for symbol in ["DEL", "KEEP"] {
            try await store.writeBars(
                BarBatch(symbol: symbol, interval: .minute1, bars: bars(from: t0, step: minute, 0..<120)))
            try await store.writeBars(BarBatch(symbol: symbol, interval: .day1, bars: bars(from: t0, step: day, 0..<5)))
            _ = try await store.writeTicks([Tick(symbol: symbol, ts: t0 + 5 * hour, price: 10, size: 1)])
        }
        try await store.deleteAsset("DEL")
        await expectError(.notFound("asset DEL"), "asset after delete") { _ = try await store.asset("DEL") }
        for series in [
            BarSeries.stored(.minute1), .stored(.day1), .rollup(base: .minute1, interval: .hour1),
            .rollup(base: .minute1, interval: .day1),
        ] {
            let left = try await all(store, "DEL", series)
            XCTAssertEqual(left, [], "deleteAsset removes \(series)")
            let kept = try await all(store, "KEEP", series)
            XCTAssertFalse(kept.isEmpty, "deleteAsset keeps other symbols' \(series)")
        }
        let ticks = try await store.ticks(symbol: "DEL", from: nil, to: nil, limit: 10)
        XCTAssertEqual(ticks, [], "deleteAsset removes ticks")
        let latest = try await store.latestTick(symbol: "DEL")
        XCTAssertNil(latest)
        let keptTicks = try await store.ticks(symbol: "KEEP", from: nil, to: nil, limit: 10)
        XCTAssertEqual(keptTicks.count, 1)
        let intervals = try await store.storedIntervals(symbol: "DEL")
        XCTAssertEqual(intervals, [], "no stored intervals after delete")
        // Writing again starts from scratch: old rows do not leak into the new rollups.
        try await store.writeBars(BarBatch(symbol: "DEL", interval: .minute1, bars: [bar(t0 + 30 * minute, 7)]))
        let hours = try await all(store, "DEL", .rollup(base: .minute1, interval: .hour1))
        assertBars(hours, Bucketing.aggregate([bar(t0 + 30 * minute, 7)], into: .hour1), "fresh rollups after delete")
        let recreated = try await store.asset("DEL")
        XCTAssertEqual(recreated.assetClass, .unknown)
    }

    @Sendable static func storedIntervalsFinestFirst(_ store: any MarketStore) async throws {
        _ = try await store.migrate()
        let empty = try await store.storedIntervals(symbol: "SI")
        XCTAssertEqual(empty, [], "no intervals for an unknown symbol")
        try await store.createAsset(Asset(symbol: "SI", assetClass: .equity))
        let stillEmpty = try await store.storedIntervals(symbol: "SI")
        XCTAssertEqual(stillEmpty, [], "no intervals for an asset without bars")
        try await store.writeBars(BarBatch(symbol: "SI", interval: .month1, bars: [bar(t0 - day, 1)]))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .day1, bars: bars(from: t0, step: day, 0..<3)))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .minute1, bars: bars(from: t0, step: minute, 0..<3)))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .week1, bars: [bar(t0 - day, 2)]))
        try await store.writeBars(BarBatch(symbol: "SI", interval: .hour1, bars: bars(from: t0, step: hour, 0..<3)))
        try await store.writeBars(
            BarBatch(symbol: "SI2", interval: .minute5, bars: bars(from: t0, step: 5 * minute, 0..<3)))
        let intervals = try await store.storedIntervals(symbol: "SI")
        XCTAssertEqual(intervals, [.minute1, .hour1, .day1, .week1, .month1], "stored intervals, finest first")
        let other = try await store.storedIntervals(symbol: "SI2")
        XCTAssertEqual(other, [.minute5])
    }
}

/// A thread-safe log of progress reports.
final class ProgressLog: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
