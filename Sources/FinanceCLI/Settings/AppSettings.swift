import FinanceApp
import FinanceServer
import FinanceStorageSQLite
import Foundation
import Logging

/// Every setting of the command line, resolved from defaults → config file → environment (`FINANCEHUB_*`) →
/// command line. Keys are declared once, by their sections, and documented in docs/configuration.md.
struct AppSettings {
    var server = ServerSettings()
    var databaseURL = DatabaseLocation.defaultValue
    var logLevel = Logger.Level.info
    /// The SQLite writer's page cache (MiB; readers get a quarter, at least 8) and the most read connections.
    var sqliteCacheMiB = SQLiteStore.defaultCacheSizeMiB
    var sqliteReaders = SQLiteStore.defaultMaxReaders
    /// Market-data providers (`providers.*`).
    var providers = ProviderSettings()
    /// Sign-in and tokens (`auth.*`).
    var auth = AuthSettings()
    /// Alert delivery (`alerts.*` webhook, push and throttle keys, `smtp.*`).
    /// Alert delivery (`alerts.*`, `smtp.*`), kept with the server's settings.
    var alertDelivery: AlertDeliverySettings {
        get { self.server.alertDelivery }
        set { self.server.alertDelivery = newValue }
    }
    /// Whether `feed.mode` includes `providers`: the watchlist is streamed and polled from the providers.
    var providerFeed = false
    /// Startup warnings (environment variables that match no key), for the command to print.
    var warnings: [String] = []

    /// The sections this build reads.
    static let catalog = SettingsCatalog(
        [
            HTTPSection.section, DatabaseSection.section, FeedSection.section, LogSection.section,
            AnalyticsSection.section, QuotesSection.section, BusSection.section, ProvidersSection.section,
            ProviderSection.section, AuthSection.section, WebSocketSection.section, APISection.section,
            WebSocketTierSection.section, HTTPEdgeSection.section,
        ] + AbuseSection.sections + [
            AuditSection.section, PortfoliosSection.section, AlertDeliverySection.section, SMTPSection.section,
            AlertTierSection.section,
        ])

    /// Loads settings; throws `CLIFailure` listing every unknown key and invalid value at once.
    static func load(
        configFile: String?, overrides: [String: String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> AppSettings {
        let sources = try await SettingsSources.load(
            configFile: configFile, overrides: overrides, environment: environment, catalog: Self.catalog)
        let reader = SettingsReader(sources: sources, catalog: Self.catalog)
        var settings = AppSettings()
        HTTPSection.read(reader.section(HTTPSection.section), into: &settings)
        DatabaseSection.read(reader.section(DatabaseSection.section), into: &settings)
        FeedSection.read(reader.section(FeedSection.section), into: &settings)
        LogSection.read(reader.section(LogSection.section), into: &settings)
        AnalyticsSection.read(reader.section(AnalyticsSection.section), into: &settings)
        QuotesSection.read(reader.section(QuotesSection.section), into: &settings)
        BusSection.read(reader.section(BusSection.section), into: &settings)
        ProvidersSection.read(reader.section(ProvidersSection.section), into: &settings.providers)
        ProviderSection.read(reader, into: &settings.providers)
        AuthSection.read(reader.section(AuthSection.section), into: &settings.auth)
        WebSocketSection.read(reader.section(WebSocketSection.section), into: &settings.server)
        APISection.read(reader.section(APISection.section), into: &settings.server)
        WebSocketTierSection.read(reader, into: &settings.server.wsSession)
        AlertTierSection.read(reader, into: &settings.server.alertQuotas)
        AbuseSection.read(reader, into: &settings.server.abuse)
        AuditSection.read(reader.section(AuditSection.section), into: &settings.server.audit)
        HTTPEdgeSection.read(reader.section(HTTPEdgeSection.section), into: &settings.server.edge)
        PortfoliosSection.read(reader.section(PortfoliosSection.section), into: &settings.server.portfolios)
        AlertDeliverySection.read(reader.section(AlertDeliverySection.section), into: &settings.alertDelivery)
        SMTPSection.read(reader.section(SMTPSection.section), into: &settings.alertDelivery.smtp)
        settings.warnings = EnvironmentCheck.warnings(environment, catalog: Self.catalog)
        try reader.finish(warnings: settings.warnings)
        return settings
    }
}
