/// A document that does not describe a valid model value (written by a newer build, or damaged). The documents are
/// the wire shape of an alert's target, trigger and conditions (camelCase, absent members left out), shared by the
/// REST answers and the stores' JSON column so that both speak one format; channels differ (the stores keep their
/// secrets, answers never show them).
public struct AlertDocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `{"symbol"} | {"portfolio"} | {"sector"}`.
public struct AlertTargetDocument: Codable, Sendable, Equatable {
    public var symbol: String?
    public var portfolio: String?
    public var sector: String?

    public init(_ target: AlertTarget) {
        switch target {
        case .symbol(let s): self.symbol = s
        case .portfolio(let p): self.portfolio = p
        case .sector(let s): self.sector = s
        }
    }

    public func model() throws -> AlertTarget {
        if let symbol { return .symbol(symbol) }
        if let portfolio { return .portfolio(portfolio) }
        if let sector { return .sector(sector) }
        throw AlertDocumentError("a target without symbol, portfolio or sector")
    }
}

/// `{"mode", "interval"?, "cooldownSeconds"?}`.
public struct AlertTriggerDocument: Codable, Sendable, Equatable {
    public var mode: String
    public var interval: String?
    public var cooldownSeconds: Int?

    public init(_ trigger: AlertTrigger) {
        self.mode = trigger.mode
        switch trigger {
        case .once: break
        case .oncePerBar(let interval): self.interval = interval.name
        case .everyTime(let seconds): self.cooldownSeconds = seconds
        }
    }

    public func model() throws -> AlertTrigger {
        switch self.mode {
        case "once": return .once
        case "once_per_bar": return .oncePerBar(try AlertDocumentError.interval(self.interval))
        case "every_time": return .everyTime(cooldownSeconds: self.cooldownSeconds ?? 0)
        default: throw AlertDocumentError("trigger mode \(self.mode)")
        }
    }
}

extension AlertDocumentError {
    /// The interval named `name`, or an error.
    static func interval(_ name: String?) throws -> Interval {
        guard let name, let interval = Interval(name) else {
            throw AlertDocumentError("interval \(name ?? "missing")")
        }
        return interval
    }
}

/// A condition: its `type` name and the parameters it has.
public struct AlertConditionDocument: Codable, Sendable, Equatable {
    public var type: String
    public var value: Double?
    public var percent: Double?
    public var windowMinutes: Int?
    public var bars: Int?
    public var since: String?
    public var period: Int?
    public var level: Double?
    public var interval: String?
    public var fast: Int?
    public var slow: Int?
    public var average: MovingAverageKind?
    public var ratio: Double?
    public var lookback: Int?
    public var patterns: [PatternType]?
    public var status: PatternStatus?

    public init(_ condition: AlertCondition) {
        self.type = condition.typeName
        switch condition {
        case .priceAbove(let v), .priceBelow(let v), .priceCrossingUp(let v), .priceCrossingDown(let v),
            .portfolioValueAbove(let v), .portfolioValueBelow(let v):
            self.value = v
        case .percentChange(let percent, let window):
            self.percent = percent
            switch window {
            case .minutes(let m): self.windowMinutes = m
            case .bars(let n, let interval):
                self.bars = n
                self.interval = interval.name
            case .sincePreviousClose: self.since = "previous_close"
            }
        case .rsiOverbought(let period, let level, let interval), .rsiOversold(let period, let level, let interval):
            self.period = period
            self.level = level
            self.interval = interval.name
        case .goldenCross(let fast, let slow, let average, let interval),
            .deathCross(let fast, let slow, let average, let interval):
            self.fast = fast
            self.slow = slow
            self.average = average
            self.interval = interval.name
        case .volumeAnomaly(let ratio, let lookback, let interval):
            self.ratio = ratio
            self.lookback = lookback
            self.interval = interval.name
        case .pattern(let types, let status, let interval):
            self.patterns = types
            self.status = status
            self.interval = interval.name
        case .portfolioChange(let percent, let minutes), .sectorMove(let percent, let minutes):
            self.percent = percent
            self.windowMinutes = minutes
        }
    }

    public func model() throws -> AlertCondition {
        func need<T>(_ v: T?, _ name: String) throws -> T {
            guard let v else { throw AlertDocumentError("\(self.type) without \(name)") }
            return v
        }
        switch self.type {
        case "price_above": return .priceAbove(try need(self.value, "value"))
        case "price_below": return .priceBelow(try need(self.value, "value"))
        case "price_crossing_up": return .priceCrossingUp(try need(self.value, "value"))
        case "price_crossing_down": return .priceCrossingDown(try need(self.value, "value"))
        case "portfolio_value_above": return .portfolioValueAbove(try need(self.value, "value"))
        case "portfolio_value_below": return .portfolioValueBelow(try need(self.value, "value"))
        case "percent_change":
            let window: PercentWindow
            if let m = self.windowMinutes {
                window = .minutes(m)
            } else if let n = self.bars {
                window = .bars(n, try AlertDocumentError.interval(self.interval))
            } else {
                window = .sincePreviousClose
            }
            return .percentChange(percent: try need(self.percent, "percent"), window: window)
        case "rsi_overbought", "rsi_oversold":
            let (period, level) = (try need(self.period, "period"), try need(self.level, "level"))
            let interval = try AlertDocumentError.interval(self.interval)
            return self.type == "rsi_overbought"
                ? .rsiOverbought(period: period, level: level, interval: interval)
                : .rsiOversold(period: period, level: level, interval: interval)
        case "golden_cross", "death_cross":
            let (fast, slow) = (try need(self.fast, "fast"), try need(self.slow, "slow"))
            let interval = try AlertDocumentError.interval(self.interval)
            return self.type == "golden_cross"
                ? .goldenCross(fast: fast, slow: slow, average: self.average ?? .sma, interval: interval)
                : .deathCross(fast: fast, slow: slow, average: self.average ?? .sma, interval: interval)
        case "volume_anomaly":
            return .volumeAnomaly(
                ratio: try need(self.ratio, "ratio"), lookback: try need(self.lookback, "lookback"),
                interval: try AlertDocumentError.interval(self.interval))
        case "pattern":
            return .pattern(
                types: try need(self.patterns, "patterns"), status: try need(self.status, "status"),
                interval: try AlertDocumentError.interval(self.interval))
        case "portfolio_change":
            return .portfolioChange(
                percent: try need(self.percent, "percent"), windowMinutes: try need(self.windowMinutes, "windowMinutes")
            )
        case "sector_move":
            return .sectorMove(
                percent: try need(self.percent, "percent"), windowMinutes: try need(self.windowMinutes, "windowMinutes")
            )
        default: throw AlertDocumentError("condition type \(self.type)")
        }
    }
}
