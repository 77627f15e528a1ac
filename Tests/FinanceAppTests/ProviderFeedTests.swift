import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging
import ServiceLifecycle
import Synchronization
import XCTest

@testable import FinanceApp

final class ProviderFeedPlanTests: XCTestCase {
    func testCryptoStreamsEquitiesStreamWithKeysTheRestIsPolledWithinBudgets() {
        var settings = ProviderSettings()
        settings.watchlist = ["BTC", "ETH", "AAPL", "EURUSD", "SPY"]
        var plan = ProviderFeedPlan.make(settings, classes: ["EURUSD": .fx, "SPY": .etf])
        XCTAssertEqual(plan.live, ["binance": ["BTC", "ETH"]], "crypto streams from the first exchange in preference")
        XCTAssertEqual(plan.polled, [])
        XCTAssertEqual(plan.unserved, ["AAPL", "EURUSD", "SPY"], "no provider with keys quotes equities or FX")
        XCTAssertTrue(plan.summary.contains("no usable provider for AAPL, EURUSD, SPY"), plan.summary)
        settings.watchlist = ["BTC", "PEPE"]
        settings.providers["binance"]?.enabled = false
        settings.providers["coinbase"]?.enabled = false
        let cryptoPolled = ProviderFeedPlan.make(settings, classes: ["PEPE": .crypto])
        XCTAssertEqual(cryptoPolled.polled, ["BTC", "PEPE"], "no exchange stream: crypto is polled from CoinGecko")
        XCTAssertEqual(
            cryptoPolled.pollSeconds, 536,
            "CoinGecko's 10,000 a month binds: one request per 267.84 s, two symbols per 536 s")
        settings.providers["binance"]?.enabled = true
        settings.providers["coinbase"]?.enabled = true
        settings.watchlist = ["BTC", "ETH", "AAPL", "EURUSD", "SPY"]

        settings.providers["finnhub"]?.keys = ["f"]
        settings.preference = ["coinbase", "binance"]
        plan = ProviderFeedPlan.make(settings, classes: ["EURUSD": .fx, "SPY": .etf])
        XCTAssertEqual(plan.live, ["coinbase": ["BTC", "ETH"], "finnhub": ["AAPL", "SPY"]])
        XCTAssertEqual(plan.polled, [], "no FX provider has keys")
        settings.providers["alphavantage"]?.keys = ["a"]
        plan = ProviderFeedPlan.make(settings, classes: ["EURUSD": .fx, "SPY": .etf])
        XCTAssertEqual(plan.polled, ["EURUSD"])
        XCTAssertEqual(plan.pollSeconds, 3_456, "Alpha Vantage's 25 a day: one request per 57.6 minutes")
        XCTAssertTrue(plan.summary.contains("coinbase streams BTC, ETH"), plan.summary)
        XCTAssertTrue(plan.summary.contains("polling EURUSD every 3456 s"), plan.summary)

        settings.providers["binance"]?.enabled = false
        settings.providers["coinbase"]?.enabled = false
        settings.providers["finnhub"]?.enabled = false
        settings.providers["coingecko"]?.enabled = false
        settings.providers["polygon"]?.keys = ["p"]
        settings.watchlist = (0..<10).map { "S\($0)" }
        plan = ProviderFeedPlan.make(settings)
        XCTAssertEqual(plan.polled.count, 10)
        XCTAssertEqual(plan.pollSeconds, 120, "10 symbols at Polygon's 5 per minute: every 2 minutes")
        XCTAssertEqual(ProviderFeedPlan.make(ProviderSettings()).summary, "empty watchlist (set providers.watchlist)")
    }
}

final class ExclusiveServiceTests: XCTestCase {
    func testOneInstanceRunsTheJobAndAnotherTakesItOverWhenItStops() async throws {
        let lock = LocalJobLock()
        let runs = Mutex<[String]>([])
        let firstMayEnd = AsyncStream<Void>.makeStream()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let first = ExclusiveService(job: "poll", lock: lock, retryInterval: .milliseconds(20), logger: logger) {
            runs.withLock { $0.append("first") }
            for await _ in firstMayEnd.stream { break }
        }
        let second = ExclusiveService(job: "poll", lock: lock, retryInterval: .milliseconds(20), logger: logger) {
            runs.withLock { $0.append("second") }
        }
        let firstTask = Task { try await first.run() }
        while runs.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
        let secondTask = Task { try await second.run() }
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(runs.withLock { $0 }, ["first"], "the second instance stands by while the job is held")
        firstMayEnd.continuation.yield()
        try await firstTask.value
        try await secondTask.value
        XCTAssertEqual(runs.withLock { $0 }, ["first", "second"], "the job is taken over once released")
    }
}

final class ProviderPollerTests: XCTestCase {
    func testAPollIngestsANewPriceAsALiveTickFromItsProvider() async throws {
        let store = MemoryStore()
        let provider = ScriptedQuoteProvider("finnhub") { _, n, _ in Double(100 + n) }
        let router = ProviderRouter(
            providers: [
                RoutedProvider(
                    adapter: provider,
                    pool: KeyPool(
                        provider: "finnhub", keys: [ProviderKey(secret: "k")], budget: ProviderBudget(),
                        repository: store, clock: SystemClock()))
            ], preference: [], repository: store, clock: SystemClock())
        let bus = InProcessMarketBus()
        let ledger = DataSourceLedger(assets: store)
        let poller = ProviderPoller(
            symbols: ["AAPL"], interval: .seconds(60), router: router,
            ingestor: Ingestor(marketData: store, bus: bus, sources: ledger), logger: Logger(label: "test"))
        let first = await poller.poll("AAPL", after: nil)
        XCTAssertEqual(first, 0, "the scripted quote's time")
        let ticks = try await store.ticks(symbol: "AAPL", from: nil, to: nil, limit: 10)
        XCTAssertEqual(ticks.map(\.price), [101])
        let source = try await store.source(of: "AAPL")
        XCTAssertEqual(source, "finnhub")
        let again = await poller.poll("AAPL", after: first)
        XCTAssertEqual(again, first)
        let unchanged = try await store.ticks(symbol: "AAPL", from: nil, to: nil, limit: 10)
        XCTAssertEqual(unchanged.count, 1, "a quote no newer than the last one is not stored again")
    }
}
