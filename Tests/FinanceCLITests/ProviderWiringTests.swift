import AsyncHTTPClient
import FinanceApp
import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import XCTest

@testable import FinanceCLI

/// Quotes on demand end to end: the configured providers' real adapters over loopback HTTP against the fake
/// provider server, behind the application's quote route.
final class ProviderWiringTests: XCTestCase {
    private var fake: FakeProviderServer!

    override func setUp() async throws {
        self.fake = FakeProviderServer()
        _ = try await self.fake.start()
    }

    override func tearDown() async throws {
        await self.fake.stop()
    }

    private func settings(timeout: Double = 1) -> ProviderSettings {
        var settings = ProviderSettings()
        for name in ProviderSettings.names {
            guard let fake = FakeProvider(rawValue: name) else {
                settings.providers[name]?.enabled = false
                continue
            }
            settings.providers[name]?.baseURL = self.fake.baseURL(for: fake)
            settings.providers[name]?.timeoutSeconds = timeout
        }
        settings.providers["finnhub"]?.keys = ["finnhub-secret-0001"]
        settings.providers["coinmarketcap"]?.keys = ["cmc-secret-0002"]
        settings.preference = ["coingecko", "coinmarketcap", "finnhub"]
        return settings
    }

    func testNoKeysMeansNoOnDemandQuotes() {
        let router = ProviderWiring.router(
            ProviderSettings(), client: .shared, repository: MemoryStore(), clock: SystemClock(),
            logger: Logger(label: "test"))
        XCTAssertNil(router, "a fresh install never reaches out to the internet on its own")
    }

    func testQuotesComeFromTheConfiguredProvidersAndFailOver() async throws {
        let store = MemoryStore()
        let settings = self.settings()
        let router = try XCTUnwrap(
            ProviderWiring.router(
                settings, client: .shared, repository: store, clock: SystemClock(), logger: Logger(label: "test")))
        XCTAssertEqual(
            router.providers.map(\.name),
            ["alphavantage", "coingecko", "coinmarketcap", "polygon", "finnhub", "newsapi"]
                .filter { ["coingecko", "coinmarketcap", "finnhub"].contains($0) },
            "providers without keys (alphavantage, polygon, newsapi) are left out; coingecko needs none")
        let fake = self.fake!
        try await makeApp(store: store, providers: router, providerSettings: settings).test(.router) { client in
            // CoinGecko (preferred) fails: the same request is served by CoinMarketCap.
            fake.setFault(.serverError, for: "/coingecko")
            let btc = try await client.send(.get, "/api/quotes/BTC")
            XCTAssertEqual(btc.status, .ok, btc.text)
            let quote = try btc.decode(QuoteDTO.self)
            XCTAssertEqual(quote.price, 68_250.75)
            XCTAssertEqual(quote.source, "coinmarketcap")
            XCTAssertEqual(quote.changeBasis, "24h")
            XCTAssertEqual(fake.requests(.coingecko).count, 1, "coingecko was tried first")
            XCTAssertEqual(
                fake.requests(.coinmarketcap).last?.headers["x-cmc_pro_api_key"], "cmc-secret-0002",
                "the key goes upstream in the provider's header")
            fake.clearFaults()

            let eth = try await client.send(.get, "/api/quotes/ETH")
            XCTAssertEqual(eth.status, .ok, eth.text)
            XCTAssertEqual(try eth.decode(QuoteDTO.self).source, "coingecko", "coinmarketcap does not know ETH")

            let aapl = try await client.send(.get, "/api/quotes/AAPL")
            XCTAssertEqual(aapl.status, .ok, aapl.text)
            let equity = try aapl.decode(QuoteDTO.self)
            XCTAssertEqual(equity.source, "finnhub")
            XCTAssertEqual(equity.changeBasis, "previousClose")

            let unknown = try await client.send(.get, "/api/quotes/XRP")
            XCTAssertEqual(unknown.status, .notFound, unknown.text)
            for response in [btc, eth, aapl, unknown] {
                XCTAssertFalse(response.text.contains("secret"), "keys never reach a response")
            }
            let stored = try await store.ticks(symbol: "BTC", from: nil, to: nil, limit: 10)
            XCTAssertEqual(stored.map(\.price), [68_250.75])
        }
    }

    func testNewsComesFromNewsAPIThroughTheCacheAndTheListingMasksItsKey() async throws {
        let store = MemoryStore()
        var settings = self.settings()
        let secret = "newsapi-secret-key-0003"
        settings.providers["newsapi"]?.keys = [secret]
        let router = try XCTUnwrap(
            ProviderWiring.router(
                settings, client: .shared, repository: store, clock: SystemClock(), logger: Logger(label: "test")))
        let fake = self.fake!
        try await makeApp(store: store, providers: router, providerSettings: settings).test(.router) { client in
            let first = try await client.send(.get, "/api/news?symbol=AAPL&limit=2")
            XCTAssertEqual(first.status, .ok, first.text)
            let news = try first.decode(NewsDTO.self)
            XCTAssertEqual(news.provider, "newsapi")
            XCTAssertEqual(news.items.map(\.title), ["Apple shares rise after earnings", "Markets wrap"])
            XCTAssertEqual(news.items.first?.source, "Reuters")
            XCTAssertEqual(news.items.first?.summary, "Apple beat estimates.")
            XCTAssertEqual(news.items.first?.publishedAt, 1_588_496_400_000)
            let sent = fake.requests(.newsapi)
            XCTAssertEqual(sent.count, 1)
            XCTAssertEqual(sent.first?.query["q"], "AAPL")
            XCTAssertEqual(sent.first?.headers["x-api-key"], secret, "the key goes upstream in NewsAPI's header")

            let again = try await client.send(.get, "/api/news?symbol=AAPL")
            XCTAssertEqual(try again.decode(NewsDTO.self).items.count, 3)
            XCTAssertEqual(fake.requests(.newsapi).count, 1, "the second call is answered from the cache")

            fake.setFault(.serverError, for: "/newsapi")
            let down = try await client.send(.get, "/api/news?q=bonds")
            XCTAssertEqual(down.status, .serviceUnavailable, down.text)
            XCTAssertNotNil(down.headers[.retryAfter])
            fake.clearFaults()

            let listing = try await client.send(.get, "/api/providers")
            XCTAssertEqual(listing.status, .ok, listing.text)
            for response in [first, again, down, listing] {
                XCTAssertFalse(response.text.contains(secret), "keys never reach a response")
            }
            let newsapi = try XCTUnwrap(try listing.decode(ProvidersDTO.self).items.first { $0.name == "newsapi" })
            XCTAssertTrue(newsapi.usable)
            XCTAssertEqual(newsapi.keys.map(\.keyId), [ProviderKey(secret: secret).id])
            XCTAssertEqual(newsapi.keys.first?.budgets.map(\.used), [2], "two upstream requests this UTC day")
        }
    }
}

/// `feed.mode` with `providers`: the watchlist streamed from a (fake) exchange into the store, one instance at a time.
final class ProviderFeedWiringTests: TemporaryFolderTestCase {
    func testFeedModesParseAndNoneStandsAlone() async throws {
        let both = try await AppSettings.load(
            configFile: nil, overrides: ["feed.mode": "simulated, providers"], environment: [:])
        XCTAssertNotNil(both.server.simulatedFeed)
        XCTAssertTrue(both.providerFeed)
        let providersOnly = try await AppSettings.load(
            configFile: nil, overrides: ["feed.mode": "providers"], environment: [:])
        XCTAssertNil(providersOnly.server.simulatedFeed)
        XCTAssertTrue(providersOnly.providerFeed)
        let byDefault = try await AppSettings.load(configFile: nil, overrides: [:], environment: [:])
        XCTAssertNotNil(byDefault.server.simulatedFeed)
        XCTAssertFalse(byDefault.providerFeed)
        for bad in ["none,simulated", "bogus", "simulated,feeds"] {
            do {
                _ = try await AppSettings.load(configFile: nil, overrides: ["feed.mode": bad], environment: [:])
                XCTFail("\(bad) must be refused")
            } catch let error as CLIFailure {
                XCTAssertTrue("\(error)".contains("feed.mode: expected simulated, providers"), "\(error)")
            }
        }
    }

    func testTheWatchlistStreamsFromTheExchangeIntoTheStore() async throws {
        let exchange = try await FakeTradeStreamServer.start(.binance)
        var settings = ProviderSettings()
        settings.watchlist = ["BTC", "ETH"]
        settings.providers["binance"]?.wsURL = exchange.url
        let plan = ProviderFeedPlan.make(settings)
        XCTAssertEqual(plan.live, ["binance": ["BTC", "ETH"]])
        let store = MemoryStore()
        let bus = InProcessMarketBus()
        let ingestor = Ingestor(marketData: store, bus: bus, sources: DataSourceLedger(assets: store))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let services = ProviderWiring.feedServices(
            plan, settings: settings, router: nil, ingestor: ingestor, assets: store, lock: LocalJobLock(),
            logger: logger)
        XCTAssertEqual(services.count, 1, "one stream, nothing polled")
        let group = ServiceGroup(services: services, logger: logger)
        let running = Task { try await group.run() }
        try await exchange.waitUntilSubscribed(["btcusdt@trade", "ethusdt@trade"])
        await exchange.publish(.init(symbol: "BTCUSDT", id: 1, price: "67000.5", size: "0.5", ts: 1_717_000_000_000))
        for _ in 0..<200 {
            if try await !store.ticks(symbol: "BTC", from: nil, to: nil, limit: 1).isEmpty { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let ticks = try await store.ticks(symbol: "BTC", from: nil, to: nil, limit: 10)
        XCTAssertEqual(ticks, [Tick(symbol: "BTC", ts: 1_717_000_000_000, price: 67_000.5, size: 0.5)])
        let source = try await store.source(of: "BTC")
        XCTAssertEqual(source, "binance", "the stream's ticks are recorded as coming from the exchange")
        await group.triggerGracefulShutdown()
        try await running.value
        await exchange.stop()
    }
}

/// CoinGecko's coin list, read once, classifies symbols the built-in map does not know.
final class CoinDirectoryTests: XCTestCase {
    func testTheListIsReadOnceAndTiesGoToTheLargestCoin() async throws {
        let fake = FakeProviderServer()
        _ = try await fake.start()
        let provider = CoinGeckoProvider(client: .shared, baseURL: fake.baseURL(for: .coingecko), timeoutSeconds: 2)
        let pool = KeyPool(
            provider: "coingecko", keys: [], budget: ProviderBudget(perMinute: 30), repository: MemoryStore(),
            clock: SystemClock())
        let directory = CoinDirectory(provider: provider, pool: pool, clock: SystemClock())
        let usdt = await directory.id(of: "USDT")
        XCTAssertEqual(usdt, "tether")
        let eth = await directory.id(of: "ETH")
        XCTAssertEqual(eth, "ethereum", "three coins share eth: the largest by market cap")
        let again = await directory.id(of: "ETH")
        XCTAssertEqual(again, "ethereum")
        let unknown = await directory.id(of: "AAPL")
        XCTAssertNil(unknown)
        let lists = fake.requests(.coingecko).filter { $0.path.hasSuffix("/coins/list") }
        XCTAssertEqual(lists.count, 2, "once for the directory, once for the tie's resolution; never per symbol")
        let markets = fake.requests(.coingecko).filter { $0.path.hasSuffix("/coins/markets") }
        XCTAssertEqual(markets.count, 1, "a tie is resolved once")
        await fake.stop()
    }
}
