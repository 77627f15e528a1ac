import FinanceCore
import FinanceStorage
import Hummingbird

/// `GET /api/indicators` (the catalog) and `GET /api/indicators/{symbol}` (values on stored bars).
struct IndicatorsController<Context: RequestContext> {
    let store: any MarketStore
    /// The most bars of history an indicator request reads (warm-up included): the latest ones before `to`.
    var maxHistory = 1_000_000

    struct Catalog: Encodable {
        var indicators: [IndicatorInfo]
    }

    struct Values: Encodable {
        var symbol: String
        var interval: String
        var ts: [Int64]
        var values: [String: [Double?]]
    }

    func register(on router: Router<Context>) {
        router.get("/api/indicators") { _, _ in try HTTP.json(Catalog(indicators: IndicatorCatalog.all)) }
        router.get("/api/indicators/{symbol}") { request, context in
            let symbol = try HTTP.symbol(context)
            var query = HTTP.Query(request)
            let interval = query.interval(default: .day1)
            let from = query.time("from")
            let to = query.time("to")
            var specs: [IndicatorSpec] = []
            if let text = query.raw("indicators") {
                do { specs = try IndicatorSpec.parse(text) } catch {
                    query.issues.append(ValidationIssue(index: nil, field: "indicators", detail: "\(error)"))
                }
            } else {
                query.issues.append(
                    ValidationIssue(
                        index: nil, field: "indicators", detail: "indicators is required, e.g. rsi:14,macd:12:26:9"))
            }
            try query.check()
            let now = HTTP.nowMilliseconds()
            // Compute over the whole history before `to` (its latest `maxHistory` bars when it is longer), so values at
            // `from` equal a computation over all of it.
            let bars = try await BarQueryService(store: self.store).bars(
                symbol: symbol, interval: interval, from: nil, to: to, limit: self.maxHistory, now: now)
            let series = try OHLCVSeries(bars: bars)
            let columns = IndicatorEngine.compute(specs, on: series)
            let first = from.map { f in bars.firstIndex { $0.ts >= f } ?? bars.count } ?? 0
            var values: [String: [Double?]] = [:]
            for column in columns { values[column.name] = Array(column.optionalValues[first...]) }
            return try HTTP.json(
                Values(symbol: symbol, interval: interval.name, ts: bars[first...].map(\.ts), values: values))
        }
    }
}
