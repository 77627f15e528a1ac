import FinanceCore
import FinanceStorage
import Logging

/// The state of live analytics, owned by the one task of `LiveAnalyticsService`: a `LiveSeriesAnalyzer` per
/// (symbol, interval) and an order-flow `AnomalyStream` per symbol, warmed up from the store when first seen.
/// At most `settings.maxSymbols` symbols are held: a new one beyond that drops the least recently updated symbol,
/// which starts again from a warm-up if it returns.
struct LiveAnalyticsEngine {
    struct SeriesKey: Hashable {
        var symbol: String
        var interval: Interval
    }

    /// What handling one market event did, for the service's metrics.
    struct Outcome {
        var events: [AnalyticsEvent] = []
        var stale = 0
        var invalid = 0
        var historyFailures = 0
        /// Symbols dropped to stay within `maxSymbols`.
        var evicted = 0
    }

    let storage: Storage
    let settings: LiveAnalyticsSettings
    let logger: Logger
    private(set) var analyzers: [SeriesKey: LiveSeriesAnalyzer] = [:]
    /// The newest source bar seen per (symbol, source interval): older updates are stale, jumps are gap-filled.
    private var lastSource: [SeriesKey: Int64] = [:]
    private var tickStreams: [String: AnomalyStream] = [:]
    private var barOptions: [String: AnomalyOptions] = [:]
    /// When each held symbol was last updated (a counter of the updates handled), for eviction.
    private var lastUsed: [String: UInt64] = [:]
    private var updates: UInt64 = 0

    init(storage: Storage, settings: LiveAnalyticsSettings, logger: Logger) {
        self.storage = storage
        self.settings = settings
        self.logger = logger
    }

    /// Analyzers plus tick streams held (for the series gauge).
    var seriesCount: Int { self.analyzers.count + self.tickStreams.count }

    /// The symbols whose detectors are held.
    var symbols: Set<String> { Set(self.lastUsed.keys) }

    /// Marks `symbol` as just updated; a symbol not held yet first makes room by dropping the least recently
    /// updated one when `maxSymbols` are held.
    private mutating func use(_ symbol: String, outcome: inout Outcome) {
        self.updates += 1
        if self.lastUsed[symbol] == nil && self.lastUsed.count >= self.settings.maxSymbols,
            let oldest = self.lastUsed.min(by: { $0.value < $1.value })?.key
        {
            self.lastUsed[oldest] = nil
            self.tickStreams[oldest] = nil
            self.barOptions[oldest] = nil
            self.analyzers = self.analyzers.filter { $0.key.symbol != oldest }
            self.lastSource = self.lastSource.filter { $0.key.symbol != oldest }
            outcome.evicted += 1
            self.logger.debug(
                "live analytics dropped the least recently updated symbol", metadata: ["symbol": "\(oldest)"])
        }
        self.lastUsed[symbol] = self.updates
    }

    /// Feeds one market event to the detectors it concerns and returns the signals it produced.
    mutating func handle(_ event: MarketEvent) async -> Outcome {
        var outcome = Outcome()
        // The bus carries validated data, but nothing here may trap on a value that slipped through.
        var issues: [ValidationIssue] = []
        switch event {
        case .tick(let tick): Validation.check(tick, index: nil, into: &issues)
        case .bar(_, _, let bar, _): Validation.check(bar, index: nil, into: &issues)
        }
        guard issues.isEmpty else {
            outcome.invalid = 1
            return outcome
        }
        switch event {
        case .tick(let tick):
            // Order flow is measured per minute, so it runs when 1-minute analytics is on.
            guard self.settings.intervals.contains(.minute1) else { return outcome }
            self.use(tick.symbol, outcome: &outcome)
            // Taken out while it changes, so that its buffers are not copied (copy on write) at every tick.
            var stream: AnomalyStream
            if let existing = self.tickStreams.removeValue(forKey: tick.symbol) {
                stream = existing
            } else {
                stream = await self.makeTickStream(before: tick, outcome: &outcome)
            }
            outcome.events = stream.append(tick: tick).map {
                .anomaly(symbol: tick.symbol, interval: .minute1, anomaly: $0)
            }
            self.tickStreams[tick.symbol] = stream
        case .bar(let symbol, let source, let bar, let batchStart):
            await self.handle(symbol: symbol, source: source, bar: bar, batchStart: batchStart, outcome: &outcome)
        }
        return outcome
    }

    /// A bar at `source` feeds the analyzer of `source` and, for 1-minute bars, those of the coarser intervals.
    /// An analyzer keeps the source it was created with (a symbol fed both 1m and 1d bars derives its 1d
    /// series from whichever came first). `batchStart` is the time of the oldest bar of the batch `bar` ended.
    private mutating func handle(
        symbol: String, source: Interval, bar: Bar, batchStart: Int64?, outcome: inout Outcome
    ) async {
        let targets = self.settings.intervals.filter { target in
            guard target == source || (source == .minute1 && source < target) else { return false }
            // Read in place: `analyzers[key]?.closer` would copy the whole analyzer first.
            guard let index = self.analyzers.index(forKey: SeriesKey(symbol: symbol, interval: target)) else {
                return true
            }
            return self.analyzers.values[index].closer.source == source
        }
        guard !targets.isEmpty else { return }
        self.use(symbol, outcome: &outcome)
        let sourceKey = SeriesKey(symbol: symbol, interval: source)
        let last = self.lastSource[sourceKey]
        if let last, bar.ts < last {
            outcome.stale += 1
            return
        }
        // Bars this event stands for but did not carry are replayed from the store, at most `warmupBars` of them
        // (the newest): after the last one seen (its final version included), or, for a series seen for the
        // first time, the rest of its batch. A batch publishes only its newest bar, and a slow reader loses events.
        var replayFrom: Int64?
        if let last, source.bucketStart(bar.ts) > source.nextBucketStart(after: source.bucketStart(last)) {
            replayFrom = last
        } else if last == nil, let batchStart, batchStart < bar.ts {
            replayFrom = batchStart
        }
        var updates = [bar]
        if let replayFrom {
            let skipped = await self.history(outcome: &outcome) { storage, limit in
                try await storage.marketData.bars(
                    symbol: symbol, series: .stored(source), from: replayFrom, to: bar.ts, limit: limit,
                    newestFirst: true)
            }
            updates = skipped.reversed() + updates
        }
        // A new analyzer warms up silently on the bars before the first one it is fed.
        for target in targets where self.analyzers[SeriesKey(symbol: symbol, interval: target)] == nil {
            let analyzer = await self.makeAnalyzer(
                symbol: symbol, source: source, target: target, first: updates[0].ts, outcome: &outcome)
            self.analyzers[SeriesKey(symbol: symbol, interval: target)] = analyzer
        }
        for target in targets {
            let key = SeriesKey(symbol: symbol, interval: target)
            guard var analyzer = self.analyzers.removeValue(forKey: key) else { continue }
            for update in updates { outcome.events += analyzer.update(update) }
            self.analyzers[key] = analyzer
        }
        self.lastSource[sourceKey] = bar.ts
    }

    /// A new analyzer warmed up with the last `warmupBars` closed bars before the bucket of `first` (1h and 1d
    /// from the rollups) and, for a derived interval, the source bars of that bucket before `first`.
    private mutating func makeAnalyzer(
        symbol: String, source: Interval, target: Interval, first: Int64, outcome: inout Outcome
    ) async -> LiveSeriesAnalyzer {
        let options = await self.anomalyOptions(symbol)
        var analyzer = LiveSeriesAnalyzer(symbol: symbol, source: source, target: target, anomalyOptions: options)
        let bucket = target.bucketStart(first)
        let history = await self.history(outcome: &outcome) { storage, limit in
            try await BarQueryService(storage: storage).bars(
                symbol: symbol, interval: target, from: nil, to: bucket, limit: limit, now: bucket)
        }
        analyzer.warmUp(bars: history)
        if source != target && bucket < first {
            let partial = await self.history(outcome: &outcome) { storage, _ in
                try await storage.marketData.bars(
                    symbol: symbol, series: .stored(source), from: bucket, to: first,
                    limit: source.maxCount(in: target), newestFirst: false)
            }
            for bar in partial { _ = analyzer.update(bar) }
        }
        self.logger.debug(
            "live analytics series started",
            metadata: [
                "symbol": "\(symbol)", "interval": "\(target.name)", "source": "\(source.name)",
                "warmup_bars": "\(history.count)",
            ])
        return analyzer
    }

    /// An order-flow stream warmed up with the stored ticks of the `flowWindow` minutes before `tick`. Bar
    /// anomalies come from the bar analyzers, so this stream reports order-flow imbalance only.
    private mutating func makeTickStream(before tick: Tick, outcome: inout Outcome) async -> AnomalyStream {
        var options = AnomalyOptions()
        options.types = [.orderFlowImbalance]
        // Its bar detectors are unused: keep their same-time-of-day table at one day (memory).
        options.sameTimeOfDayDays = 1
        var stream = AnomalyStream(options: options)
        let start = Interval.minute1.bucketStart(tick.ts)
        let from = start - Int64(options.flowWindow) * options.flowInterval
        let history = await self.history(outcome: &outcome) { storage, _ in
            try await storage.marketData.ticks(symbol: tick.symbol, from: from, to: tick.ts, limit: 100_000)
        }
        // Closed minutes build the baseline without signals; the open minute's ticks continue it.
        for t in history where t.ts < start { _ = stream.append(tick: t) }
        _ = stream.finish()
        for t in history where t.ts >= start { _ = stream.append(tick: t) }
        return stream
    }

    /// Gaps are off for 24/7 markets, as in `GET /api/anomalies`.
    private mutating func anomalyOptions(_ symbol: String) async -> AnomalyOptions {
        if let known = self.barOptions[symbol] { return known }
        var options = AnomalyOptions()
        options.continuousMarket = (try? await self.storage.assets.asset(symbol))?.assetClass == .crypto
        self.barOptions[symbol] = options
        return options
    }

    /// Runs a store read of at most `warmupBars` items (none when it is 0); a failure is logged and counted,
    /// and the series continues without that history.
    private func history<T>(
        outcome: inout Outcome, _ read: (Storage, Int) async throws -> [T]
    ) async -> [T] {
        guard self.settings.warmupBars > 0 else { return [] }
        do {
            return try await read(self.storage, self.settings.warmupBars)
        } catch {
            // Shutting down: the read was cancelled, not failed.
            guard !Task.isCancelled else { return [] }
            outcome.historyFailures += 1
            self.logger.warning("live analytics could not read history", metadata: ["error": "\(error)"])
            return []
        }
    }
}
