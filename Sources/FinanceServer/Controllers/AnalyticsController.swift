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

    /// A comma-separated list parameter parsed by `parse` (nil when absent); an unparsable one is recorded as a
    /// problem naming `name` and listing `allowed`.
    static func list<T>(_ query: inout HTTP.Query, _ name: String, allowed: [String], _ parse: (String) -> Set<T>?)
        -> Set<T>?
    {
        guard let raw = query.raw(name) else { return nil }
        guard let parsed = parse(raw) else {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: name, detail: "unknown value in '\(raw)': use \(allowed.joined(separator: ", "))"
                ))
            return nil
        }
        return parsed
    }

    func register(on router: Router<Context>) {
        router.get("/api/patterns/{symbol}") { request, context in
            let symbol = try HTTP.symbol(context)
            var query = HTTP.Query(request)
            let (interval, from, to, limit) = query.barWindow(defaultInterval: .day1)
            let types = Self.list(&query, "types", allowed: PatternType.allCases.map(\.rawValue), PatternType.parseList)
            let statuses = Self.list(
                &query, "status", allowed: PatternStatus.allCases.map(\.rawValue), PatternStatus.parseList)
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
            let (interval, from, to, limit) = query.barWindow(defaultInterval: .minute1)
            let types = Self.list(&query, "types", allowed: AnomalyType.allCases.map(\.rawValue), AnomalyType.parseList)
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
