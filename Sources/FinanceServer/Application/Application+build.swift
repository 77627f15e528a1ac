import FinanceApp
import FinanceCore
import FinanceStorage
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// Builds the router with every route and middleware.
public func buildRouter(_ dependencies: AppDependencies) -> Router<AppRequestContext> {
    // HEAD answers like GET without the body (load balancers probe /health and /ready with it).
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Outermost: a request body left unread is read to its end, and HEAD never gets a body.
    router.add(middleware: HTTPExchangeMiddleware())
    // Metrics next, so they count the status the client gets (a 422 or 404 problem, not a thrown error).
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    let maxBodyBytes = dependencies.settings.maxBodyBytes
    HealthController(database: dependencies.storage.database).addRoutes(to: router)
    MetricsController().addRoutes(to: router)
    DocsController().addRoutes(to: router)
    AssetsController(
        assets: dependencies.storage.assets, sources: dependencies.sources, symbolMap: dependencies.storage.providers,
        maxBodyBytes: maxBodyBytes
    )
    .addRoutes(to: router.group("/api/assets"))
    MarketDataController(
        ingestor: dependencies.ingestor, barQueries: dependencies.barQueries, quotes: dependencies.quoteBook,
        onDemand: dependencies.onDemandQuotes, onDemandBars: dependencies.onDemandBars, sources: dependencies.sources,
        clock: dependencies.clock,
        maxBodyBytes: maxBodyBytes, heavyReads: dependencies.heavyReads
    ).addRoutes(to: router.group("/api"))
    IndicatorsController(barQueries: dependencies.barQueries, clock: dependencies.clock)
        .addRoutes(to: router.group("/api/indicators"))
    AnalyticsController(
        assets: dependencies.storage.assets, barQueries: dependencies.barQueries, clock: dependencies.clock
    )
    .addRoutes(to: router.group("/api"))
    SignalsController(signals: dependencies.signals).addRoutes(to: router.group("/api/signals"))
    if let auth = dependencies.auth {
        AuthController(auth: auth, maxBodyBytes: maxBodyBytes).addRoutes(to: router.group("/api/auth"))
        PriceStreamController(hub: dependencies.streamHub, auth: auth).addPlainRoutes(to: router)
    }
    ProvidersController(
        settings: dependencies.providerSettings, router: dependencies.providers,
        repository: dependencies.storage.providers, clock: dependencies.clock
    ).addRoutes(to: router.group("/api/providers"))
    NewsController(news: dependencies.news).addRoutes(to: router.group("/api/news"))
    // After every route: it only wraps the not-found responder, turning a 404 for a routed path into a 405.
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return router
}

/// Builds the application: the HTTP server plus background services (live analytics, the simulated feed with its
/// first-start history when configured, and `services` the command line adds, such as the providers' feeds). The
/// store must be migrated before this is called.
public func buildApplication(
    _ dependencies: AppDependencies, services extra: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Observability.bootstrap()
    let settings = dependencies.settings
    // Services shut down in reverse order: the server drains, the feed stops, live analytics stops, and the store
    // closes last.
    var services: [any Service] = [StoreCloser(database: dependencies.storage.database, bus: dependencies.marketBus)]
    if !settings.analytics.intervals.isEmpty {
        services.append(
            LiveAnalyticsService(
                bus: dependencies.marketBus, storage: dependencies.storage, output: dependencies.analyticsBus,
                recent: dependencies.signals, settings: settings.analytics, logger: dependencies.logger))
    }
    if let feed = settings.simulatedFeed {
        // Before the feed's first tick: history ends where the live feed starts.
        services.append(
            SimulatedHistoryService(
                feed: feed, end: dependencies.clock.nowMilliseconds(), marketData: dependencies.storage.marketData,
                assets: dependencies.storage.assets, ingestor: dependencies.ingestor, lock: dependencies.jobLock,
                status: dependencies.simulatedHistory, logger: dependencies.logger))
        services.append(
            LiveFeedService(
                provider: feed.provider(clock: dependencies.clock),
                symbols: feed.instruments.map(\.asset.symbol), assets: dependencies.storage.assets,
                ingestor: dependencies.ingestor,
                logger: dependencies.logger))
    }
    if let router = dependencies.providers {
        services.append(ProviderUpkeepService(router: router, logger: dependencies.logger))
    }
    // Feeds built by the command line (the providers' streams and poller), after the store and analytics.
    services += extra
    let webSockets = Router(context: WSRequestContext.self)
    if let auth = dependencies.auth {
        PriceStreamController(hub: dependencies.streamHub, auth: auth).addRoutes(to: webSockets)
        services.append(StreamHubService(hub: dependencies.streamHub, bus: dependencies.marketBus))
    }
    FileDescriptorLimit.raise(
        toFit: settings.edge.acceptLimit + FileDescriptorLimit.headroom, logger: dependencies.logger)
    return Application(
        router: buildRouter(dependencies),
        server: .guardedHTTP1WebSocketUpgrade(
            webSocketRouter: webSockets,
            configuration: .init(ws: .init(maxFrameSize: settings.wsMaxMessageBytes)),
            settings: settings.edge, connections: dependencies.connections),
        configuration: .init(
            address: .hostname(settings.host, port: settings.port), serverName: "FinanceHub",
            availableConnectionsDelegate: MaximumAvailableConnections(settings.edge.acceptLimit)),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
        logger: dependencies.logger)
}

/// Routes the market bus into the WebSocket hub until the bus ends.
struct StreamHubService: Service {
    let hub: StreamHub
    let bus: any MarketBus

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.hub.run(bus: self.bus) }
    }
}

/// Closes the store and the bus when the service group shuts down (after the server has drained).
struct StoreCloser: Service {
    let database: any DatabaseAdmin
    let bus: any MarketBus

    func run() async throws {
        try? await gracefulShutdown()
        self.bus.finish()
        try await self.database.close()
    }
}
