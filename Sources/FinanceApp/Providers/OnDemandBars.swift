import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging

/// `GET /api/bars/{symbol}` when providers are configured and `providers.backfillOnDemand` is on: before the store
/// answers, a symbol not fed here (its recorded source is not push, simulated or import) whose stored bars do not
/// cover the range asked is backfilled (`BarBackfill`).
///
/// Coverage of `[from, to)` at interval I (`to` clamped to now; without `from`, `limit` intervals before `to`): the
/// store has a bar in the bucket of `from` or before it and a bar in the last bucket before `to`, or the range lies
/// inside one this process already fetched at that interval (a provider has no bar for a weekend or a holiday, so
/// such a range is fetched once, not on every request).
public struct OnDemandBars: Sendable {
    public let backfill: BarBackfill
    public let barQueries: BarQueryService
    public let sources: DataSourceLedger
    public let logger: Logger

    public init(backfill: BarBackfill, barQueries: BarQueryService, sources: DataSourceLedger, logger: Logger) {
        self.backfill = backfill
        self.barQueries = barQueries
        self.sources = sources
        self.logger = logger
    }

    /// Backfills the range of a bars query when it needs it; returns what the backfill did, nil when none ran.
    /// A provider failure is logged and the store answers as it can, unless the symbol has no asset at all: then
    /// the `ProvidersUnavailable` is thrown (a 503 naming the providers tried, as for quotes).
    @discardableResult
    public func prepare(
        symbol: String, interval: Interval, from: Int64?, to: Int64?, limit: Int, now: Int64,
        admit: (@Sendable () throws -> Void)? = nil
    )
        async throws -> BackfillResult?
    {
        if let source = try await self.sources.source(of: symbol), source.isLocal { return nil }
        let hi = min(to ?? now, now)
        let span = Int64(limit).multipliedReportingOverflow(by: interval.nominalMilliseconds)
        let lo =
            from
            ?? (span.overflow
                ? BarQueryService.earliest : max(BarQueryService.earliest, hi - span.partialValue))
        guard lo < hi else { return nil }
        if await self.covered(symbol: symbol, interval: interval, from: lo, to: hi, now: now) { return nil }
        // A fetch is due: the caller's per-user limit decides (its error reaches the client).
        try admit?()
        do {
            return try await self.backfill.backfill(symbol: symbol, interval: interval, from: lo, to: hi)
        } catch let error as ProvidersUnavailable {
            guard (try? await self.backfill.assets.asset(symbol)) != nil else { throw error }
            self.logger.warning(
                "on-demand backfill failed; answering from the store",
                metadata: ["symbol": "\(symbol)", "interval": "\(interval.name)", "error": "\(error)"])
            return nil
        } catch {
            // No provider serves it, none knows the symbol, or the answer broke the rules: the store answers.
            self.logger.debug(
                "no on-demand backfill",
                metadata: ["symbol": "\(symbol)", "interval": "\(interval.name)", "error": "\(error)"])
            return nil
        }
    }

    /// Whether the store (or an earlier fetch) covers `[from, to)` at `interval`, as the type describes.
    public func covered(symbol: String, interval: Interval, from: Int64, to: Int64, now: Int64) async -> Bool {
        let fetch = BarBackfill.fetchInterval(for: interval)
        let (lo, hi) = BarBackfill.range(from: from, to: to, interval: interval, now: now)
        if self.backfill.fetched.contains(symbol: symbol, interval: fetch, from: lo, to: hi, emptyOnly: false) {
            return true
        }
        do {
            let first = interval.bucketStart(from)
            let before = try await self.barQueries.bars(
                symbol: symbol, interval: interval, from: nil, to: interval.nextBucketStart(after: first), limit: 1,
                now: now)
            guard !before.isEmpty else { return false }
            let last = interval.bucketStart(to - 1)
            let after = try await self.barQueries.bars(
                symbol: symbol, interval: interval, from: last, to: to, limit: 1, now: now)
            return !after.isEmpty
        } catch {
            // No asset, or no stored interval divides this one: not covered.
            return false
        }
    }
}
