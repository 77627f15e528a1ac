/// A storage driver: one value that is the database and every repository (the memory, SQLite and PostgreSQL
/// stores). Only the command line picks one; the application sees it through `Storage`.
public typealias MarketStore = DatabaseAdmin & AssetRepository & MarketDataRepository & ProviderStateRepository
    & UserRepository & AuditRepository & PortfolioRepository & AlertRepository & AlertOutboxRepository
    & EmailConfirmationRepository

/// The repositories the application works with, bundled: each consumer takes only the ones it uses. Repositories
/// for users, tokens, alerts and the rest join here as they are built, each a protocol with memory, SQLite and
/// PostgreSQL implementations checked by the same contract suite.
public struct Storage: Sendable {
    /// Migrations, liveness and closing.
    public var database: any DatabaseAdmin
    /// Assets.
    public var assets: any AssetRepository
    /// Bars, rollups and ticks.
    public var marketData: any MarketDataRepository
    /// Provider budgets, key states, usage log and health history.
    public var providers: any ProviderStateRepository
    /// Users, refresh tokens and the server's secrets.
    public var users: any UserRepository
    /// The audit log.
    public var audit: any AuditRepository
    /// Portfolios and their value history.
    public var portfolios: any PortfolioRepository
    /// Alerts, their history and the engine's per-alert state.
    public var alerts: any AlertRepository
    /// The alert delivery outbox (firings with their deliveries, leased claims, outcomes).
    public var alertOutbox: any AlertOutboxRepository
    /// Email addresses confirmed for alert channels.
    public var emailConfirmations: any EmailConfirmationRepository

    /// Every repository served by one driver.
    public init(_ store: any MarketStore) {
        self.database = store
        self.assets = store
        self.marketData = store
        self.providers = store
        self.users = store
        self.audit = store
        self.portfolios = store
        self.alerts = store
        self.alertOutbox = store
        self.emailConfirmations = store
    }
}
