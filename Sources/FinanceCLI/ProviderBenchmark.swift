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

    // MARK: - Live ingest

    struct LiveConfig: Sendable {
        var ratePerSecond = 5_000
        var symbols = 20
        var seconds = 4.0
    }

    struct LiveResult: Sendable {
        var config: LiveConfig
        var published = 0
        /// Trades handed to an open subscribed connection, and those published while none was (the drop's gap).
        var deliveredWhileConnected = 0
        var publishedWhileDisconnected = 0
        var drops = 0
        /// Trades received by the feed, seen on the bus, and stored (distinct trade ids).
        var received = 0
        var onBus = 0
        var stored = 0
        /// Trades delivered while connected that the bus or the store does not have.
        var lostOnBus = 0
        var lostInStore = 0
        var duplicatesStored = 0
        /// Lag of each trade: its arrival on the bus minus the fake's send time `E` (ms).
        var lags: [Double] = []
        /// The part of it before the feed: the fake's send time `E` to the trade's arrival at the feed (ms).
        var streamLags: [Double] = []
        var reconnects = 0
        var gaps = 0
        var gapMilliseconds: Int64 = 0
        /// Symbols whose quote (book and store) is the last stored trade's price.
        var quotesFollowing = 0
        var quotesChecked = 0
        /// Live ticks the quote book applied in place (it held the symbols while they traded).
        var bookInPlace = 0

        var p50: Double { BenchStats.percentile(self.lags, 0.50) }
        var p99: Double { BenchStats.percentile(self.lags, 0.99) }
        var noLoss: Bool { self.lostOnBus == 0 && self.lostInStore == 0 && self.duplicatesStored == 0 }
    }

    /// A trade's identity on the bus and in the store: symbol, time and price (the fake's prices repeat for a symbol
    /// every 1,000 trades, by then at a later millisecond).
    struct TradeKey: Hashable, Sendable {
        var symbol: String
        var ts: Int64
        var price: Double
    }

    /// What the feed received: each trade's id and send time `E` by its key.
    final class SentLog: Sendable {
        private let state = Mutex([TradeKey: (id: Int64, sentAt: Int64, fedAt: Double)]())

        /// Notes `trades` as they reach the feed (at `now`, ms).
        func record(_ trades: [LiveTrade], now: Double) {
            self.state.withLock { s in
                for trade in trades {
                    guard let id = trade.tradeId.flatMap({ Int64($0) }), let sentAt = trade.sentAt else { continue }
                    s[TradeKey(symbol: trade.tick.symbol, ts: trade.tick.ts, price: trade.tick.price)] = (
                        id, sentAt, now
                    )
                }
            }
        }

        func lookup(_ key: TradeKey) -> (id: Int64, sentAt: Int64, fedAt: Double)? {
            self.state.withLock { $0[key] }
        }
        var count: Int { self.state.withLock { $0.count } }
    }

    /// Binance's stream as the feed's provider, noting each trade's id and send time on the way (one more hop of
    /// an async stream: the lag measured includes it).
    struct NotedTradeStream: LiveTradeProvider {
        let inner: BinanceTradeStream
        let log: SentLog
        var name: String { self.inner.name }
        var capabilities: Set<ProviderCapability> { self.inner.capabilities }

        func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error> {
            let events = self.inner.tradeEvents(symbols: symbols)
            let log = self.log
            return AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        for try await batch in events {
                            log.record(batch, now: LiveStreamConnection.nowMilliseconds())
                            continuation.yield(batch.map(\.tick))
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
    }

    /// Arrivals of ticks on the bus.
    final class BusArrivals: Sendable {
        private let state = Mutex([(key: TradeKey, at: Double)]())

        func add(_ tick: Tick, at: Double) {
            self.state.withLock { $0.append((TradeKey(symbol: tick.symbol, ts: tick.ts, price: tick.price), at)) }
        }

        var all: [(key: TradeKey, at: Double)] { self.state.withLock { $0 } }
        var count: Int { self.state.withLock { $0.count } }
    }

    /// `ratePerSecond` trades a second of `symbols` symbols for `seconds` from the fake Binance server, every
    /// connection dropped once half way, through `LiveFeedService` into the ingestor on a fresh SQLite store.
    static func live(_ config: LiveConfig, folder: URL, logger: Logger) async throws -> LiveResult {
        let store = try SQLiteStore(path: folder.appendingPathComponent("live.sqlite").path)
        let server: FakeTradeStreamServer
        do {
            _ = try await store.migrate()
            server = try await FakeTradeStreamServer.start(.binance, logger: Self.quiet("financehub.fake-stream"))
        } catch {
            try? await store.close()
            throw error
        }
        var result = LiveResult(config: config)
        let bus = InProcessMarketBus()
        let sources = DataSourceLedger(assets: store)
        let ingestor = Ingestor(marketData: store, bus: bus, sources: sources)
        let book = QuoteBook(service: QuoteService(store: store), bus: bus, clock: SystemClock())
        let binance = BinanceTradeStream(wsUrl: server.url, logger: logger)
        let log = SentLog()
        let symbols = (0..<max(1, config.symbols)).map { "LB\($0)" }
        let feed = LiveFeedService(
            provider: NotedTradeStream(inner: binance, log: log), symbols: symbols, assets: store,
            ingestor: ingestor, logger: logger)
        let arrivals = BusArrivals()
        let ticks = bus.subscribe("bench")
        let collector = Task {
            for await message in ticks {
                if case .tick(let tick) = message.event {
                    arrivals.add(tick, at: LiveStreamConnection.nowMilliseconds())
                }
            }
        }
        let feedTask = Task { try await feed.run() }
        // Once trades flow, read every symbol's quote, so the book holds them and follows the ticks in place.
        let reader = Task {
            while arrivals.count < symbols.count * 2 && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(5))
            }
            for symbol in symbols { _ = try? await book.quote(symbol: symbol) }
        }
        defer {
            feedTask.cancel()
            collector.cancel()
            reader.cancel()
        }
        do {
            let upstream = symbols.map { binance.upstreamId($0) }
            try await server.waitUntilSubscribed(upstream.map { server.subscriptionKey($0) })
            Console.info(
                String(
                    format: "live: %d trades/s of %d symbols for %.1f s, connections dropped at %.1f s...",
                    config.ratePerSecond, symbols.count, config.seconds, config.seconds / 2))
            let duration = Duration.milliseconds(Int64(config.seconds * 1_000))
            let report = await server.publishTrades(
                symbols: upstream, ratePerSecond: config.ratePerSecond, duration: duration,
                dropAfter: duration / 2)
            result.published = report.delivered.count + report.undelivered.count
            result.deliveredWhileConnected = report.delivered.count
            result.publishedWhileDisconnected = report.undelivered.count
            result.drops = report.drops
            // Wait (bounded) until every trade delivered while connected is on the bus, then a little more.
            let deadline = ContinuousClock.now + .seconds(30)
            while arrivals.count < report.delivered.count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(300))
            feedTask.cancel()
            _ = try? await feedTask.value

            let delivered = Set(report.delivered)
            var busIds = Set<Int64>()
            for arrival in arrivals.all {
                guard let sent = log.lookup(arrival.key) else { continue }
                busIds.insert(sent.id)
                result.lags.append(arrival.at - Double(sent.sentAt))
                result.streamLags.append(sent.fedAt - Double(sent.sentAt))
            }
            var storedIds = Set<Int64>()
            var storedRows = 0
            for symbol in symbols {
                let rows = try await store.ticks(symbol: symbol, from: nil, to: nil, limit: 10_000_000)
                storedRows += rows.count
                var last: (id: Int64, price: Double)?
                for tick in rows {
                    guard let sent = log.lookup(TradeKey(symbol: symbol, ts: tick.ts, price: tick.price)) else {
                        continue
                    }
                    storedIds.insert(sent.id)
                    if last == nil || sent.id > last!.id { last = (sent.id, tick.price) }
                }
                guard let last else { continue }
                result.quotesChecked += 1
                let fromBook = try? await book.quote(symbol: symbol)
                let fromStore = try? await QuoteService(store: store).quote(
                    symbol: symbol, now: SystemClock().nowMilliseconds())
                if fromBook?.price == last.price && fromStore?.price == last.price { result.quotesFollowing += 1 }
            }
            result.received = log.count
            result.onBus = busIds.count
            result.stored = storedIds.count
            result.duplicatesStored = storedRows - storedIds.count
            result.lostOnBus = delivered.subtracting(busIds).count
            result.lostInStore = delivered.subtracting(storedIds).count
            result.bookInPlace = book.stats.inPlace
            let stats = binance.stats
            result.reconnects = stats.reconnects
            result.gaps = stats.gaps
            result.gapMilliseconds = stats.totalGapMilliseconds
        } catch {
            feedTask.cancel()
            await server.stop()
            try? await store.close()
            throw error
        }
        await server.stop()
        bus.finish()
        try? await store.close()
        return result
    }

    /// A logger that only lets errors through (the fakes' own servers).
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .error
        return logger
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
