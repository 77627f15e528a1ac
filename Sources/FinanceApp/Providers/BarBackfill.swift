import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging
import Synchronization

/// What a backfill did.
public struct BackfillResult: Sendable, Equatable {
    /// How the range was answered.
    public enum Outcome: String, Sendable {
        /// Fetched from a provider now (and stored).
        case fetched
        /// Answered by a fetch of the same range within `providers.cache.barsSeconds` (stored then).
        case cached
        /// An earlier fetch of a range holding this one came back empty: nothing was asked.
        case knownEmpty
        /// The range lies in the future: nothing to fetch.
        case future
    }

    public var symbol: String
    /// The interval fetched and stored (1d for weeks and months, which are bucketed from daily bars).
    public var interval: Interval
    /// The range asked, aligned to the interval and clamped to now: `[from, to)`.
    public var from: Int64
    public var to: Int64
    /// The part of it asked of the provider (`from` clamped to the provider's history depth).
    public var fetchedFrom: Int64
    public var outcome: Outcome
    /// The provider that answered, nil when none was asked.
    public var provider: String?
    /// Bars the provider answered, and bars stored by this call (0 for a cached answer: they were stored then).
    public var bars: Int
    public var stored: Int
    /// Providers tried before the one that answered (failover).
    public var attempts: [ProviderAttempt]
}

/// No configured provider can serve a backfill (the asset class, the interval, or the range beyond every
/// provider's history depth); `reason` says which.
public struct BackfillUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public var symbol: String
    public var reason: String
    public var description: String { "no provider can backfill \(self.symbol): \(self.reason)" }
}

/// Ranges already fetched per (symbol, interval), with whether they came back empty: a range inside one that came
/// back empty is not asked again, and `GET /api/bars` takes a range inside any fetched one as covered. Held in
/// memory only (per process, at most `capacity` ranges; all are forgotten beyond it): a restart or another
/// process (a second `financehub backfill`) asks again.
public final class FetchedRanges: Sendable {
    private struct Key: Hashable {
        var symbol: String
        var interval: String
    }

    private struct Range {
        var from: Int64
        var to: Int64
        var empty: Bool
    }

    private let ranges = Mutex((count: 0, byKey: [Key: [Range]]()))
    public let capacity: Int

    /// The ranges of this process, shared by every backfill it runs.
    public static let process = FetchedRanges()

    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// Records that `[from, to)` of `symbol` at `interval` was fetched, and whether it came back empty.
    public func record(symbol: String, interval: Interval, from: Int64, to: Int64, empty: Bool) {
        guard from < to else { return }
        self.ranges.withLock { state in
            if state.count >= self.capacity { state = (0, [:]) }
            state.byKey[Key(symbol: symbol, interval: interval.name), default: []].append(
                Range(from: from, to: to, empty: empty))
            state.count += 1
        }
    }

    /// True when `[from, to)` lies inside one fetched range (one that came back empty, with `emptyOnly`).
    public func contains(symbol: String, interval: Interval, from: Int64, to: Int64, emptyOnly: Bool) -> Bool {
        self.ranges.withLock { state in
            state.byKey[Key(symbol: symbol, interval: interval.name)]?.contains {
                $0.from <= from && to <= $0.to && (!emptyOnly || $0.empty)
            } ?? false
        }
    }

    /// Forgets every range.
    public func removeAll() { self.ranges.withLock { $0 = (0, [:]) } }
}

/// A fetched range: the bars of one provider for `[from, to)`.
public struct FetchedBars: Sendable {
    public var bars: [Bar]
    public var from: Int64
    public var to: Int64
}

/// What a fetch did: the range asked of the provider, the bars it answered and the bars stored.
public struct FetchedRange: Sendable, Equatable {
    public var from: Int64
    public var to: Int64
    public var bars: Int
    public var stored: Int
}

/// The key of a fetched range in the response cache.
public struct BackfillKey: Hashable, Sendable {
    public var symbol: String
    public var interval: String
    public var from: Int64
    public var to: Int64
}

/// Fetches bars of the past from the providers and stores them as history (`financehub backfill`, and
/// `GET /api/bars` for a range the store does not cover): the range is aligned to the interval and clamped to now,
/// the providers serving the symbol's asset class and the interval are tried through the router (health ranking,
/// failover), each asked only back to its history depth (`historyDepthDays`), and the answer goes through the one
/// ingestion path (validated like an import, `freshness: .historical`, source: the provider). A range that came back
/// empty is remembered (`FetchedRanges`, in memory) and not asked again; answers are cached for
/// `providers.cache.barsSeconds` (what was fetched, not the bars: they are in the store), so concurrent requests
/// for one range make one upstream call.
public struct BarBackfill: Sendable {
    public let router: ProviderRouter
    public let cache: ResponseCache<BackfillKey, Routed<FetchedRange>>
    public let ingestor: Ingestor
    public let assets: any AssetRepository
    public let resolver: SymbolResolver
    public let fetched: FetchedRanges
    public let cacheTTLMilliseconds: Int64
    public let clock: any WallClock
    public let logger: Logger

    public init(
        router: ProviderRouter, cache: ResponseCache<BackfillKey, Routed<FetchedRange>>, ingestor: Ingestor,
        assets: any AssetRepository, resolver: SymbolResolver = SymbolResolver(),
        fetched: FetchedRanges = .process, cacheTTLMilliseconds: Int64, clock: any WallClock, logger: Logger
    ) {
        self.router = router
        self.cache = cache
        self.ingestor = ingestor
        self.assets = assets
        self.resolver = resolver
        self.fetched = fetched
        self.cacheTTLMilliseconds = cacheTTLMilliseconds
        self.clock = clock
        self.logger = logger
    }

    /// The asset classes each provider's bar history covers (Alpha Vantage's `TIME_SERIES_DAILY` is equities only).
    public static let classes: [String: Set<AssetClass>] = [
        "alphavantage": [.equity, .etf],
        "coingecko": [.crypto],
        "polygon": [.equity, .etf, .fx, .crypto],
        "finnhub": [.equity, .etf],
    ]

    /// How far back (days before now) `provider` serves bars at `interval`, nil when it does not serve the
    /// interval: Polygon's free plan 2 years at any minute, hour or day multiple; CoinGecko's market chart 365
    /// days, its 5-minute points 1 day back and its hourly points 90 days back (so 5m–30m bars 1 day, 1h and 4h 90
    /// days, 1d 365 days); Alpha Vantage daily only, `full` 20 years (`compact` is its last 100 days, chosen by the
    /// adapter when the range starts within them); Finnhub (premium candles) 1m–1h 1 year and 1d 20 years, our
    /// assumption, its plans do not state it.
    public static func historyDepthDays(provider: String, interval: Interval) -> Int64? {
        guard case .fixed(let ms) = interval.unit else { return nil }
        switch provider {
        case "polygon": return 730
        case "coingecko":
            if ms % 86_400_000 == 0 { return 365 }
            if ms % 3_600_000 == 0 { return 90 }
            return ms % 300_000 == 0 ? 1 : nil
        case "alphavantage": return interval == .day1 ? 7_300 : nil
        case "finnhub":
            if interval == .day1 { return 7_300 }
            return [Interval.minute1, .minute5, .minute15, .minute30, .hour1].contains(interval) ? 365 : nil
        default: return nil
        }
    }

    /// The interval fetched for `interval`: itself, or 1d for weeks and months (bucketed from daily bars on read).
    public static func fetchInterval(for interval: Interval) -> Interval {
        if case .fixed = interval.unit { return interval }
        return .day1
    }

    /// The range a backfill of `[from, to)` asks: aligned to the fetched interval's buckets and clamped to now.
    public static func range(from: Int64, to: Int64, interval: Interval, now: Int64) -> (from: Int64, to: Int64) {
        let fetch = Self.fetchInterval(for: interval)
        return (fetch.bucketStart(from), fetch.ceilBucketStart(min(to, now)))
    }

    /// The providers of the router that serve bars of `assetClass` at `interval` and whose history reaches before `to`.
    public func candidates(assetClass: AssetClass, interval: Interval, to: Int64) -> Set<String> {
        let now = self.clock.nowMilliseconds()
        return Set(
            self.router.providers.map(\.name).filter { name in
                guard Self.classes[name]?.contains(assetClass) == true,
                    let depth = Self.historyDepthDays(provider: name, interval: interval)
                else { return false }
                return now - depth * 86_400_000 < to
            })
    }

    /// Fetches and stores the bars of `symbol` at `interval` in `[from, to)`. Throws `BackfillUnavailable` when no
    /// provider serves it, `ProviderError.unknownSymbol` when every provider asked does not know the symbol,
    /// `ProvidersUnavailable` when they failed, a `ValidationError` when the answer breaks the ingestion rules.
    /// `progress` hears what happens, for the command line.
    public func backfill(
        symbol: String, interval requested: Interval, from: Int64, to: Int64,
        progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> BackfillResult {
        let interval = Self.fetchInterval(for: requested)
        let now = self.clock.nowMilliseconds()
        let (lo, hi) = Self.range(from: from, to: to, interval: interval, now: now)
        var result = BackfillResult(
            symbol: symbol, interval: interval, from: lo, to: hi, fetchedFrom: lo, outcome: .future, provider: nil,
            bars: 0, stored: 0, attempts: [])
        guard lo < hi else { return result }
        let stored = try? await self.assets.asset(symbol)
        let assetClass = self.resolver.assetClass(of: symbol, stored: stored)
        let candidates = self.candidates(assetClass: assetClass, interval: interval, to: hi)
        guard !candidates.isEmpty else {
            throw BackfillUnavailable(symbol: symbol, reason: self.whyNone(assetClass: assetClass, interval: interval))
        }
        if self.fetched.contains(symbol: symbol, interval: interval, from: lo, to: hi, emptyOnly: true) {
            result.outcome = .knownEmpty
            return result
        }
        progress?(
            "asking \(candidates.sorted().joined(separator: ", ")) for \(symbol) (\(assetClass.rawValue)) at \(interval.name) from \(Timestamp.iso8601(lo)) to \(Timestamp.iso8601(hi))"
        )
        let key = BackfillKey(symbol: symbol, interval: interval.name, from: lo, to: hi)
        // The leader of a fetch stores the bars; the cache keeps only what was done (the bars are in the store).
        let answer = try await self.cache.value(for: key, ttl: self.cacheTTLMilliseconds) {
            let routed = try await self.router.run(.barsHistory, among: candidates) { provider, call in
                guard let history = provider as? any BarHistoryProvider,
                    let depth = Self.historyDepthDays(provider: provider.name, interval: interval)
                else { throw ProviderError.unsupported("bars at \(interval.name)") }
                let start = max(lo, interval.ceilBucketStart(now - depth * 86_400_000))
                guard start < hi else { return FetchedBars(bars: [], from: hi, to: hi) }
                let upstream = self.resolver.upstream(
                    symbol, provider: provider.name, assetClass: assetClass, currency: stored?.currency)
                let bars = try await history.bars(upstream, interval: interval, from: start, to: hi, call: call)
                return FetchedBars(bars: bars, from: start, to: hi)
            }
            let fetched = routed.value
            progress?("\(routed.provider) answered \(fetched.bars.count) bars")
            var count = 0
            if !fetched.bars.isEmpty {
                count = try await self.store(
                    fetched.bars, symbol: symbol, interval: interval, provider: routed.provider,
                    assetClass: assetClass, stored: stored, progress: progress)
            }
            self.fetched.record(
                symbol: symbol, interval: interval, from: fetched.from, to: fetched.to, empty: fetched.bars.isEmpty)
            return Routed(
                value: FetchedRange(from: fetched.from, to: fetched.to, bars: fetched.bars.count, stored: count),
                provider: routed.provider, attempts: routed.attempts)
        }
        let routed = answer.value
        result.provider = routed.provider
        result.attempts = routed.attempts
        result.fetchedFrom = routed.value.from
        result.bars = routed.value.bars
        guard answer.source == .miss else {
            await self.router.logCacheHit(provider: routed.provider, endpoint: "bars")
            result.outcome = .cached
            return result
        }
        result.outcome = .fetched
        result.stored = routed.value.stored
        return result
    }

    /// Why no provider serves a backfill, for the error.
    private func whyNone(assetClass: AssetClass, interval: Interval) -> String {
        let names = self.router.providers.map(\.name)
        let byClass = names.filter { Self.classes[$0]?.contains(assetClass) == true }
        if byClass.isEmpty {
            let wanted = Self.classes.filter { $0.value.contains(assetClass) }.keys.sorted()
            return "no configured provider serves \(assetClass.rawValue) bars"
                + (wanted.isEmpty ? "" : " (configure keys for \(wanted.joined(separator: " or ")))")
        }
        let byInterval = byClass.filter { Self.historyDepthDays(provider: $0, interval: interval) != nil }
        if byInterval.isEmpty {
            return "\(byClass.sorted().joined(separator: ", ")) do not serve \(interval.name) bars"
        }
        let depths = byInterval.sorted().map {
            "\($0) \(Self.historyDepthDays(provider: $0, interval: interval)!) days"
        }
        return "the range is beyond every provider's history at \(interval.name) (\(depths.joined(separator: ", ")))"
    }

    /// Creates the asset with its class when it does not exist, then ingests the bars as history from `provider`.
    private func store(
        _ bars: [Bar], symbol: String, interval: Interval, provider: String, assetClass: AssetClass, stored: Asset?,
        progress: (@Sendable (String) -> Void)?
    ) async throws -> Int {
        if stored == nil {
            do {
                try await self.assets.createAsset(Asset(symbol: symbol, assetClass: assetClass, currency: "USD"))
            } catch StorageError.conflict {
                // Created meanwhile (another request or instance): fine.
            }
        }
        let batch = try Ingestor.validate(
            symbol: symbol, interval: interval,
            bars: bars.enumerated().map { IncomingBar(index: $0.offset, bar: $0.element) }, maxItems: nil)
        let total = batch.bars.count
        let summary = try await self.ingestor.ingest(
            batches: [batch], freshness: .historical, source: .provider(provider)
        ) { done in
            if total >= 10_000 { progress?("writing: \(done)/\(total) bars") }
        }
        self.logger.info(
            "backfilled bars",
            metadata: [
                "symbol": "\(symbol)", "interval": "\(interval.name)", "provider": "\(provider)",
                "bars": "\(summary.accepted)",
            ])
        return summary.accepted
    }
}
