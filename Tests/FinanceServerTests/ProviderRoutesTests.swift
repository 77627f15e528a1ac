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

/// A scripted quote and news provider (in-process; the adapters' HTTP is tested against the fake provider server),
/// counting its upstream requests.
private final class ScriptedProvider: QuoteProvider, NewsProvider {
    let name: String
    let capabilities: Set<ProviderCapability>
    let failure: ProviderError?
    private let state = Mutex((calls: 0, queries: [String]()))

    init(_ name: String, capabilities: Set<ProviderCapability> = [.quote], failure: ProviderError? = nil) {
        self.name = name
        self.capabilities = capabilities
        self.failure = failure
    }

    var calls: Int { self.state.withLock { $0.calls } }
    var queries: [String] { self.state.withLock { $0.queries } }

    func quote(_ symbol: UpstreamSymbol, call: ProviderCall) async throws -> ProviderQuote {
        try await call.beforeRequest("/quote")
        self.state.withLock { $0.calls += 1 }
        if let failure { throw failure }
        return ProviderQuote(
            quote: Quote(symbol: symbol.symbol, price: 100, ts: 1_717_000_000_000), changeBasis: .previousClose)
    }

    func news(query: String, limit: Int, call: ProviderCall) async throws -> [NewsArticle] {
        try await call.beforeRequest("/v2/everything")
        self.state.withLock {
            $0.calls += 1
            $0.queries.append(query)
        }
        if let failure { throw failure }
        return (0..<3).map { i in
            NewsArticle(
                title: "\(query) story \(i)", url: "https://example.com/\(i)", source: "Wire",
                publishedAt: 1_717_000_000_000 - Int64(i) * 60_000, summary: i == 0 ? "first" : nil)
        }
    }
}

private let finnhubSecret = "finnhub-very-secret-key-0001"

/// A clock that stands still.
private struct FixedClock: WallClock {
    let now: Int64
    func nowMilliseconds() -> Int64 { self.now }
}

private func providerItems(_ response: TestResponse) throws -> [ProviderDTO] {
    try response.decode(ProvidersDTO.self).items
}

/// Sends a GET and checks its status.
private func expect(
    _ client: some TestClientProtocol, _ path: String, _ status: HTTPResponse.Status, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) async throws {
    let response = try await client.send(.get, path)
    XCTAssertEqual(response.status, status, "\(path): \(message) \(response.text)", file: file, line: line)
}

final class ProviderRoutesTests: XCTestCase {
    private func router(
        _ providers: [ScriptedProvider], store: MemoryStore, budget: ProviderBudget = ProviderBudget(),
        clock: any WallClock = SystemClock()
    ) -> ProviderRouter {
        ProviderRouter(
            providers: providers.map {
                RoutedProvider(
                    adapter: $0,
                    pool: KeyPool(
                        provider: $0.name,
                        keys: [ProviderKey(secret: $0.name == "finnhub" ? finnhubSecret : "\($0.name)-key")],
                        budget: budget, repository: store, clock: clock))
            }, preference: providers.map(\.name), repository: store, clock: clock)
    }

    func testTheListingShowsEveryProviderWithMaskedKeysAndBudgetUse() async throws {
        let store = MemoryStore()
        let finnhub = ScriptedProvider("finnhub")
        // Day and month windows: a minute window could end between two requests.
        let router = self.router([finnhub], store: store, budget: ProviderBudget(perDay: 500, perMonth: 5_000))
        var settings = ProviderSettings()
        settings.providers["finnhub"]?.keys = [finnhubSecret]
        settings.providers["alphavantage"]?.enabled = false
        try await makeApp(store: store, providers: router, providerSettings: settings).test(.router) { client in
            try await expect(client, "/api/quotes/AAPL", .ok)
            try await expect(client, "/api/quotes/AAPL", .ok, "a cache hit")
            try await expect(client, "/api/quotes/MSFT", .ok)
            XCTAssertEqual(finnhub.calls, 2)

            let response = try await client.send(.get, "/api/providers")
            XCTAssertEqual(response.status, .ok, response.text)
            XCTAssertFalse(response.text.contains(finnhubSecret), "the secret appears nowhere")
            XCTAssertFalse(response.text.contains("very-secret"))
            let items = try providerItems(response)
            XCTAssertEqual(items.map(\.name), ProviderSettings.names)
            let byName = Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0) })

            let used = try XCTUnwrap(byName["finnhub"])
            XCTAssertTrue(used.enabled)
            XCTAssertTrue(used.usable)
            XCTAssertNil(used.reason)
            XCTAssertEqual(used.capabilities, ["quote", "barsHistory", "liveTrades"])
            XCTAssertEqual(used.health, 100)
            XCTAssertEqual(used.circuit, CircuitDTO(.closed))
            let key = try XCTUnwrap(used.keys.first)
            XCTAssertEqual(used.keys.count, 1)
            XCTAssertEqual(key.keyId, ProviderKey(secret: finnhubSecret).id)
            XCTAssertEqual(key.key, ProviderKey(secret: finnhubSecret).masked)
            XCTAssertNil(key.parkedUntil)
            XCTAssertNil(key.disabledReason)
            XCTAssertEqual(key.budgets.map(\.window), ["day", "month"])
            XCTAssertEqual(key.budgets.map(\.used), [2, 2], "two upstream requests; the cache hit costs nothing")
            XCTAssertEqual(key.budgets.map(\.limit), [500, 5_000])

            let disabled = try XCTUnwrap(byName["alphavantage"])
            XCTAssertFalse(disabled.enabled)
            XCTAssertFalse(disabled.usable)
            XCTAssertEqual(disabled.reason, "disabled by configuration")
            XCTAssertNil(disabled.health, "not used by the router")
            XCTAssertNil(disabled.circuit)
            let keyless = try XCTUnwrap(byName["polygon"])
            XCTAssertTrue(keyless.enabled)
            XCTAssertFalse(keyless.usable)
            XCTAssertEqual(keyless.reason, "no API key (set providers.polygon.keys)")
            XCTAssertEqual(keyless.keys, [])
            let keyFree = try XCTUnwrap(byName["coingecko"])
            XCTAssertTrue(keyFree.usable, "coingecko works without a key")
            XCTAssertEqual(keyFree.keys.map(\.keyId), [ProviderKey.keyFreeId])
            XCTAssertEqual(byName["newsapi"]?.capabilities, ["news"])
        }
    }

    func testTheListingWorksWithoutARouter() async throws {
        var settings = ProviderSettings()
        settings.providers["newsapi"]?.enabled = false
        settings.providers["newsapi"]?.keys = ["newsapi-secret-abcdef"]
        try await makeApp(providerSettings: settings).test(.router) { client in
            let response = try await client.send(.get, "/api/providers")
            XCTAssertEqual(response.status, .ok, response.text)
            XCTAssertFalse(response.text.contains("newsapi-secret-abcdef"))
            let items = try providerItems(response)
            XCTAssertEqual(items.count, ProviderSettings.names.count)
            let news = try XCTUnwrap(items.first { $0.name == "newsapi" })
            XCTAssertEqual(news.reason, "disabled by configuration")
            XCTAssertEqual(
                news.keys.map(\.keyId), [ProviderKey(secret: "newsapi-secret-abcdef").id],
                "a disabled provider's keys are listed, masked")
            XCTAssertEqual(news.keys.first?.budgets.map(\.window), ["day"])
            XCTAssertTrue(items.allSatisfy { $0.health == nil && $0.circuit == nil })
        }
    }

    func testTheCircuitOpensAfterFailures() async throws {
        let store = MemoryStore()
        let polygon = ScriptedProvider("polygon", failure: .server(status: 502))
        try await makeApp(store: store, providers: self.router([polygon], store: store)).test(.router) { client in
            for _ in 0..<5 {
                try await expect(client, "/api/quotes/IBM", .serviceUnavailable)
            }
            XCTAssertEqual(polygon.calls, 5)
            let items = try providerItems(await client.send(.get, "/api/providers"))
            let listed = try XCTUnwrap(items.first { $0.name == "polygon" })
            XCTAssertEqual(listed.circuit?.state, "open", "five failures in a row open the circuit")
            XCTAssertGreaterThan(listed.circuit?.until ?? 0, SystemClock().nowMilliseconds())
            XCTAssertEqual(listed.health, 0, "an open circuit scores 0")
            let skipped = try await client.send(.get, "/api/quotes/IBM")
            XCTAssertEqual(skipped.status, .serviceUnavailable)
            XCTAssertEqual(polygon.calls, 5, "an open circuit is not asked")
        }
    }

    func testUsageAndHealthAnswerWhatTheRouterFlushed() async throws {
        let store = MemoryStore()
        let finnhub = ScriptedProvider("finnhub")
        // The router's clock stands still, so the entries' times and the sample's minute are known.
        let t0 = Timestamp.parse("2026-01-05T10:00:30Z")!
        let router = self.router([finnhub], store: store, clock: FixedClock(now: t0))
        try await makeApp(store: store, providers: router).test(.router) { client in
            try await expect(client, "/api/quotes/AAPL", .ok)
            try await expect(client, "/api/quotes/AAPL", .ok)
            try await router.flush()
            let to = "2026-01-05T10:01:00Z"
            let recent = try await client.send(.get, "/api/providers/finnhub/usage")
            XCTAssertEqual(
                try recent.decode(ProviderUsageDTO.self).items, [], "by default the last 24 hours, before now")

            let usage = try await client.send(.get, "/api/providers/finnhub/usage?to=\(to)")
            XCTAssertEqual(usage.status, .ok, usage.text)
            let entries = try usage.decode(ProviderUsageDTO.self).items
            XCTAssertEqual(entries.map(\.status), ["success", "cache_hit"])
            XCTAssertEqual(entries.map(\.ts), [t0, t0])
            XCTAssertEqual(entries.map(\.keyId), [ProviderKey(secret: finnhubSecret).id, nil])
            XCTAssertEqual(entries.map(\.endpoint), ["/quote", "quote"])
            XCTAssertEqual(entries.map(\.credits), [1, 0])
            XCTAssertEqual(entries.map(\.cacheHit), [false, true])
            XCTAssertFalse(usage.text.contains(finnhubSecret))
            let limited = try await client.send(.get, "/api/providers/finnhub/usage?limit=1&to=\(to)")
            XCTAssertEqual(try limited.decode(ProviderUsageDTO.self).items.map(\.status), ["success"])
            let before = try await client.send(.get, "/api/providers/finnhub/usage?from=2020-01-01&to=2020-01-02")
            XCTAssertEqual(try before.decode(ProviderUsageDTO.self).items, [])
            let other = try await client.send(.get, "/api/providers/polygon/usage?to=\(to)")
            XCTAssertEqual(try other.decode(ProviderUsageDTO.self).items, [], "a provider without a router entry")

            let health = try await client.send(.get, "/api/providers/finnhub/health?to=\(to)")
            XCTAssertEqual(health.status, .ok, health.text)
            let samples = try health.decode(ProviderHealthDTO.self).items
            XCTAssertEqual(samples.count, 1)
            XCTAssertEqual(samples.first?.requests, 1)
            XCTAssertEqual(samples.first?.failures, 0)
            XCTAssertEqual(samples.first?.score, 100)
            XCTAssertEqual(samples.first?.circuit, "closed")
            XCTAssertNotNil(samples.first?.latencyP95Ms)
            XCTAssertEqual(samples.first?.minute, t0 - 30_000)
            let sameMinute = try await client.send(
                .get, "/api/providers/finnhub/health?from=2026-01-05T10:00:00Z&to=\(t0 - 29_999)")
            XCTAssertEqual(try sameMinute.decode(ProviderHealthDTO.self).items.count, 1, "from is inclusive")
            let after = try await client.send(.get, "/api/providers/finnhub/health?from=\(t0 / 1_000 + 30)&to=\(to)")
            XCTAssertEqual(try after.decode(ProviderHealthDTO.self).items, [], "a minute before from (epoch seconds)")
            let earlier = try await client.send(.get, "/api/providers/finnhub/health?to=2026-01-05T10:00:00Z")
            XCTAssertEqual(try earlier.decode(ProviderHealthDTO.self).items, [], "to is exclusive")
        }
    }

    func testUnknownProvidersAre404AndBadWindowsAre422() async throws {
        try await makeApp().test(.router) { client in
            try await expect(client, "/api/providers/FINNHUB/usage", .notFound, "names are lower case")
            for path in ["/api/providers/nope/usage", "/api/providers/nope/health"] {
                let response = try await client.send(.get, path)
                XCTAssertEqual(response.status, .notFound, path)
                XCTAssertEqual(response.headers[.contentType], "application/problem+json")
                XCTAssertTrue(response.problem?.detail.contains("unknown provider 'nope'") == true, response.text)
            }
            let badFrom = try await client.send(.get, "/api/providers/finnhub/usage?from=yesterday")
            XCTAssertEqual(badFrom.status, .unprocessableContent)
            XCTAssertEqual(badFrom.problemFields, ["from"])
            let badTo = try await client.send(.get, "/api/providers/finnhub/health?to=x")
            XCTAssertEqual(badTo.status, .unprocessableContent)
            XCTAssertEqual(badTo.problemFields, ["to"])
            let reversed = try await client.send(
                .get, "/api/providers/finnhub/health?from=2024-01-02&to=2024-01-01")
            XCTAssertEqual(reversed.problemFields, ["from"])
            let afterNow = try await client.send(.get, "/api/providers/finnhub/usage?from=9999-01-01")
            XCTAssertEqual(afterNow.problemFields, ["from"], "to defaults to now")
            for limit in ["0", "100001", "ten"] {
                let response = try await client.send(.get, "/api/providers/finnhub/usage?limit=\(limit)")
                XCTAssertEqual(response.problemFields, ["limit"], limit)
            }
            let fine = try await client.send(.get, "/api/providers/finnhub/usage?limit=100000")
            XCTAssertEqual(fine.status, .ok)
            XCTAssertEqual(fine.text, #"{"items":[]}"#)
        }
    }

    func testNewsComesFromTheRouterThroughTheCache() async throws {
        let store = MemoryStore()
        let news = ScriptedProvider("newsapi", capabilities: [.news])
        try await makeApp(store: store, providers: self.router([news], store: store)).test(.router) { client in
            let first = try await client.send(.get, "/api/news?symbol=aapl&limit=2")
            XCTAssertEqual(first.status, .ok, first.text)
            let dto = try first.decode(NewsDTO.self)
            XCTAssertEqual(dto.provider, "newsapi")
            XCTAssertEqual(dto.items.map(\.title), ["AAPL story 0", "AAPL story 1"])
            XCTAssertEqual(dto.items.first?.summary, "first")
            XCTAssertNil(dto.items.last?.summary)
            XCTAssertFalse(first.text.contains("\"summary\":null"), "an absent summary is left out")
            XCTAssertEqual(news.queries, ["AAPL"])

            let again = try await client.send(.get, "/api/news?symbol=AAPL")
            XCTAssertEqual(try again.decode(NewsDTO.self).items.count, 3)
            XCTAssertEqual(news.calls, 1, "the second call is answered from the cache")

            let text = try await client.send(.get, "/api/news?q=apple%20earnings&limit=1")
            XCTAssertEqual(text.status, .ok, text.text)
            XCTAssertEqual(try text.decode(NewsDTO.self).items.map(\.title), ["apple earnings story 0"])
            XCTAssertEqual(news.queries, ["AAPL", "apple earnings"])

            for (query, field) in [
                ("", "symbol"), ("?symbol=AAPL&q=apple", "q"), ("?symbol=AAPL&limit=0", "limit"),
                ("?symbol=AAPL&limit=101", "limit"), ("?q=", "q"), ("?symbol=%24%24", "symbol"),
            ] {
                let response = try await client.send(.get, "/api/news\(query)")
                XCTAssertEqual(response.status, .unprocessableContent, query)
                XCTAssertEqual(response.problemFields, [field], query)
            }
            XCTAssertEqual(news.calls, 2)
        }
    }

    func testNewsFailuresAre503AndNoNewsProviderIs404() async throws {
        let store = MemoryStore()
        let down = ScriptedProvider(
            "newsapi", capabilities: [.news], failure: .rateLimited(retryAfterSeconds: 30, reason: "HTTP 429"))
        try await makeApp(store: store, providers: self.router([down], store: store)).test(.router) { client in
            let response = try await client.send(.get, "/api/news?symbol=AAPL")
            XCTAssertEqual(response.status, .serviceUnavailable, response.text)
            XCTAssertEqual(response.headers[.retryAfter], "30")
            let tried = (response.object["providers"] as? [[String: Any]])?.compactMap { $0["provider"] as? String }
            XCTAssertEqual(tried, ["newsapi"])
            XCTAssertFalse(response.text.contains("newsapi-key"))
        }
        let quotesOnly = ScriptedProvider("finnhub")
        try await makeApp(store: store, providers: self.router([quotesOnly], store: store)).test(.router) { client in
            let response = try await client.send(.get, "/api/news?symbol=AAPL")
            XCTAssertEqual(response.status, .notFound, response.text)
            XCTAssertTrue(response.problem?.detail.contains("no news provider has keys") == true)
        }
        try await makeApp().test(.router) { client in
            try await expect(client, "/api/news?q=markets", .notFound)
        }
    }

    func testProviderMetricsAppearAfterRequests() async throws {
        let store = MemoryStore()
        let finnhub = ScriptedProvider("finnhub")
        let news = ScriptedProvider("newsapi", capabilities: [.news])
        let router = self.router([finnhub, news], store: store)
        try await makeApp(store: store, providers: router).test(.router) { client in
            try await expect(client, "/api/quotes/AAPL", .ok)
            try await expect(client, "/api/quotes/AAPL", .ok)
            try await expect(client, "/api/news?symbol=AAPL", .ok)
            try await expect(client, "/api/news?symbol=AAPL", .ok)
            try await router.flush()
            let text = try await client.send(.get, "/metrics").text
            let id = ProviderKey(secret: finnhubSecret).id
            for expected in [
                "financehub_provider_requests_total{", "key=\"\(id)\"", "outcome=\"success\"",
                "financehub_provider_request_duration_seconds", "financehub_provider_cache_total{",
                "kind=\"quote\"", "kind=\"news\"", "result=\"hit\"", "result=\"miss\"",
                "financehub_provider_health_score{provider=\"finnhub\"}",
                "financehub_provider_circuit_open{provider=\"finnhub\"}",
                "financehub_provider_budget_headroom{provider=\"newsapi\"}",
            ] {
                XCTAssertTrue(text.contains(expected), "\(expected) is missing from /metrics")
            }
            XCTAssertFalse(text.contains(finnhubSecret))
            XCTAssertTrue(
                text.split(separator: "\n").contains { line in
                    line.hasPrefix("financehub_provider_requests_total{") && line.contains("provider=\"finnhub\"")
                        && line.contains("outcome=\"success\"")
                })
        }
    }
}
