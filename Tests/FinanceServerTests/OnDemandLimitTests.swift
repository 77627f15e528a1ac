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

/// An equity provider that knows every symbol, counting its requests.
private final class AnySymbolQuotes: QuoteProvider {
    let name = "finnhub"
    let capabilities: Set<ProviderCapability> = [.quote]
    private let count = Mutex(0)
    var calls: Int { self.count.withLock { $0 } }

    func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        try await call.beforeRequest("/quote")
        self.count.withLock { $0 += 1 }
        return ProviderQuote(
            quote: Quote(symbol: symbol.symbol, price: 10, ts: 1_717_000_000_000), changeBasis: .previousClose,
            previousClose: 9)
    }
}

/// `providers.onDemand.perUserPerMinute`: the upstream fetches one user's requests cause are limited; cache hits,
/// admins and service keys are not.
final class OnDemandLimitTests: XCTestCase {
    func testAUserIsLimitedInFetchesButNotInCacheHits() async throws {
        let store = MemoryStore()
        let provider = AnySymbolQuotes()
        let router = ProviderRouter(
            providers: [
                RoutedProvider(
                    adapter: provider,
                    pool: KeyPool(
                        provider: "finnhub", keys: [ProviderKey(secret: "finnhub-secret-key")],
                        budget: ProviderBudget(), repository: store, clock: SystemClock()))
            ], preference: ["finnhub"], repository: store, clock: SystemClock())
        var settings = ProviderSettings()
        settings.onDemandPerUserPerMinute = 2
        try await store.createUser(User(name: "bob", passwordHash: "x", role: .user, tier: .pro, createdAt: 0))
        let bob = TestAuth.token(user: "bob", role: .user, tier: .pro)
        try await makeApp(store: store, providers: router, providerSettings: settings).test(.router) { client in
            for symbol in ["AAA", "BBB"] {
                let r = try await client.send(.get, "/api/quotes/\(symbol)", token: bob)
                XCTAssertEqual(r.status, .ok, r.text)
            }
            let third = try await client.send(.get, "/api/quotes/CCC", token: bob)
            XCTAssertEqual(third.status, .tooManyRequests, third.text)
            XCTAssertNotNil(third.headers[.retryAfter])
            XCTAssertTrue(third.text.contains("providers.onDemand.perUserPerMinute"), third.text)
            XCTAssertEqual(provider.calls, 2, "the refused request never reached the provider")
            let cached = try await client.send(.get, "/api/quotes/AAA", token: bob)
            XCTAssertEqual(cached.status, .ok, "a cached answer costs nothing")
            let admin = try await client.send(.get, "/api/quotes/CCC")
            XCTAssertEqual(admin.status, .ok, "admins are exempt")
            XCTAssertEqual(provider.calls, 3)
        }
    }
}
