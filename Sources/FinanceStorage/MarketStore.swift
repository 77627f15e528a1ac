import FinanceCore

/// Which bars to read: bars as ingested at an interval, or a continuous aggregate (rollup) of them.
public enum BarSeries: Hashable, Sendable, CustomStringConvertible {
    /// Bars stored per (symbol, interval) exactly as ingested (ticks build `stored(.minute1)`).
    case stored(Interval)
    /// The rollup of stored bars at `base` into `interval` (one of `Interval.rollups`), kept current on every write.
    case rollup(base: Interval, interval: Interval)

    public var description: String {
        switch self {
        case .stored(let i): return "stored \(i)"
        case .rollup(let base, let interval): return "rollup \(base)→\(interval)"
        }
    }

    /// The rollups a store keeps for bars stored at `base`: each rollup interval that `base` divides and is finer than.
    public static func rollups(of base: Interval) -> [Interval] {
        Interval.rollups.filter { base < $0 && base.divides($0) }
    }
}

/// A validated, normalized batch of bars for one symbol and interval: sorted by time, unique times,
/// stamped (00:00 UTC for daily or longer bars), canonical symbol.
public struct BarBatch: Sendable, Equatable {
    public var symbol: String
    public var interval: Interval
    public var bars: [Bar]

    public init(symbol: String, interval: Interval, bars: [Bar]) {
        self.symbol = symbol
        self.interval = interval
        self.bars = bars
    }
}

/// A 1-minute bar rebuilt from ticks by a write, reported so the live bus can publish it.
public struct SymbolBar: Sendable, Equatable {
    public var symbol: String
    public var bar: Bar
    public init(symbol: String, bar: Bar) {
        self.symbol = symbol
        self.bar = bar
    }
}

/// The migration state of a store's schema.
public struct SchemaVersion: Sendable, Equatable {
    public var current: Int
    public var latest: Int
    public init(current: Int, latest: Int) {
        self.current = current
        self.latest = latest
    }
    public var isCurrent: Bool { self.current >= self.latest }
}

/// The time-series store: the only source of truth for market data. Every write is atomic (all or
/// nothing), creates unknown symbols as assets of class `unknown`, and updates the rollups of the
/// written bars in the same transaction.
///
/// Semantics every implementation follows (the contract test suite checks them):
/// - Symbols given to a store are already canonical; batches are already validated.
/// - `writeBars` upserts by (symbol, interval, ts): re-writing a time replaces the bar.
/// - `writeTicks` stores every tick and rebuilds the 1-minute bar (`stored(.minute1)`) of every minute it
///   touches from all stored ticks of that minute (ordered by ts, then arrival), replacing any stored bar
///   of that minute; volume is the sum of sizes (missing size counts 0). Returns the rebuilt bars.
/// - Rollups: for every stored interval B and every R in `BarSeries.rollups(of: B)`, the rollup holds one
///   bar per non-empty R-bucket equal to `Bucketing.aggregate` of the stored B bars in that bucket, kept
///   exact under late and corrected data.
/// - `bars` returns bars with `from <= ts < to` (nil = unbounded), ordered ascending, or descending when
///   `newestFirst`, at most `limit` of them.
public protocol MarketStore: Sendable {
    /// A description safe to print (no passwords), e.g. `sqlite:./data/financehub.sqlite`.
    var displayName: String { get }

    /// Applies pending migrations (idempotent); returns how many were applied.
    func migrate() async throws -> Int
    /// The schema version applied and the latest this build knows.
    func schemaVersion() async throws -> SchemaVersion
    /// Checks the store answers.
    func ping() async throws

    /// Every asset, ordered by symbol.
    func assets() async throws -> [Asset]
    /// One asset; throws `StorageError.notFound`.
    func asset(_ symbol: String) async throws -> Asset
    /// Creates an asset; throws `StorageError.conflict` if the symbol exists.
    func createAsset(_ asset: Asset) async throws
    /// Replaces an asset's fields; throws `StorageError.notFound`.
    func updateAsset(_ asset: Asset) async throws
    /// Deletes an asset with its bars, rollups and ticks; throws `StorageError.notFound`.
    func deleteAsset(_ symbol: String) async throws

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

    /// Releases connections and files.
    func close() async throws
}

extension MarketStore {
    /// Writes one batch.
    public func writeBars(_ batch: BarBatch) async throws {
        try await self.writeBars([batch], progress: nil)
    }
}
