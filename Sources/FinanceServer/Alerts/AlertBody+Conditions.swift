import FinanceCore

/// The conditions of an alert body: each type's parameters, their defaults and their possible values.
extension AlertBody {
    /// The longest period of an indicator condition (RSI, moving averages, volume lookback), in bars.
    static let maxPeriod = 1_000
    /// The longest minutes window (a year).
    static let maxWindowMinutes = 525_600
    /// The most bars of a `percent_change` window.
    static let maxWindowBars = 10_000

    /// The members each condition type takes, besides `type`.
    static let conditionMembers: [String: Set<String>] = [
        "price_above": ["value"], "price_below": ["value"], "price_crossing_up": ["value"],
        "price_crossing_down": ["value"], "percent_change": ["percent", "windowMinutes", "bars", "interval", "since"],
        "rsi_overbought": ["period", "level", "interval"], "rsi_oversold": ["period", "level", "interval"],
        "golden_cross": ["fast", "slow", "average", "interval"],
        "death_cross": ["fast", "slow", "average", "interval"],
        "volume_anomaly": ["ratio", "lookback", "interval"], "pattern": ["patterns", "status", "interval"],
        "portfolio_value_above": ["value"], "portfolio_value_below": ["value"],
        "portfolio_change": ["percent", "windowMinutes"], "sector_move": ["percent", "windowMinutes"],
    ]

    /// One condition at `path` (`/conditions/<i>`).
    static func condition(_ r: inout NestedReader, _ value: JSONValue, at path: [String], rules: Rules)
        -> AlertCondition?
    {
        guard let o = r.object(value, at: path) else { return nil }
        guard let type = r.string(o, "type", at: path, required: true) else { return nil }
        guard let members = Self.conditionMembers[type] else {
            r.fail(
                path + ["type"],
                "unknown condition type '\(Echo.text(type))': use one of \(AlertCondition.typeNames.joined(separator: ", "))"
            )
            return nil
        }
        r.rejectUnknown(o, known: members.union(["type"]), at: path)
        switch type {
        case "price_above", "price_below", "price_crossing_up", "price_crossing_down":
            guard let v = Self.price(&r, o, at: path) else { return nil }
            switch type {
            case "price_above": return .priceAbove(v)
            case "price_below": return .priceBelow(v)
            case "price_crossing_up": return .priceCrossingUp(v)
            default: return .priceCrossingDown(v)
            }
        case "portfolio_value_above", "portfolio_value_below":
            guard
                let v = r.number(
                    o, "value", at: path, required: true, range: 0...Validation.maxValue, rangeText: "from 0 to 1e30")
            else { return nil }
            return type == "portfolio_value_above" ? .portfolioValueAbove(v) : .portfolioValueBelow(v)
        case "percent_change": return Self.percentChange(&r, o, at: path)
        case "rsi_overbought", "rsi_oversold":
            let period = r.integer(o, "period", at: path, range: 2...Self.maxPeriod, default: 14)
            let level = r.number(
                o, "level", at: path, required: false, range: 0.000_001...99.999_999,
                rangeText: "above 0 and below 100")
            let interval = r.interval(o, "interval", at: path, required: true)
            if o["level"] != nil, level == nil { return nil }
            guard let period, let interval else { return nil }
            return type == "rsi_overbought"
                ? .rsiOverbought(period: period, level: level ?? 70, interval: interval)
                : .rsiOversold(period: period, level: level ?? 30, interval: interval)
        case "golden_cross", "death_cross": return Self.crossover(&r, o, type, at: path)
        case "volume_anomaly":
            let ratio = r.number(
                o, "ratio", at: path, required: true, range: 1.000_001...1_000, rangeText: "above 1 and at most 1000")
            let lookback = r.integer(o, "lookback", at: path, range: 2...Self.maxPeriod, default: 20)
            let interval = r.interval(o, "interval", at: path, required: true)
            guard let ratio, let lookback, let interval else { return nil }
            return .volumeAnomaly(ratio: ratio, lookback: lookback, interval: interval)
        case "pattern": return Self.pattern(&r, o, at: path, rules: rules)
        default:
            // portfolio_change, sector_move
            let percent = Self.percent(&r, o, at: path)
            let minutes = r.integer(o, "windowMinutes", at: path, range: 1...Self.maxWindowMinutes)
            guard let percent, let minutes else { return nil }
            return type == "portfolio_change"
                ? .portfolioChange(percent: percent, windowMinutes: minutes)
                : .sectorMove(percent: percent, windowMinutes: minutes)
        }
    }

    /// A price threshold: a positive price as ingestion accepts them.
    static func price(_ r: inout NestedReader, _ o: [String: JSONValue], at path: [String]) -> Double? {
        r.number(
            o, "value", at: path, required: true, range: Validation.minPrice...Validation.maxValue,
            rangeText: "a price from 1e-30 to 1e30")
    }

    /// A signed percent move: not 0, and a fall of less than 100% (prices stay positive).
    static func percent(_ r: inout NestedReader, _ o: [String: JSONValue], at path: [String]) -> Double? {
        guard
            let p = r.number(
                o, "percent", at: path, required: true, range: -99.999_999...1_000_000,
                rangeText: "a signed percent above -100 and at most 1000000")
        else { return nil }
        if p == 0 {
            r.fail(
                path + ["percent"], "percent must not be 0: give the rise (positive) or fall (negative) to watch for")
            return nil
        }
        return p
    }

    /// `percent_change`: `percent` within one window: `windowMinutes`, `bars` (with `interval`) or
    /// `since: "previous_close"`.
    static func percentChange(_ r: inout NestedReader, _ o: [String: JSONValue], at path: [String]) -> AlertCondition? {
        let percent = Self.percent(&r, o, at: path)
        let windows = ["windowMinutes", "bars", "since"].filter { o[$0] != nil }
        guard windows.count == 1, let kind = windows.first else {
            r.fail(
                path + [windows.count > 1 ? windows[1] : "windowMinutes"],
                "percent_change takes exactly one window: windowMinutes, bars (with interval) or since: previous_close")
            return nil
        }
        if kind != "bars", o["interval"] != nil {
            r.fail(path + ["interval"], "interval is only used with a window of bars")
        }
        let window: PercentWindow?
        switch kind {
        case "windowMinutes":
            window = r.integer(o, "windowMinutes", at: path, range: 1...Self.maxWindowMinutes).map(
                PercentWindow.minutes)
        case "bars":
            let bars = r.integer(o, "bars", at: path, range: 1...Self.maxWindowBars)
            let interval = r.interval(o, "interval", at: path, required: true)
            window = bars.flatMap { n in interval.map { PercentWindow.bars(n, $0) } }
        default:
            window = r.choice(o, "since", at: path, ["previous_close"]).map { _ in PercentWindow.sincePreviousClose }
        }
        guard let percent, let window else { return nil }
        return .percentChange(percent: percent, window: window)
    }

    /// `golden_cross` / `death_cross`: a fast average crossing a slower one.
    static func crossover(_ r: inout NestedReader, _ o: [String: JSONValue], _ type: String, at path: [String])
        -> AlertCondition?
    {
        let fast = r.integer(o, "fast", at: path, range: 2...Self.maxPeriod, default: 50)
        let slow = r.integer(o, "slow", at: path, range: 2...Self.maxPeriod, default: 200)
        let average = r.choice(o, "average", at: path, MovingAverageKind.allCases.map(\.rawValue), default: "sma")
            .flatMap(MovingAverageKind.init(rawValue:))
        let interval = r.interval(o, "interval", at: path, required: true)
        guard let fast, let slow, let average, let interval else { return nil }
        guard fast < slow else {
            r.fail(
                path + ["fast"],
                "fast (\(fast)) must be shorter than slow (\(slow)): an average never crosses itself or a faster one")
            return nil
        }
        return type == "golden_cross"
            ? .goldenCross(fast: fast, slow: slow, average: average, interval: interval)
            : .deathCross(fast: fast, slow: slow, average: average, interval: interval)
    }

    /// `pattern`: pattern types completing or confirming at an interval live analytics runs at.
    static func pattern(_ r: inout NestedReader, _ o: [String: JSONValue], at path: [String], rules: Rules)
        -> AlertCondition?
    {
        var types: [PatternType] = []
        if let items = r.array(
            o["patterns"], at: path + ["patterns"], count: 1...PatternType.allCases.count, required: true)
        {
            for (j, item) in items.enumerated() {
                let at = path + ["patterns", String(j)]
                guard case .string(let name) = item, let type = PatternType(rawValue: name) else {
                    let names = PatternType.allCases.map(\.rawValue).joined(separator: ", ")
                    r.fail(at, "unknown pattern type: use one of \(names)")
                    continue
                }
                if types.contains(type) { r.fail(at, "pattern type \(name) is listed twice") }
                types.append(type)
            }
        }
        let status = r.choice(o, "status", at: path, ["completed", "confirmed"]).flatMap(PatternStatus.init(rawValue:))
        let interval = r.interval(o, "interval", at: path, required: true)
        if let interval, !rules.patternIntervals.contains(interval) {
            let live = rules.patternIntervals.map(\.name).joined(separator: ", ")
            r.fail(
                path + ["interval"],
                rules.patternIntervals.isEmpty
                    ? "live pattern detection is off (analytics.intervals is none)"
                    : "patterns are detected live at \(live) (analytics.intervals), not at \(interval.name)")
            return nil
        }
        guard let status, let interval, !types.isEmpty else { return nil }
        return .pattern(types: types, status: status, interval: interval)
    }
}
