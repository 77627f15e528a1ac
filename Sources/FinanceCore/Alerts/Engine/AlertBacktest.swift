/// When an alert would have fired on stored history (`GET /api/alerts/{id}/backtest`): the history is replayed
/// through a fresh engine holding only this alert, live from the first bar (its creation time, expiry and
/// enabled flag are ignored; a `once` alert fires at most once).
public enum AlertBacktest {
    /// Replays `bars` of `interval` (ascending, closed) and, when given, `ticks` (ascending). Without ticks each
    /// bar's price path is taken as open, the nearer extreme first (low then high for a rising bar, high then low
    /// for a falling one), close. Bars of coarser intervals that conditions need (an RSI on 1h from 1m bars) and
    /// pattern signals are built from the bars. Portfolio and sector alerts have no stored history: no firings.
    public static func run(alert: Alert, bars: [Bar], interval: Interval, ticks: [Tick]? = nil) -> [AlertFiring] {
        guard var replay = Replay(alert: alert, interval: interval, ticks: ticks) else { return [] }
        return replay.feed(bars)
    }

    /// A replay fed page by page: the bars of consecutive `feed` calls form one ascending history.
    public struct Replay {
        let symbol: String
        let interval: Interval
        let engine: AlertEngine
        var closers: [BarCloser]
        var analyzers: [LiveSeriesAnalyzer]
        var firstTs: Int64?
        let ticks: [Tick]
        var nextTick = 0

        /// A replay of `alert` over bars of `interval` (and `ticks`, see `run`); nil for portfolio and sector alerts.
        public init?(alert: Alert, interval: Interval, ticks: [Tick]? = nil) {
            guard case .symbol(let symbol) = alert.target else { return nil }
            var replayed = alert
            replayed.createdAt = .min
            replayed.enabled = true
            replayed.triggeredAt = nil
            replayed.expiresAt = nil
            replayed.disabledReason = nil
            self.symbol = symbol
            self.interval = interval
            self.engine = AlertEngine()
            self.engine.add(replayed)
            self.closers = self.engine.barIntervals(symbol: symbol).filter { $0 != interval }.compactMap {
                target -> BarCloser? in
                interval < target && interval.divides(target) ? BarCloser(source: interval, target: target) : nil
            }
            self.analyzers = AlertBacktest.patternIntervals(alert).filter {
                $0 == interval || (interval < $0 && interval.divides($0))
            }.map { LiveSeriesAnalyzer(symbol: symbol, source: interval, target: $0) }
            self.ticks = (ticks ?? []).filter { $0.symbol == symbol }.sorted { $0.ts < $1.ts }
        }

        /// Replays the next `bars` (ascending, after every bar fed before) and returns their firings.
        public mutating func feed(_ bars: [Bar]) -> [AlertFiring] {
            let (symbol, interval, engine) = (self.symbol, self.interval, self.engine)
            if self.firstTs == nil { self.firstTs = bars.first?.ts }
            let firstTs = self.firstTs ?? 0
            var firings: [AlertFiring] = []
            for bar in bars {
                let close = interval.nextBucketStart(after: bar.ts)
                if self.ticks.isEmpty {
                    for (ts, price) in AlertBacktest.path(bar, close: close) {
                        firings += engine.process(symbol: symbol, ts: ts, price: price)
                    }
                } else {
                    while self.nextTick < self.ticks.count && self.ticks[self.nextTick].ts < close {
                        firings += engine.process(tick: self.ticks[self.nextTick])
                        self.nextTick += 1
                    }
                }
                firings += engine.process(symbol: symbol, interval: interval, bar: bar)
                for i in self.closers.indices {
                    // A first bucket that started before the history did is partial: not a bar of the target.
                    for closed in self.closers[i].update(bar) where closed.ts >= firstTs {
                        firings += engine.process(symbol: symbol, interval: self.closers[i].target, bar: closed)
                    }
                }
                for i in self.analyzers.indices {
                    let signals =
                        self.analyzers[i].interval == interval
                        ? self.analyzers[i].analyze(closed: bar) : self.analyzers[i].update(bar)
                    for signal in signals { firings += engine.process(signal: signal) }
                }
            }
            return firings
        }
    }

    /// The interval of the bars to replay for `alert`: 1 minute when a condition reads prices (price levels,
    /// percent changes over minutes or since the previous close), else the finest interval of its bar conditions.
    public static func barInterval(for alert: Alert) -> Interval {
        var intervals: [Interval] = []
        for condition in alert.conditions {
            switch condition {
            case .percentChange(_, .bars(_, let interval)), .rsiOverbought(_, _, let interval),
                .rsiOversold(_, _, let interval), .goldenCross(_, _, _, let interval),
                .deathCross(_, _, _, let interval), .volumeAnomaly(_, _, let interval), .pattern(_, _, let interval):
                intervals.append(interval)
            default: return .minute1
            }
        }
        return intervals.min() ?? .minute1
    }

    /// The intervals of the alert's pattern conditions.
    static func patternIntervals(_ alert: Alert) -> [Interval] {
        var out: [Interval] = []
        for case .pattern(_, _, let interval) in alert.conditions where !out.contains(interval) { out.append(interval) }
        return out
    }

    /// A bar's assumed price path with times inside the bar: open, nearer extreme, farther extreme, close.
    static func path(_ bar: Bar, close: Int64) -> [(Int64, Double)] {
        let span = max(close - bar.ts, 4)
        let (first, second) = bar.close >= bar.open ? (bar.low, bar.high) : (bar.high, bar.low)
        return [
            (bar.ts, bar.open), (bar.ts + span / 4, first), (bar.ts + span / 2, second), (close - 1, bar.close),
        ]
    }
}
