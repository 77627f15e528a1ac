import FinanceCore
import FinanceStorage
import Hummingbird

/// `GET /api/patterns/{symbol}` and `GET /api/anomalies/{symbol}`: chart patterns and anomalies on stored bars.
struct AnalyticsController<Context: RequestContext> {
    let store: any MarketStore
    /// Bars read before `from` so detectors have history.
    static var warmupBars: Int64 { 300 }

    struct Patterns: Encodable {
        var symbol: String
        var interval: String
        var patterns: [PatternDetection]
    }

    struct Anomalies: Encodable {
        var symbol: String
        var interval: String
        var anomalies: [Anomaly]
    }

    /// The bars a detector runs on: from `warmupBars` intervals before `from` (or the latest `limit`) up to `to`.
    func bars(symbol: String, interval: Interval, from: Int64?, to: Int64?, limit: Int) async throws -> [Bar] {
        let start = from.map { $0 - Self.warmupBars * interval.nominalMilliseconds }
        return try await BarQueryService(store: self.store).bars(
            symbol: symbol, interval: interval, from: start, to: to,
            limit: start == nil ? limit : BarQueryService.maxLimit,
            now: HTTP.nowMilliseconds())
    }

    func register(on router: Router<Context>) {
        router.get("/api/patterns/{symbol}") { request, context in
            let symbol = try HTTP.symbol(context)
            var query = HTTP.Query(request)
            let interval = query.interval(default: .day1)
            let from = query.time("from")
            let to = query.time("to")
            let limit = query.integer(
                "limit", default: BarQueryService.defaultLimit, range: 1...BarQueryService.maxLimit)
            var types: Set<PatternType>?
            var statuses: Set<PatternStatus>?
            if let raw = query.raw("types") {
                types = PatternType.parseList(raw)
                if types == nil {
                    let names = PatternType.allCases.map(\.rawValue).joined(separator: ", ")
                    query.issues.append(
                        ValidationIssue(
                            index: nil, field: "types", detail: "unknown pattern type in '\(raw)': use \(names)"))
                }
            }
            if let raw = query.raw("status") {
                statuses = PatternStatus.parseList(raw)
                if statuses == nil {
                    query.issues.append(
                        ValidationIssue(
                            index: nil, field: "status",
                            detail: "status must list forming, completed, confirmed, failed"))
                }
            }
            try query.check()
            let bars = try await self.bars(symbol: symbol, interval: interval, from: from, to: to, limit: limit)
            let records = PatternDetector.filter(
                PatternDetector(options: PatternOptions()).detect(bars: bars), from: from, to: to.map { $0 - 1 },
                types: types,
                statuses: statuses)
            return try HTTP.json(Patterns(symbol: symbol, interval: interval.name, patterns: records))
        }
        router.get("/api/anomalies/{symbol}") { request, context in
            let symbol = try HTTP.symbol(context)
            var query = HTTP.Query(request)
            let interval = query.interval(default: .minute1)
            let from = query.time("from")
            let to = query.time("to")
            let limit = query.integer(
                "limit", default: BarQueryService.defaultLimit, range: 1...BarQueryService.maxLimit)
            var types: Set<AnomalyType>?
            if let raw = query.raw("types") {
                types = AnomalyType.parseList(raw)
                if types == nil {
                    let names = AnomalyType.allCases.map(\.rawValue).joined(separator: ", ")
                    query.issues.append(
                        ValidationIssue(
                            index: nil, field: "types", detail: "unknown anomaly type in '\(raw)': use \(names)"))
                }
            }
            try query.check()
            var options = AnomalyOptions()
            let asset = try await self.store.asset(symbol)
            // 24/7 markets have no sessions, so no gaps.
            options.continuousMarket = asset.assetClass == .crypto
            let bars = try await self.bars(symbol: symbol, interval: interval, from: from, to: to, limit: limit)
            let found = AnomalyDetector.filter(
                AnomalyDetector(options: options).detect(bars: bars), from: from, to: to.map { $0 - 1 }, types: types)
            return try HTTP.json(Anomalies(symbol: symbol, interval: interval.name, anomalies: found))
        }
    }
}
