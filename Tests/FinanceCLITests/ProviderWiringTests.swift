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
}
