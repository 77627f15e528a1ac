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

/// The live-ingest scenario of `financehub bench providers`.
extension ProviderBenchmark {
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
