import FinanceCore
import FinanceStorage
import Metrics

/// What an accepted write did.
public struct IngestSummary: Sendable, Equatable {
    public var accepted: Int
    public var symbols: [String]
    public init(accepted: Int, symbols: [String]) {
        self.accepted = accepted
        self.symbols = symbols
    }
}

/// A raw bar with its input position, before stamping and de-duplication.
public struct IncomingBar: Sendable {
    public var index: Int
    public var bar: Bar
    public init(index: Int, bar: Bar) {
        self.index = index
        self.bar = bar
    }
}

/// The one ingestion path every source takes: validate → normalize → store atomically (with live bars and
/// rollups) → publish on the market bus. The source decides freshness: feeds and pushes are live; imports,
/// backfills and restores are historical, which are stored and published only to subscribers of history (never
/// to WebSocket clients, analytics or alerts).
public struct Ingestor: Sendable {
    /// Where the data is written.
    public let marketData: any MarketDataRepository
    public let bus: any MarketBus
    /// Where the sources of written symbols are recorded; nil records nothing (tests, tools).
    public let sources: DataSourceLedger?
    private let tickCounter = Counter(label: "financehub_ingested_ticks_total")
    private let barCounter = Counter(label: "financehub_ingested_bars_total")
    private let rejectedCounter = Counter(label: "financehub_rejected_batches_total")

    public init(marketData: any MarketDataRepository, bus: any MarketBus, sources: DataSourceLedger? = nil) {
        self.marketData = marketData
        self.bus = bus
        self.sources = sources
    }

    /// Counts a write batch refused before it reached the ingestor (unreadable, mistyped or too large).
    public func countRejected() {
        self.rejectedCounter.increment()
    }

    /// Validates and normalizes ticks; throws `ValidationError` listing every problem, or returns ticks
    /// with canonical symbols.
    public static func validate(ticks: [Tick], maxItems: Int? = Validation.maxBatchItems) throws(ValidationError)
        -> [Tick]
    {
        var issues: [ValidationIssue] = []
        if let maxItems, ticks.count > maxItems {
            throw ValidationError(field: "", detail: "a batch holds at most \(maxItems) items, got \(ticks.count)")
        }
        var out = ticks
        for i in out.indices {
            if let symbol = Symbol.normalize(out[i].symbol) {
                out[i].symbol = symbol
            } else {
                issues.append(ValidationIssue(index: i, field: "symbol", detail: "invalid symbol: \(Symbol.rule)"))
            }
            Validation.check(out[i], index: i, into: &issues)
        }
        guard issues.isEmpty else { throw ValidationError(issues) }
        return out
    }

    /// Validates, stamps and de-duplicates bars for one symbol and interval.
    public static func validate(symbol rawSymbol: String, interval: Interval, bars: [IncomingBar], maxItems: Int?)
        throws(ValidationError) -> BarBatch
    {
        if let maxItems, bars.count > maxItems {
            throw ValidationError(field: "", detail: "a batch holds at most \(maxItems) items, got \(bars.count)")
        }
        guard let symbol = Symbol.normalize(rawSymbol) else {
            throw ValidationError(field: "symbol", detail: "invalid symbol: \(Symbol.rule)")
        }
        var issues: [ValidationIssue] = []
        var stamped: [Bar] = []
        stamped.reserveCapacity(bars.count)
        for item in bars {
            Validation.check(item.bar, index: item.index, into: &issues)
            var bar = item.bar
            // An out-of-range time is already reported; stamping it could overflow.
            if Timestamp.isValid(bar.ts) {
                if let ts = Validation.stamp(bar.ts, interval: interval) {
                    bar.ts = ts
                } else {
                    issues.append(
                        ValidationIssue(
                            index: item.index, field: "ts",
                            detail:
                                "\(Timestamp.iso8601(bar.ts)) is not the start of a \(interval.name) bar (bars are stamped with the start of their interval)"
                        ))
                }
            }
            stamped.append(bar)
        }
        guard issues.isEmpty else { throw ValidationError(issues) }
        switch Validation.sortAndDeduplicate(stamped, indices: bars.map(\.index)) {
        case .success(let sorted): return BarBatch(symbol: symbol, interval: interval, bars: sorted)
        case .failure(let error): throw error
        }
    }

    /// Ingests ticks: all or nothing.
    @discardableResult
    public func ingest(
        ticks: [Tick], freshness: EventFreshness = .live, source: DataSource = .push,
        maxItems: Int? = Validation.maxBatchItems
    ) async throws -> IngestSummary {
        let valid: [Tick]
        do { valid = try Self.validate(ticks: ticks, maxItems: maxItems) } catch {
            self.rejectedCounter.increment()
            throw error
        }
        guard !valid.isEmpty else { return IngestSummary(accepted: 0, symbols: []) }
        let rebuilt = try await self.marketData.writeTicks(valid)
        try await self.sources?.record(source, symbols: Self.distinctSymbols(valid.map(\.symbol)))
        self.tickCounter.increment(by: valid.count)
        var messages = valid.map { MarketMessage(.tick($0), freshness: freshness) }
        messages += rebuilt.map {
            MarketMessage(.bar(symbol: $0.symbol, interval: .minute1, bar: $0.bar), freshness: freshness)
        }
        self.bus.publish(messages)
        return IngestSummary(accepted: valid.count, symbols: Array(Set(valid.map(\.symbol))).sorted())
    }

    /// Ingests already validated bar batches atomically (the CLI validates a whole file first).
    @discardableResult
    public func ingest(
        batches: [BarBatch], freshness: EventFreshness = .live, source: DataSource = .push,
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> IngestSummary {
        let count = batches.reduce(0) { $0 + $1.bars.count }
        guard count > 0 else { return IngestSummary(accepted: 0, symbols: []) }
        try await self.marketData.writeBars(batches, progress: progress)
        try await self.sources?.record(source, symbols: Self.distinctSymbols(batches.map(\.symbol)))
        self.barCounter.increment(by: count)
        // Publish only the newest bar of each batch: a bulk import must not flood live subscribers.
        self.bus.publish(
            batches.compactMap { b in
                b.bars.last.map {
                    MarketMessage(
                        .bar(symbol: b.symbol, interval: b.interval, bar: $0, batchStart: b.bars.first?.ts),
                        freshness: freshness)
                }
            })
        return IngestSummary(accepted: count, symbols: Array(Set(batches.map(\.symbol))).sorted())
    }

    /// Validates and ingests bars for one symbol and interval: all or nothing.
    @discardableResult
    public func ingest(
        symbol: String, interval: Interval, bars: [IncomingBar], freshness: EventFreshness = .live,
        source: DataSource = .push
    ) async throws -> IngestSummary {
        let batch: BarBatch
        do {
            batch = try Self.validate(
                symbol: symbol, interval: interval, bars: bars, maxItems: Validation.maxBatchItems)
        } catch {
            self.rejectedCounter.increment()
            throw error
        }
        return try await self.ingest(batches: [batch], freshness: freshness, source: source)
    }

    /// The symbols in order of first appearance, once each.
    static func distinctSymbols(_ symbols: [String]) -> [String] {
        var seen = Set<String>()
        return symbols.filter { seen.insert($0).inserted }
    }
}
