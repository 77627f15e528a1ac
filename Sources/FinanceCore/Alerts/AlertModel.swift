/// A user's alert: what it watches (`target`), when it fires (`conditions` combined by `combine`, with `trigger`
/// deciding how often), and where it notifies (`channels`). Times are ms since the epoch.
public struct Alert: Hashable, Sendable {
    /// A string id, unique across the database.
    public var id: String
    /// The owning user's name.
    public var owner: String
    public var name: String
    public var target: AlertTarget
    public var conditions: [AlertCondition]
    public var combine: AlertCombine
    public var trigger: AlertTrigger
    public var expiresAt: Int64?
    /// Set by the owner; a runaway stop also clears it and records `disabledReason`.
    public var enabled: Bool
    public var channels: [AlertChannel]
    /// A mustache template for the notification's `message` (placeholders `{{symbol}}`, `{{price}}`,
    /// `{{condition}}`, `{{time}}`, `{{value}}`, `{{name}}`); nil for the default message.
    public var message: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Set when a `once` alert fired (state `triggered`).
    public var triggeredAt: Int64?
    /// Why the alert is disabled when the server disabled it (runaway stop), nil when its owner did.
    public var disabledReason: String?

    public init(
        id: String, owner: String, name: String, target: AlertTarget, conditions: [AlertCondition],
        combine: AlertCombine = .all, trigger: AlertTrigger = .once, expiresAt: Int64? = nil, enabled: Bool = true,
        channels: [AlertChannel] = [.websocket], message: String? = nil, createdAt: Int64, updatedAt: Int64? = nil,
        triggeredAt: Int64? = nil, disabledReason: String? = nil
    ) {
        self.id = id
        self.owner = owner
        self.name = name
        self.target = target
        self.conditions = conditions
        self.combine = combine
        self.trigger = trigger
        self.expiresAt = expiresAt
        self.enabled = enabled
        self.channels = channels
        self.message = message
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.triggeredAt = triggeredAt
        self.disabledReason = disabledReason
    }

    /// The alert's state at `now`: `disabled` wins, then `triggered`, then `expired`, else `active`.
    public func state(now: Int64) -> AlertState {
        if !self.enabled { return .disabled }
        if self.triggeredAt != nil, self.trigger == .once { return .triggered }
        if let expiresAt = self.expiresAt, expiresAt <= now { return .expired }
        return .active
    }
}

/// What an alert watches.
public enum AlertTarget: Hashable, Sendable {
    case symbol(String)
    /// A portfolio id (the owner's).
    case portfolio(String)
    /// A sector name (assets' `sector`, "Crypto" and "Currencies" for crypto and FX without one).
    case sector(String)
}

/// How several conditions combine.
public enum AlertCombine: String, Hashable, Sendable, Codable, CaseIterable {
    case all, any
}

/// How often an alert fires.
public enum AlertTrigger: Hashable, Sendable {
    /// Fires once, then the alert is `triggered`.
    case once
    /// Fires at most once per bar of `interval`.
    case oncePerBar(Interval)
    /// Fires every time its conditions become true, at most once per `cooldownSeconds`.
    case everyTime(cooldownSeconds: Int)

    /// The wire name: `once`, `once_per_bar`, `every_time`.
    public var mode: String {
        switch self {
        case .once: "once"
        case .oncePerBar: "once_per_bar"
        case .everyTime: "every_time"
        }
    }
}

/// An alert's state as shown to its owner.
public enum AlertState: String, Hashable, Sendable, Codable, CaseIterable {
    case active, triggered, expired, disabled
}

/// Which moving average a crossover condition uses.
public enum MovingAverageKind: String, Hashable, Sendable, Codable, CaseIterable {
    case sma, ema
}

/// The window of a `percent_change` condition.
public enum PercentWindow: Hashable, Sendable {
    case minutes(Int)
    case bars(Int, Interval)
    case sincePreviousClose
}

/// One condition of an alert; the wire `type` is `typeName`.
public enum AlertCondition: Hashable, Sendable {
    case priceAbove(Double)
    case priceBelow(Double)
    case priceCrossingUp(Double)
    case priceCrossingDown(Double)
    /// Signed percent: positive fires on a rise of at least `percent`, negative on a fall of at least |percent|.
    case percentChange(percent: Double, window: PercentWindow)
    case rsiOverbought(period: Int, level: Double, interval: Interval)
    case rsiOversold(period: Int, level: Double, interval: Interval)
    case goldenCross(fast: Int, slow: Int, average: MovingAverageKind, interval: Interval)
    case deathCross(fast: Int, slow: Int, average: MovingAverageKind, interval: Interval)
    /// The closing bar's volume is at least `ratio` × the mean volume of the previous `lookback` bars.
    case volumeAnomaly(ratio: Double, lookback: Int, interval: Interval)
    case pattern(types: [PatternType], status: PatternStatus, interval: Interval)
    case portfolioValueAbove(Double)
    case portfolioValueBelow(Double)
    case portfolioChange(percent: Double, windowMinutes: Int)
    case sectorMove(percent: Double, windowMinutes: Int)

    /// The wire type name, for example `price_crossing_up`.
    public var typeName: String {
        switch self {
        case .priceAbove: "price_above"
        case .priceBelow: "price_below"
        case .priceCrossingUp: "price_crossing_up"
        case .priceCrossingDown: "price_crossing_down"
        case .percentChange: "percent_change"
        case .rsiOverbought: "rsi_overbought"
        case .rsiOversold: "rsi_oversold"
        case .goldenCross: "golden_cross"
        case .deathCross: "death_cross"
        case .volumeAnomaly: "volume_anomaly"
        case .pattern: "pattern"
        case .portfolioValueAbove: "portfolio_value_above"
        case .portfolioValueBelow: "portfolio_value_below"
        case .portfolioChange: "portfolio_change"
        case .sectorMove: "sector_move"
        }
    }

    /// Every wire type name.
    public static let typeNames = [
        "price_above", "price_below", "price_crossing_up", "price_crossing_down", "percent_change", "rsi_overbought",
        "rsi_oversold", "golden_cross", "death_cross", "volume_anomaly", "pattern", "portfolio_value_above",
        "portfolio_value_below", "portfolio_change", "sector_move",
    ]
}

/// Where an alert notifies. Secrets (`secret`, `token`) are stored but never shown.
public enum AlertChannel: Hashable, Sendable {
    /// The owner's WebSocket connections (`alerts` channel), on any instance.
    case websocket
    /// HTTP POST of the notification JSON, signed with HMAC-SHA256 over "<timestamp>.<body>" with `secret`.
    case webhook(url: String, secret: String)
    /// Mail to `to` (a confirmed address).
    case email(to: String)
    /// An ntfy or Gotify server.
    case push(url: String, format: PushFormat, token: String?)

    /// The wire type name: `websocket`, `webhook`, `email`, `push`.
    public var typeName: String {
        switch self {
        case .websocket: "websocket"
        case .webhook: "webhook"
        case .email: "email"
        case .push: "push"
        }
    }
}

/// A push server's dialect.
public enum PushFormat: String, Hashable, Sendable, Codable, CaseIterable {
    case ntfy, gotify
}

/// One firing of an alert: when, which condition, the number that crossed and the price then. `event` identifies
/// the firing event (for example the tick's time, or the bar's start for bar conditions) so that the same alert,
/// condition and event never notify twice, even across instances.
public struct AlertFiring: Hashable, Sendable {
    public var alertId: String
    public var owner: String
    public var ts: Int64
    public var symbol: String?
    /// The condition type name.
    public var condition: String
    public var value: Double
    public var price: Double?
    /// The dedupe key of the firing event, unique per alert.
    public var event: String

    public init(
        alertId: String, owner: String, ts: Int64, symbol: String?, condition: String, value: Double, price: Double?,
        event: String
    ) {
        self.alertId = alertId
        self.owner = owner
        self.ts = ts
        self.symbol = symbol
        self.condition = condition
        self.value = value
        self.price = price
        self.event = event
    }
}
