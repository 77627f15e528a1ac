import ArgumentParser
import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `financehub serve`: the HTTP server with the simulated feed on the embedded database by default.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Start the server.")

    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8000; 0 picks a free port).") var port: Int?
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Live sources: simulated (default), providers (the watchlist), both comma-separated, or none.")
    var feed: String?
    @Option(help: "Seed of the simulated feed.") var seed: Int?
    @Option(name: .customLong("tick-rate"), help: "Simulated ticks per second per symbol (default 4).") var tickRate:
        Double?

    func run() async throws {
        var overrides: [String: String] = [:]
        overrides["http.host"] = self.host
        overrides["http.port"] = self.port.map(String.init)
        overrides["feed.mode"] = self.feed
        overrides["feed.seed"] = self.seed.map(String.init)
        overrides["feed.ticksPerSecond"] = self.tickRate.map { String($0) }
        let settings = try await self.db.settings(overrides: overrides)
        LoggingSetup.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "financehub")
        let store = try await self.db.open(settings, migrating: true, logger: logger)
        let applied: Int
        do { applied = try await store.migrate() } catch {
            try? await store.close()
            throw CLIFailure("migrations failed: \(error)")
        }
        let feedText =
            settings.server.simulatedFeed.map { f in
                "simulated (\(f.instruments.map(\.asset.symbol).joined(separator: ", ")); \(f.ticksPerSecond) ticks/s per symbol; seed \(f.seed); \(f.historyDays) days of history on a first start)"
            } ?? "none"
        let analytics = settings.server.analytics
        let analyticsText =
            analytics.intervals.isEmpty
            ? "off"
            : "\(analytics.intervals.map(\.name).joined(separator: ", ")) (warm-up \(analytics.warmupBars) bars, up to \(analytics.maxSymbols) symbols)"
        let router = ProviderWiring.router(
            settings.providers, client: .shared, repository: store, clock: SystemClock(), logger: logger)
        let jobLock = StoreFactory.jobLock(store, logger: logger)
        let relay = StoreFactory.relay(store, logger: logger)
        let auth = try await AuthService.make(settings: settings.auth, users: store, clock: SystemClock())
        let firstAdmin = try await FirstAdmin.create(auth: auth, users: store)
        let dependencies = AppDependencies(
            store: store, settings: settings.server, logger: logger, providers: router,
            providerSettings: settings.providers, auth: auth, jobLock: jobLock, relay: relay)
        var feedServices: [any Service] = []
        var plan: ProviderFeedPlan?
        if settings.providerFeed {
            let made = ProviderFeedPlan.make(settings.providers)
            let pollRouter =
                router
                ?? ProviderWiring.router(
                    settings.providers, client: .shared, repository: store, clock: SystemClock(), logger: logger,
                    requireKeys: false)
            feedServices = ProviderWiring.feedServices(
                made, settings: settings.providers, router: pollRouter, ingestor: dependencies.ingestor,
                assets: store, lock: jobLock, logger: logger)
            plan = made
        }
        let planSummary = plan.map { "; providers: \($0.summary)" } ?? ""
        let app = buildApplication(dependencies, services: feedServices) { port in
            Console.info("FinanceHub listening on http://\(settings.server.host):\(port)")
            if let firstAdmin { Console.info(firstAdmin.banner(baseURL: "http://\(settings.server.host):\(port)")) }
            Console.info(
                "database: \(store.displayName)\(applied > 0 ? " (\(applied) migration\(applied == 1 ? "" : "s") applied)" : "")"
            )
            Console.info("feeds: \(feedText)\(planSummary)")
            Console.info("live analytics: \(analyticsText)")
            Console.info("relay between instances: \(relay.summary)")
            Console.info("providers: \(Self.providersText(settings.providers))")
            Console.info(
                "on-demand quotes: \(router == nil ? "off (no provider has keys)" : "on (\(router!.providers.map(\.name).joined(separator: ", ")))")"
            )
            Console.info(
                "on-demand backfill of GET /api/bars: \(router == nil ? "off (no provider has keys)" : settings.providers.backfillOnDemand ? "on" : "off (providers.backfillOnDemand)")"
            )
        }
        try await app.runService()
    }
}

extension ServeCommand {
    /// The startup line about providers: the usable ones in preference order, and each disabled one with why.
    static func providersText(_ providers: ProviderSettings) -> String {
        let usable = providers.usable.map(\.name)
        let disabled = providers.disabledReasons
        return (usable.isEmpty ? "none usable" : usable.joined(separator: ", "))
            + (disabled.isEmpty ? "" : "; " + disabled.joined(separator: "; "))
    }
}

/// Logs go to stderr so stdout carries only results.
enum LoggingSetup {
    nonisolated(unsafe) private static var done = false

    static func bootstrap(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
