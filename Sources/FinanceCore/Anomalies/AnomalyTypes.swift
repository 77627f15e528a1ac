/// Anomaly kinds, with the JSON names used by the CLI and the HTTP API.
public enum AnomalyType: String, Codable, Sendable, CaseIterable, Hashable, CommaSeparatedNames {
    case priceSpike = "price_spike"
    case volumeSurge = "volume_surge"
    case gapUp = "gap_up"
    case gapDown = "gap_down"
    case volatilitySpike = "volatility_spike"
    case orderFlowImbalance = "order_flow_imbalance"
    /// A run of same-direction closes whose probability under the recent up/down frequency is below 1/1000.
    case unusualRun = "unusual_run"
    /// A large return (|r| ≥ 3 σ) on low relative volume (≤ 0.5): price moving without participation.
    case priceVolumeDivergence = "price_volume_divergence"
}

/// One detected anomaly.
public struct Anomaly: Sendable, Hashable {
    public var type: AnomalyType
    /// The bar (or order-flow interval) start, in ms.
    public var ts: Int64
    /// The detector's score, on the same scale as `threshold` (flagged when severity exceeds it).
    public var severity: Double
    /// The named inputs of the decision (see docs/anomalies.md for each detector's keys).
    public var values: [String: Double]
    public var threshold: Double

    /// Numbers beyond the largest finite double (a return or gap between prices 1e−160 and 1e160) are clamped to
    /// it and a NaN value is left out, so every record encodes as JSON.
    public init(type: AnomalyType, ts: Int64, severity: Double, values: [String: Double], threshold: Double) {
        self.type = type
        self.ts = ts
        self.severity = severity.jsonFinite ?? 0
        self.values = values.compactMapValues(\.jsonFinite)
        self.threshold = threshold
    }
}

/// Detector settings; the defaults are the documented and benchmarked ones.
public struct AnomalyOptions: Sendable, Hashable {
    /// Types to report (all are computed).
    public var types: Set<AnomalyType> = Set(AnomalyType.allCases)
    /// Past log returns used by the z-scores (the current return is never part of its own baseline).
    public var returnWindow: Int = 100
    /// Returns needed before price spikes are flagged.
    public var minHistory: Int = 20
    /// Flag a price spike when the robust z-score |0.6745·(r − median)/MAD| exceeds this.
    public var robustThreshold: Double = 3.5
    /// Cap of the robust z-score when the past returns have no spread at all (MAD = mean deviation = 0).
    public var robustCap: Double = 1000
    /// Past bars used for relative volume.
    public var volumeWindow: Int = 20
    /// Use the median (instead of the mean) of past volumes as the baseline.
    public var volumeMedian: Bool = false
    public var volumeThreshold: Double = 3.0
    /// For intraday bars, compare with the same time of day once this many past days have a bar there.
    public var sameTimeOfDayMinDays: Int = 5
    public var sameTimeOfDayDays: Int = 20
    /// 24/7 markets have no sessions: gap detection is off.
    public var continuousMarket: Bool = false
    public var atrPeriod: Int = 14
    /// Flag a gap when |open − previous close| ≥ this many ATRs, or on a full gap of at least `gapMinPercent`.
    public var gapATR: Double = 1.0
    public var gapMinPercent: Double = 0.5
    /// RiskMetrics decay of the short EWMA variance, and of the long one.
    public var ewmaLambda: Double = 0.94
    public var ewmaLongLambda: Double = 0.995
    /// Flag when short σ / long σ first rises above this (one flag per episode).
    public var volatilityRatio: Double = 2.0
    /// Returns are clipped at this many σ (of each EWMA's own level) before entering it, so a lone spike is
    /// reported as a price spike rather than a volatility spike.
    public var volatilityClip: Double = 4.0
    /// A run is unusual when its probability is below this.
    public var runProbability: Double = 0.001
    public var runWindow: Int = 100
    /// Price-volume divergence: |r|/σ at least this with relative volume at most `divergenceVolume`.
    public var divergenceSigma: Double = 3.0
    public var divergenceVolume: Double = 0.5
    /// Order-flow interval (ms), rolling window (intervals), minimum history and |z| threshold.
    public var flowInterval: Int64 = 60_000
    public var flowWindow: Int = 50
    public var flowMinHistory: Int = 20
    public var flowThreshold: Double = 3.0
    /// Interval of the bars built from trades by `AnomalyStream.append(tick:)`.
    public var tickBarInterval: Int64 = 60_000

    public init() {}
}
