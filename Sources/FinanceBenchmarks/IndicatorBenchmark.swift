import FinanceCore

/// Timing of the batch and streaming engines (for `financehub bench indicators`).
public enum IndicatorBenchmark {
    /// The ten core indicators with the parameters `scripts/talib_bench.py` uses, in order.
    public static let coreSpecs =
        "sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,stoch:14:3:3,willr:14,atr:14,obv,cci:20"
    /// The other indicators (catalog defaults unless the example gave parameters).
    public static let extraSpecs =
        "wma:20,dema:20,tema:20,adx:14,plus_di:14,minus_di:14,mfi:14,roc:10,mom:10,stochrsi:14:5:3,natr:14,"
        + "aroon:14,sar:0.02:0.2,keltner:20:10:2,donchian:20,vwap,ichimoku:9:26:52"

    /// Keys of the ten core indicators (their sum is reported as `sum10`).
    public static let coreKeys = ["sma", "ema", "rsi", "macd", "bbands", "stoch", "willr", "atr", "obv", "cci"]

    /// Best-of-`repetitions` batch time per bar of every indicator (core ten first, then the extras),
    /// keyed by indicator key (`sma`, `macd`, …). Includes allocating the output columns.
    public static func run(series: OHLCVSeries, repetitions: Int = 5) -> [(key: String, nsPerBar: Double)] {
        let specs = (try? IndicatorSpec.parse(coreSpecs + "," + extraSpecs)) ?? []
        let n = max(series.count, 1)
        var sink = 0.0
        var results: [(key: String, nsPerBar: Double)] = []
        let clock = ContinuousClock()
        for spec in specs {
            var best = Duration.seconds(1_000_000)
            for _ in 0..<max(repetitions, 1) {
                let start = clock.now
                let cols = IndicatorEngine.columns(spec, series)
                let elapsed = clock.now - start
                if let last = cols.last?.last, !last.isNaN { sink += last }
                best = min(best, elapsed)
            }
            results.append((spec.kind.rawValue, nanoseconds(best) / Double(n)))
        }
        blackHole(sink)
        return results
    }

    /// Sum of the ten core indicators' ns/bar in `results`.
    public static func sum10(_ results: [(key: String, nsPerBar: Double)]) -> Double {
        results.filter { coreKeys.contains($0.key) }.reduce(0) { $0 + $1.nsPerBar }
    }

    /// Nanoseconds to append one closed bar to a stream of the ten core indicators (at most `maxBars`
    /// bars of `series` per repetition). After 64 warm-up bars, the stream is timed in blocks of 1,024 updates (of
    /// every bar left, when fewer) and the fastest block over all repetitions is reported: on a shared machine a
    /// whole-run time mostly measures preemption, a short block usually runs undisturbed. 0 for an empty series.
    public static func runStreaming(series: OHLCVSeries, repetitions: Int = 5, maxBars: Int = 200_000) -> Double {
        let specs = (try? IndicatorSpec.parse(coreSpecs)) ?? []
        let n = min(series.count, maxBars)
        guard n > 0 else { return 0 }
        let bars = Array(series.bars.prefix(n))
        let clock = ContinuousClock()
        // The first 64 bars (the longest lookback is 33) warm the stream up untimed, unless there are no more; at
        // least one block is always timed.
        let warmUp = n > 64 ? 64 : 0
        let block = min(1024, n - warmUp)
        var best = Duration.seconds(1_000_000)
        var sink = 0.0
        for _ in 0..<max(repetitions, 1) {
            let stream = IndicatorStream(specs)
            for j in 0..<warmUp {
                try? stream.push(bars[j], isClosed: true)
                sink += stream[0]
            }
            var i = warmUp
            while i + block <= n {
                let start = clock.now
                for j in i..<(i + block) {
                    try? stream.push(bars[j], isClosed: true)
                    sink += stream[0]
                }
                best = min(best, clock.now - start)
                i += block
            }
        }
        blackHole(sink)
        return nanoseconds(best) / Double(block)
    }

    /// Lines `<key> <ns_per_bar> ns/bar`, then `sum10 <ns> ns/bar` (the format `scripts/talib_bench.py` reads).
    public static func report(_ results: [(key: String, nsPerBar: Double)]) -> String {
        var lines = results.map { "\($0.key) \(format($0.nsPerBar)) ns/bar" }
        lines.append("sum10 \(format(sum10(results))) ns/bar")
        return lines.joined(separator: "\n")
    }

    static func format(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r.description
    }

    static func nanoseconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1e9 + Double(c.attoseconds) / 1e9
    }

    @inline(never) static func blackHole(_ x: Double) {
        if x == 0.123456789 { print("") }
    }
}
