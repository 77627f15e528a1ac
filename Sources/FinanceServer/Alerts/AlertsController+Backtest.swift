import FinanceApp
import FinanceCore
import Hummingbird

extension AlertsController {
    /// The default span of a backtest without `from`: a year before `to`.
    static var defaultBacktestMilliseconds: Int64 { 365 * 86_400_000 }

    /// `GET /api/alerts/{id}/backtest?from&to`: when the alert would have fired on the stored history of its symbol
    /// in `[from, to)` (default: the year before now), replayed through a fresh engine at the finest interval its
    /// conditions need. Writes nothing and notifies no one; portfolio and sector alerts have no stored history to
    /// replay and get no firings.
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
        if case .symbol(let symbol) = alert.target, let barQueries = self.barQueries {
            let interval = AlertBacktest.barInterval(for: alert)
            let bars = try await barQueries.bars(
                symbol: symbol, interval: interval, from: from, to: to, limit: BarQueryService.maxLimit, now: now)
            firings = AlertBacktest.run(alert: alert, bars: bars, interval: interval)
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
