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
    // Secrets never reach the log: query tokens are redacted and headers are not logged.
    router.add(middleware: RequestLogMiddleware(.debug))
    if !dependencies.settings.corsOrigins.isEmpty {
        // Before authentication: a browser's preflight carries no token.
        router.add(middleware: AllowedOriginsMiddleware(origins: Set(dependencies.settings.corsOrigins)))
    }
    router.add(middleware: AuthenticationMiddleware(auth: dependencies.auth, limiter: dependencies.rateLimiter))
    let maxBodyBytes = dependencies.settings.maxBodyBytes
    HealthController(database: dependencies.storage.database).addRoutes(to: router)
    MetricsController(token: dependencies.settings.metricsToken).addRoutes(to: router)
    DocsController().addRoutes(to: router)
    AssetsController(
        assets: dependencies.storage.assets, sources: dependencies.sources, symbolMap: dependencies.storage.providers,
        maxBodyBytes: maxBodyBytes, sectors: dependencies.sectorIndex
    )
    .addRoutes(to: router.group("/api/assets"))
    MarketDataController(
        ingestor: dependencies.ingestor, barQueries: dependencies.barQueries, quotes: dependencies.quoteBook,
        onDemand: dependencies.onDemandQuotes, onDemandBars: dependencies.onDemandBars,
        onDemandLimiter: dependencies.onDemandLimiter, sources: dependencies.sources,
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
    AuthController(
        auth: dependencies.auth, maxBodyBytes: maxBodyBytes, abuse: dependencies.abuseGuard,
        audit: dependencies.auditLog
    ).addRoutes(to: router.group("/api/auth"))
    AdminTokensController(auth: dependencies.auth, audit: dependencies.auditLog).addRoutes(
        to: router.group("/api/admin/tokens"))
    AdminConnectionsController(hub: dependencies.streamHub, audit: dependencies.auditLog).addRoutes(
        to: router.group("/api/admin"))
    let handshake = StreamHandshake(
        hub: dependencies.streamHub, auth: dependencies.auth, abuse: dependencies.abuseGuard,
        audit: dependencies.auditLog)
    let maxMessageBytes = dependencies.settings.wsMaxMessageBytes
    PriceStreamController(handshake: handshake, maxMessageBytes: maxMessageBytes).addPlainRoutes(to: router)
    MarketStreamController(handshake: handshake, barQueries: dependencies.barQueries, maxMessageBytes: maxMessageBytes)
        .addPlainRoutes(to: router)
    ProvidersController(
        settings: dependencies.providerSettings, router: dependencies.providers,
        repository: dependencies.storage.providers, clock: dependencies.clock
    ).addRoutes(to: router.group("/api/providers"))
    NewsController(news: dependencies.news).addRoutes(to: router.group("/api/news"))
    AdminAuditController(log: dependencies.auditLog).addRoutes(to: router.group("/api/admin/audit"))
    PortfoliosController(
        repository: dependencies.storage.portfolios, valuation: dependencies.portfolioValuation,
        symbols: dependencies.symbols, onDemandLimiter: dependencies.onDemandLimiter, clock: dependencies.clock,
        maxBodyBytes: maxBodyBytes
    ).addRoutes(to: router.group("/api/portfolios"))
    SectorsController(performance: dependencies.sectorPerformance).addRoutes(to: router.group("/api/sectors"))
    AlertsController(
        alerts: dependencies.storage.alerts, assets: dependencies.storage.assets, onDemand: dependencies.onDemandQuotes,
        onDemandLimiter: dependencies.onDemandLimiter, targets: dependencies.alertTargets,
        changes: dependencies.alertChanges, quotas: dependencies.settings.alertQuotas,
        patternIntervals: dependencies.settings.analytics.intervals, clock: dependencies.clock,
        barQueries: dependencies.barQueries, emails: dependencies.alerts.emails,
        testSends: AlertTestSends(
            probe: .live(
                barQueries: dependencies.barQueries, book: dependencies.quoteBook,
                valuation: dependencies.portfolioValuation, sectors: dependencies.sectorIndex,
                signals: dependencies.signals, clock: dependencies.clock),
            deliverer: dependencies.alerts.deliverer,
            testsPerMinute: dependencies.settings.alertDelivery.testsPerMinute, clock: dependencies.clock)
    ).addRoutes(to: router.group("/api/alerts"))
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
    // Stops after the server has drained and writes the last audit events before the store closes.
    services.append(AuditLogService(log: dependencies.auditLog, logger: dependencies.logger))
    // Stops before the store closes (it sends through the store's connections).
    services.append(dependencies.relay)
    // Records portfolio values and reads portfolios and sector members again, until the store closes.
    services.append(
        PortfolioSnapshotService(
            valuation: dependencies.portfolioValuation, sectors: dependencies.sectorIndex,
            settings: settings.portfolios, clock: dependencies.clock, logger: dependencies.logger))
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
    let handshake = StreamHandshake(
        hub: dependencies.streamHub, auth: dependencies.auth, abuse: dependencies.abuseGuard,
        audit: dependencies.auditLog)
    let webSockets = StreamRoutes(
        price: PriceStreamController(handshake: handshake, maxMessageBytes: settings.wsMaxMessageBytes),
        multiplexed: MarketStreamController(
            handshake: handshake, barQueries: dependencies.barQueries, maxMessageBytes: settings.wsMaxMessageBytes))
    services.append(StreamHubService(hub: dependencies.streamHub, bus: dependencies.marketBus))
    services.append(RelayNoticeService(hub: dependencies.streamHub, relay: dependencies.relay))
    services += dependencies.alerts.services
    services.append(AuthUpkeepService(auth: dependencies.auth, logger: dependencies.logger))
    // A ban is audited, and a banned user's WebSockets close at once.
    let (audit, hub) = (dependencies.auditLog, dependencies.streamHub)
    dependencies.abuseGuard.onBan { ban in
        var user: String?
        var ip: String?
        switch ban.key {
        case .user(let name): user = name
        case .ip(let address): ip = address
        }
        audit.record(
            .ban, user: user, ip: ip,
            detail: "\(ban.violation.rawValue): banned \(ban.seconds) s (ban \(ban.count))")
        if let user { hub.disconnect(user: user, reason: .policy) }
    }
    services.append(
        StreamAccessSweepService(hub: dependencies.streamHub, auth: dependencies.auth, logger: dependencies.logger))
    FileDescriptorLimit.raise(
        toFit: settings.edge.acceptLimit + FileDescriptorLimit.headroom, logger: dependencies.logger)
    return Application(
        router: buildRouter(dependencies),
        // Behind the edge's guard (timeouts, the connection cap, 414/431); refused upgrades reach the router, whose
        // plain WebSocket routes answer 401/403/422/429/426.
        server: .guardedWebSocketUpgrade(
            ws: .init(maxFrameSize: settings.wsMaxMessageBytes),
            decide: { request, peer, _ in await webSockets.decide(request, peer: peer) },
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
