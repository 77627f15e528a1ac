import FinanceCore
import Synchronization

/// What changes the alerts the evaluator holds, or feeds it values that do not come from the market bus.
public enum AlertCommand: Sendable {
    /// Adds or replaces an alert, with the state saved for it (see `AlertEngine.state(of:)`).
    case add(Alert, state: [String: Double]?)
    /// Replaces an alert, keeping its state when its target and conditions are unchanged.
    case update(Alert)
    case remove(id: String)
    /// The value of a portfolio or a sector at `ts` (ms).
    case targetValue(AlertTarget, value: Double, ts: Int64)
    /// The previous daily close of a symbol.
    case previousClose(symbol: String, close: Double)
}

/// The work waiting for the evaluator, coalesced so that it stays bounded however fast events come: per symbol
/// only the low, the high and the last price since the last evaluation (in the order they came, so a threshold
/// crossed inside a burst is still crossed), per bar series only the newest version of each bar.
final class AlertInbox: Sendable {
    /// One price point and its arrival order.
    struct Point {
        var ts: Int64
        var price: Double
        var seq: UInt64
    }

    /// The prices of one symbol since the last evaluation.
    struct Prices {
        var low: Point
        var high: Point
        var last: Point

        /// The points to feed, in arrival order, without repeats: the extremes as they came, then the last.
        var path: [Point] {
            let points = [self.low, self.high, self.last].sorted { $0.seq < $1.seq }
            var out: [Point] = []
            for p in points where out.last?.seq != p.seq { out.append(p) }
            return out
        }
    }

    struct SeriesKey: Hashable {
        var symbol: String
        var interval: Interval
    }

    struct Batch {
        var commands: [AlertCommand] = []
        var prices: [String: Prices] = [:]
        /// Symbols in the order their first price came.
        var priceOrder: [String] = []
        var bars: [SeriesKey: [Bar]] = [:]
        var barOrder: [SeriesKey] = []
        var signals: [AnalyticsEvent] = []
        /// When the oldest waiting item came.
        var oldest: ContinuousClock.Instant?
        /// Ticks merged into a symbol's waiting prices.
        var coalesced = 0
        var ticks = 0
        /// Items dropped because a bound was reached (bar versions, signals).
        var dropped = 0
        var seq: UInt64 = 0

        var isEmpty: Bool { self.commands.isEmpty && self.prices.isEmpty && self.bars.isEmpty && self.signals.isEmpty }
    }

    /// The most bar versions waiting per series and the most signals waiting.
    static let maxBars = 1_000
    static let maxSignals = 10_000

    private let batch = Mutex(Batch())
    private let wake: AsyncStream<Void>.Continuation
    /// Yields when work is waiting (at most one pending wake-up).
    let wakeUps: AsyncStream<Void>

    /// The portfolios and sectors the evaluator's alerts watch.
    let watched = AlertWatchedTargets()

    init() {
        (self.wakeUps, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    private func mutate(_ body: (inout Batch) -> Void) {
        self.batch.withLock { batch in
            if batch.oldest == nil { batch.oldest = .now }
            body(&batch)
        }
        self.wake.yield()
    }

    func add(_ command: AlertCommand) {
        self.mutate { $0.commands.append(command) }
    }

    /// Takes a price of `symbol`.
    func add(symbol: String, ts: Int64, price: Double) {
        guard price.isFinite else { return }
        self.mutate { batch in
            batch.seq += 1
            batch.ticks += 1
            let point = Point(ts: ts, price: price, seq: batch.seq)
            if var prices = batch.prices[symbol] {
                if price < prices.low.price { prices.low = point }
                if price > prices.high.price { prices.high = point }
                prices.last = point
                batch.prices[symbol] = prices
                batch.coalesced += 1
            } else {
                batch.prices[symbol] = Prices(low: point, high: point, last: point)
                batch.priceOrder.append(symbol)
            }
        }
    }

    /// Takes a version of a bar (a newer version of the same bar replaces the waiting one).
    func add(symbol: String, interval: Interval, bar: Bar) {
        self.mutate { batch in
            let key = SeriesKey(symbol: symbol, interval: interval)
            var bars = batch.bars[key] ?? []
            if bars.isEmpty { batch.barOrder.append(key) }
            if let last = bars.last, last.ts == bar.ts {
                bars[bars.count - 1] = bar
            } else {
                bars.append(bar)
                if bars.count > Self.maxBars {
                    bars.removeFirst()
                    batch.dropped += 1
                }
            }
            batch.bars[key] = bars
        }
    }

    func add(signal: AnalyticsEvent) {
        self.mutate { batch in
            batch.signals.append(signal)
            if batch.signals.count > Self.maxSignals {
                batch.signals.removeFirst()
                batch.dropped += 1
            }
        }
    }

    /// Ticks waiting (coalesced ones included).
    var waitingTicks: Int { self.batch.withLock { $0.ticks } }

    /// Takes everything waiting.
    func drain() -> Batch {
        self.batch.withLock { batch in
            let taken = batch
            let seq = batch.seq
            batch = Batch()
            batch.seq = seq
            return taken
        }
    }

    /// Ends the wake-ups (the evaluator drains once more and stops).
    func finish() {
        self.wake.finish()
    }
}

/// Changes the alerts of a running `AlertEvaluationService` and feeds it portfolio and sector values. Safe to
/// call from any task; the changes apply in order before the next events are evaluated.
public struct AlertEvaluationControl: Sendable {
    let inbox: AlertInbox

    public func add(_ alert: Alert, state: [String: Double]? = nil) {
        self.inbox.watched.set(alert)
        self.inbox.add(.add(alert, state: state))
    }

    public func update(_ alert: Alert) {
        self.inbox.watched.set(alert)
        self.inbox.add(.update(alert))
    }

    public func remove(id: String) {
        self.inbox.watched.remove(id: id)
        self.inbox.add(.remove(id: id))
    }

    /// True when some alert watches `target` (a portfolio or a sector): only those need their values.
    public func watches(_ target: AlertTarget) -> Bool {
        self.inbox.watched.watches(target)
    }

    /// The value of a portfolio (`.portfolio(id)`) or a sector (`.sector(name)`) at `ts` (ms).
    public func process(target: AlertTarget, value: Double, ts: Int64) {
        self.inbox.add(.targetValue(target, value: value, ts: ts))
    }

    /// The last known price of `symbol` at `ts` (from the quote book), for alerts just added: a crossing needs a
    /// value on the other side, and without it the first tick after the alert's creation could not fire one. The
    /// price is older than the alert, so it never fires by itself.
    public func seedPrice(symbol: String, ts: Int64, price: Double) {
        self.inbox.add(symbol: symbol, ts: ts, price: price)
    }

    /// The previous daily close of `symbol` (for `percent_change` since the previous close).
    public func setPreviousClose(symbol: String, close: Double) {
        self.inbox.add(.previousClose(symbol: symbol, close: close))
    }
}
