import FinanceCore

/// The time series: bars at their stored intervals, their rollups (continuous aggregates) and ticks. Every write
/// is atomic (all or nothing), creates unknown symbols as assets of class `unknown`, and updates the rollups of
/// the written bars in the same transaction.
///
/// Semantics every implementation follows (the contract test suite checks them):
/// - Symbols given to a repository are already canonical; batches are already validated.
/// - `writeBars` upserts by (symbol, interval, ts): re-writing a time replaces the bar.
/// - `writeTicks` stores every tick and rebuilds the 1-minute bar (`stored(.minute1)`) of every minute it
///   touches from all stored ticks of that minute (ordered by ts, then arrival), replacing any stored bar
///   of that minute; volume is the sum of sizes (missing size counts 0). Returns the rebuilt bars.
/// - Rollups: for every stored interval B and every R in `BarSeries.rollups(of: B)`, the rollup holds one
///   bar per non-empty R-bucket equal to `Bucketing.aggregate` of the stored B bars in that bucket, kept
///   exact under late and corrected data.
/// - `bars` returns bars with `from <= ts < to` (nil = unbounded), ordered ascending, or descending when
///   `newestFirst`, at most `limit` of them.
public protocol MarketDataRepository: Sendable {
    /// Writes batches atomically (all or none), with their rollups. `progress`, if given, is told the
    /// number of bars written so far (for long imports).
    func writeBars(_ batches: [BarBatch], progress: (@Sendable (Int) -> Void)?) async throws
    /// Writes ticks atomically with the 1-minute bars and rollups they change; returns the rebuilt minute bars.
    func writeTicks(_ ticks: [Tick]) async throws -> [SymbolBar]
    /// The intervals at which `symbol` has stored bars, finest first.
    func storedIntervals(symbol: String) async throws -> [Interval]
    /// Reads bars of a series; see the protocol notes for ordering and bounds.
    func bars(symbol: String, series: BarSeries, from: Int64?, to: Int64?, limit: Int, newestFirst: Bool)
        async throws -> [Bar]
    /// Stored ticks with `from <= ts < to`, ascending, at most `limit`.
    func ticks(symbol: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Tick]
    /// The most recent tick of `symbol` (by ts, then arrival), or nil when it has none.
    func latestTick(symbol: String) async throws -> Tick?
}

extension MarketDataRepository {
    /// Writes one batch.
    public func writeBars(_ batch: BarBatch) async throws {
        try await self.writeBars([batch], progress: nil)
    }
}
