import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Hummingbird
import HummingbirdTesting
import Synchronization
import XCTest

/// A quote provider answering from a table of prices (in-process: the adapters' HTTP is tested against the fake
/// provider server in FinanceProvidersTests), counting its upstream requests.
private final class TableQuoteProvider: QuoteProvider {
    let name: String
    let capabilities: Set<ProviderCapability> = [.quote]
    let prices: [String: Double]
    let basis: ProviderQuote.ChangeBasis
    let failure: ProviderError?
    let delay: Duration
    private let count = Mutex(0)
    private let ids = Mutex<[String]>([])

    init(
        _ name: String, prices: [String: Double], basis: ProviderQuote.ChangeBasis = .rolling24h,
        failure: ProviderError? = nil, delay: Duration = .zero
    ) {
        self.name = name
        self.prices = prices
        self.basis = basis
        self.failure = failure
        self.delay = delay
    }

    var calls: Int { self.count.withLock { $0 } }
    var upstreamIds: [String] { self.ids.withLock { $0 } }

    func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        try await call.beforeRequest("/quote")
        self.count.withLock { $0 += 1 }
        self.ids.withLock { $0.append(symbol.id) }
        if self.delay > .zero { try await Task.sleep(for: self.delay) }
        if let failure { throw failure }
        guard let price = self.prices[symbol.symbol] else { throw ProviderError.unknownSymbol(symbol.symbol) }
        var quote = Quote(symbol: symbol.symbol, price: price, ts: 1_717_000_000_000)
        quote.change = 10
        quote.changePercent = 1.5
        return ProviderQuote(quote: quote, changeBasis: self.basis, previousClose: price - 10)
    }
}

final class OnDemandQuoteTests: XCTestCase {
    private func router(_ providers: [TableQuoteProvider], store: MemoryStore) -> ProviderRouter {
        ProviderRouter(
            providers: providers.map {
                RoutedProvider(
                    adapter: $0,
                    pool: KeyPool(
                        provider: $0.name, keys: [ProviderKey(secret: "\($0.name)-secret-key")],
                        budget: ProviderBudget(), repository: store, clock: SystemClock()))
            }, preference: providers.map(\.name), repository: store, clock: SystemClock())
    }

    func testASymbolNotFedHereIsFetchedStoredAndAnsweredWithItsSource() async throws {
        let store = MemoryStore()
        let coingecko = TableQuoteProvider("coingecko", prices: ["BTC": 67_000.5])
        let finnhub = TableQuoteProvider("finnhub", prices: ["AAPL": 190.25], basis: .previousClose)
        try await makeApp(store: store, providers: self.router([coingecko, finnhub], store: store)).test(.router) {
            client in
            let btc = try await client.send(.get, "/api/quotes/btc")
            XCTAssertEqual(btc.status, .ok, btc.text)
            let quote = try btc.decode(QuoteDTO.self)
            XCTAssertEqual(quote.price, 67_000.5)
            XCTAssertEqual(quote.source, "coingecko")
            XCTAssertEqual(quote.changeBasis, "24h")
            XCTAssertEqual(quote.changePercent, 1.5, "the provider's own change figures")
            XCTAssertEqual(coingecko.upstreamIds, ["bitcoin"], "crypto goes to the crypto provider, by its id")
            XCTAssertEqual(finnhub.calls, 0)
            let asset = try await store.asset("BTC")
            XCTAssertEqual(asset.assetClass, .crypto, "the asset is created with its class")
            let ticks = try await store.ticks(symbol: "BTC", from: nil, to: nil, limit: 10)
            XCTAssertEqual(ticks.map(\.price), [67_000.5], "the price is stored")
            let source = try await store.source(of: "BTC")
            XCTAssertEqual(source, "coingecko")

            let again = try await client.send(.get, "/api/quotes/BTC")
            XCTAssertEqual(try again.decode(QuoteDTO.self).source, "coingecko")
            XCTAssertEqual(coingecko.calls, 1, "within the quote TTL the cached answer serves")

            let aapl = try await client.send(.get, "/api/quotes/AAPL")
            XCTAssertEqual(try aapl.decode(QuoteDTO.self).changeBasis, "previousClose")
            XCTAssertEqual(finnhub.upstreamIds, ["AAPL"], "an equity goes to the equity provider")
            XCTAssertEqual(coingecko.calls, 1)
        }
    }

    func testSymbolsFedHereAreAnsweredFromTheStoreWithoutProviders() async throws {
        let store = MemoryStore()
        let finnhub = TableQuoteProvider("finnhub", prices: ["MSFT": 1])
        try await makeApp(store: store, providers: self.router([finnhub], store: store)).test(.router) { client in
            let push = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"MSFT","ts":"2020-01-02T10:00:00Z","price":150}]"#)
            XCTAssertEqual(push.status, .created)
            let quote = try await client.send(.get, "/api/quotes/MSFT")
            let dto = try quote.decode(QuoteDTO.self)
            XCTAssertEqual(dto.price, 150, "pushed data answers however old it is")
            XCTAssertEqual(dto.source, "push")
            XCTAssertEqual(dto.changeBasis, "utcDay")
            XCTAssertEqual(finnhub.calls, 0)
        }
    }

    func testConcurrentRequestsForOneSymbolMakeOneUpstreamCall() async throws {
        let store = MemoryStore()
        let slow = TableQuoteProvider("coingecko", prices: ["ETH": 3_000], delay: .milliseconds(100))
        try await makeApp(store: store, providers: self.router([slow], store: store)).test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<100 { group.addTask { try await client.send(.get, "/api/quotes/ETH").status } }
                var all: [HTTPResponse.Status] = []
                for try await status in group { all.append(status) }
                return all
            }
            XCTAssertEqual(Set(statuses), [.ok])
            XCTAssertEqual(slow.calls, 1, "100 concurrent requests for one quote make one upstream call")
        }
    }

    func testUnknownIs404AndFailuresAre503WithTheProvidersTried() async throws {
        let store = MemoryStore()
        let down = TableQuoteProvider("polygon", prices: [:], failure: .server(status: 502))
        let limited = TableQuoteProvider(
            "finnhub", prices: [:], failure: .rateLimited(retryAfterSeconds: 40, reason: "HTTP 429"))
        let unknown = TableQuoteProvider("coingecko", prices: [:])
        try await makeApp(store: store, providers: self.router([down, limited, unknown], store: store)).test(.router) {
            client in
            let nope = try await client.send(.get, "/api/quotes/SOL")
            XCTAssertEqual(nope.status, .serviceUnavailable, "polygon quotes crypto too, and it failed")
            let equity = try await client.send(.get, "/api/quotes/IBM")
            XCTAssertEqual(equity.status, .serviceUnavailable)
            XCTAssertEqual(equity.headers[.retryAfter], "40")
            let problem = equity.object
            let tried = (problem["providers"] as? [[String: Any]])?.compactMap { $0["provider"] as? String }
            XCTAssertEqual(Set(tried ?? []), ["polygon", "finnhub"])
            XCTAssertFalse(equity.text.contains("secret-key"), "keys never reach a response")
        }
        let onlyUnknown = TableQuoteProvider("coingecko", prices: [:])
        let store2 = MemoryStore()
        try await makeApp(store: store2, providers: self.router([onlyUnknown], store: store2)).test(.router) {
            client in
            let first = try await client.send(.get, "/api/quotes/DOGE")
            XCTAssertEqual(first.status, .notFound, first.text)
            let second = try await client.send(.get, "/api/quotes/DOGE")
            XCTAssertEqual(second.status, .notFound)
            XCTAssertEqual(onlyUnknown.calls, 1, "an unknown answer is kept for the quote TTL")
            let assets = try await store2.assets()
            XCTAssertEqual(assets, [], "nothing is created for an unknown symbol")
        }
    }
}
