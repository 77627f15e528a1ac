import FinanceCore

/// Evaluates an alert's conditions against current data (`POST /api/alerts/test`), without touching the live engine:
/// a fresh engine holds only this alert, its bar series are warmed from stored history, a symbol's minute windows are
/// fed from the stored 1-minute bars, and the current price (the quote book's), portfolio value or sector level is
/// taken last. Recent pattern signals of the symbol feed its `pattern` conditions. Nothing is written.
public struct AlertProbe: Sendable {
    /// Closed bars of history a series wants (as the engine's warm-up loads them).
    public typealias History = AlertEvaluationService.HistoryLoader
    /// Closed bars of `symbol` at `interval` in `[from, to)`, ascending.
    public typealias Bars =
        @Sendable (_ symbol: String, _ interval: Interval, _ from: Int64, _ to: Int64) async throws
        -> [Bar]
    /// The current value of a target: a symbol's price (with its time and the previous close when known), a
    /// portfolio's value or a sector's level; nil when there is none.
    public typealias CurrentValue = @Sendable (_ target: AlertTarget, _ owner: String) async -> Current?
    /// The recent live signals of a symbol, oldest first.
    public typealias Signals = @Sendable (_ symbol: String) -> [AnalyticsEvent]

    /// A target's value now.
    public struct Current: Sendable, Equatable {
        public var value: Double
        public var ts: Int64
        public var previousClose: Double?

        public init(value: Double, ts: Int64, previousClose: Double? = nil) {
            self.value = value
            self.ts = ts
            self.previousClose = previousClose
        }
    }

    /// What the conditions read: each condition's reading, in order, and whether the alert's combination holds.
    public struct Result: Sendable, Equatable {
        public var matched: Bool
        public var readings: [AlertConditionReading]
        /// The target's current value (a symbol's price), nil when there is none.
        public var current: Current?
    }

    let history: History
    let bars: Bars
    let current: CurrentValue
    let signals: Signals

    public init(
        history: @escaping History, bars: @escaping Bars, current: @escaping CurrentValue, signals: @escaping Signals
    ) {
        self.history = history
        self.bars = bars
        self.current = current
        self.signals = signals
    }

    /// Evaluates `alert` at `now`.
    public func evaluate(_ alert: Alert, now: Int64) async -> Result {
        var probed = alert
        // Armed whatever its state: a test asks about the conditions, not the trigger.
        probed.createdAt = .min
        probed.enabled = true
        probed.triggeredAt = nil
        probed.expiresAt = nil
        probed.disabledReason = nil
        probed.trigger = .everyTime(cooldownSeconds: 0)
        let engine = AlertEngine()
        engine.add(probed)
        for request in engine.warmUpRequests() {
            let bars = (try? await self.history(request, request.interval.bucketStart(now))) ?? []
            engine.warmUp(symbol: request.symbol, interval: request.interval, bars: bars)
        }
        let current = await self.current(alert.target, alert.owner)
        switch alert.target {
        case .symbol(let symbol):
            let minutes = Self.longestMinuteWindow(alert)
            if minutes > 0 {
                let from = Interval.minute1.bucketStart(now) - Int64(minutes + 1) * 60_000
                let bars = (try? await self.bars(symbol, .minute1, from, now)) ?? []
                for bar in bars where current.map({ bar.ts + 60_000 <= $0.ts }) ?? true {
                    _ = engine.process(symbol: symbol, ts: bar.ts + 59_999, price: bar.close)
                }
            }
            if let close = current?.previousClose { engine.setPreviousClose(symbol: symbol, close: close) }
            if let current { _ = engine.process(symbol: symbol, ts: current.ts, price: current.value) }
            for signal in self.signals(symbol) { _ = engine.process(signal: signal) }
        case .portfolio, .sector:
            if let current { _ = engine.process(target: alert.target, value: current.value, ts: current.ts) }
        }
        let readings = engine.readings(id: alert.id, at: current?.ts ?? now)
        let matched =
            alert.combine == .all
            ? !readings.isEmpty && readings.allSatisfy(\.holds) : readings.contains(where: \.holds)
        return Result(matched: matched, readings: readings, current: current)
    }

    /// The longest `percent_change` window in minutes among the alert's conditions (0 without one).
    static func longestMinuteWindow(_ alert: Alert) -> Int {
        var longest = 0
        for case .percentChange(_, .minutes(let minutes)) in alert.conditions { longest = max(longest, minutes) }
        return longest
    }
}
