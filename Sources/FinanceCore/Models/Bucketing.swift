/// Time bucketing with OHLCV semantics: open first, high max, low min, close last, volume sum.
public enum Bucketing {
    /// Aggregates `bars` (ascending by time) into buckets of `interval`; empty buckets are omitted and
    /// each output bar is stamped with its bucket start.
    public static func aggregate<C: Collection>(_ bars: C, into interval: Interval) -> [Bar] where C.Element == Bar {
        var out: [Bar] = []
        var current: Bar?
        var currentEnd: Int64 = .min
        for bar in bars {
            if var c = current, bar.ts < currentEnd {
                c.absorb(bar)
                current = c
                continue
            }
            if let c = current { out.append(c) }
            let start = interval.bucketStart(bar.ts)
            currentEnd = interval.nextBucketStart(after: start)
            current = Bar(ts: start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)
        }
        if let c = current { out.append(c) }
        return out
    }

    /// Builds 1-minute bars from ticks; ticks need not be sorted (ties keep input order).
    public static func minuteBars(from ticks: [Tick]) -> [Bar] {
        let sorted = ticks.enumerated().sorted { a, b in
            a.element.ts < b.element.ts || (a.element.ts == b.element.ts && a.offset < b.offset)
        }
        let bars = sorted.map { t in
            Bar(
                ts: t.element.ts, open: t.element.price, high: t.element.price, low: t.element.price,
                close: t.element.price, volume: t.element.size ?? 0)
        }
        return aggregate(bars, into: .minute1)
    }
}
