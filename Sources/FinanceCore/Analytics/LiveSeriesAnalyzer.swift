/// Live pattern and anomaly detection on one symbol at one interval: a `BarCloser` feeding a `PatternStream`
/// and an `AnomalyStream`.
///
/// Feed it every update of the live source bar (`update(_:)`); each closed target bar runs both detectors and
/// the result is returned as `AnalyticsEvent`s. The events equal what `PatternDetector` (final records) and
/// `AnomalyDetector` report in batch on the same closed bars, because both run the same streams.
public struct LiveSeriesAnalyzer: Sendable {
    /// The symbol the events are about.
    public let symbol: String
    /// Closes source bars into bars of the analyzed interval.
    public private(set) var closer: BarCloser
    var patterns: PatternStream
    var anomalies: AnomalyStream
    /// Closed bars analyzed so far, warm-up included.
    public private(set) var analyzed = 0
    /// The `ts` of the last bar analyzed (warm-up included); older or equal bars are skipped.
    public private(set) var lastTs: Int64?

    /// The analyzed interval.
    public var interval: Interval { self.closer.target }

    /// An analyzer of `target` bars built from updates of `source` bars.
    public init(
        symbol: String, source: Interval, target: Interval, patternOptions: PatternOptions = PatternOptions(),
        anomalyOptions: AnomalyOptions = AnomalyOptions()
    ) {
        self.symbol = symbol
        self.closer = BarCloser(source: source, target: target)
        self.patterns = PatternStream(options: patternOptions)
        self.anomalies = AnomalyStream(options: anomalyOptions)
    }

    /// Feeds closed history bars of the analyzed interval (ascending) so the detectors have their baselines;
    /// returns nothing, so history does not raise live signals.
    public mutating func warmUp(bars: [Bar]) {
        for bar in bars { _ = self.analyze(closed: bar) }
    }

    /// Takes one update of a live source bar; returns the events of the bars it closed.
    public mutating func update(_ bar: Bar) -> [AnalyticsEvent] {
        var out: [AnalyticsEvent] = []
        for closed in self.closer.update(bar) { out += self.analyze(closed: closed) }
        return out
    }

    /// Runs both detectors on one closed bar of the analyzed interval.
    ///
    /// Pattern records that are `forming` are not returned: a shape still being drawn is revised at every new
    /// turning point (and may vanish), so publishing it would flood subscribers with provisional states. The
    /// alert engine fires on `completed` and `confirmed` records (and may retire alerts on `failed`), which are
    /// final and never revised. Every anomaly is returned.
    public mutating func analyze(closed bar: Bar) -> [AnalyticsEvent] {
        if let last = self.lastTs, bar.ts <= last { return [] }
        self.lastTs = bar.ts
        self.analyzed += 1
        let interval = self.interval
        var out: [AnalyticsEvent] = []
        for record in self.patterns.append(bar) where record.status != .forming {
            out.append(.pattern(symbol: self.symbol, interval: interval, pattern: record))
        }
        for anomaly in self.anomalies.append(bar) {
            out.append(.anomaly(symbol: self.symbol, interval: interval, anomaly: anomaly))
        }
        return out
    }
}
