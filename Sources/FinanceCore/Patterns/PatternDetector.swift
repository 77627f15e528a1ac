/// Chart-pattern detection over OHLCV bars.
///
/// Batch: `PatternDetector(options:).detect(bars:)`. Streaming: `PatternStream.append(_:)`. Both run the same
/// engine, so the batch result equals every record the stream returned, except that the batch keeps only the
/// `forming` records still current after the last bar.
///
/// No look-ahead: a record reported at bar t (its `end`) is computed from bars ≤ t only. Records with status
/// `completed`, `confirmed` or `failed` are final and never revised; a later status change of the same pattern
/// is a new record with the same `id`, `type` and `start`.
public struct PatternDetector: Sendable {
    public var options: PatternOptions

    public init(options: PatternOptions = PatternOptions()) {
        self.options = options
    }

    /// All records for `bars` (ascending by `ts`): final records in the order they were reached, then the
    /// `forming` records current at the last bar.
    public func detect(bars: [Bar]) -> [PatternDetection] {
        var stream = PatternStream(options: options)
        return stream.appendFinal(bars) + stream.forming
    }

    /// Convenience for `PatternDetector(options:).detect(bars:)`.
    public static func detect(bars: [Bar], options: PatternOptions = PatternOptions()) -> [PatternDetection] {
        PatternDetector(options: options).detect(bars: bars)
    }

    /// Records for an API query: `end` within [from, to] (ms, inclusive, nil = open), type and status filters
    /// (nil = all).
    public static func filter(
        _ records: [PatternDetection], from: Int64? = nil, to: Int64? = nil, types: Set<PatternType>? = nil,
        statuses: Set<PatternStatus>? = nil
    ) -> [PatternDetection] {
        records.filter { r in
            (from.map { r.end >= $0 } ?? true) && (to.map { r.end <= $0 } ?? true)
                && (types.map { $0.contains(r.type) } ?? true) && (statuses.map { $0.contains(r.status) } ?? true)
        }
    }

    /// The latest record of each pattern (by `id`), e.g. for an API listing the current state.
    public static func latest(_ records: [PatternDetection]) -> [PatternDetection] {
        var index: [String: Int] = [:]
        var out: [PatternDetection] = []
        for r in records {
            if let k = index[r.id] {
                if r.status.rank >= out[k].status.rank { out[k] = r }
            } else {
                index[r.id] = out.count
                out.append(r)
            }
        }
        return out
    }
}

/// Streaming pattern detection: feed bars in time order; each call returns the records created at that bar
/// (new final records, and new or changed `forming` records).
public struct PatternStream: Sendable {
    var engine: PatternEngine

    public init(options: PatternOptions = PatternOptions()) {
        self.engine = PatternEngine(options: options)
    }

    /// Processes one bar and returns the records it produced. Bars not newer than the previous one, or with a
    /// non-finite, non-positive or astronomically large (above 1e100) price, are ignored (nothing is returned for
    /// them).
    public mutating func append(_ bar: Bar) -> [PatternDetection] {
        guard Self.accepts(bar, after: engine.bars.last?.ts) else { return [] }
        return engine.step(bar)
    }

    /// Whether `append` processes `bar` after a bar at `last`. Prices above `maxPrice` are refused too: sums of a
    /// few of them (averages, ATR) would overflow.
    static func accepts(_ bar: Bar, after last: Int64?) -> Bool {
        bar.open.isFinite && bar.high.isFinite && bar.low.isFinite && bar.close.isFinite && bar.close > 0
            && bar.high >= bar.low && max(bar.open, bar.high, bar.close) <= maxPrice
            && (last.map { bar.ts > $0 } ?? true)
    }

    /// The largest price the detector reads (the CSV reader and the API accept at most 1e30).
    static let maxPrice = 1e100

    /// Processes `bars` and returns only the final records they produced: batch detection in pieces (e.g. pages of
    /// a store query), with `forming` added after the last piece. Template matching scans a long piece on all
    /// cores first (same result).
    public mutating func appendFinal(_ bars: some Sequence<Bar>) -> [PatternDetection] {
        let bars = Array(bars)
        if engine.templates != nil && bars.count >= 4096 {
            var last = engine.bars.last?.ts
            var closes: [Double] = []
            var phases: [Int] = []
            for b in bars where Self.accepts(b, after: last) {
                closes.append(b.close)
                phases.append(PatternEngine.TemplateScan.phase(ts: b.ts, previous: last))
                last = b.ts
            }
            engine.templates!.prepare(closes: closes, phases: phases, firstT: engine.bars.count)
        }
        var out: [PatternDetection] = []
        for b in bars {
            for r in self.append(b) where r.status != .forming { out.append(r) }
        }
        return out
    }

    /// Forming records current after the last bar.
    public var forming: [PatternDetection] {
        engine.o.includeForming ? engine.formingByID.values.sorted { ($0.end, $0.id) < ($1.end, $1.id) } : []
    }

    /// The confirmed zigzag turning points of scale `scale` (index into `options.scales`; `options.scales.count`
    /// is the level scale), as real highs/lows.
    public func turningPoints(scale: Int = 0) -> [PatternPoint] {
        guard scale < engine.zz.count else { return [] }
        return engine.zz[scale].pivots.filter { $0.i >= engine.bars.base }.map {
            PatternPoint(ts: engine.bars[$0.i].ts, price: $0.p)
        }
    }

    /// Number of bars processed.
    public var count: Int { engine.bars.count }
}
