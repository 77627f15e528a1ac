import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Logging
import XCTest

final class MarketBusTests: XCTestCase {
    func testASlowSubscriberLosesItsOldestMessagesAndTheDropsAreCounted() async {
        let bus = EventBus<Int>(name: "test", bufferSize: 3)
        let slow = bus.subscribe("slow")
        let picky = bus.subscribe("picky") { $0 % 5 == 0 }
        XCTAssertEqual(bus.subscriberCount, 2)
        // Ten events: the slow subscriber keeps the newest three (seven dropped); the picky one takes only 0 and 5.
        XCTAssertEqual(bus.publish(Array(0..<10)), 7)
        bus.finish()
        var seen: [Int] = []
        for await n in slow { seen.append(n) }
        XCTAssertEqual(seen, [7, 8, 9])
        var picked: [Int] = []
        for await n in picky { picked.append(n) }
        XCTAssertEqual(picked, [0, 5])
        XCTAssertEqual(bus.subscriberCount, 0)
    }

    func testHistoryReachesOnlySubscribersOfHistory() async throws {
        let bus = InProcessMarketBus()
        let live = bus.subscribe("live")
        let all = bus.subscribe("state", includingHistory: true)
        let store = MemoryStore()
        let ingestor = Ingestor(marketData: store, bus: bus)
        try await ingestor.ingest(ticks: [Tick(symbol: "OLD", ts: t0, price: 1, size: 1)], freshness: .historical)
        try await ingestor.ingest(ticks: [Tick(symbol: "NEW", ts: t0, price: 2, size: 1)])
        bus.finish()
        var liveSymbols: [String] = []
        for await message in live { liveSymbols.append(message.event.symbol) }
        // The live tick and the minute bar it rebuilt; nothing of the historical write.
        XCTAssertEqual(liveSymbols, ["NEW", "NEW"])
        var seen: [(String, EventFreshness)] = []
        for await message in all { seen.append((message.event.symbol, message.freshness)) }
        XCTAssertEqual(seen.map(\.0), ["OLD", "OLD", "NEW", "NEW"])
        XCTAssertEqual(seen.map(\.1), [.historical, .historical, .live, .live])
        // Both writes were stored.
        let old = try await store.latestTick(symbol: "OLD")
        XCTAssertEqual(old?.price, 1)
    }

    func testHistoricalBarBatchesAreStoredAndNotPublishedLive() async throws {
        let bus = InProcessMarketBus()
        let live = bus.subscribe("live")
        let store = MemoryStore()
        let ingestor = Ingestor(marketData: store, bus: bus)
        let bars = (0..<3).map { i in
            IncomingBar(
                index: i,
                bar: Bar(ts: t0 + Int64(i) * 86_400_000, open: 10, high: 11, low: 9, close: 10.5, volume: 100))
        }
        let summary = try await ingestor.ingest(symbol: "hist", interval: .day1, bars: bars, freshness: .historical)
        XCTAssertEqual(summary, IngestSummary(accepted: 3, symbols: ["HIST"]))
        bus.finish()
        var count = 0
        for await _ in live { count += 1 }
        XCTAssertEqual(count, 0)
        let stored = try await store.bars(
            symbol: "HIST", series: .stored(.day1), from: nil, to: nil, limit: 10, newestFirst: false)
        XCTAssertEqual(stored.count, 3)
    }

    func testLiveAnalyticsIgnoresRemoteAndHistoricalEvents() async throws {
        let (bus, output, recent) = (InProcessMarketBus(), AnalyticsBus(), RecentSignals())
        let stream = output.subscribe()
        let service = LiveAnalyticsService(
            bus: bus, storage: Storage(MemoryStore()), output: output, recent: recent,
            settings: LiveAnalyticsSettings(),
            logger: Logger(label: "test"))
        let task = Task { try await service.run() }
        // Quiet minutes with a tenfold volume at the 26th: a volume surge when analysed.
        let bars = (0..<30).map { i in
            Bar(
                ts: t0 + Int64(i) * 60_000, open: 50, high: 50.2, low: 49.8, close: 50.05,
                volume: i == 25 ? 1_000 : 100)
        }
        func messages(_ symbol: String, origin: EventOrigin, freshness: EventFreshness) -> [MarketMessage] {
            bars.map {
                MarketMessage(.bar(symbol: symbol, interval: .minute1, bar: $0), origin: origin, freshness: freshness)
            }
        }
        bus.publish(messages("REMOTE", origin: .remote, freshness: .live))
        bus.publish(messages("HIST", origin: .local, freshness: .historical))
        bus.publish(messages("LOCAL", origin: .local, freshness: .live))
        let events = await collect(stream) { !volumeSurges($0, symbol: "LOCAL").isEmpty }
        XCTAssertEqual(volumeSurges(events, symbol: "LOCAL").map(\.ts), [bars[25].ts])
        XCTAssertEqual(Set(events.map(\.symbol)), ["LOCAL"])
        task.cancel()
        try await task.value
    }
}
