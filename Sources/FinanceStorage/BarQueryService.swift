import FinanceCore

/// Where a bars query reads from.
public enum BarSource: String, Sendable {
    /// The rollup when one serves the interval, else the stored bars.
    case auto
    /// Always recompute from the stored base bars (to check rollups).
    case raw
}

/// Answers bar queries at any interval by time-bucketing the finest stored interval that divides it,
/// reading a rollup (continuous aggregate) when one serves.
public struct BarQueryService: Sendable {
    public let store: any MarketStore
    /// The default and largest `limit`.
    public static let defaultLimit = 5_000
    public static let maxLimit = 100_000
    /// 0001-01-01T00:00:00Z: a `from` that selects every stored bar.
    public static let earliest: Int64 = -62_135_596_800_000

    public init(store: any MarketStore) {
        self.store = store
    }

    /// The series a query for `interval` reads, given the intervals stored.
    public static func plan(interval: Interval, stored: [Interval], source: BarSource) -> BarSeries? {
        guard let base = stored.sorted().first(where: { $0.divides(interval) }) else { return nil }
        guard source == .auto, base != interval else { return .stored(base) }
        let rollup = BarSeries.rollups(of: base).filter { $0.divides(interval) }.max()
        return rollup.map { .rollup(base: base, interval: $0) } ?? .stored(base)
    }

    /// Bars of `symbol` at `interval` whose bucket starts lie in [from, to), ascending. Without `from`,
    /// the latest `limit` buckets before `to` (default `now`).
    public func bars(
        symbol: String, interval: Interval, from: Int64?, to: Int64?, limit: Int = defaultLimit,
        source: BarSource = .auto, now: Int64
    ) async throws -> [Bar] {
        _ = try await self.store.asset(symbol)
        let stored = try await self.store.storedIntervals(symbol: symbol)
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
        guard let series = Self.plan(interval: interval, stored: stored, source: source) else {
            let names = stored.map(\.name).joined(separator: ", ")
            throw ValidationError(
                field: "interval", detail: "no stored interval of \(symbol) (\(names)) divides \(interval.name)")
        }
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
            let rows = try await self.store.bars(
                symbol: symbol, series: series, from: lo, to: hi, limit: rowLimit, newestFirst: false)
            let buckets = rowInterval == interval ? rows : Bucketing.aggregate(rows, into: interval)
            return Array(buckets.prefix(limit))
        }
        let rows = try await self.store.bars(
            symbol: symbol, series: series, from: nil, to: hi, limit: rowLimit, newestFirst: true)
        let ascending = Array(rows.reversed())
        let buckets = rowInterval == interval ? ascending : Bucketing.aggregate(ascending, into: interval)
        return Array(buckets.suffix(limit))
    }
}
