import FinanceApp
import FinanceCore
import Hummingbird

/// Ingestion (`POST /api/ticks`, `POST /api/bars/{symbol}`) and queries (`GET /api/bars/{symbol}`,
/// `GET /api/quotes/{symbol}`).
struct MarketDataController {
    let ingestor: Ingestor
    let barQueries: BarQueryService
    let quotes: QuoteBook
    /// Asks the providers for symbols not fed here; nil when no provider is usable.
    let onDemand: OnDemandQuotes?
    /// Backfills a bars query's range the store does not cover; nil when off or no provider is usable.
    let onDemandBars: OnDemandBars?
    /// Upstream fetches per minute per user (admins and service keys exempt).
    let onDemandLimiter: RequestRateLimiter
    let sources: DataSourceLedger
    let clock: any WallClock
    let maxBodyBytes: Int
    /// The heavy-read queue `GET /api/bars` of many bars goes through.
    let heavyReads: HeavyReadGate

    /// Adds the routes under `/api`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("ticks", use: self.createTicks)
        group.post("bars/{symbol}", use: self.createBars)
        group.get("bars/{symbol}", use: self.listBars)
        group.get("quotes/{symbol}", use: self.showQuote)
    }

    /// `POST /api/ticks`: ingests a batch of ticks (live, or history with `?historical=true`).
    @Sendable func createTicks(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireWriter()
        let (ticks, freshness) = try await self.counted {
            var query = HTTP.Query(request)
            let freshness = query.freshness()
            try query.check()
            return (try await self.readTicks(request), freshness)
        }
        let summary = try await self.ingestor.ingest(ticks: ticks, freshness: freshness, source: .push)
        return try HTTP.json(IngestSummaryDTO(summary), status: .created)
    }

    /// `POST /api/bars/{symbol}`: ingests a batch of bars of one symbol and interval.
    @Sendable func createBars(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireWriter()
        let (symbol, interval, freshness, bars) = try await self.counted {
            let symbol = try HTTP.symbol(context)
            var query = HTTP.Query(request)
            let interval = query.interval(default: .minute1)
            let freshness = query.freshness()
            try query.check()
            return (symbol, interval, freshness, try await self.readBars(request))
        }
        let summary = try await self.ingestor.ingest(
            symbol: symbol, interval: interval, bars: bars, freshness: freshness)
        return try HTTP.json(IngestSummaryDTO(summary), status: .created)
    }

    /// `GET /api/bars/{symbol}`: bars at any interval; a range the store does not cover is backfilled from the
    /// providers first (`OnDemandBars`) for a symbol not fed here.
    @Sendable func listBars(_ request: Request, context: AppRequestContext) async throws -> Response {
        let symbol = try HTTP.symbol(context)
        var query = HTTP.Query(request)
        let (interval, from, to, limit) = query.barWindow(defaultInterval: .minute1)
        let source = BarSource(rawValue: query.choice("source", ["auto", "raw"], default: "auto")) ?? .auto
        try query.check()
        let now = self.clock.nowMilliseconds()
        if let onDemandBars = self.onDemandBars {
            try await onDemandBars.prepare(
                symbol: symbol, interval: interval, from: from, to: to, limit: limit, now: now,
                admit: self.admission(context))
        }
        // A heavy read (more than `http.heavyReads.minBars` bars possible) waits its turn in the heavy-read queue
        // and is streamed; any other is written in one piece.
        let maxBars = HeavyReadGate.maxBars(interval: interval, from: from, to: to, limit: limit, now: now)
        let permit = self.heavyReads.isHeavy(bars: maxBars) ? try await self.heavyReads.admit() : nil
        let bars = try await self.barQueries.bars(
            symbol: symbol, interval: interval, from: from, to: to, limit: limit, source: source, now: now)
        if let permit {
            return BarsDTO.streamedResponse(symbol: symbol, interval: interval.name, bars: bars, permit: permit)
        }
        return try HTTP.json(BarsDTO(symbol: symbol, interval: interval.name, bars: bars.map(BarDTO.init)))
    }

    /// The per-user limit of on-demand fetches for the caller; nil for admins and service keys.
    private func admission(_ context: AppRequestContext) -> (@Sendable () throws -> Void)? {
        guard let principal = context.principal, principal.isRateLimited else { return nil }
        return self.onDemandLimiter.admission(user: principal.user, tier: principal.tier)
    }

    /// `GET /api/quotes/{symbol}`: the latest price with the current UTC day's statistics, from the quote book, or
    /// from the providers for a symbol not fed here (`OnDemandQuotes`).
    @Sendable func showQuote(_ request: Request, context: AppRequestContext) async throws -> Response {
        let symbol = try HTTP.symbol(context)
        if let onDemand = self.onDemand {
            return try HTTP.json(QuoteDTO(try await onDemand.quote(symbol: symbol, admit: self.admission(context))))
        }
        let quote = try await self.quotes.quote(symbol: symbol)
        // Stored data written before sources were recorded reports `push`.
        let source = try await self.sources.source(of: symbol) ?? .push
        return try HTTP.json(QuoteDTO(SourcedQuote(quote: quote, source: source.rawValue, changeBasis: "utcDay")))
    }

    /// Runs `read`, counting a batch it refuses in `financehub_rejected_batches_total` (the ingestor counts the
    /// batches its own rules refuse).
    func counted<T>(_ read: () async throws -> T) async throws -> T {
        do { return try await read() } catch {
            self.ingestor.countRejected()
            throw error
        }
    }

    /// Parses a tick batch, reporting every type problem; rule checks happen in the ingestor. A well-formed batch
    /// is read straight into ticks (`JSONParser.ticks`); any other goes through the general parser and field checks.
    func readTicks(_ request: Request) async throws -> [Tick] {
        let body = try await JSONInput.body(request, limit: self.maxBodyBytes)
        let wellFormed = body.withUnsafeReadableBytes { raw in
            JSONParser.ticks(raw.assumingMemoryBound(to: UInt8.self), maxItems: Validation.maxBatchItems)
        }
        if let wellFormed { return wellFormed }
        return try Self.ticks(from: try JSONInput.parse(body))
    }

    /// The ticks of a parsed batch, or a validation error listing every type and rule problem.
    static func ticks(from body: JSONValue) throws -> [Tick] {
        let objects = try JSONInput.objects(body, maxItems: Validation.maxBatchItems)
        var issues: [ValidationIssue] = []
        var ticks: [Tick] = []
        ticks.reserveCapacity(objects.count)
        // Items whose symbol, time and price were read (with the fields that were read), for the rule checks.
        var readable: [(index: Int, tick: Tick)] = []
        for (i, object) in objects.enumerated() {
            var r = FieldReader(object, index: i)
            r.rejectUnknown(InputFields.tick)
            let symbol = r.string("symbol", required: true)
            let ts = r.time("ts")
            let price = r.number("price", required: true)
            let tick = Tick(
                symbol: symbol ?? "", ts: ts ?? 0, price: price ?? 0, size: r.number("size", required: false),
                bid: r.number("bid", required: false), ask: r.number("ask", required: false),
                bidSize: r.number("bidSize", required: false), askSize: r.number("askSize", required: false))
            issues += r.issues
            if r.issues.isEmpty { ticks.append(tick) }
            if symbol != nil, ts != nil, price != nil { readable.append((i, tick)) }
        }
        if !issues.isEmpty {
            // Report the rule problems of every readable item too (an item with an unknown field can also have its
            // bid above its ask), so the client sees everything at once; a problem already reported is not repeated.
            do { _ = try Ingestor.validate(ticks: readable.map(\.tick)) } catch {
                let seen = Set(issues.map { "\($0.index ?? -1)/\($0.field)" })
                for issue in error.issues {
                    var moved = issue
                    moved.index = issue.index.map { readable[$0].index }
                    if !seen.contains("\(moved.index ?? -1)/\(moved.field)") { issues.append(moved) }
                }
            }
            throw ValidationError(issues.sorted { ($0.index ?? -1) < ($1.index ?? -1) })
        }
        return ticks
    }

    /// Parses a bar batch, reporting every type problem; rule checks happen in the ingestor.
    func readBars(_ request: Request) async throws -> [IncomingBar] {
        let objects = try JSONInput.objects(
            try await JSONInput.parse(request, limit: self.maxBodyBytes), maxItems: Validation.maxBatchItems)
        var issues: [ValidationIssue] = []
        var bars: [IncomingBar] = []
        bars.reserveCapacity(objects.count)
        for (i, object) in objects.enumerated() {
            var r = FieldReader(object, index: i)
            r.rejectUnknown(InputFields.bar)
            let ts = r.time("ts")
            let open = r.number("open", required: true)
            let high = r.number("high", required: true)
            let low = r.number("low", required: true)
            let close = r.number("close", required: true)
            let volume = r.number("volume", required: true)
            if let ts, let open, let high, let low, let close, let volume {
                // Checked even when another field is wrong (an unknown one), so every problem is listed at once.
                let bar = Bar(ts: ts, open: open, high: high, low: low, close: close, volume: volume)
                var rules: [ValidationIssue] = []
                Validation.check(bar, index: i, into: &rules)
                issues += rules.filter { rule in !r.issues.contains { $0.field == rule.field } }
                if r.issues.isEmpty { bars.append(IncomingBar(index: i, bar: bar)) }
            }
            issues += r.issues
        }
        if !issues.isEmpty { throw ValidationError(issues.sorted { ($0.index ?? -1) < ($1.index ?? -1) }) }
        return bars
    }
}
