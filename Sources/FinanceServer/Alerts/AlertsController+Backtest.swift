import FinanceApp
import FinanceCore
import Hummingbird

extension AlertsController {
    /// The default span of a backtest without `from`: a year before `to`.
    static var defaultBacktestMilliseconds: Int64 { 365 * 86_400_000 }
    /// The most bars one backtest replays (ten years of minute bars would be 5.3 million): a longer span is a 422 on
    /// `from` rather than a silently shortened replay.
    static var maxBacktestBars: Int { 2_000_000 }

    /// `GET /api/alerts/{id}/backtest?from&to`: when the alert would have fired on the stored history of its symbol
    /// in `[from, to)` (default: the year before now), replayed through a fresh engine at the finest interval its
    /// conditions need, read from the store a page at a time (at most `maxBacktestBars`). Writes nothing and notifies
    /// no one; portfolio and sector alerts have no stored history to replay and get no firings.
    @Sendable func backtest(_ request: Request, context: AppRequestContext) async throws -> Response {
        let alert = try await self.visibleAlert(context, forChange: false)
        var query = HTTP.Query(request)
        let now = self.clock.nowMilliseconds()
        let to = query.time("to") ?? now
        let from = query.time("from") ?? to - Self.defaultBacktestMilliseconds
        if from > to {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "from",
                    detail: "from (\(Timestamp.iso8601(from))) is after to (\(Timestamp.iso8601(to)))"))
        }
        try query.check()
        var firings: [AlertFiring] = []
        let interval = AlertBacktest.barInterval(for: alert)
        if case .symbol(let symbol) = alert.target, let barQueries = self.barQueries,
            var replay = AlertBacktest.Replay(alert: alert, interval: interval)
        {
            var pageFrom = from
            var replayed = 0
            while true {
                let page = try await barQueries.bars(
                    symbol: symbol, interval: interval, from: pageFrom, to: to, limit: BarQueryService.maxLimit,
                    now: now)
                replayed += page.count
                if replayed > Self.maxBacktestBars {
                    throw ValidationError([
                        ValidationIssue(
                            index: nil, field: "from",
                            detail:
                                "the span holds more than \(Self.maxBacktestBars) bars of \(interval) "
                                + "for \(symbol); backtest a shorter span (a later from or an earlier to)")
                    ])
                }
                firings += replay.feed(page)
                guard page.count == BarQueryService.maxLimit, let last = page.last else { break }
                pageFrom = last.ts + 1
            }
        }
        return try HTTP.json(
            AlertBacktestDTO(
                alertId: alert.id, from: from, to: to,
                firings: firings.map {
                    AlertBacktestDTO.Firing(ts: $0.ts, condition: $0.condition, value: $0.value, price: $0.price)
                }))
    }
}

/// `GET /api/alerts/{id}/backtest`: the firings the alert would have had (times in ms since the epoch, as the
/// history's).
public struct AlertBacktestDTO: Codable, Sendable, Equatable {
    public struct Firing: Codable, Sendable, Equatable {
        public var ts: Int64
        public var condition: String
        public var value: Double
        public var price: Double?
    }

    public var alertId: String
    public var from: Int64
    public var to: Int64
    public var firings: [Firing]
}
