/// Evaluates alerts on live market events: ticks, closed bars, pattern signals and target values (a portfolio's
/// or a sector's value). Pure and synchronous: no I/O, no clock (every event carries its time); not thread-safe
/// (keep it inside one task or actor).
///
/// Each condition watches a numeric series of its target (a price, a percent change, an RSI, a moving-average
/// spread, a relative volume) and fires on the edge where it becomes true (see `ThresholdSeries`): price levels
/// sit sorted per symbol, so a tick costs O(log n + fired) and touches only the alerts of its symbol. An alert
/// fires when one of its conditions has an edge and, for `combine: all`, every other condition holds at that
/// moment; its trigger mode then decides whether it may fire now (`once`, once per bar, every time after a
/// cooldown). Semantics in docs/alerts-engine.md.
public final class AlertEngine {
    struct Entry {
        var alert: Alert
        var book: AlertTargetBook?
        var conditions: [IndexedCondition?]
        var lastFiredAt: Int64?
        var lastFiredBucket: Int64?
        /// A `once` alert that fired: out of every index.
        var done = false
    }

    /// One condition of an indexed alert: the series it watches and its threshold, or a pattern filter.
    struct IndexedCondition {
        var series: ThresholdSeries?
        var level: Double = 0
        var rising = true
        var pattern: (types: Set<PatternType>, status: PatternStatus, interval: Interval)?
        /// The bar start of the last matching pattern signal and its breakout level.
        var lastSignal: (ts: Int64, value: Double)?
    }

    var entries: [Entry?] = []
    var slots: [String: Int32] = [:]
    private var freeSlots: [Int32] = []
    var books: [AlertTarget: AlertTargetBook] = [:]
    /// The conditions fired by the event being processed (reused, so a quiet tick allocates nothing).
    var edges: [ConditionRef] = []
    /// Set when an alert was indexed since `warmUpRequests` last looked (so that a round without new alerts does
    /// not walk every series).
    var warmUpWanted = false
    /// Alerts that fired since `takeChangedStates`.
    var firedSinceTaken: Set<Int32> = []
    /// Counters of the work done (for tests and metrics).
    public internal(set) var stats = AlertEngineStats()

    public init() {}

    /// The number of alerts held (disabled and fired ones included).
    public var count: Int { self.slots.count }

    /// The alert with `id`, as held.
    public func alert(id: String) -> Alert? {
        self.slots[id].flatMap { self.entries[Int($0)]?.alert }
    }

    /// Adds (or replaces) an alert. `state` is what `state(of:)` exported before a restart: crossing conditions
    /// then compare the value they saw last with the first new one, and the trigger's memory (last firing, bar,
    /// `once` done) is kept. Disabled, expired-at-add or already triggered `once` alerts are held but not indexed.
    public func add(_ alert: Alert, state: [String: Double]? = nil) {
        if self.slots[alert.id] != nil { self.remove(id: alert.id) }
        let slot: Int32
        if let reused = self.freeSlots.popLast() {
            slot = reused
        } else {
            slot = Int32(self.entries.count)
            self.entries.append(nil)
        }
        self.slots[alert.id] = slot
        var entry = Entry(alert: alert, book: nil, conditions: [])
        entry.lastFiredAt = state?["firedAt"].map { Int64($0) }
        entry.lastFiredBucket = state?["bucket"].map { Int64($0) }
        entry.done = (alert.trigger == .once && (alert.triggeredAt != nil || state?["done"] == 1))
        if alert.enabled && !entry.done {
            self.warmUpWanted = true
            let book = self.book(alert.target)
            entry.book = book
            entry.conditions = alert.conditions.enumerated().map { i, condition in
                self.index(
                    condition, ref: ConditionRef(slot: slot, condition: Int32(i)), target: alert.target, book: book,
                    previous: state?["c\(i)"], restored: state != nil)
            }
        }
        self.entries[Int(slot)] = entry
    }

    /// Replaces an alert. Its state is kept when its target and conditions are unchanged (a rename, new
    /// channels, a new cooldown), so an update does not re-fire a level that already fired.
    public func update(_ alert: Alert) {
        guard let old = self.alert(id: alert.id) else { return self.add(alert) }
        let keep = old.target == alert.target && old.conditions == alert.conditions && old.enabled
        self.add(alert, state: keep ? self.state(of: alert.id) : nil)
    }

    /// Removes an alert (no effect for an unknown id).
    public func remove(id: String) {
        guard let slot = self.slots.removeValue(forKey: id) else { return }
        self.unindex(slot)
        self.entries[Int(slot)] = nil
        self.freeSlots.append(slot)
    }

    /// Takes every condition of the alert in `slot` out of the indexes.
    func unindex(_ slot: Int32) {
        guard let entry = self.entries[Int(slot)] else { return }
        for condition in entry.conditions {
            condition?.series?.remove(slot: slot)
        }
        entry.book?.patterns.removeAll { $0.slot == slot }
        self.entries[Int(slot)]?.conditions = []
        self.entries[Int(slot)]?.book = nil
    }

    /// Removes the alerts expired at `now` (they would never fire anyway); returns their ids.
    @discardableResult
    public func removeExpired(now: Int64) -> [String] {
        let expired = self.slots.compactMap { id, slot in
            self.entries[Int(slot)]?.alert.expiresAt.map { $0 <= now } == true ? id : nil
        }
        for id in expired { self.remove(id: id) }
        return expired
    }

    func book(_ target: AlertTarget) -> AlertTargetBook {
        if let book = self.books[target] { return book }
        let book = AlertTargetBook()
        self.books[target] = book
        return book
    }

    // MARK: Events

    /// A live trade price of `symbol` at `ts` (ms). Only the symbol's alerts are looked at.
    public func process(symbol: String, ts: Int64, price: Double, size: Double? = nil) -> [AlertFiring] {
        guard price.isFinite, let book = self.books[.symbol(symbol)] else { return [] }
        self.stats.values += 1
        book.update(value: price, ts: ts, edges: &self.edges)
        if self.edges.isEmpty { return [] }
        return self.fire(.tick(ts))
    }

    /// A live tick (its trade price).
    public func process(tick: Tick) -> [AlertFiring] {
        self.process(symbol: tick.symbol, ts: tick.ts, price: tick.price, size: tick.size)
    }

    /// A closed bar of `symbol` at `interval`: feeds the technical conditions of that interval (RSI, crossovers,
    /// change over N bars, relative volume). A closed daily bar also sets the previous close.
    public func process(symbol: String, interval: Interval, bar: Bar) -> [AlertFiring] {
        guard let book = self.books[.symbol(symbol)] else { return [] }
        if interval == .day1, bar.close.isFinite {
            let day = bar.ts / 86_400_000
            if book.day.map({ day < $0 }) ?? true { book.previousClose = bar.close }
        }
        guard let feed = book.intervals[interval] else { return [] }
        self.stats.bars += 1
        feed.close(bar, edges: &self.edges)
        if self.edges.isEmpty { return [] }
        return self.fire(.bar(interval, bar.ts))
    }

    /// A live pattern signal: fires the symbol's `pattern` conditions whose interval, types and status match.
    /// Anomaly signals fire nothing (a volume anomaly condition measures its own relative volume).
    public func process(signal: AnalyticsEvent) -> [AlertFiring] {
        guard case .pattern(let symbol, let interval, let pattern) = signal,
            let book = self.books[.symbol(symbol)], !book.patterns.isEmpty
        else { return [] }
        for ref in book.patterns {
            self.stats.judged += 1
            guard let filter = self.entries[Int(ref.slot)]?.conditions[Int(ref.condition)]?.pattern,
                filter.interval == interval, filter.status == pattern.status, filter.types.contains(pattern.type)
            else { continue }
            self.entries[Int(ref.slot)]?.conditions[Int(ref.condition)]?.lastSignal = (pattern.end, pattern.breakout)
            self.edges.append(ref)
        }
        if self.edges.isEmpty { return [] }
        return self.fire(.signal(interval, pattern.end, "\(pattern.id):\(pattern.status.rawValue)"))
    }

    /// The value of a portfolio or a sector (fed by the portfolio valuation) at `ts`.
    public func process(target: AlertTarget, value: Double, ts: Int64) -> [AlertFiring] {
        guard value.isFinite, let book = self.books[target] else { return [] }
        self.stats.values += 1
        book.update(value: value, ts: ts, edges: &self.edges)
        if self.edges.isEmpty { return [] }
        return self.fire(.value(ts))
    }

    /// Sets the previous daily close of `symbol` (from the quote book at start), for `since: previous_close`.
    public func setPreviousClose(symbol: String, close: Double) {
        guard close.isFinite, let book = self.books[.symbol(symbol)] else { return }
        book.previousClose = close
    }

    // MARK: Bars the service must close and history it must load

    /// The intervals whose closed bars `symbol`'s alerts need.
    public func barIntervals(symbol: String) -> [Interval] {
        guard let book = self.books[.symbol(symbol)] else { return [] }
        return book.intervals.keys.sorted()
    }

    /// The series that want closed bars of history to be warm (new indicator streams, new bar windows); empty
    /// at once when no alert was added since the last call. Answer each with `warmUp` (an empty history if none).
    public func warmUpRequests() -> [AlertWarmUp] {
        guard self.warmUpWanted else { return [] }
        self.warmUpWanted = false
        var out: [AlertWarmUp] = []
        for (target, book) in self.books {
            guard case .symbol(let symbol) = target else { continue }
            for (interval, feed) in book.intervals where feed.wantedHistory > 0 {
                out.append(AlertWarmUp(symbol: symbol, interval: interval, bars: feed.wantedHistory))
            }
        }
        return out.sorted { ($0.symbol, $0.interval) < ($1.symbol, $1.interval) }
    }

    /// Feeds closed history bars (ascending) of `symbol` at `interval` without firing anything.
    public func warmUp(symbol: String, interval: Interval, bars: [Bar]) {
        self.books[.symbol(symbol)]?.intervals[interval]?.warmUp(bars)
    }
}

/// History a bar series wants: the last `bars` closed bars of `symbol` at `interval`.
public struct AlertWarmUp: Hashable, Sendable {
    public var symbol: String
    public var interval: Interval
    public var bars: Int
}

/// Counters of the engine's work.
public struct AlertEngineStats: Hashable, Sendable {
    /// Prices and target values taken.
    public var values = 0
    /// Closed bars taken by a series.
    public var bars = 0
    /// Conditions judged one by one: an edge found by a threshold search, a pattern filter checked. A tick that
    /// crosses nothing judges none, however many alerts its symbol has.
    public var judged = 0
    public var firings = 0
}
