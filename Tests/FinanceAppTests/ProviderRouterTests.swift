import FinanceCore
import FinanceProviders
import FinanceStorage
import Synchronization
import XCTest

@testable import FinanceApp

final class ProviderRouterTests: XCTestCase {
    private let t0: Int64 = 1_704_153_600_000

    private func router(
        _ providers: [ScriptedQuoteProvider], preference: [String], clock: TestClock,
        store: MemoryStore = MemoryStore(),
        keys: [String: [String]] = [:], budget: ProviderBudget = ProviderBudget()
    ) -> ProviderRouter {
        let routed = providers.map { provider in
            RoutedProvider(
                adapter: provider,
                pool: KeyPool(
                    provider: provider.name,
                    keys: (keys[provider.name] ?? ["\(provider.name)-key"]).map(ProviderKey.init),
                    budget: budget, repository: store, clock: clock))
        }
        return ProviderRouter(providers: routed, preference: preference, repository: store, clock: clock)
    }

    private static func quote(_ router: ProviderRouter, _ symbol: String) async throws -> Routed<ProviderQuote> {
        try await router.run(.quote) { provider, call in
            try await (provider as! any QuoteProvider).quote(UpstreamSymbol(symbol: symbol), call: call)
        }
    }

    func testHealthyProvidersAreTakenInPreferenceOrder() async throws {
        let a = ScriptedQuoteProvider("a") { _, _, _ in 1 }
        let b = ScriptedQuoteProvider("b") { _, _, _ in 2 }
        let router = self.router([a, b], preference: ["b", "a"], clock: TestClock(self.t0))
        let answer = try await Self.quote(router, "X")
        XCTAssertEqual(answer.provider, "b")
        XCTAssertEqual(answer.value.quote.price, 2)
        XCTAssertEqual(a.callCount, 0)
    }

    func testAFailureFailsOverWithinTheRequestAndDemotesTheProvider() async throws {
        let clock = TestClock(self.t0)
        let flaky = ScriptedQuoteProvider("flaky") { _, _, _ in throw ProviderError.server(status: 500) }
        let steady = ScriptedQuoteProvider("steady") { _, _, _ in 7 }
        let router = self.router([flaky, steady], preference: ["flaky", "steady"], clock: clock)
        let first = try await Self.quote(router, "S0")
        XCTAssertEqual(first.provider, "steady", "the secondary serves the same request")
        XCTAssertEqual(
            first.attempts,
            [ProviderAttempt(provider: "flaky", outcome: "server_error", detail: "server error (HTTP 500)")])
        let ranking = await router.ranking(.quote).map(\.name)
        XCTAssertEqual(ranking, ["steady", "flaky"], "the failing provider drops below the healthy one")
        let second = try await Self.quote(router, "S1")
        XCTAssertEqual(second.attempts, [], "the healthy provider is asked first")
        XCTAssertEqual(flaky.callCount, 1)
        clock.advance(by: 300_000)
        let recovered = await router.ranking(.quote).map(\.name)
        XCTAssertEqual(recovered, ["flaky", "steady"], "failures older than 5 minutes are forgotten")
    }

    func testRepeatedFailuresOpenTheCircuitThenAProbeDecides() async throws {
        let clock = TestClock(self.t0)
        let failing = Mutex(true)
        let primary = ScriptedQuoteProvider("primary") { _, _, _ in
            if failing.withLock({ $0 }) { throw ProviderError.timeout }
            return 1
        }
        let secondary = ScriptedQuoteProvider("secondary") { _, _, _ in 2 }
        let store = MemoryStore()
        let router = self.router(
            [primary, secondary], preference: ["primary", "secondary"], clock: clock, store: store)
        let onlyPrimary: Set<String> = ["primary"]
        func ask() async throws -> Routed<ProviderQuote> {
            try await router.run(.quote, among: onlyPrimary) { provider, call in
                try await (provider as! any QuoteProvider).quote(UpstreamSymbol(symbol: "X"), call: call)
            }
        }
        for _ in 0..<5 { _ = try? await ask() }
        let circuit = await router.circuit("primary")
        XCTAssertEqual(circuit, .open(until: self.t0 + 30_000), "five consecutive failures open the circuit")
        let score = await router.score("primary")
        XCTAssertEqual(score, 0)
        do {
            _ = try await ask()
            XCTFail("an open circuit is not called")
        } catch let error as ProvidersUnavailable {
            XCTAssertEqual(error.attempts.map(\.outcome), ["circuit_open"])
            XCTAssertEqual(error.retryAfterSeconds, 30)
        }
        XCTAssertEqual(primary.callCount, 5)

        // After the back-off one probe goes through; it fails, so the back-off doubles.
        clock.advance(by: 30_000)
        _ = try? await ask()
        XCTAssertEqual(primary.callCount, 6)
        let reopened = await router.circuit("primary")
        XCTAssertEqual(reopened, .open(until: self.t0 + 90_000))

        // The next probe succeeds and closes the circuit.
        failing.withLock { $0 = false }
        clock.advance(by: 60_000)
        let probe = try await ask()
        XCTAssertEqual(probe.provider, "primary")
        let closed = await router.circuit("primary")
        XCTAssertEqual(closed, .closed)

        // The usage log and health history are written on flush.
        try await router.flush()
        let usage = try await store.usage(provider: "primary", from: 0, to: .max, limit: 100)
        XCTAssertEqual(
            usage.map(\.status), ["timeout", "timeout", "timeout", "timeout", "timeout", "timeout", "success"])
        XCTAssertEqual(usage.first?.keyId, ProviderKey(secret: "primary-key").id, "the key's id, never the key")
        let health = try await store.health(provider: "primary", from: 0, to: .max)
        XCTAssertEqual(health.last?.circuit, "closed")
        XCTAssertEqual(health.last?.requests, 1, "the requests of the current minute")
    }

    func testKeySpecificFailuresTryTheNextKeyFirst() async throws {
        let provider = ScriptedQuoteProvider("p") { _, _, key in
            if key == "bad" { throw ProviderError.unauthorized("invalid API key") }
            if key == "limited" { throw ProviderError.rateLimited(retryAfterSeconds: 20, reason: "429") }
            return 3
        }
        let router = self.router(
            [provider], preference: [], clock: TestClock(self.t0), keys: ["p": ["bad", "limited", "good"]])
        let answer = try await Self.quote(router, "X")
        XCTAssertEqual(answer.value.quote.price, 3)
        XCTAssertEqual(provider.keysUsed, ["bad", "limited", "good"])
        let again = try await Self.quote(router, "X")
        XCTAssertEqual(again.value.quote.price, 3)
        XCTAssertEqual(provider.keysUsed.last, "good", "the disabled and the parked key are not tried again")
        let circuit = await router.circuit("p")
        XCTAssertEqual(circuit, .closed, "key problems are not the provider's failures")
    }

    func testUnknownEverywhereIsUnknownAndFailuresEverywhereSayWhen() async throws {
        let a = ScriptedQuoteProvider("a") { s, _, _ in throw ProviderError.unknownSymbol(s) }
        let b = ScriptedQuoteProvider("b") { s, _, _ in throw ProviderError.unknownSymbol(s) }
        let router = self.router([a, b], preference: [], clock: TestClock(self.t0))
        do {
            _ = try await Self.quote(router, "NOPE")
            XCTFail("expected unknownSymbol")
        } catch let error as ProviderError {
            XCTAssertEqual(error, .unknownSymbol("NOPE"))
        }
        let limited = ScriptedQuoteProvider("limited") { _, _, _ in
            throw ProviderError.rateLimited(retryAfterSeconds: 42, reason: "429")
        }
        let down = ScriptedQuoteProvider("down") { _, _, _ in throw ProviderError.unavailable("connection refused") }
        let failing = self.router([limited, down], preference: [], clock: TestClock(self.t0))
        do {
            _ = try await Self.quote(failing, "X")
            XCTFail("expected ProvidersUnavailable")
        } catch let error as ProvidersUnavailable {
            XCTAssertEqual(error.retryAfterSeconds, 42)
            XCTAssertEqual(Set(error.attempts.map(\.outcome)), ["rate_limited", "network"])
        }
    }

    func testABurstNeverExceedsTheBudget() async throws {
        let clock = TestClock(self.t0)
        let provider = ScriptedQuoteProvider("p") { _, _, _ in 1 }
        let router = self.router(
            [provider], preference: [], clock: clock, keys: ["p": ["k1", "k2"]], budget: ProviderBudget(perMinute: 5))
        let served = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<100 {
                group.addTask {
                    do {
                        _ = try await Self.quote(router, "S\(i)")
                        return true
                    } catch is ProvidersUnavailable {
                        return false
                    }
                }
            }
            var n = 0
            for try await ok in group where ok { n += 1 }
            return n
        }
        XCTAssertEqual(served, 10, "two keys of 5 per minute")
        XCTAssertEqual(provider.callCount, 10, "no request beyond the budget reached the provider")
    }

    func testEqualHealthMeansWithinTenPoints() async throws {
        let clock = TestClock(self.t0)
        let slow = ScriptedQuoteProvider("slow") { _, n, _ in
            if n == 10 || n == 11 { throw ProviderError.server(status: 503) }
            return 1
        }
        let other = ScriptedQuoteProvider("other") { _, _, _ in 2 }
        let router = self.router([slow, other], preference: ["slow", "other"], clock: clock)
        for i in 0..<10 { _ = try await Self.quote(router, "S\(i)") }
        let score = await router.score("slow")
        XCTAssertEqual(score, 90, "one failure in ten")
        let ranking = await router.ranking(.quote).map(\.name)
        XCTAssertEqual(ranking, ["slow", "other"], "90 is within 10 points of 100: preference wins")
        _ = try await Self.quote(router, "T")
        let worse = await router.score("slow")
        XCTAssertLessThan(worse, 90)
        let reranked = await router.ranking(.quote).map(\.name)
        XCTAssertEqual(reranked, ["other", "slow"])
    }
}

final class ResponseCacheTests: XCTestCase {
    func testConcurrentRequestsForOneKeyMakeOneFetch() async throws {
        let clock = TestClock(0)
        let cache = ResponseCache<String, Double>(maxEntries: 100, clock: clock)
        let fetches = Counter()
        let sources = try await withThrowingTaskGroup(of: ResponseCache<String, Double>.Source.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await cache.value(for: "BTC", ttl: 15_000) {
                        fetches.increment()
                        try await Task.sleep(for: .milliseconds(50))
                        return 67_000
                    }.source
                }
            }
            var all: [ResponseCache<String, Double>.Source] = []
            for try await s in group { all.append(s) }
            return all
        }
        XCTAssertEqual(fetches.value, 1, "one upstream call for 100 concurrent requests")
        XCTAssertEqual(sources.filter { $0 == .miss }.count, 1)
        XCTAssertEqual(sources.filter { $0 == .coalesced }.count, 99)
        let hit = try await cache.value(for: "BTC", ttl: 15_000) { 0 }
        XCTAssertEqual(hit.value, 67_000)
        XCTAssertEqual(hit.source, .hit)
        clock.advance(by: 15_000)
        let refetched = try await cache.value(for: "BTC", ttl: 15_000) { 68_000 }
        XCTAssertEqual(refetched.value, 68_000, "stale after the TTL, judged by fetch time")
    }

    func testUnknownAnswersAreKeptOtherErrorsAreNot() async throws {
        let clock = TestClock(0)
        let cache = ResponseCache<String, Double>(maxEntries: 100, clock: clock)
        let calls = Counter()
        for _ in 0..<3 {
            do {
                _ = try await cache.value(for: "NOPE", ttl: 15_000) {
                    calls.increment()
                    throw ProviderError.unknownSymbol("NOPE")
                }
            } catch let error as ProviderError { XCTAssertEqual(error, .unknownSymbol("NOPE")) }
        }
        XCTAssertEqual(calls.value, 1, "an unknown symbol is not fetched again within the TTL")
        for _ in 0..<2 {
            _ = try? await cache.value(for: "X", ttl: 15_000) {
                calls.increment()
                throw ProviderError.timeout
            }
        }
        XCTAssertEqual(calls.value, 3, "a failure is not kept")
    }

    func testTheCacheIsBounded() async throws {
        let clock = TestClock(0)
        let cache = ResponseCache<Int, Int>(maxEntries: 10, clock: clock)
        for i in 0..<25 {
            clock.advance(by: 1)
            _ = try await cache.value(for: i, ttl: 60_000) { i }
        }
        let count = await cache.count
        XCTAssertLessThanOrEqual(count, 10)
        let newest = try await cache.value(for: 24, ttl: 60_000) { -1 }
        XCTAssertEqual(newest.source, .hit, "the newest answers stay")
    }
}

/// A count shared by concurrent tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { self.add(1) }
    func add(_ n: Int) { self.count.withLock { $0 += n } }
    var value: Int { self.count.withLock { $0 } }
}
