import FinanceCore
import FinanceProviders
import FinanceStorage
import Hummingbird
import Logging
import ServiceLifecycle

/// The one application builder behind `financehub serve` and the tests.
public enum FinanceHubApp {
    /// Builds the router with every route and middleware.
    public static func router(
        ingestor: Ingestor, settings: ServerSettings, signals: RecentSignals = RecentSignals()
    ) -> Router<BasicRequestContext> {
        // HEAD answers like GET without the body (load balancers probe /health and /ready with it).
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Outermost: a request body left unread is read to its end, and HEAD never gets a body.
        router.add(middleware: HTTPExchangeMiddleware())
        // Metrics next, so they count the status the client gets (a 422 or 404 problem, not a thrown error).
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        HealthController(store: ingestor.store).register(on: router)
        MetricsController().register(on: router)
        DocsController().register(on: router)
        AssetsController(store: ingestor.store, maxBodyBytes: settings.maxBodyBytes).register(on: router)
        MarketDataController(ingestor: ingestor, maxBodyBytes: settings.maxBodyBytes).register(on: router)
        IndicatorsController(store: ingestor.store).register(on: router)
        AnalyticsController(store: ingestor.store).register(on: router)
        SignalsController(signals: signals).register(on: router)
        // After every route: it only wraps the not-found responder, turning a 404 for a routed path into a 405.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }

    /// Builds the application: the HTTP server plus background services (live analytics and the simulated feed
    /// when configured). Live signals are published on `analyticsBus`. The store must be migrated before this is
    /// called.
    public static func build(
        store: any MarketStore, settings: ServerSettings, logger: Logger, bus: MarketBus = MarketBus(),
        analyticsBus: AnalyticsBus = AnalyticsBus(),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Observability.bootstrap()
        let instrumented = InstrumentedStore(store)
        let ingestor = Ingestor(store: instrumented, bus: bus)
        let signals = RecentSignals()
        // Services shut down in reverse order: the server drains, the feed stops, live analytics stops, and the
        // store closes last.
        var services: [any Service] = [StoreCloser(store: store, bus: bus)]
        if !settings.analytics.intervals.isEmpty {
            services.append(
                LiveAnalyticsService(
                    bus: bus, store: instrumented, output: analyticsBus, recent: signals,
                    settings: settings.analytics, logger: logger))
        }
        if let feed = settings.simulatedFeed {
            services.append(
                SimulatedFeedService(
                    ingestor: ingestor, instruments: feed.instruments, seed: feed.seed,
                    ticksPerSecond: feed.ticksPerSecond,
                    logger: logger))
        }
        return Application(
            router: router(ingestor: ingestor, settings: settings, signals: signals),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "FinanceHub"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }
}

/// Closes the store and the bus when the service group shuts down (after the server has drained).
struct StoreCloser: Service {
    let store: any MarketStore
    let bus: MarketBus

    func run() async throws {
        try? await gracefulShutdown()
        self.bus.finish()
        try await self.store.close()
    }
}
