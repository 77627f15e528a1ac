import FinanceApp
import FinanceCore
import Hummingbird

/// `GET /api/signals`: the latest live pattern and anomaly signals (`LiveAnalyticsService`), newest last.
struct SignalsController {
    let signals: RecentSignals
    static var defaultLimit: Int { 100 }
    static var maxLimit: Int { 1000 }

    /// `{"signals": [...]}`, each signal encoded by `AnalyticsEvent`: `{"kind", "symbol", "interval", "pattern":
    /// {...}}` or `{..., "anomaly": {...}}`.
    /// Adds the route under `/api/signals`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.list)
    }

    /// `GET /api/signals`: the latest live signals, filtered by symbol, interval and kind.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = HTTP.Query(request)
        let symbol = query.symbol()
        // Absent filters match everything; invalid ones are recorded as problems.
        let interval: Interval? = query.raw("interval") == nil ? nil : query.interval(default: .minute1)
        let kindName = query.choice("kind", AnalyticsEvent.Kind.allCases.map(\.rawValue), default: "")
        let kind = AnalyticsEvent.Kind(rawValue: kindName)
        let limit = query.integer("limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
        try query.check()
        let found = self.signals.signals(symbol: symbol, interval: interval, kind: kind, limit: limit)
        return try HTTP.json(SignalsDTO(signals: found.map(SignalDTO.init)))
    }
}
