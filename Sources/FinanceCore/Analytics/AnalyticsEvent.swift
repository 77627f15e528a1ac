/// One signal of live analytics: a final pattern record or an anomaly on a closed bar of `interval`.
///
/// Codable as `{"kind": "pattern"|"anomaly", "symbol", "interval": "1m", "pattern"|"anomaly": {...}}`.
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

extension AnalyticsEvent: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, symbol, interval, pattern, anomaly
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let symbol = try c.decode(String.self, forKey: .symbol)
        let name = try c.decode(String.self, forKey: .interval)
        guard let interval = Interval(name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .interval, in: c, debugDescription: "unknown interval '\(name)'")
        }
        switch try c.decode(Kind.self, forKey: .kind) {
        case .pattern:
            self = .pattern(
                symbol: symbol, interval: interval, pattern: try c.decode(PatternDetection.self, forKey: .pattern))
        case .anomaly:
            self = .anomaly(
                symbol: symbol, interval: interval, anomaly: try c.decode(Anomaly.self, forKey: .anomaly))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.kind, forKey: .kind)
        try c.encode(self.symbol, forKey: .symbol)
        try c.encode(self.interval.name, forKey: .interval)
        switch self {
        case .pattern(_, _, let p): try c.encode(p, forKey: .pattern)
        case .anomaly(_, _, let a): try c.encode(a, forKey: .anomaly)
        }
    }
}
