import FinanceCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The stored text of an alert's definition (target, conditions, combine, trigger, channels with their secrets,
/// message) and of a delivery's channel: JSON in the wire's shape, so an operator can read a row. The SQLite and
/// PostgreSQL stores keep it in one column; the fields the stores query (owner, enabled, times) have columns.
public enum AlertStoredForm {
    /// The JSON of `alert`'s definition.
    public static func definition(of alert: Alert) -> String {
        let stored = Definition(
            target: Target(alert.target), conditions: alert.conditions.map(Condition.init), combine: alert.combine,
            trigger: Trigger(alert.trigger), channels: alert.channels.map(Channel.init), message: alert.message)
        return Self.encode(stored)
    }

    /// Sets `alert`'s definition from `text` (written by `definition(of:)`); throws `StorageError.backend` for text
    /// this build cannot read.
    public static func apply(definition text: String, to alert: inout Alert) throws {
        let stored = try Self.decode(Definition.self, text)
        alert.target = try stored.target.value()
        alert.conditions = try stored.conditions.map { try $0.value() }
        alert.combine = stored.combine
        alert.trigger = try stored.trigger.value()
        alert.channels = try stored.channels.map { try $0.value() }
        alert.message = stored.message
    }

    /// The JSON of one channel, with its secret.
    public static func channel(_ channel: AlertChannel) -> String { Self.encode(Channel(channel)) }

    /// The channel `text` (written by `channel(_:)`) holds.
    public static func channel(from text: String) throws -> AlertChannel {
        try Self.decode(Channel.self, text).value()
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every member is a string, a finite number or a list of them: encoding cannot fail.
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StorageError.backend("a stored alert is unreadable: \(error)")
        }
    }

    static func unreadable(_ what: String) -> StorageError {
        StorageError.backend("a stored alert is unreadable: \(what)")
    }

    private struct Definition: Codable {
        var target: Target
        var conditions: [Condition]
        var combine: AlertCombine
        var trigger: Trigger
        var channels: [Channel]
        var message: String?
    }

    private struct Target: Codable {
        var symbol: String?
        var portfolio: String?
        var sector: String?

        init(_ target: AlertTarget) {
            switch target {
            case .symbol(let s): self.symbol = s
            case .portfolio(let p): self.portfolio = p
            case .sector(let s): self.sector = s
            }
        }

        func value() throws -> AlertTarget {
            if let symbol { return .symbol(symbol) }
            if let portfolio { return .portfolio(portfolio) }
            if let sector { return .sector(sector) }
            throw AlertStoredForm.unreadable("a target without symbol, portfolio or sector")
        }
    }

    private struct Trigger: Codable {
        var mode: String
        var interval: String?
        var cooldownSeconds: Int?

        init(_ trigger: AlertTrigger) {
            self.mode = trigger.mode
            switch trigger {
            case .once: break
            case .oncePerBar(let interval): self.interval = interval.name
            case .everyTime(let seconds): self.cooldownSeconds = seconds
            }
        }

        func value() throws -> AlertTrigger {
            switch self.mode {
            case "once": return .once
            case "once_per_bar": return .oncePerBar(try AlertStoredForm.interval(self.interval))
            case "every_time": return .everyTime(cooldownSeconds: self.cooldownSeconds ?? 0)
            default: throw AlertStoredForm.unreadable("trigger mode \(self.mode)")
            }
        }
    }

    static func interval(_ name: String?) throws -> Interval {
        guard let name, let interval = Interval(name) else { throw unreadable("interval \(name ?? "missing")") }
        return interval
    }

    private struct Channel: Codable {
        var type: String
        var url: String?
        var secret: String?
        var to: String?
        var format: PushFormat?
        var token: String?

        init(_ channel: AlertChannel) {
            self.type = channel.typeName
            switch channel {
            case .websocket: break
            case .webhook(let url, let secret):
                self.url = url
                self.secret = secret
            case .email(let to): self.to = to
            case .push(let url, let format, let token):
                self.url = url
                self.format = format
                self.token = token
            }
        }

        func value() throws -> AlertChannel {
            switch self.type {
            case "websocket": return .websocket
            case "webhook":
                guard let url, let secret else { throw AlertStoredForm.unreadable("a webhook without url or secret") }
                return .webhook(url: url, secret: secret)
            case "email":
                guard let to else { throw AlertStoredForm.unreadable("an email channel without an address") }
                return .email(to: to)
            case "push":
                guard let url, let format else { throw AlertStoredForm.unreadable("a push channel without url") }
                return .push(url: url, format: format, token: self.token)
            default: throw AlertStoredForm.unreadable("channel type \(self.type)")
            }
        }
    }

    /// A condition in the wire's shape: its type name and the parameters it has.
    private struct Condition: Codable {
        var type: String
        var value: Double?
        var percent: Double?
        var windowMinutes: Int?
        var bars: Int?
        var since: String?
        var period: Int?
        var level: Double?
        var interval: String?
        var fast: Int?
        var slow: Int?
        var average: MovingAverageKind?
        var ratio: Double?
        var lookback: Int?
        var patterns: [PatternType]?
        var status: PatternStatus?

        init(_ condition: AlertCondition) {
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

        func value() throws -> AlertCondition {
            func need<T>(_ v: T?, _ name: String) throws -> T {
                guard let v else { throw AlertStoredForm.unreadable("\(self.type) without \(name)") }
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
                    window = .bars(n, try AlertStoredForm.interval(self.interval))
                } else {
                    window = .sincePreviousClose
                }
                return .percentChange(percent: try need(self.percent, "percent"), window: window)
            case "rsi_overbought", "rsi_oversold":
                let (p, l, i) = (try need(self.period, "period"), try need(self.level, "level"), self.interval)
                let interval = try AlertStoredForm.interval(i)
                return self.type == "rsi_overbought"
                    ? .rsiOverbought(period: p, level: l, interval: interval)
                    : .rsiOversold(period: p, level: l, interval: interval)
            case "golden_cross", "death_cross":
                let (f, s, a) = (try need(self.fast, "fast"), try need(self.slow, "slow"), self.average ?? .sma)
                let interval = try AlertStoredForm.interval(self.interval)
                return self.type == "golden_cross"
                    ? .goldenCross(fast: f, slow: s, average: a, interval: interval)
                    : .deathCross(fast: f, slow: s, average: a, interval: interval)
            case "volume_anomaly":
                return .volumeAnomaly(
                    ratio: try need(self.ratio, "ratio"), lookback: try need(self.lookback, "lookback"),
                    interval: try AlertStoredForm.interval(self.interval))
            case "pattern":
                return .pattern(
                    types: try need(self.patterns, "patterns"), status: try need(self.status, "status"),
                    interval: try AlertStoredForm.interval(self.interval))
            case "portfolio_change":
                return .portfolioChange(
                    percent: try need(self.percent, "percent"), windowMinutes: try need(self.windowMinutes, "window"))
            case "sector_move":
                return .sectorMove(
                    percent: try need(self.percent, "percent"), windowMinutes: try need(self.windowMinutes, "window"))
            default: throw AlertStoredForm.unreadable("condition type \(self.type)")
            }
        }
    }
}
