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

/// The budgets scenario of `financehub bench providers`.
extension ProviderBenchmark {
    // MARK: - Budgets

    struct BudgetConfig: Sendable {
        var requests = 10_000
        var symbols = 50
        /// The key's budget per minute.
        var perMinute = 5
        /// Simulated minutes the requests are spread over (a fake clock: the run takes seconds of wall time).
        var minutes = 10
        var concurrency = 16
    }

    struct BudgetResult: Sendable {
        var config: BudgetConfig
        /// Upstream requests the fake recorded in each simulated minute, per key id (the key as sent).
        var perMinute: [[String: Int]] = []
        var upstream = 0
        /// Requests answered with a quote, and of them those answered without an upstream request of their own
        /// (held in the cache, or coalesced onto another request's fetch).
        var answered = 0
        var unavailable = 0
        /// `ProvidersUnavailable` answers (HTTP 503) carrying a Retry-After of at least 1 s.
        var unavailableWithRetryAfter = 0
        var otherErrors = 0
        var seconds = 0.0

        var fromCache: Int { self.answered - self.upstream }
        var maxPerMinute: Int { self.perMinute.flatMap(\.values).max() ?? 0 }
        var withinBudget: Bool { self.maxPerMinute <= self.config.perMinute }
        var accountedFor: Bool {
            self.otherErrors == 0 && self.unavailable == self.unavailableWithRetryAfter
                && self.answered + self.unavailable == self.config.requests
        }
    }

    /// A wall clock the benchmark moves forward (never back).
    final class ManualClock: WallClock {
        private let now: Mutex<Int64>
        init(_ start: Int64) { self.now = Mutex(start) }
        func nowMilliseconds() -> Int64 { self.now.withLock { $0 } }
        func advance(to ms: Int64) { self.now.withLock { $0 = max($0, ms) } }
    }

    /// `requests` quote requests for `symbols` symbols against one Polygon key with a budget of `perMinute` a
    /// minute (Polygon's free plan is 5), spread evenly over `minutes` minutes of a fake clock; each minute's
    /// requests finish before the clock enters the next, so the fake's recorded requests split exactly by minute.
    static func budgets(_ config: BudgetConfig, folder: URL, logger: Logger) async throws -> BudgetResult {
        let store = try SQLiteStore(path: folder.appendingPathComponent("budgets.sqlite").path)
        let fake = FakeProviderServer(anySymbol: true)
        var result = BudgetResult(config: config)
        do {
            try await fake.start()
            _ = try await store.migrate()
            var settings = Self.providerSettings(
                primary: fake.baseURL(for: .finnhub), secondary: fake.baseURL(for: .polygon), timeoutSeconds: 5,
                budget: nil)
            settings.providers[Self.primary]?.enabled = false
            settings.providers[Self.secondary]?.budget = ProviderBudget(perMinute: config.perMinute)
            // 2026-01-01 00:00 UTC: minute windows start on the clock's minutes.
            let startMs: Int64 = 1_767_225_600_000
            let clock = ManualClock(startMs)
            let quotes = try Self.onDemandQuotes(settings: settings, store: store, clock: clock, logger: logger)
            let symbols = (0..<max(1, config.symbols)).map { "BB\($0)" }
            let minutes = max(1, config.minutes)
            let tally = Locked(BudgetResult(config: config))
            let started = ContinuousClock.now
            var seen = 0
            for minute in 0..<minutes {
                let first = config.requests * minute / minutes
                let count = config.requests * (minute + 1) / minutes - first
                let minuteStart = startMs + Int64(minute) * 60_000
                let step = 60_000 / Double(max(1, count))
                let next = Locked(0)
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<max(1, config.concurrency) {
                        group.addTask {
                            while true {
                                let j = next.withLock { n -> Int in
                                    defer { n += 1 }
                                    return n
                                }
                                guard j < count else { return }
                                clock.advance(to: minuteStart + Int64(Double(j) * step))
                                // A scrambled but deterministic choice of symbol.
                                let pick = Int((UInt64(first + j) &* 2_654_435_761) % UInt64(symbols.count))
                                do {
                                    _ = try await quotes.quote(symbol: symbols[pick])
                                    tally.withLock { $0.answered += 1 }
                                } catch let error as ProvidersUnavailable {
                                    tally.withLock { t in
                                        t.unavailable += 1
                                        if error.retryAfterSeconds >= 1 { t.unavailableWithRetryAfter += 1 }
                                    }
                                } catch {
                                    tally.withLock { $0.otherErrors += 1 }
                                    logger.warning("a benchmark quote failed", metadata: ["error": "\(error)"])
                                }
                            }
                        }
                    }
                }
                let recorded = fake.requests(.polygon)
                var byKey: [String: Int] = [:]
                for request in recorded[seen...] { byKey[request.query["apiKey"] ?? "(none)", default: 0] += 1 }
                seen = recorded.count
                result.perMinute.append(byKey)
                Console.info(
                    "budgets: minute \(minute + 1)/\(minutes): \(count) requests, upstream \(byKey.values.reduce(0, +))"
                )
            }
            let counts = tally.withLock { $0 }
            result.answered = counts.answered
            result.unavailable = counts.unavailable
            result.unavailableWithRetryAfter = counts.unavailableWithRetryAfter
            result.otherErrors = counts.otherErrors
            result.upstream = seen
            result.seconds = BenchStats.seconds(ContinuousClock.now - started)
        } catch {
            try? await store.close()
            await fake.stop()
            throw error
        }
        try? await store.close()
        await fake.stop()
        return result
    }

}
