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
