import FinanceCore
import FinanceStorage

/// Where a bars query reads from.
public enum BarSource: String, Sendable {
    /// The rollup when one serves the interval, else the stored bars.
    case auto
    /// Always recompute from the stored base bars (to check rollups).
    case raw
}

/// Answers bar queries at any interval by time-bucketing the stored intervals that divide it, reading a rollup
/// (continuous aggregate) when one serves. When several stored intervals divide it (daily bars imported for past
/// years, minute bars from live ticks), each bucket comes from the coarsest of them that has data in it: a stored
/// bar of the interval itself is never hidden by a partial one built from finer bars.
public struct BarQueryService: Sendable {
    public let storage: Storage
    /// The default and largest `limit`.
    public static let defaultLimit = 5_000
    public static let maxLimit = 100_000
    /// 0001-01-01T00:00:00Z: a `from` that selects every stored bar.
    public static let earliest: Int64 = -62_135_596_800_000

    public init(storage: Storage) {
        self.storage = storage
    }

    /// Queries on the repositories of one driver.
    public init(store: any MarketStore) {
        self.init(storage: Storage(store))
    }

    /// The series a query for `interval` reads from the stored interval `base` (which divides it).
    static func series(interval: Interval, base: Interval, source: BarSource) -> BarSeries {
        guard source == .auto, base != interval else { return .stored(base) }
        let rollup = BarSeries.rollups(of: base).filter { $0.divides(interval) }.max()
        return rollup.map { .rollup(base: base, interval: $0) } ?? .stored(base)
    }

    /// The series a query for `interval` reads from the finest stored interval that divides it.
    public static func plan(interval: Interval, stored: [Interval], source: BarSource) -> BarSeries? {
        guard let base = stored.sorted().first(where: { $0.divides(interval) }) else { return nil }
        return series(interval: interval, base: base, source: source)
    }

    /// Bars of `symbol` at `interval` whose bucket starts lie in [from, to), ascending. Without `from`,
    /// the latest `limit` buckets before `to` (default `now`).
    public func bars(
        symbol: String, interval: Interval, from: Int64?, to: Int64?, limit: Int = defaultLimit,
        source: BarSource = .auto, now: Int64
    ) async throws -> [Bar] {
        _ = try await self.storage.assets.asset(symbol)
        let stored = try await self.storage.marketData.storedIntervals(symbol: symbol)
        return try await self.bars(
            symbol: symbol, interval: interval, from: from, to: to, limit: limit, source: source, now: now,
            stored: stored)
    }

    /// The same query for a symbol known to exist whose stored intervals (`stored`) the caller has already read.
    func bars(
        symbol: String, interval: Interval, from: Int64?, to: Int64?, limit: Int, source: BarSource, now: Int64,
        stored: [Interval]
    ) async throws -> [Bar] {
        guard !stored.isEmpty else { return [] }
        let bases = stored.filter { $0.divides(interval) }.sorted()
        guard let finest = bases.first else {
            let names = stored.map(\.name).joined(separator: ", ")
            throw ValidationError(
                field: "interval", detail: "no stored interval of \(symbol) (\(names)) divides \(interval.name)")
        }
        guard bases.count > 1 else {
            return try await self.bars(
                symbol: symbol, interval: interval, base: finest, from: from, to: to, limit: limit, source: source,
                now: now)
        }
        // Each source's first (with `from`) or latest `limit` buckets hold the union's: merge them, coarsest first.
        var merged: [Int64: Bar] = [:]
        for base in bases.reversed() {
            let part = try await self.bars(
                symbol: symbol, interval: interval, base: base, from: from, to: to, limit: limit, source: source,
                now: now)
            for bar in part where merged[bar.ts] == nil { merged[bar.ts] = bar }
        }
        let all = merged.values.sorted { $0.ts < $1.ts }
        return from == nil ? Array(all.suffix(limit)) : Array(all.prefix(limit))
    }

    /// The buckets built from one stored interval, `base`.
    private func bars(
        symbol: String, interval: Interval, base: Interval, from: Int64?, to: Int64?, limit: Int, source: BarSource,
        now: Int64
    ) async throws -> [Bar] {
        let series = Self.series(interval: interval, base: base, source: source)
        let rowInterval: Interval
        switch series {
        case .stored(let i): rowInterval = i
        case .rollup(_, let i): rowInterval = i
        }
        let ratio = rowInterval.maxCount(in: interval)
        let rowLimit = limit.multipliedReportingOverflow(by: ratio).overflow ? Int.max : limit * ratio
        let hi = interval.ceilBucketStart(to ?? now)
        if let from {
            let lo = interval.ceilBucketStart(from)
            guard lo < hi else { return [] }
            let rows = try await self.storage.marketData.bars(
                symbol: symbol, series: series, from: lo, to: hi, limit: rowLimit, newestFirst: false)
            let buckets = rowInterval == interval ? rows : Bucketing.aggregate(rows, into: interval)
            return Array(buckets.prefix(limit))
        }
        let rows = try await self.storage.marketData.bars(
            symbol: symbol, series: series, from: nil, to: hi, limit: rowLimit, newestFirst: true)
        let ascending = Array(rows.reversed())
        let buckets = rowInterval == interval ? ascending : Bucketing.aggregate(ascending, into: interval)
        return Array(buckets.suffix(limit))
    }
}
