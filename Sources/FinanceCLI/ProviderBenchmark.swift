import AsyncHTTPClient
import FinanceApp
import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import FinanceStorage
import FinanceStorageSQLite
import Foundation
import Logging
import Synchronization

/// The three acceptance figures of the provider layer (`financehub bench providers`), each measured through the
/// application's real code against the local fakes: failover (on-demand quotes over the real adapters, a flaky
/// primary), budgets (a per-minute key budget under load, with the cache and coalescing) and live ingest (a fake
/// Binance stream through `LiveFeedService` into the ingestor, the store and the market bus).
enum ProviderBenchmark {
    // MARK: - Failover

    struct FailoverConfig: Sendable {
        /// Quote requests, one distinct symbol each.
        var requests = 1_000
        var concurrency = 16
        /// The providers' request timeout (`providers.<name>.timeoutSeconds`).
        var timeoutSeconds = 1.0
        var serverErrorRate = 0.3
        var timeoutRate = 0.1
        /// The seed of the primary's random faults. The router stops preferring the primary after its first
        /// failures, so it only sees the first ~16–25 requests: with seed 2 (the default) those include timeouts,
        /// with seed 1 they do not (the timeout path would then go unmeasured).
        var seed: UInt64 = 2
    }

    /// One run of the failover scenario.
    struct FailoverRun: Sendable {
        /// Latency of each request that succeeded (ms).
        var latencies: [Double] = []
        var failures = 0
        /// Answers by provider name.
        var sources: [String: Int] = [:]
        /// Answers whose price is not the fake's.
        var wrongPrices = 0
        /// Requests the primary received.
        var primaryRequests = 0
        var primaryScore = 0.0
        var primaryCircuit = ""
        var seconds = 0.0

        var succeeded: Int { self.latencies.count }
        var p50: Double { BenchStats.percentile(self.latencies, 0.50) }
        var p99: Double { BenchStats.percentile(self.latencies, 0.99) }
        var max: Double { self.latencies.max() ?? 0 }
        /// Requests that took longer than `seconds` (those that waited for a primary timeout).
        func slowerThan(_ seconds: Double) -> Int { self.latencies.filter { $0 >= seconds * 1_000 }.count }
    }

    struct FailoverResult: Sendable {
        var config: FailoverConfig
        var healthy: FailoverRun
        var flaky: FailoverRun

        var addedP99: Double { self.flaky.p99 - self.healthy.p99 }
        /// The worst request of the flaky run over the healthy p99: what one failover costs at most.
        var addedWorst: Double { self.flaky.max - self.healthy.p99 }
        var addedTarget: Double { self.config.timeoutSeconds * 1_000 + 50 }
        var allSucceeded: Bool {
            self.flaky.succeeded == self.config.requests && self.flaky.failures == 0 && self.flaky.wrongPrices == 0
        }
    }

    static let primary = "finnhub"
    static let secondary = "polygon"

    /// Provider settings with only Finnhub (preferred) and Polygon, one key each, at the fakes' URLs.
    static func providerSettings(
        primary: String, secondary: String, timeoutSeconds: Double, budget: ProviderBudget?
    ) -> ProviderSettings {
        var settings = ProviderSettings()
        for name in ProviderSettings.names { settings.providers[name]?.enabled = false }
        for (name, url) in [(Self.primary, primary), (Self.secondary, secondary)] {
            settings.providers[name]?.enabled = true
            settings.providers[name]?.baseURL = url
            settings.providers[name]?.timeoutSeconds = timeoutSeconds
            settings.providers[name]?.keys = ["bench-\(name)-key-0001"]
            if let budget { settings.providers[name]?.budget = budget }
        }
        settings.preference = [Self.primary, Self.secondary]
        return settings
    }

    /// The application's on-demand quote path over `store`, as `serve` wires it (`ProviderWiring`, the shared
    /// HTTP client, `AppDependencies`' cache, book and ingestor).
    static func onDemandQuotes(
        settings: ProviderSettings, store: SQLiteStore, clock: any WallClock, logger: Logger
    ) throws -> OnDemandQuotes {
        guard
            let router = ProviderWiring.router(
                settings, client: .shared, repository: store, clock: clock, logger: logger)
        else { throw CLIFailure("no usable provider in the benchmark's settings") }
        let bus = InProcessMarketBus()
        let sources = DataSourceLedger(assets: store)
        let ingestor = Ingestor(marketData: store, bus: bus, sources: sources)
        let book = QuoteBook(service: QuoteService(store: store), bus: bus, clock: clock)
        return OnDemandQuotes(
            book: book, router: router, cache: ResponseCache(maxEntries: 10_000, clock: clock), ingestor: ingestor,
            assets: store, sources: sources, resolver: SymbolResolver(),
            quoteTTLMilliseconds: Int64(settings.quoteCacheSeconds) * 1_000, clock: clock, logger: logger)
    }

    static func failover(_ config: FailoverConfig, folder: URL, logger: Logger) async throws -> FailoverResult {
        Console.info("failover: \(config.requests) requests, healthy primary...")
        let healthy = try await Self.failoverRun(config, flaky: false, folder: folder, logger: logger)
        Console.info(
            String(
                format: "failover: healthy p50 %.2f ms p99 %.2f ms (%.1f s); flaky primary...", healthy.p50,
                healthy.p99, healthy.seconds))
        let flaky = try await Self.failoverRun(config, flaky: true, folder: folder, logger: logger)
        Console.info(
            String(
                format: "failover: flaky p50 %.2f ms p99 %.2f ms (%.1f s)", flaky.p50, flaky.p99, flaky.seconds))
        return FailoverResult(config: config, healthy: healthy, flaky: flaky)
    }

    /// 1 run: two fake servers (one per provider, as two hosts), a fresh store and router, `requests` distinct
    /// symbols asked by `concurrency` workers.
    static func failoverRun(_ config: FailoverConfig, flaky: Bool, folder: URL, logger: Logger) async throws
        -> FailoverRun
    {
        let file = folder.appendingPathComponent("failover-\(flaky ? "flaky" : "healthy").sqlite")
        let store = try SQLiteStore(path: file.path)
        let primary = FakeProviderServer(seed: config.seed, anySymbol: true)
        let secondary = FakeProviderServer(seed: config.seed, anySymbol: true)
        var run = FailoverRun()
        do {
            try await primary.start()
            try await secondary.start()
            _ = try await store.migrate()
            if flaky {
                primary.setFault(
                    .random(serverErrorRate: config.serverErrorRate, timeoutRate: config.timeoutRate),
                    for: "/" + Self.primary)
            }
            // No budget: this scenario is about failures, not rate limits.
            let settings = Self.providerSettings(
                primary: primary.baseURL(for: .finnhub), secondary: secondary.baseURL(for: .polygon),
                timeoutSeconds: config.timeoutSeconds, budget: ProviderBudget())
            let quotes = try Self.onDemandQuotes(settings: settings, store: store, clock: SystemClock(), logger: logger)
            let tag = flaky ? "F" : "H"
            let symbols = (0..<config.requests).map { "BQ\(tag)\($0)" }
            let outcomes = Locked(FailoverRun())
            let next = Locked(0)
            let start = ContinuousClock.now
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<max(1, config.concurrency) {
                    group.addTask {
                        while true {
                            let index = next.withLock { n -> Int in
                                defer { n += 1 }
                                return n
                            }
                            guard index < symbols.count else { return }
                            let symbol = symbols[index]
                            let began = ContinuousClock.now
                            do {
                                let answer = try await quotes.quote(symbol: symbol)
                                let ms = BenchStats.milliseconds(ContinuousClock.now - began)
                                let expected = FakeFixtures.syntheticPrice(symbol)
                                outcomes.withLock { r in
                                    r.latencies.append(ms)
                                    r.sources[answer.source, default: 0] += 1
                                    if answer.quote.price != expected { r.wrongPrices += 1 }
                                }
                            } catch {
                                outcomes.withLock { $0.failures += 1 }
                                logger.warning("a benchmark quote failed", metadata: ["error": "\(error)"])
                            }
                        }
                    }
                }
            }
            run = outcomes.withLock { $0 }
            run.seconds = BenchStats.seconds(ContinuousClock.now - start)
            run.primaryRequests = primary.requests(.finnhub).count
            run.primaryScore = await quotes.router.score(Self.primary)
            run.primaryCircuit = await quotes.router.circuit(Self.primary)?.name ?? "none"
        } catch {
            try? await store.close()
            await primary.stop()
            await secondary.stop()
            throw error
        }
        try? await store.close()
        await primary.stop()
        await secondary.stop()
        return run
    }

}

/// A value behind a lock that escaping closures (task group children) can share.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { self.mutex = Mutex(value) }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { self.mutex.withLock { body(&$0) } }
}

/// Percentiles and durations for the benchmark tables.
enum BenchStats {
    /// The nearest-rank percentile (`p` in 0...1) of `values`; 0 when empty.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(0, rank), sorted.count - 1)]
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func milliseconds(_ d: Duration) -> Double { Self.seconds(d) * 1_000 }
}
