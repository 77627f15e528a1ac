/// One signal of live analytics: a final pattern record or an anomaly on a closed bar of `interval`.
public enum AnalyticsEvent: Sendable, Hashable {
    /// A pattern record that reached `completed`, `confirmed` or `failed` (never `forming`).
    case pattern(symbol: String, interval: Interval, pattern: PatternDetection)
    /// An anomaly of a closed bar (or of a closed order-flow interval for tick anomalies).
    case anomaly(symbol: String, interval: Interval, anomaly: Anomaly)

    /// The two kinds of signal, with their JSON names.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case pattern
        case anomaly
    }

    /// Whether this is a pattern or an anomaly.
    public var kind: Kind {
        switch self {
        case .pattern: return .pattern
        case .anomaly: return .anomaly
        }
    }

    /// The symbol the signal is about.
    public var symbol: String {
        switch self {
        case .pattern(let symbol, _, _), .anomaly(let symbol, _, _): return symbol
        }
    }

    /// The bar interval the detector ran on.
    public var interval: Interval {
        switch self {
        case .pattern(_, let interval, _), .anomaly(_, let interval, _): return interval
        }
    }

    /// When the signal happened (ms): the pattern record's `end` bar, or the anomaly's bar or interval start.
    public var ts: Int64 {
        switch self {
        case .pattern(_, _, let p): return p.end
        case .anomaly(_, _, let a): return a.ts
        }
    }
}
