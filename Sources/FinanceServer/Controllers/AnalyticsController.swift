import FinanceApp
import FinanceCore
import FinanceStorage
import Hummingbird
import NIOPosix

/// `GET /api/patterns/{symbol}` and `GET /api/anomalies/{symbol}`: chart patterns and anomalies on stored bars.
struct AnalyticsController {
    let assets: any AssetRepository
    let barQueries: BarQueryService
    let clock: any WallClock
    /// Bars read before `from` so detectors have history.
    static var warmupBars: Int64 { 300 }

    /// Runs `body` on the bars a detector reads, in time order: from `warmupBars` intervals before `from` up to
    /// `to`, in pages of `BarQueryService.maxLimit` bars so that a range of any length is read whole in bounded
    /// memory; without `from`, the latest `limit` bars before `to`.
    func forEachPage(
        symbol: String, interval: Interval, from: Int64?, to: Int64?, limit: Int, _ body: ([Bar]) async throws -> Void
    ) async throws {
        let service = self.barQueries
        let now = self.clock.nowMilliseconds()
        guard let from else {
            try await body(
                try await service.bars(symbol: symbol, interval: interval, from: nil, to: to, limit: limit, now: now))
            return
        }
        var cursor = from - Self.warmupBars * interval.nominalMilliseconds
        while true {
            let page = try await service.bars(
                symbol: symbol, interval: interval, from: cursor, to: to, limit: BarQueryService.maxLimit, now: now)
            try await body(page)
            guard page.count == BarQueryService.maxLimit, let last = page.last else { return }
            cursor = last.ts + 1
        }
    }

    /// A comma-separated list parameter of `T` names (nil when absent); an empty or unknown one is recorded as a
    /// problem naming `name`.
    static func list<T: CommaSeparatedNames>(_ query: inout HTTP.Query, _ name: String, of _: T.Type) -> Set<T>? {
        guard let raw = query.raw(name) else { return nil }
        guard let parsed = T.parseList(raw) else {
            query.issues.append(ValidationIssue(index: nil, field: name, detail: T.listProblem(raw)))
            return nil
        }
        return parsed
    }

    /// Adds the routes under `/api`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("patterns/{symbol}", use: self.patterns)
        group.get("anomalies/{symbol}", use: self.anomalies)
    }

    /// `GET /api/patterns/{symbol}`: chart patterns found in a symbol's bars.
    @Sendable func patterns(_ request: Request, context: AppRequestContext) async throws -> Response {
        let symbol = try HTTP.symbol(context)
        var query = HTTP.Query(request)
        let (interval, from, to, limit) = query.barWindow(defaultInterval: .day1)
        let types = Self.list(&query, "types", of: PatternType.self)
        let statuses = Self.list(&query, "status", of: PatternStatus.self)
        let screen = query.choice("screen", ["true", "false"], default: "true")
        let method = query.choice("method", PatternMethod.allCases.map(\.rawValue), default: "templates")
        try query.check()
        var options = PatternOptions()
        if screen == "false" { options.screen = nil }
        options.method = PatternMethod(rawValue: method) ?? .templates
        var stream = PatternStream(options: options)
        var all: [PatternDetection] = []
        try await self.forEachPage(symbol: symbol, interval: interval, from: from, to: to, limit: limit) { page in
            // Scanned on a thread pool of its own: a long scan does not hold up the tasks serving other requests.
            let (next, found) = try await NIOThreadPool.singleton.runIfActive { [stream] in
                var scanned = stream
                let found = scanned.appendFinal(page)
                return (scanned, found)
            }
            stream = next
            all += found
        }
        let records = PatternDetector.filter(
            all + stream.forming, from: from, to: to.map { $0 - 1 }, types: types, statuses: statuses)
        return try HTTP.json(
            PatternsDTO(symbol: symbol, interval: interval.name, patterns: records.map(PatternDTO.init)))
    }

    /// `GET /api/anomalies/{symbol}`: anomalies found in a symbol's bars.
    @Sendable func anomalies(_ request: Request, context: AppRequestContext) async throws -> Response {
        let symbol = try HTTP.symbol(context)
        var query = HTTP.Query(request)
        let (interval, from, to, limit) = query.barWindow(defaultInterval: .minute1)
        let types = Self.list(&query, "types", of: AnomalyType.self)
        try query.check()
        var options = AnomalyOptions()
        let asset = try await self.assets.asset(symbol)
        // 24/7 markets have no sessions, so no gaps.
        options.continuousMarket = asset.assetClass == .crypto
        var stream = AnomalyStream(options: options)
        var all: [Anomaly] = []
        try await self.forEachPage(symbol: symbol, interval: interval, from: from, to: to, limit: limit) {
            for b in $0 { all += stream.append(b) }
        }
        let found = AnomalyDetector.filter(all, from: from, to: to.map { $0 - 1 }, types: types)
        return try HTTP.json(
            AnomaliesDTO(symbol: symbol, interval: interval.name, anomalies: found.map(AnomalyDTO.init)))
    }
}
