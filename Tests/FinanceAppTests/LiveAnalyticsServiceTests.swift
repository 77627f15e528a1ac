import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Foundation
import Logging
import XCTest

@testable import FinanceApp

final class LiveAnalyticsServiceTests: XCTestCase {
    /// Quiet 1-minute bars with a tenfold volume at `surgeAt`.
    static func minutes(_ count: Int, surgeAt: Int) -> [Bar] {
        (0..<count).map { i in
            let p = 50 + Double(i % 5) * 0.1
            return Bar(
                ts: t0 + Int64(i) * 60_000, open: p, high: p + 0.2, low: p - 0.2, close: p + 0.05,
                volume: i == surgeAt ? 1_000 : 100)
        }
    }

    /// Runs the service alone on `bus` until the returned task is cancelled.
    static func start(
        _ store: any MarketStore, bus: any MarketBus, output: AnalyticsBus, recent: RecentSignals
    ) -> Task<Void, any Error> {
        let service = LiveAnalyticsService(
            bus: bus, storage: Storage(store), output: output, recent: recent, settings: LiveAnalyticsSettings(),
            logger: Logger(label: "test"))
        return Task { try await service.run() }
    }

    func testOddEventsAreSkippedAndTheServiceKeepsWorking() async throws {
        let (bus, output, recent) = (InProcessMarketBus(), AnalyticsBus(), RecentSignals(capacity: 5))
        let stream = output.subscribe()
        let task = Self.start(MemoryStore(), bus: bus, output: output, recent: recent)
        let good = Self.minutes(30, surgeAt: 25)
        var odd = good[0]
        odd.close = .nan
        bus.publish([
            .bar(symbol: "ODD", interval: .minute1, bar: Bar(ts: .max, open: 1, high: 1, low: 1, close: 1, volume: 1)),
            .bar(symbol: "ODD", interval: .minute1, bar: odd),
            .tick(Tick(symbol: "ODD", ts: .min, price: .nan, size: -1)),
            .tick(Tick(symbol: "", ts: t0, price: 1, size: .infinity)),
            .bar(symbol: "ODD", interval: .minute5, bar: good[0]),
        ])
        // The symbol is unknown to the store, so warm-up fails and the series starts cold.
        bus.publish(good.map { .bar(symbol: "ODD", interval: .minute1, bar: $0) })
        bus.publish([.bar(symbol: "ODD", interval: .minute1, bar: good[3])])  // stale
        let events = await collect(stream) { !volumeSurges($0, symbol: "ODD").isEmpty }
        XCTAssertEqual(volumeSurges(events, symbol: "ODD").map(\.ts), [good[25].ts])
        XCTAssertLessThanOrEqual(recent.all.count, 5)
        task.cancel()
        try await task.value
        // The analytics bus ends with the service.
        XCTAssertEqual(output.subscriberCount, 0)
    }

    func testRecentSignalsKeepTheNewestInOrder() {
        let recent = RecentSignals(capacity: 5)
        let events = (0..<7).map { i in
            AnalyticsEvent.anomaly(
                symbol: i % 2 == 0 ? "A" : "B", interval: i < 5 ? .minute1 : .hour1,
                anomaly: Anomaly(type: .priceSpike, ts: Int64(i), severity: 5, values: [:], threshold: 3.5))
        }
        recent.append(Array(events[..<3]))
        recent.append(Array(events[3...]))
        XCTAssertEqual(recent.all, Array(events[2...]))
        XCTAssertEqual(recent.signals(symbol: "A", limit: 10), [events[2], events[4], events[6]])
        XCTAssertEqual(recent.signals(symbol: "A", limit: 2), [events[4], events[6]])
        XCTAssertEqual(recent.signals(interval: .hour1, limit: 10), [events[5], events[6]])
        XCTAssertEqual(recent.signals(kind: .pattern, limit: 10), [])
    }

    func testSkippedBarsAreReplayedFromTheStore() async throws {
        let store = MemoryStore()
        let bars = Self.minutes(22, surgeAt: 15)
        try await store.writeBars(BarBatch(symbol: "GAP", interval: .minute1, bars: bars))
        let (bus, output, recent) = (InProcessMarketBus(), AnalyticsBus(), RecentSignals())
        let stream = output.subscribe()
        let task = Self.start(store, bus: bus, output: output, recent: recent)
        // Bars 10-19 are stored but never published (as after a batch that publishes only its newest bar).
        let published = Array(bars[..<10]) + Array(bars[20...])
        for bar in published { bus.publish([.bar(symbol: "GAP", interval: .minute1, bar: bar)]) }
        let events = await collect(stream) { !volumeSurges($0, symbol: "GAP").isEmpty }
        XCTAssertEqual(volumeSurges(events, symbol: "GAP").map(\.ts), [bars[15].ts])
        task.cancel()
        try await task.value
    }

    func testTheLeastRecentlyUpdatedSymbolIsDroppedBeyondMaxSymbols() async throws {
        let store = MemoryStore()
        let bars = Self.minutes(30, surgeAt: 25)
        try await store.writeBars(BarBatch(symbol: "A", interval: .minute1, bars: bars))
        var engine = LiveAnalyticsEngine(
            storage: Storage(store), settings: LiveAnalyticsSettings(intervals: [.minute1], maxSymbols: 2),
            logger: Logger(label: "test"))
        func feed(_ symbol: String, _ bars: ArraySlice<Bar>) async -> LiveAnalyticsEngine.Outcome {
            var total = LiveAnalyticsEngine.Outcome()
            for bar in bars {
                let outcome = await engine.handle(.bar(symbol: symbol, interval: .minute1, bar: bar))
                total.events += outcome.events
                total.evicted += outcome.evicted
            }
            return total
        }
        var evicted = await feed("A", bars[..<20]).evicted
        evicted += await feed("B", bars[..<2]).evicted
        XCTAssertEqual(evicted, 0)
        XCTAssertEqual(engine.symbols, ["A", "B"])
        // A third symbol drops A, the least recently updated; B and C are kept.
        evicted = await feed("C", bars[..<2]).evicted
        XCTAssertEqual(evicted, 1)
        XCTAssertEqual(engine.symbols, ["B", "C"])
        XCTAssertFalse(engine.analyzers.keys.contains { $0.symbol == "A" })
        // A returns: it drops B (C was updated after it) and is warmed up from its 20 stored minutes, so the surge
        // at minute 25 is found exactly as without the eviction.
        let back = await feed("A", bars[20...])
        XCTAssertEqual(back.evicted, 1)
        XCTAssertEqual(engine.symbols, ["A", "C"])
        XCTAssertEqual(volumeSurges(back.events, symbol: "A").map(\.ts), [bars[25].ts])
        // Ticks count as updates of their symbol too.
        _ = await engine.handle(.tick(Tick(symbol: "D", ts: t0, price: 50, size: 1)))
        XCTAssertEqual(engine.symbols, ["A", "D"])
    }
}
