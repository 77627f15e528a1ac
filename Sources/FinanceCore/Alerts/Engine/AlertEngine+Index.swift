extension AlertEngine {
    /// Puts one condition into the series of its target; nil for a condition that does not apply to the target
    /// (a portfolio condition on a symbol) or whose parameters no series accepts: such a condition never holds.
    func index(
        _ condition: AlertCondition, ref: ConditionRef, target: AlertTarget, book: AlertTargetBook,
        previous: Double?, restored: Bool
    ) -> IndexedCondition? {
        guard let found = Self.series(for: condition, target: target, book: book) else {
            if case .pattern(let types, let status, let interval) = condition, case .symbol = target {
                book.patterns.append(ref)
                return IndexedCondition(pattern: (Set(types), status, interval))
            }
            return nil
        }
        let (series, level, rising, crossing) = found
        guard level.isFinite else { return nil }
        series.insert(
            Threshold(level: level, ref: ref, crossing: crossing), rising: rising, previous: previous,
            restored: restored)
        return IndexedCondition(series: series, level: level, rising: rising)
    }

    /// The series a condition watches, its level, direction and whether it is a crossing (fires only on a move
    /// from the other side) rather than a level (fires when it is first seen to hold).
    static func series(for condition: AlertCondition, target: AlertTarget, book: AlertTargetBook) -> (
        ThresholdSeries, Double, Bool, Bool
    )? {
        switch (condition, target) {
        case (.priceAbove(let value), .symbol): return (book.value, value, true, false)
        case (.priceBelow(let value), .symbol): return (book.value, value, false, false)
        case (.priceCrossingUp(let value), .symbol): return (book.value, value, true, true)
        case (.priceCrossingDown(let value), .symbol): return (book.value, value, false, true)
        case (.percentChange(let percent, let window), .symbol):
            let series: ThresholdSeries?
            switch window {
            case .minutes(let minutes): series = minutes >= 1 ? book.minuteChange(minutes) : nil
            case .bars(let count, let interval): series = book.feed(interval).changeSeries(count)
            case .sincePreviousClose:
                if book.sinceClose == nil { book.sinceClose = ThresholdSeries() }
                series = book.sinceClose
            }
            return series.map { ($0, percent, percent >= 0, false) }
        case (.rsiOverbought(let period, let level, let interval), .symbol):
            return book.feed(interval).rsiSeries(period).map { ($0, level, true, true) }
        case (.rsiOversold(let period, let level, let interval), .symbol):
            return book.feed(interval).rsiSeries(period).map { ($0, level, false, true) }
        case (.goldenCross(let fast, let slow, let average, let interval), .symbol):
            let key = CrossoverKey(average: average, fast: fast, slow: slow)
            return book.feed(interval).crossoverSeries(key).map { ($0, 0, true, true) }
        case (.deathCross(let fast, let slow, let average, let interval), .symbol):
            let key = CrossoverKey(average: average, fast: fast, slow: slow)
            return book.feed(interval).crossoverSeries(key).map { ($0, 0, false, true) }
        case (.volumeAnomaly(let ratio, let lookback, let interval), .symbol):
            return book.feed(interval).volumeSeries(lookback).map { ($0, ratio, true, false) }
        case (.portfolioValueAbove(let value), .portfolio): return (book.value, value, true, false)
        case (.portfolioValueBelow(let value), .portfolio): return (book.value, value, false, false)
        case (.portfolioChange(let percent, let minutes), .portfolio), (.sectorMove(let percent, let minutes), .sector):
            guard minutes >= 1 else { return nil }
            return (book.minuteChange(minutes), percent, percent >= 0, false)
        default: return nil
        }
    }

    /// Whether a condition holds now: its series meets its level (a crossing counts as holding while the value
    /// stays on the crossed side, a crossover while the fast average stays on its side), or a matching pattern
    /// signal came on the last closed bar of its interval or the one before.
    func holds(_ condition: IndexedCondition, at ts: Int64) -> Bool {
        if let series = condition.series { return series.meets(condition.level, rising: condition.rising) }
        guard let filter = condition.pattern, let signal = condition.lastSignal else { return false }
        return ts - signal.ts <= 3 * filter.interval.nominalMilliseconds
    }
}
