/// Everything the engine watches for one target (a symbol, a portfolio, a sector): its value series with the
/// price (or value) thresholds, the percent-change series over minute windows, the change since the previous
/// close, the per-interval bar series of technical conditions, and the pattern conditions.
final class AlertTargetBook {
    /// The price (a symbol) or the value (a portfolio, a sector).
    let value = ThresholdSeries()
    /// The time of the last value.
    var lastTs: Int64?
    /// Percent change over `minutes`, one series per distinct window.
    var minuteChanges: [(minutes: Int, series: ThresholdSeries)] = []
    var ring: MinuteRing?
    /// Percent change since the previous daily close (symbols).
    var sinceClose: ThresholdSeries?
    var previousClose: Double?
    /// The UTC day (ms / 86,400,000) of the last value, to take the previous day's last price as its close.
    var day: Int64?
    /// Bar series per interval (symbols).
    var intervals: [Interval: IntervalFeed] = [:]
    /// Pattern conditions (symbols).
    var patterns: [ConditionRef] = []

    /// The series of the percent change over `minutes`, created (and the ring grown) on first use.
    func minuteChange(_ minutes: Int) -> ThresholdSeries {
        if let found = self.minuteChanges.first(where: { $0.minutes == minutes }) { return found.series }
        let series = ThresholdSeries()
        self.minuteChanges.append((minutes, series))
        if self.ring == nil { self.ring = MinuteRing(minutes: minutes) } else { self.ring!.reserve(minutes: minutes) }
        return series
    }

    /// The bar series of `interval`, created on first use.
    func feed(_ interval: Interval) -> IntervalFeed {
        if let feed = self.intervals[interval] { return feed }
        let feed = IntervalFeed(interval: interval)
        self.intervals[interval] = feed
        return feed
    }

    /// Takes a new value (a tick's price, a portfolio's value) and appends the conditions it fires.
    @inline(__always)
    func update(value: Double, ts: Int64, edges: inout [ConditionRef]) {
        let day = ts >= 0 ? ts / 86_400_000 : (ts - 86_399_999) / 86_400_000
        if let last = self.value.last, let previousDay = self.day, day > previousDay {
            self.previousClose = last
        }
        if self.day.map({ day > $0 }) ?? true { self.day = day }
        self.value.update(value, edges: &edges)
        self.lastTs = ts
        if self.ring != nil {
            self.ring!.record(ts, value)
            for (minutes, series) in self.minuteChanges {
                if let reference = self.ring!.value(minutesBack: minutes), reference != 0 {
                    series.update((value - reference) / reference * 100, edges: &edges)
                }
            }
        }
        if let sinceClose = self.sinceClose, let close = self.previousClose, close != 0 {
            sinceClose.update((value - close) / close * 100, edges: &edges)
        }
    }
}

/// The spec key of a moving-average crossover: which average, fast and slow periods.
struct CrossoverKey: Hashable {
    var average: MovingAverageKind
    var fast: Int
    var slow: Int
}

/// The closed bars of one symbol at one interval and the series computed from them: RSI per period, fast−slow
/// spreads per crossover, percent change over N bars, relative volume per lookback. Indicator streams are shared
/// by every series that needs them (one `sma(50)` serves 9/50 and 50/200 crossovers).
final class IntervalFeed {
    let interval: Interval
    /// The start of the last closed bar taken.
    var lastBarTs: Int64?
    var bars = RecentBars(capacity: 1)
    /// One stream per indicator spec (`rsi(14)`, `sma(50)`, `ema(9)`).
    var streams: [IndicatorSpec: IndicatorStream] = [:]
    var rsi: [Int: (stream: IndicatorStream, series: ThresholdSeries)] = [:]
    var crossovers: [CrossoverKey: (fast: IndicatorStream, slow: IndicatorStream, series: ThresholdSeries)] = [:]
    var changes: [Int: ThresholdSeries] = [:]
    var volumes: [Int: ThresholdSeries] = [:]
    /// Closed bars wanted from history so the series are warm (0 when nothing new needs any).
    var wantedHistory = 0

    init(interval: Interval) {
        self.interval = interval
    }

    /// The shared stream of `spec`, nil for a spec the indicator engine refuses (a period out of range).
    func stream(_ kind: IndicatorKind, _ period: Int) -> IndicatorStream? {
        guard let spec = try? IndicatorSpec(kind, [Double(period)]) else { return nil }
        if let stream = self.streams[spec] { return stream }
        let stream = IndicatorStream([spec])
        self.streams[spec] = stream
        // Wilder's RSI and the EMA converge over a few periods; an SMA needs exactly its period.
        self.want(kind == .sma ? period + 1 : min(period * 4, period + 1_000))
        return stream
    }

    /// Asks for `bars` closed bars of history.
    func want(_ bars: Int) {
        self.wantedHistory = max(self.wantedHistory, bars)
    }

    /// The RSI series of `period`.
    func rsiSeries(_ period: Int) -> ThresholdSeries? {
        if let found = self.rsi[period] { return found.series }
        guard let stream = self.stream(.rsi, period) else { return nil }
        let series = ThresholdSeries()
        self.rsi[period] = (stream, series)
        return series
    }

    /// The fast−slow spread series of a crossover.
    func crossoverSeries(_ key: CrossoverKey) -> ThresholdSeries? {
        if let found = self.crossovers[key] { return found.series }
        let kind: IndicatorKind = key.average == .sma ? .sma : .ema
        guard key.fast != key.slow, let fast = self.stream(kind, key.fast), let slow = self.stream(kind, key.slow)
        else { return nil }
        let series = ThresholdSeries()
        self.crossovers[key] = (fast, slow, series)
        return series
    }

    /// The percent change over `count` bars.
    func changeSeries(_ count: Int) -> ThresholdSeries? {
        guard count >= 1 else { return nil }
        if let series = self.changes[count] { return series }
        self.bars.reserve(count + 1)
        self.want(count + 1)
        let series = ThresholdSeries()
        self.changes[count] = series
        return series
    }

    /// The relative volume against the mean of the `lookback` bars before.
    func volumeSeries(_ lookback: Int) -> ThresholdSeries? {
        guard lookback >= 1 else { return nil }
        if let series = self.volumes[lookback] { return series }
        self.bars.reserve(lookback + 1)
        self.want(lookback + 1)
        let series = ThresholdSeries()
        self.volumes[lookback] = series
        return series
    }

    /// Takes a closed bar (a bar not after the last one is ignored) and appends the conditions it fires.
    func close(_ bar: Bar, edges: inout [ConditionRef]) {
        if let last = self.lastBarTs, bar.ts <= last { return }
        guard (bar.close + bar.volume).isFinite else { return }
        self.lastBarTs = bar.ts
        self.bars.append(close: bar.close, volume: bar.volume)
        for stream in self.streams.values {
            // A stream added later may already be past this bar after its own warm-up.
            if let last = stream.lastTimestamp, bar.ts <= last { continue }
            try? stream.push(bar, isClosed: true)
        }
        self.refresh(edges: &edges)
    }

    /// Feeds closed history bars (ascending) without firing: streams added after the feed started catch up on
    /// the bars they missed, then the bars after the last one taken are taken.
    func warmUp(_ history: [Bar]) {
        var ignored: [ConditionRef] = []
        if let last = self.lastBarTs {
            let older = history.filter { $0.ts <= last }
            for bar in older {
                for stream in self.streams.values where stream.lastTimestamp.map({ bar.ts > $0 }) ?? true {
                    try? stream.push(bar, isClosed: true)
                }
            }
            if older.count > self.bars.count && older.last?.ts == last {
                var rebuilt = RecentBars(capacity: self.bars.capacity)
                for bar in older.suffix(self.bars.capacity) { rebuilt.append(close: bar.close, volume: bar.volume) }
                self.bars = rebuilt
            }
        }
        for bar in history { self.close(bar, edges: &ignored) }
        self.refresh(edges: &ignored)
        self.wantedHistory = 0
    }

    /// Recomputes every series from the streams and the newest bar.
    private func refresh(edges: inout [ConditionRef]) {
        guard self.bars.count > 0 else { return }
        let close = self.bars.close(back: 0)
        let volume = self.bars.volume(back: 0)
        for (stream, series) in self.rsi.values { series.update(stream[0], edges: &edges) }
        for (fast, slow, series) in self.crossovers.values {
            series.update(fast[0] - slow[0], shown: fast[0], edges: &edges)
        }
        for (count, series) in self.changes where self.bars.count > count {
            let reference = self.bars.close(back: count)
            if reference != 0 { series.update((close - reference) / reference * 100, edges: &edges) }
        }
        for (lookback, series) in self.volumes {
            if let mean = self.bars.meanVolume(before: lookback), mean > 0 {
                series.update(volume / mean, edges: &edges)
            }
        }
    }
}
