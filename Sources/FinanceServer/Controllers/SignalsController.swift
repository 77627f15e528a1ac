import FinanceCore
import FinanceStorage
import Hummingbird

/// `GET /api/signals`: the latest live pattern and anomaly signals (`LiveAnalyticsService`), newest last.
struct SignalsController<Context: RequestContext> {
    let signals: RecentSignals
    static var defaultLimit: Int { 100 }
    static var maxLimit: Int { 1000 }

    /// One signal on the wire: `{"kind", "symbol", "interval", "pattern": {...}}` or `..., "anomaly": {...}}`.
    struct Signal: Encodable {
        var kind: String
        var symbol: String
        var interval: String
        var pattern: PatternDetection?
        var anomaly: Anomaly?

        init(_ event: AnalyticsEvent) {
            self.kind = event.kind.rawValue
            self.symbol = event.symbol
            self.interval = event.interval.name
            switch event {
            case .pattern(_, _, let p): self.pattern = p
            case .anomaly(_, _, let a): self.anomaly = a
            }
        }
    }

    struct Signals: Encodable {
        var signals: [Signal]
    }

    func register(on router: Router<Context>) {
        router.get("/api/signals") { request, _ in
            var query = HTTP.Query(request)
            var symbol: String?
            if let raw = query.raw("symbol") {
                symbol = Symbol.normalize(raw)
                if symbol == nil {
                    query.issues.append(
                        ValidationIssue(
                            index: nil, field: "symbol", detail: "invalid symbol '\(raw.prefix(64))': \(Symbol.rule)"))
                }
            }
            // Absent filters match everything; invalid ones are recorded as problems.
            let interval: Interval? = query.raw("interval") == nil ? nil : query.interval(default: .minute1)
            let kindName = query.choice("kind", AnalyticsEvent.Kind.allCases.map(\.rawValue), default: "")
            let kind = AnalyticsEvent.Kind(rawValue: kindName)
            let limit = query.integer("limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
            try query.check()
            let found = self.signals.signals(symbol: symbol, interval: interval, kind: kind, limit: limit)
            return try HTTP.json(Signals(signals: found.map(Signal.init)))
        }
    }
}
