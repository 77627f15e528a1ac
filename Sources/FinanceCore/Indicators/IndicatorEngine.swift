/// OHLCV columns (one row per bar, oldest first), validated: equal lengths, finite values, strictly
/// increasing timestamps.
public struct OHLCVSeries: Sendable {
    /// Bar start times in milliseconds since the epoch (UTC). Needed by VWAP.
    public let timestamps: [Int64]
    public let open: [Double]
    public let high: [Double]
    public let low: [Double]
    public let close: [Double]
    public let volume: [Double]

    public var count: Int { close.count }

    /// Throws `IndicatorError.lengthMismatch`, `.nonFinite` or `.timestampsNotIncreasing`.
    public init(
        timestamps: [Int64], open: [Double], high: [Double], low: [Double], close: [Double], volume: [Double]
    ) throws {
        let n = close.count
        let lengths = [
            ("timestamp", timestamps.count), ("open", open.count), ("high", high.count), ("low", low.count),
            ("volume", volume.count),
        ]
        for (name, c) in lengths where c != n {
            throw IndicatorError.lengthMismatch("\(name) has \(c) rows, close has \(n)")
        }
        for (name, col) in [("open", open), ("high", high), ("low", low), ("close", close), ("volume", volume)] {
            if let i = col.firstIndex(where: { !$0.isFinite }) { throw IndicatorError.nonFinite(field: name, index: i) }
        }
        if n > 1 {
            for i in 1..<n where timestamps[i] <= timestamps[i - 1] {
                throw IndicatorError.timestampsNotIncreasing(index: i)
            }
        }
        self.timestamps = timestamps
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    /// Columns from bars (same validation).
    public init(bars: [Bar]) throws {
        try self.init(
            timestamps: bars.map(\.ts), open: bars.map(\.open), high: bars.map(\.high), low: bars.map(\.low),
            close: bars.map(\.close), volume: bars.map(\.volume))
    }

    /// The rows as bars, oldest first.
    public var bars: [Bar] { (0..<self.count).map(self.bar) }

    @inline(__always) func bar(_ i: Int) -> Bar {
        Bar(ts: timestamps[i], open: open[i], high: high[i], low: low[i], close: close[i], volume: volume[i])
    }
}

/// One output column. Warm-up (and otherwise undefined) rows are `Double.nan` in `values`;
/// `optionalValues` gives the same column as output carries it: `nil` for them, and ±infinity clamped to the largest
/// finite double (bounded parameters over bars within the value limits never produce one; JSON cannot carry it).
public struct IndicatorColumn: Sendable {
    public let name: String
    public let values: [Double]

    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }

    public var optionalValues: [Double?] { values.map(\.jsonFinite) }

    /// `optionalValues` of the rows in `rows` only.
    public func optionalValues(_ rows: Range<Int>) -> [Double?] { values[rows].map(\.jsonFinite) }
}

/// The batch engine.
public enum IndicatorEngine {
    /// Computes every spec on `series`; columns come in spec order, then output order.
    public static func compute(_ specs: [IndicatorSpec], on series: OHLCVSeries) -> [IndicatorColumn] {
        var out: [IndicatorColumn] = []
        for spec in specs {
            let cols = columns(spec, series)
            for (name, values) in zip(spec.columnNames, cols) {
                out.append(IndicatorColumn(name: name, values: values))
            }
        }
        return out
    }

    /// Parses `specs` (see `IndicatorSpec.parse`) and computes them.
    public static func compute(_ specs: String, on series: OHLCVSeries) throws -> [IndicatorColumn] {
        compute(try IndicatorSpec.parse(specs), on: series)
    }

    /// The output arrays of one spec.
    public static func columns(_ spec: IndicatorSpec, _ s: OHLCVSeries) -> [[Double]] {
        // Integer parameters only: decimals (sar's, bbands' devs, keltner's mult) are read as doubles.
        let d = spec.parameters
        let i0 = spec.int(0)
        switch spec.kind {
        case .sma: return [BatchKernels.sma(s.close, i0)]
        case .ema: return [BatchKernels.ema(s.close, i0)]
        case .wma: return [BatchKernels.wma(s.close, i0)]
        case .dema: return [BatchKernels.multiEMA(s.close, i0, depth: 2)]
        case .tema: return [BatchKernels.multiEMA(s.close, i0, depth: 3)]
        case .rsi: return [BatchKernels.rsi(s.close, i0)]
        case .macd: return BatchKernels.macd(s.close, i0, spec.int(1), spec.int(2))
        case .bbands: return BatchKernels.bbands(s.close, i0, d[1])
        case .stoch: return BatchKernels.stoch(s.high, s.low, s.close, i0, spec.int(1), spec.int(2))
        case .willr: return [BatchKernels.willr(s.high, s.low, s.close, i0)]
        case .atr: return [BatchKernels.atr(s.high, s.low, s.close, i0)]
        case .natr: return [BatchKernels.natr(s.high, s.low, s.close, i0)]
        case .obv: return [BatchKernels.obv(s.close, s.volume)]
        case .cci: return [BatchKernels.cci(s.high, s.low, s.close, i0)]
        case .adx: return run(ADXKernel(i0), s, 1)
        case .plusDI: return run(DIKernel(i0, plus: true), s, 1)
        case .minusDI: return run(DIKernel(i0, plus: false), s, 1)
        case .mfi: return [BatchKernels.mfi(s.high, s.low, s.close, s.volume, i0)]
        case .roc: return [BatchKernels.change(s.close, i0, ratio: true)]
        case .mom: return [BatchKernels.change(s.close, i0, ratio: false)]
        case .stochrsi: return BatchKernels.stochrsi(s.close, i0, spec.int(1), spec.int(2))
        case .aroon: return BatchKernels.aroon(s.high, s.low, i0)
        case .sar: return [BatchKernels.sar(s.high, s.low, d[0], d[1])]
        case .keltner: return BatchKernels.keltner(s.high, s.low, s.close, i0, spec.int(1), d[2])
        case .donchian: return BatchKernels.donchian(s.high, s.low, i0)
        case .vwap: return run(VWAPKernel(), s, 1)
        case .ichimoku: return BatchKernels.ichimoku(s.high, s.low, i0, spec.int(1), spec.int(2))
        }
    }

    /// Runs a streaming kernel over the whole series (every bar committed).
    @inline(__always)
    static func run<K: IndicatorKernel>(_ kernel: K, _ s: OHLCVSeries, _ outputs: Int) -> [[Double]] {
        var k = kernel
        let n = s.count
        var flat = [Double](repeating: .nan, count: n * outputs)
        s.timestamps.withUnsafeBufferPointer { ts in
            s.open.withUnsafeBufferPointer { o in
                s.high.withUnsafeBufferPointer { h in
                    s.low.withUnsafeBufferPointer { l in
                        s.close.withUnsafeBufferPointer { c in
                            s.volume.withUnsafeBufferPointer { v in
                                flat.withUnsafeMutableBufferPointer { out in
                                    for i in 0..<n {
                                        let bar = Bar(
                                            ts: ts[i], open: o[i], high: h[i], low: l[i], close: c[i], volume: v[i])
                                        let r = k.step(bar, commit: true)
                                        out[i] = r[0]
                                        if outputs > 1 {
                                            for j in 1..<outputs { out[j * n + i] = r[j] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if outputs == 1 { return [flat] }
        return (0..<outputs).map { Array(flat[($0 * n)..<(($0 + 1) * n)]) }
    }
}

/// Formatting of indicator values for CSV / JSON output.
public enum IndicatorFormat {
    /// Shortest round-trip text of `x` (Swift's `Double.description`: `100.0`, `1e-05`, `0.1234`), or `""`
    /// for a missing value; ±infinity is clamped to the largest finite double (`1.7976931348623157e+308`), as in
    /// JSON. Every non-empty result is a finite number that parses back to the same Double with `Double(_:)`,
    /// Python's `float()` and JSON parsers.
    public static func csv(_ x: Double) -> String { x.jsonFinite?.description ?? "" }
}
