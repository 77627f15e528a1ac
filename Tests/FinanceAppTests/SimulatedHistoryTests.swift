import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import FinanceTestSupport
import Logging
import XCTest

final class SimulatedHistoryTests: XCTestCase {
    private let btc = SimulatedInstrument.defaultWatchlist[0]

    func testHistoryIsDeterministicValidAndEndsAtTheLiveFeedsStartPrice() throws {
        let end = t0 + 86_400_000
        let bars = SimulatedHistory.minuteBars(self.btc, seed: 7, end: end, minutes: 1_440, ticksPerMinute: 240)
        XCTAssertEqual(bars.count, 1_440)
        XCTAssertEqual(bars.first?.ts, t0)
        XCTAssertEqual(bars.last?.ts, end - 60_000)
        XCTAssertEqual(bars.last?.close, self.btc.startPrice, "the live feed starts from the last close")
        XCTAssertEqual(
            bars, SimulatedHistory.minuteBars(self.btc, seed: 7, end: end, minutes: 1_440, ticksPerMinute: 240),
            "same seed, same bars")
        XCTAssertNotEqual(
            bars, SimulatedHistory.minuteBars(self.btc, seed: 8, end: end, minutes: 1_440, ticksPerMinute: 240))
        var issues: [ValidationIssue] = []
        for (i, bar) in bars.enumerated() { Validation.check(bar, index: i, into: &issues) }
        XCTAssertEqual(issues, [])
        let closes = bars.map(\.close)
        XCTAssertGreaterThan(Set(closes).count, 1_000, "prices move")
        XCTAssertLessThan(closes.max()! / closes.min()!, 1.5, "about a day of bitcoin's volatility")
    }

    func testTheServiceWritesOnceAndOnlyTheLockHolderWrites() async throws {
        let store = MemoryStore()
        let feed = SimulatedFeedSettings(
            seed: 3, instruments: [self.btc, SimulatedInstrument.defaultWatchlist[3]], historyDays: 2)
        let lock = LocalJobLock()
        func service(end: Int64) -> SimulatedHistoryService {
            SimulatedHistoryService(
                feed: feed, end: end, marketData: store, assets: store,
                ingestor: Ingestor(
                    marketData: store, bus: InProcessMarketBus(), sources: DataSourceLedger(assets: store)),
                lock: lock, logger: Logger(label: "test"))
        }
        let end = t0 + 10 * 86_400_000 + 30_000
        let held = try await lock.tryAcquire(SimulatedHistoryService.job)
        let blocked = try await service(end: end).writeIfNeeded()
        XCTAssertEqual(blocked, .skipped("another instance writes it"))
        await held?.release()

        let first = try await service(end: end).writeIfNeeded()
        XCTAssertEqual(first, .written(bars: 2 * 2 * 1_440))
        let minutes = try await store.bars(
            symbol: "BTC", series: .stored(.minute1), from: nil, to: nil, limit: 10_000, newestFirst: false)
        XCTAssertEqual(minutes.count, 2 * 1_440)
        XCTAssertEqual(minutes.last?.ts, end - 30_000 - 60_000, "up to the minute before the live feed's start")
        let aapl = try await store.asset("AAPL")
        XCTAssertEqual(aapl.assetClass, .equity, "assets are created with their class")
        let source = try await store.source(of: "BTC")
        XCTAssertEqual(source, "simulated")

        let second = try await service(end: end + 3_600_000).writeIfNeeded()
        XCTAssertEqual(second, .skipped("the store already has data of the simulated symbols"))
        let none = SimulatedFeedSettings(historyDays: 0)
        let off = try await SimulatedHistoryService(
            feed: none, end: end, marketData: store, assets: store,
            ingestor: Ingestor(marketData: store, bus: InProcessMarketBus()), lock: lock, logger: Logger(label: "test")
        ).writeIfNeeded()
        XCTAssertEqual(off, .skipped("feed.historyDays is 0"))
    }
}
