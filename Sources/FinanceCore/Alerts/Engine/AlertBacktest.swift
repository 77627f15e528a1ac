/// When an alert would have fired on stored history (`GET /api/alerts/{id}/backtest`): the history is replayed
/// through a fresh engine holding only this alert, live from the first bar (its creation time, expiry and
/// enabled flag are ignored; a `once` alert fires at most once).
public enum AlertBacktest {
    /// Replays `bars` of `interval` (ascending, closed) and, when given, `ticks` (ascending). Without ticks each
    /// bar's price path is taken as open, the nearer extreme first (low then high for a rising bar, high then low
    /// for a falling one), close. Bars of coarser intervals that conditions need (an RSI on 1h from 1m bars) and
    /// pattern signals are built from the bars. Portfolio and sector alerts have no stored history: no firings.
    public static func run(alert: Alert, bars: [Bar], interval: Interval, ticks: [Tick]? = nil) -> [AlertFiring] {
        guard case .symbol(let symbol) = alert.target else { return [] }
        var replayed = alert
        replayed.createdAt = .min
        replayed.enabled = true
        replayed.triggeredAt = nil
        replayed.expiresAt = nil
        replayed.disabledReason = nil
        let engine = AlertEngine()
        engine.add(replayed)
        var closers = engine.barIntervals(symbol: symbol).filter { $0 != interval }.compactMap {
            target -> BarCloser? in
            interval < target && interval.divides(target) ? BarCloser(source: interval, target: target) : nil
        }
        let patternIntervals = Self.patternIntervals(alert).filter {
            $0 == interval || (interval < $0 && interval.divides($0))
        }
        var analyzers = patternIntervals.map {
            LiveSeriesAnalyzer(symbol: symbol, source: interval, target: $0)
        }
        let firstTs = bars.first?.ts ?? 0
        let ticks = (ticks ?? []).filter { $0.symbol == symbol }.sorted { $0.ts < $1.ts }
        var nextTick = 0
        var firings: [AlertFiring] = []
        for bar in bars {
            let close = interval.nextBucketStart(after: bar.ts)
            if ticks.isEmpty {
                for (ts, price) in Self.path(bar, close: close) {
                    firings += engine.process(symbol: symbol, ts: ts, price: price)
                }
            } else {
                while nextTick < ticks.count && ticks[nextTick].ts < close {
                    firings += engine.process(tick: ticks[nextTick])
                    nextTick += 1
                }
            }
            firings += engine.process(symbol: symbol, interval: interval, bar: bar)
            for i in closers.indices {
                // A first bucket that started before the history did is partial: not a bar of the target.
                for closed in closers[i].update(bar) where closed.ts >= firstTs {
                    firings += engine.process(symbol: symbol, interval: closers[i].target, bar: closed)
                }
            }
            for i in analyzers.indices {
                let signals =
                    analyzers[i].interval == interval ? analyzers[i].analyze(closed: bar) : analyzers[i].update(bar)
                for signal in signals { firings += engine.process(signal: signal) }
            }
        }
        return firings
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
