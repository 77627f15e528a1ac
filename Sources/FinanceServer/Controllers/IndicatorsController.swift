import FinanceApp
import FinanceCore
import Hummingbird
import NIOPosix

/// `GET /api/indicators` (the catalog) and `GET /api/indicators/{symbol}` (values on stored bars).
struct IndicatorsController {
    let barQueries: BarQueryService
    let clock: any WallClock
    /// The most bars of history an indicator request reads (warm-up included): the latest ones before `to`.
    var maxHistory = 1_000_000
    /// The most work one request may ask for: bars read × the specs' `IndicatorSpec.costPerBar`, in window steps
    /// (about a second of one core). More is a 422 naming `indicators`, not seconds of CPU.
    var maxWork = 200_000_000
    /// The most specs one request may list.
    static var maxSpecs: Int { 50 }
    /// The most values (rows × columns) one response may hold.
    static var maxValues: Int { 1_000_000 }

    /// Adds the routes under `/api/indicators`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.catalog)
        group.get("{symbol}", use: self.compute)
    }

    /// `GET /api/indicators`: the indicators and their parameters.
    @Sendable func catalog(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(IndicatorCatalogDTO(indicators: IndicatorCatalog.all.map(IndicatorInfoDTO.init)))
    }

    /// `GET /api/indicators/{symbol}`: indicator values over a symbol's bars.
    @Sendable func compute(_ request: Request, context: AppRequestContext) async throws -> Response {
        let symbol = try HTTP.symbol(context)
        var query = HTTP.Query(request)
        let (interval, from, to, limit) = query.barWindow(defaultInterval: .day1)
        var specs: [IndicatorSpec] = []
        if let text = query.raw("indicators") {
            let count = text.split(separator: ",", omittingEmptySubsequences: false).count
            if count > Self.maxSpecs {
                query.issues.append(
                    ValidationIssue(
                        index: nil, field: "indicators",
                        detail: "a request lists at most \(Self.maxSpecs) indicators, got \(count)"))
            } else {
                do { specs = try IndicatorSpec.parse(text) } catch {
                    query.issues.append(ValidationIssue(index: nil, field: "indicators", detail: "\(error)"))
                }
            }
        } else {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "indicators", detail: "indicators is required, e.g. rsi:14,macd:12:26:9"))
        }
        let columnCount = specs.reduce(0) { $0 + $1.columnNames.count }
        if limit * columnCount > Self.maxValues {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "limit",
                    detail: "\(limit) rows of \(columnCount) columns are more than the \(Self.maxValues) values a "
                        + "response may hold: lower limit or ask for fewer indicators"))
        }
        try query.check()
        let now = self.clock.nowMilliseconds()
        // Compute over the whole history before `to` (its latest `maxHistory` bars when it is longer), so values at
        // `from` equal a computation over all of it.
        let bars = try await self.barQueries.bars(
            symbol: symbol, interval: interval, from: nil, to: to, limit: self.maxHistory, now: now)
        let work = bars.count * specs.reduce(0) { $0 + $1.costPerBar }
        guard work <= self.maxWork else {
            throw ValidationError(
                field: "indicators",
                detail: "these indicators over \(bars.count) bars take \(work) window steps, more than the "
                    + "\(self.maxWork) one request may use: ask for fewer indicators or shorter CCI periods, or use "
                    + "a coarser interval")
        }
        // Computed on a thread pool of its own: a long computation does not hold up the tasks serving other
        // requests.
        let requested = specs
        return try await NIOThreadPool.singleton.runIfActive {
            let series = try OHLCVSeries(bars: bars)
            // As `GET /api/bars`: from `from`, its first `limit` rows; without it, the latest `limit`.
            let rows: Range<Int>
            if let from {
                let first = bars.firstIndex { $0.ts >= from } ?? bars.count
                rows = first..<min(bars.count, first + limit)
            } else {
                rows = max(0, bars.count - limit)..<bars.count
            }
            var values: [String: [Double?]] = [:]
            // One spec at a time, keeping only the rows returned: the memory held is a few columns of the
            // history, not every column of it.
            for spec in requested {
                for column in IndicatorEngine.compute([spec], on: series) {
                    values[column.name] = column.optionalValues(rows)
                }
            }
            return try HTTP.json(
                IndicatorValuesDTO(
                    symbol: symbol, interval: interval.name, ts: bars[rows].map(\.ts), values: values))
        }
    }
}
