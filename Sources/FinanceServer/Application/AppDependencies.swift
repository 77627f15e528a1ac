import FinanceApp
import FinanceCore
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
    /// The market-data providers' router, nil when no provider has keys.
    public var providers: ProviderRouter?
    /// The providers' settings, so that listings show every provider (with why it is not used) even without a router.
    public var providerSettings: ProviderSettings
    /// News from the providers, nil when no news provider is usable.
    public var news: NewsService?
    /// The latest live signals, for `GET /api/signals`.
    public var signals: RecentSignals
    /// "Now" for every request and service.
    public var clock: any WallClock
    public var settings: ServerSettings
    public var logger: Logger

    /// Wires the application around `storage` (already migrated).
    public init(
        storage: Storage, settings: ServerSettings, logger: Logger, clock: any WallClock = SystemClock(),
        marketBus: any MarketBus = InProcessMarketBus(), analyticsBus: AnalyticsBus = AnalyticsBus(),
        signals: RecentSignals = RecentSignals(), providers: ProviderRouter? = nil,
        providerSettings: ProviderSettings = ProviderSettings()
    ) {
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
        let (book, ingestor, sources) = (self.quoteBook, self.ingestor, self.sources)
        self.onDemandQuotes = providers.map { router in
            OnDemandQuotes(
                book: book, router: router,
                cache: ResponseCache(maxEntries: settings.quotes.maxSymbols, clock: clock, kind: "quote"),
                ingestor: ingestor,
                assets: storage.assets, sources: sources, resolver: SymbolResolver(),
                quoteTTLMilliseconds: Int64(providerSettings.quoteCacheSeconds) * 1_000, clock: clock, logger: logger)
        }
        self.providers = providers
        self.providerSettings = providerSettings
        self.news = providers.flatMap { router in
            let news = NewsService(
                router: router,
                cache: ResponseCache(maxEntries: NewsService.maxCachedQueries, clock: clock, kind: "news"),
                ttlMilliseconds: Int64(providerSettings.newsCacheSeconds) * 1_000)
            return news.isAvailable ? news : nil
        }
        self.signals = signals
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// Wires the application around one driver's repositories.
    public init(
        store: any MarketStore, settings: ServerSettings, logger: Logger, clock: any WallClock = SystemClock(),
        providers: ProviderRouter? = nil, providerSettings: ProviderSettings = ProviderSettings()
    ) {
        self.init(
            storage: Storage(store), settings: settings, logger: logger, clock: clock,
            marketBus: InProcessMarketBus(bufferSize: settings.busBufferSize),
            analyticsBus: AnalyticsBus(bufferSize: settings.busBufferSize),
            signals: RecentSignals(capacity: settings.recentSignals), providers: providers,
            providerSettings: providerSettings)
    }
}
