/// Errors of the indicator engine. Every message says what to fix.
public enum IndicatorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The spec string (or one item of it) is empty.
    case emptySpec
    case unknownIndicator(String)
    case wrongParameterCount(indicator: String, expectedAtMost: Int, got: Int)
    case invalidParameter(indicator: String, parameter: String, value: String, reason: String)
    case duplicateColumn(String)
    /// OHLCV columns of different lengths.
    case lengthMismatch(String)
    /// A NaN or infinite input value.
    case nonFinite(field: String, index: Int)
    /// Timestamps that do not strictly increase (index of the offending row).
    case timestampsNotIncreasing(index: Int)

    public var description: String {
        switch self {
        case .emptySpec: return "empty indicator spec"
        case .unknownIndicator(let k):
            return
                "unknown indicator '\(Echo.text(k))' (known: \(IndicatorCatalog.all.map(\.key).joined(separator: ", ")))"
        case .wrongParameterCount(let k, let max, let got):
            return "indicator '\(k)' takes at most \(max) parameter\(max == 1 ? "" : "s"), got \(got)"
        case .invalidParameter(let k, let p, let v, let reason):
            return "indicator '\(k)': parameter \(p) = '\(Echo.text(v))' \(reason)"
        case .duplicateColumn(let c): return "indicator column '\(c)' requested twice"
        case .lengthMismatch(let detail): return "OHLCV columns differ in length: \(detail)"
        case .nonFinite(let f, let i): return "\(f) at row \(i) is not a finite number"
        case .timestampsNotIncreasing(let i): return "timestamp at row \(i) is not after the previous one"
        }
    }
}

/// Every indicator the engine knows.
public enum IndicatorKind: String, CaseIterable, Sendable, Codable {
    case sma, ema, wma, dema, tema, rsi, macd, bbands, stoch, willr, atr, natr, obv, cci
    case adx
    case plusDI = "plus_di"
    case minusDI = "minus_di"
    case mfi, roc, mom, stochrsi, aroon, sar
    case keltner, donchian, vwap, ichimoku
}

/// One parameter of an indicator, as listed by the catalog.
public struct IndicatorParameterInfo: Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case integer, number }
    public var name: String
    public var kind: Kind
    public var defaultValue: Double
    /// The smallest accepted value (inclusive).
    public var minimum: Double
    /// The largest accepted value (inclusive).
    public var maximum: Double
}

/// A catalog entry: what `GET /api/indicators` serves.
public struct IndicatorInfo: Sendable, Hashable {
    public var key: String
    public var description: String
    /// The input columns used (`open`, `high`, `low`, `close`, `volume`, `timestamp`).
    public var inputs: [String]
    public var parameters: [IndicatorParameterInfo]
    /// Output column prefixes in order; the column name is `<output>_<params joined by _>`.
    public var outputs: [String]
    /// The first valid row (0-based) as a formula of the parameters.
    public var lookback: String
    /// Streaming cost per update.
    public var streamingCost: String
}

public enum IndicatorCatalog {
    /// The largest integer parameter (a period, a smoothing length) of every indicator but CCI.
    public static let maxPeriod = 100_000
    /// The largest CCI period: its mean absolute deviation is recomputed over the whole window on every bar.
    public static let maxCCIPeriod = 1_000

    /// An integer parameter (`max` defaults to `maxPeriod`).
    static func p(_ name: String, _ def: Double, min: Double, max: Double = Double(maxPeriod))
        -> IndicatorParameterInfo
    {
        IndicatorParameterInfo(name: name, kind: .integer, defaultValue: def, minimum: min, maximum: max)
    }

    /// A decimal parameter: a multiplier or a factor, bounded so that every output stays finite.
    static func number(_ name: String, _ def: Double, min: Double, max: Double) -> IndicatorParameterInfo {
        IndicatorParameterInfo(name: name, kind: .number, defaultValue: def, minimum: min, maximum: max)
    }

    static func info(_ kind: IndicatorKind) -> IndicatorInfo {
        let c = ["close"]
        let hlc = ["high", "low", "close"]
        let o1 = "O(1)"
        switch kind {
        case .sma:
            return .init(
                key: "sma", description: "Simple moving average of close", inputs: c,
                parameters: [p("period", 30, min: 2)], outputs: ["sma"], lookback: "period-1", streamingCost: o1)
        case .ema:
            return .init(
                key: "ema",
                description:
                    "Exponential moving average of close, k=2/(period+1), seeded by the SMA of the first period closes",
                inputs: c, parameters: [p("period", 30, min: 2)], outputs: ["ema"], lookback: "period-1",
                streamingCost: o1)
        case .wma:
            return .init(
                key: "wma", description: "Linearly weighted moving average of close", inputs: c,
                parameters: [p("period", 30, min: 2)], outputs: ["wma"], lookback: "period-1", streamingCost: o1)
        case .dema:
            return .init(
                key: "dema", description: "Double EMA: 2*EMA - EMA(EMA)", inputs: c,
                parameters: [p("period", 30, min: 2)], outputs: ["dema"], lookback: "2*(period-1)", streamingCost: o1)
        case .tema:
            return .init(
                key: "tema", description: "Triple EMA: 3*EMA - 3*EMA(EMA) + EMA(EMA(EMA))", inputs: c,
                parameters: [p("period", 30, min: 2)], outputs: ["tema"], lookback: "3*(period-1)", streamingCost: o1)
        case .rsi:
            return .init(
                key: "rsi", description: "Relative strength index (Wilder smoothing)", inputs: c,
                parameters: [p("period", 14, min: 2)], outputs: ["rsi"], lookback: "period", streamingCost: o1)
        case .macd:
            return .init(
                key: "macd", description: "MACD line, signal (EMA of the line) and histogram", inputs: c,
                parameters: [p("fast", 12, min: 2), p("slow", 26, min: 2), p("signal", 9, min: 1)],
                outputs: ["macd", "macd_signal", "macd_hist"], lookback: "max(fast,slow)-1 + signal-1",
                streamingCost: o1)
        case .bbands:
            return .init(
                key: "bbands", description: "Bollinger Bands: SMA ± devs × population standard deviation", inputs: c,
                parameters: [p("period", 5, min: 2), number("devs", 2, min: 0, max: 100)],
                outputs: ["bb_upper", "bb_middle", "bb_lower"], lookback: "period-1", streamingCost: o1)
        case .stoch:
            return .init(
                key: "stoch", description: "Slow stochastic: %K = SMA(fast %K, slowk), %D = SMA(%K, slowd)",
                inputs: hlc, parameters: [p("fastk", 5, min: 1), p("slowk", 3, min: 1), p("slowd", 3, min: 1)],
                outputs: ["stoch_slowk", "stoch_slowd"], lookback: "fastk-1 + slowk-1 + slowd-1",
                streamingCost: "O(1) amortised")
        case .willr:
            return .init(
                key: "willr", description: "Williams %R (-100..0)", inputs: hlc,
                parameters: [p("period", 14, min: 2)], outputs: ["willr"], lookback: "period-1",
                streamingCost: "O(1) amortised")
        case .atr:
            return .init(
                key: "atr", description: "Average true range (Wilder smoothing)", inputs: hlc,
                parameters: [p("period", 14, min: 1)], outputs: ["atr"], lookback: "period", streamingCost: o1)
        case .natr:
            return .init(
                key: "natr", description: "Normalized ATR: 100 × ATR / close", inputs: hlc,
                parameters: [p("period", 14, min: 1)], outputs: ["natr"], lookback: "period", streamingCost: o1)
        case .obv:
            return .init(
                key: "obv", description: "On-balance volume (first value: the first volume)",
                inputs: ["close", "volume"],
                parameters: [], outputs: ["obv"], lookback: "0", streamingCost: o1)
        case .cci:
            return .init(
                key: "cci", description: "Commodity channel index of the typical price, mean absolute deviation, 0.015",
                inputs: hlc, parameters: [p("period", 14, min: 2, max: Double(maxCCIPeriod))], outputs: ["cci"],
                lookback: "period-1", streamingCost: "O(period)")
        case .adx:
            return .init(
                key: "adx", description: "Average directional index (Wilder)", inputs: hlc,
                parameters: [p("period", 14, min: 2)], outputs: ["adx"], lookback: "2*period-1", streamingCost: o1)
        case .plusDI:
            return .init(
                key: "plus_di", description: "Plus directional indicator (+DI)", inputs: hlc,
                parameters: [p("period", 14, min: 2)], outputs: ["plus_di"], lookback: "period", streamingCost: o1)
        case .minusDI:
            return .init(
                key: "minus_di", description: "Minus directional indicator (-DI)", inputs: hlc,
                parameters: [p("period", 14, min: 2)], outputs: ["minus_di"], lookback: "period", streamingCost: o1)
        case .mfi:
            return .init(
                key: "mfi", description: "Money flow index", inputs: hlc + ["volume"],
                parameters: [p("period", 14, min: 2)], outputs: ["mfi"], lookback: "period", streamingCost: o1)
        case .roc:
            return .init(
                key: "roc", description: "Rate of change: (close/close[period ago] - 1) × 100", inputs: c,
                parameters: [p("period", 10, min: 1)], outputs: ["roc"], lookback: "period", streamingCost: o1)
        case .mom:
            return .init(
                key: "mom", description: "Momentum: close - close[period ago]", inputs: c,
                parameters: [p("period", 10, min: 1)], outputs: ["mom"], lookback: "period", streamingCost: o1)
        case .stochrsi:
            return .init(
                key: "stochrsi", description: "Fast stochastic of RSI(period): %K over fastk, %D = SMA(%K, fastd)",
                inputs: c, parameters: [p("period", 14, min: 2), p("fastk", 5, min: 1), p("fastd", 3, min: 1)],
                outputs: ["stochrsi_fastk", "stochrsi_fastd"], lookback: "period + fastk-1 + fastd-1",
                streamingCost: "O(1) amortised")
        case .aroon:
            return .init(
                key: "aroon", description: "Aroon down and up over period+1 bars", inputs: ["high", "low"],
                parameters: [p("period", 14, min: 2)], outputs: ["aroon_down", "aroon_up"], lookback: "period",
                streamingCost: "O(1) amortised")
        case .sar:
            return .init(
                key: "sar", description: "Parabolic SAR", inputs: ["high", "low"],
                parameters: [number("acceleration", 0.02, min: 0, max: 1), number("maximum", 0.2, min: 0, max: 1)],
                outputs: ["sar"], lookback: "1", streamingCost: o1)
        case .keltner:
            return .init(
                key: "keltner", description: "Keltner channels: EMA(close, period) ± mult × ATR(atr_period)",
                inputs: hlc,
                parameters: [
                    p("period", 20, min: 2), p("atr_period", 10, min: 1), number("mult", 2, min: 0, max: 100),
                ],
                outputs: ["keltner_upper", "keltner_middle", "keltner_lower"], lookback: "max(period-1, atr_period)",
                streamingCost: o1)
        case .donchian:
            return .init(
                key: "donchian", description: "Donchian channels: highest high, midpoint, lowest low",
                inputs: ["high", "low"],
                parameters: [p("period", 20, min: 1)],
                outputs: ["donchian_upper", "donchian_middle", "donchian_lower"],
                lookback: "period-1", streamingCost: "O(1) amortised")
        case .vwap:
            return .init(
                key: "vwap",
                description: "VWAP of the typical price, reset at 00:00 UTC (missing while the day's volume is 0)",
                inputs: ["timestamp"] + hlc + ["volume"], parameters: [], outputs: ["vwap"], lookback: "0",
                streamingCost: o1)
        case .ichimoku:
            return .init(
                key: "ichimoku", description: "Ichimoku lines, written on the row where computed (no forward shift)",
                inputs: ["high", "low"],
                parameters: [p("tenkan", 9, min: 1), p("kijun", 26, min: 1), p("senkou_b", 52, min: 1)],
                outputs: ["ichimoku_tenkan", "ichimoku_kijun", "ichimoku_span_a", "ichimoku_span_b"],
                lookback: "tenkan-1, kijun-1, max(tenkan,kijun)-1, senkou_b-1 (per output)",
                streamingCost: "O(1) amortised")
        }
    }

    /// Every indicator, in catalog order.
    public static let all: [IndicatorInfo] = IndicatorKind.allCases.map(info)

    public static func info(forKey key: String) -> IndicatorInfo? {
        IndicatorKind(rawValue: key).map(info)
    }
}

func indTrimmed(_ s: Substring) -> String {
    var t = s
    while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
    while let l = t.last, l == " " || l == "\t" { t.removeLast() }
    return String(t)
}

/// One requested indicator with all its parameters (defaults filled in).
public struct IndicatorSpec: Hashable, Sendable, CustomStringConvertible {
    public let kind: IndicatorKind
    public let parameters: [Double]

    /// Creates a spec; `parameters` may omit trailing parameters (defaults are used).
    public init(_ kind: IndicatorKind, _ parameters: [Double] = []) throws {
        let info = IndicatorCatalog.info(kind)
        guard parameters.count <= info.parameters.count else {
            throw IndicatorError.wrongParameterCount(
                indicator: info.key, expectedAtMost: info.parameters.count, got: parameters.count)
        }
        var values: [Double] = []
        for (i, p) in info.parameters.enumerated() {
            let v = i < parameters.count ? parameters[i] : p.defaultValue
            try Self.check(v, p, info.key, text: IndicatorSpec.format(v))
            values.append(v)
        }
        self.kind = kind
        self.parameters = values
    }

    static func check(_ v: Double, _ p: IndicatorParameterInfo, _ key: String, text: String) throws {
        guard v.isFinite else {
            throw IndicatorError.invalidParameter(
                indicator: key, parameter: p.name, value: text, reason: "is not a finite number")
        }
        if p.kind == .integer && (v.rounded() != v || abs(v) > 1e9) {
            throw IndicatorError.invalidParameter(
                indicator: key, parameter: p.name, value: text, reason: "must be an integer")
        }
        if v < p.minimum {
            throw IndicatorError.invalidParameter(
                indicator: key, parameter: p.name, value: text, reason: "must be ≥ \(IndicatorSpec.format(p.minimum))")
        }
        if v > p.maximum {
            throw IndicatorError.invalidParameter(
                indicator: key, parameter: p.name, value: text, reason: "must be ≤ \(IndicatorSpec.format(p.maximum))")
        }
    }

    /// Parses one item such as `macd:12:26:9` or `obv`.
    public static func parseOne(_ text: String) throws -> IndicatorSpec {
        let item = indTrimmed(Substring(text))
        guard !item.isEmpty else { throw IndicatorError.emptySpec }
        let parts = item.split(separator: ":", omittingEmptySubsequences: false).map { indTrimmed($0) }
        let key = parts[0].lowercased()
        guard let kind = IndicatorKind(rawValue: key) else { throw IndicatorError.unknownIndicator(parts[0]) }
        let info = IndicatorCatalog.info(kind)
        let raw = Array(parts.dropFirst())
        guard raw.count <= info.parameters.count else {
            throw IndicatorError.wrongParameterCount(
                indicator: key, expectedAtMost: info.parameters.count, got: raw.count)
        }
        var values: [Double] = []
        for (i, s) in raw.enumerated() {
            let p = info.parameters[i]
            let v: Double?
            switch p.kind {
            case .integer: v = Int(s).map(Double.init)
            // Decimal text only, as in the API's JSON: never hexadecimal, `inf` or `nan`.
            case .number: v = FastNumber.double(s)
            }
            guard let v else {
                throw IndicatorError.invalidParameter(
                    indicator: key, parameter: p.name, value: s,
                    reason: p.kind == .integer ? "must be an integer" : "must be a number")
            }
            try check(v, p, key, text: s)
            values.append(v)
        }
        return try IndicatorSpec(kind, values)
    }

    /// Parses a comma-separated list such as `sma:20,ema:20,rsi:14,macd:12:26:9,obv`.
    public static func parse(_ text: String) throws -> [IndicatorSpec] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        var specs: [IndicatorSpec] = []
        var seen: Set<String> = []
        for item in items {
            let spec = try parseOne(String(item))
            for c in spec.columnNames where !seen.insert(c).inserted { throw IndicatorError.duplicateColumn(c) }
            specs.append(spec)
        }
        return specs
    }

    /// Formats a parameter for a column name: integers without a fraction, others shortest round-trip.
    public static func format(_ v: Double) -> String {
        if v.rounded() == v && abs(v) < 1e15 { return String(Int64(v)) }
        return v.description
    }

    public var info: IndicatorInfo { IndicatorCatalog.info(kind) }

    /// `sma:20`, `obv`, `bbands:20:2`.
    public var description: String {
        ([kind.rawValue] + parameters.map(Self.format)).joined(separator: ":")
    }

    /// Output column names, e.g. `["macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"]`.
    public var columnNames: [String] {
        let suffix = parameters.map(Self.format).joined(separator: "_")
        return info.outputs.map { suffix.isEmpty ? $0 : "\($0)_\(suffix)" }
    }

    /// Integer parameter `i` (0 for a decimal one). Never traps: `init` bounds every parameter, and a value that is
    /// not an integer (the decimals of `sar`) converts to 0 instead of trapping.
    @inline(__always) func int(_ i: Int) -> Int { i < parameters.count ? Int(exactly: parameters[i]) ?? 0 : 0 }

    /// The work of this spec per bar, in window steps: the period for CCI (its mean absolute deviation around the
    /// window's current mean takes a pass over the window on every bar), one per output column for the others (their
    /// updates are O(1) or amortised O(1)). `bars × Σ costPerBar` bounds the time a computation takes.
    public var costPerBar: Int { kind == .cci ? int(0) : info.outputs.count }

    /// The first valid row of each output (0-based).
    public var lookbacks: [Int] {
        let one: Int
        switch kind {
        case .sma, .ema, .wma, .willr, .cci, .donchian: one = int(0) - 1
        case .dema: one = 2 * (int(0) - 1)
        case .tema: one = 3 * (int(0) - 1)
        case .rsi, .atr, .natr, .plusDI, .minusDI, .mfi, .roc, .mom, .aroon: one = int(0)
        case .macd: one = max(int(0), int(1)) - 1 + int(2) - 1
        case .bbands: one = int(0) - 1
        case .stoch: one = int(0) - 1 + int(1) - 1 + int(2) - 1
        case .obv, .vwap: one = 0
        case .adx: one = 2 * int(0) - 1
        case .stochrsi: one = int(0) + int(1) - 1 + int(2) - 1
        case .sar: one = 1
        case .keltner: one = max(int(0) - 1, int(1))
        case .ichimoku:
            return [int(0) - 1, int(1) - 1, max(int(0), int(1)) - 1, int(2) - 1]
        }
        return Array(repeating: one, count: info.outputs.count)
    }

    /// The first row at which every output is valid.
    public var lookback: Int { lookbacks.max() ?? 0 }
}
