import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging

/// Everything the application is made of, built once by the command line (which picks the storage driver) or by
/// a test, and handed to `buildApplication(_:)`: storage, buses, services, clock and settings. Controllers take
/// from it only what they use.
public struct AppDependencies: Sendable {
    /// The repositories.
    public var storage: Storage
    /// Ticks and bars accepted by the ingestor.
    public var marketBus: any MarketBus
    /// Pattern and anomaly signals of live analytics.
    public var analyticsBus: AnalyticsBus
    /// The one ingestion path.
    public var ingestor: Ingestor
    /// Where each symbol's latest data came from.
    public var sources: DataSourceLedger
    /// Bars at any interval.
    public var barQueries: BarQueryService
    /// Quotes from the store.
    public var quotes: QuoteService
    /// Quotes from memory, kept current by the market bus.
    public var quoteBook: QuoteBook
    /// Quotes asked of the market-data providers, when some provider is usable.
    public var onDemandQuotes: OnDemandQuotes?
    /// Symbols named in bodies (portfolio holdings, alert targets), found as a quote request finds them.
    public var symbols: SymbolLookup
    /// Every portfolio in memory, indexed by symbol and valued at the quote book's prices (the alert engine's
    /// portfolio seam; the snapshot service records its values).
    public var portfolioValuation: PortfolioValuation
    /// Each sector's live index level and the sectors of a symbol (the alert engine's sector seam).
    public var sectorIndex: SectorIndex
    /// Sectors' 1-day and 1-week changes for `GET /api/sectors`.
    public var sectorPerformance: SectorPerformance
    /// Sign-in, tokens and API keys: every route under /api and every WebSocket needs a caller.
    public var auth: AuthService
    /// REST requests per minute per user and tier.
    public var rateLimiter: RequestRateLimiter
    /// Upstream fetches per minute that one user's on-demand quotes and bars may cause.
    public var onDemandLimiter: RequestRateLimiter
    /// The WebSocket fan-out.
    public var streamHub: StreamHub
    /// The audit log's recorder (written by `AuditLogService`, read by `GET /api/admin/audit`).
    public var auditLog: AuditLog
    /// Connection-attempt limits, bans and sign-in throttling, per instance.
    public var abuseGuard: AbuseGuard
    /// Bars of the past fetched from the providers, when some provider is usable.
    public var backfill: BarBackfill?
    /// `GET /api/bars` backfilling ranges the store does not cover (`providers.backfillOnDemand`).
    public var onDemandBars: OnDemandBars?
    /// How the simulated history is coming along (`feed.historyDays`).
    public var simulatedHistory: SimulatedHistoryStatus
    /// Run-once jobs (the simulated history): a lock of this process unless a driver provides a shared one.
    public var jobLock: any JobLock
    /// Live messages to and from the other instances on the same database (a relay to no one by default).
    public var relay: RelayService
    /// The market-data providers' router, nil when no provider has keys.
    public var providers: ProviderRouter?
    /// The providers' settings, so that listings show every provider (with why it is not used) even without a router.
    public var providerSettings: ProviderSettings
    /// News from the providers, nil when no news provider is usable.
    public var news: NewsService?
    /// The latest live signals, for `GET /api/signals`.
    public var signals: RecentSignals
    /// What alert bodies' portfolio and sector targets are checked against (the asset table's sectors and no
    /// portfolios by default; the portfolio store replaces it).
    public var alertTargets: any AlertTargetDirectory
    /// Told of every alert the REST API stores or deletes (the engine of `alerts`).
    public var alertChanges: any AlertChangeObserver
    /// The alert engine, its firing sink and the outbox's delivery.
    public var alerts: AlertWiring
    /// "Now" for every request and service.
    public var clock: any WallClock
    /// The heavy-read queue (`http.heavyReads.*`).
    public var heavyReads: HeavyReadGate
    /// The server's open connections, counted against `http.maxConnections`.
    public var connections: OpenConnections
    public var settings: ServerSettings
    public var logger: Logger

    /// Wires the application around `storage` (already migrated).
    public init(
        storage: Storage, settings: ServerSettings, logger: Logger, clock: any WallClock = SystemClock(),
        marketBus: any MarketBus = InProcessMarketBus(), analyticsBus: AnalyticsBus = AnalyticsBus(),
        signals: RecentSignals = RecentSignals(), providers: ProviderRouter? = nil,
        providerSettings: ProviderSettings = ProviderSettings(), auth: AuthService,
        jobLock: any JobLock = LocalJobLock(), relay: any InstanceRelay = InProcessRelay()
    ) {
        self.auth = auth
        self.rateLimiter = RequestRateLimiter(perMinute: settings.apiRequestsPerMinute, clock: clock)
        self.onDemandLimiter = .onDemand(perMinute: providerSettings.onDemandPerUserPerMinute, clock: clock)
        self.auditLog = AuditLog(repository: storage.audit, settings: settings.audit, clock: clock)
        self.abuseGuard = AbuseGuard(settings: settings.abuse, clock: clock)
        self.relay = RelayService(relay: relay, bus: marketBus, logger: logger)
        self.storage = storage
        self.marketBus = marketBus
        self.analyticsBus = analyticsBus
        self.sources = DataSourceLedger(assets: storage.assets)
        self.ingestor = Ingestor(marketData: storage.marketData, bus: marketBus, sources: self.sources)
        self.barQueries = BarQueryService(storage: storage)
        self.quotes = QuoteService(storage: storage)
        self.quoteBook = QuoteBook(
            service: self.quotes, bus: marketBus, clock: clock, maxSymbols: settings.quotes.maxSymbols,
            maxAgeMilliseconds: settings.quotes.maxAgeMilliseconds)
        self.streamHub = StreamHub(
            settings: settings.wsQueue, session: settings.wsSession, clock: clock, quotes: self.quoteBook)
        let (book, ingestor, sources) = (self.quoteBook, self.ingestor, self.sources)
        self.onDemandQuotes = providers.map { router in
            let coinGecko = router.providers.first { $0.adapter is CoinGeckoProvider }
            return OnDemandQuotes(
                book: book, router: router,
                cache: ResponseCache(maxEntries: settings.quotes.maxSymbols, clock: clock, kind: "quote"),
                ingestor: ingestor,
                assets: storage.assets, sources: sources, resolver: SymbolResolver(), symbolMap: storage.providers,
                coins: coinGecko.map {
                    CoinDirectory(provider: $0.adapter as! CoinGeckoProvider, pool: $0.pool, clock: clock)
                },
                quoteTTLMilliseconds: Int64(providerSettings.quoteCacheSeconds) * 1_000, clock: clock, logger: logger)
        }
        self.symbols = SymbolLookup(assets: storage.assets, onDemand: self.onDemandQuotes)
        self.portfolioValuation = PortfolioValuation(repository: storage.portfolios, book: book)
        self.sectorIndex = SectorIndex(assets: storage.assets, book: book, bus: marketBus)
        self.sectorPerformance = SectorPerformance(
            assets: storage.assets, book: book, barQueries: self.barQueries, clock: clock)
        self.providers = providers
        self.providerSettings = providerSettings
        self.news = providers.flatMap { router in
            let news = NewsService(
                router: router,
                cache: ResponseCache(maxEntries: NewsService.maxCachedQueries, clock: clock, kind: "news"),
                ttlMilliseconds: Int64(providerSettings.newsCacheSeconds) * 1_000)
            return news.isAvailable ? news : nil
        }
        self.backfill = providers.map { router in
            BarBackfill(
                router: router, cache: ResponseCache(maxEntries: 10_000, clock: clock), ingestor: ingestor,
                assets: storage.assets, fetched: FetchedRanges(),
                cacheTTLMilliseconds: Int64(providerSettings.barsCacheSeconds) * 1_000,
                clock: clock, logger: logger)
        }
        let queries = self.barQueries
        self.onDemandBars = self.backfill.flatMap { backfill in
            providerSettings.backfillOnDemand
                ? OnDemandBars(backfill: backfill, barQueries: queries, sources: sources, logger: logger) : nil
        }
        self.simulatedHistory = SimulatedHistoryStatus()
        self.heavyReads = HeavyReadGate(settings: settings.edge)
        self.connections = OpenConnections()
        self.jobLock = jobLock
        self.alertTargets = StoredAssetTargets(assets: storage.assets, portfolios: storage.portfolios)
        self.alerts = AlertWiring(
            storage: storage, marketBus: marketBus, analyticsBus: analyticsBus, barQueries: self.barQueries,
            valuation: self.portfolioValuation, sectors: self.sectorIndex, book: book,
            fanout: AlertStreamFanout(hub: self.streamHub, relay: self.relay), relay: self.relay,
            settings: settings.alertDelivery,
            clock: clock, logger: logger)
        self.alertChanges = self.alerts.changes
        self.signals = signals
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// Wires the application around one driver's repositories.
    public init(
        store: any MarketStore, settings: ServerSettings, logger: Logger, clock: any WallClock = SystemClock(),
        providers: ProviderRouter? = nil, providerSettings: ProviderSettings = ProviderSettings(),
        auth: AuthService, jobLock: any JobLock = LocalJobLock(),
        relay: any InstanceRelay = InProcessRelay()
    ) {
        self.init(
            storage: Storage(store), settings: settings, logger: logger, clock: clock,
            marketBus: InProcessMarketBus(bufferSize: settings.busBufferSize),
            analyticsBus: AnalyticsBus(bufferSize: settings.busBufferSize),
            signals: RecentSignals(capacity: settings.recentSignals), providers: providers,
            providerSettings: providerSettings, auth: auth, jobLock: jobLock, relay: relay)
    }
}
