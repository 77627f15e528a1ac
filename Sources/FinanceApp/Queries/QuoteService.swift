import FinanceCore
import FinanceStorage

/// A quote with what it was built from, for the quote book to keep it current without reading the store again.
public struct QuoteSnapshot: Sendable, Equatable {
    public var quote: Quote
    /// The close of the last UTC day with data before the quote's day (nil when there is none).
    public var previousClose: Double?
    /// The stored intervals of the symbol when the quote was built.
    public var storedIntervals: [Interval]
    /// True when the price is the latest tick's (not a bar's close).
    public var fromTick: Bool
    /// The newest stored bar (the one that ends last across the stored intervals), if any.
    public var latestBar: Bar?
}

/// Builds the quote of a symbol: its latest price with the statistics of its current UTC day.
public struct QuoteService: Sendable {
    public let storage: Storage
    private let bars: BarQueryService

    public init(storage: Storage) {
        self.storage = storage
        self.bars = BarQueryService(storage: storage)
    }

    /// Quotes from the repositories of one driver.
    public init(store: any MarketStore) {
        self.init(storage: Storage(store))
    }

    /// The quote of `symbol`; throws `StorageError.notFound` when it has no data.
    public func quote(symbol: String, now: Int64) async throws -> Quote {
        try await self.snapshot(symbol: symbol, now: now).quote
    }

    /// The quote of `symbol` with what it was built from; throws `StorageError.notFound` when it has no data.
    public func snapshot(symbol: String, now: Int64) async throws -> QuoteSnapshot {
        _ = try await self.storage.assets.asset(symbol)
        let stored = try await self.storage.marketData.storedIntervals(symbol: symbol)
        let quote: Quote
        let tick = try await self.storage.marketData.latestTick(symbol: symbol)
        // The latest bar of every stored interval; the one that ends last is the newest (a tie goes to the finer).
        var bar: Bar? = nil
        var barEnd = Int64.min
        for interval in stored {
            guard
                let latest = try await self.storage.marketData.bars(
                    symbol: symbol, series: .stored(interval), from: nil, to: nil, limit: 1, newestFirst: true
                ).first
            else { continue }
            let end = interval.nextBucketStart(after: latest.ts)
            if end > barEnd {
                bar = latest
                barEnd = end
            }
        }
        // The newer of the latest tick and the latest bar (ticks build minute bars, so a tick is never older than
        // the bar it built; a bar imported after the ticks can be newer than all of them).
        var fromTick = false
        if let tick, bar.map({ tick.ts >= $0.ts }) ?? true {
            quote = Quote(symbol: symbol, price: tick.price, ts: tick.ts, bid: tick.bid, ask: tick.ask)
            fromTick = true
        } else if let bar {
            quote = Quote(symbol: symbol, price: bar.close, ts: bar.ts)
        } else {
            throw StorageError.notFound("price data for \(symbol)")
        }
        let dayStart = Interval.day1.bucketStart(quote.ts)
        let latest = max(now, quote.ts + 1)
        // Day statistics need bars that divide a day; a symbol with only weekly or monthly bars has none.
        var snapshot = QuoteSnapshot(
            quote: quote, previousClose: nil, storedIntervals: stored, fromTick: fromTick, latestBar: bar)
        guard stored.contains(where: { $0.divides(.day1) }) else { return snapshot }
        if let day = try await self.bars.bars(
            symbol: symbol, interval: .day1, from: dayStart, to: dayStart + 86_400_000, limit: 1, source: .auto,
            now: latest,
            stored: stored
        ).first {
            snapshot.quote.open = day.open
            snapshot.quote.high = day.high
            snapshot.quote.low = day.low
            snapshot.quote.volume = day.volume
        }
        if let previous = try await self.bars.bars(
            symbol: symbol, interval: .day1, from: nil, to: dayStart, limit: 1, source: .auto, now: latest,
            stored: stored
        ).last, previous.close != 0 {
            snapshot.previousClose = previous.close
            snapshot.quote.setChange(from: previous.close)
        }
        return snapshot
    }
}
