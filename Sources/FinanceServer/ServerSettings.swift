import FinanceApp
import FinanceCore

/// Everything the HTTP server needs to know from configuration.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// The largest request body read; larger ones get 413.
    public var maxBodyBytes: Int
    /// The simulated feed, or nil when `--feed none`.
    public var simulatedFeed: SimulatedFeedSettings?
    /// Live pattern and anomaly detection on the market bus.
    public var analytics: LiveAnalyticsSettings
    /// The quote book.
    public var quotes: QuoteBookSettings
    /// Messages each subscriber of the market and analytics buses may fall behind before it loses the oldest.
    public var busBufferSize: Int
    /// Live signals kept for `GET /api/signals`.
    public var recentSignals: Int
    /// The largest WebSocket message accepted (`ws.maxMessageBytes`; the library's default is 16 KiB).
    public var wsMaxMessageBytes: Int = 65_536
    /// The WebSocket connections' outgoing queues (`ws.sendQueue.*`).
    public var wsQueue = StreamQueueSettings()
    /// REST requests per minute per user of each tier (`api.tiers.<tier>.requestsPerMinute`); admins and service
    /// keys are not limited.
    public var apiRequestsPerMinute: [UserTier: Int] = [.free: 600, .pro: 3_000, .enterprise: 30_000]
    /// When set, `/metrics` needs `Authorization: Bearer <metricsToken>` (`http.metricsToken`).
    public var metricsToken: String?
    /// Browser origins allowed to call the API (`http.corsOrigins`); empty: no CORS headers at all.
    public var corsOrigins: [String] = []
    /// WebSocket sessions: per-tier limits (`ws.tiers.*`), `ws.authTimeoutSeconds` and the timings.
    public var wsSession = StreamSessionSettings()
    /// The audit log's buffer and retention (`audit.*`).
    public var audit = AuditLogSettings()
    /// Connection-attempt limits, bans, sign-in throttling and trusted proxies (`ws.connectAttempts.*`, `ws.ban.*`,
    /// `auth.loginAttemptsPerMinute`, `http.trustedProxies`).
    public var abuse = AbuseGuardSettings()
    /// The HTTP edge: timeouts, the connection cap and the heavy-read queue (`http.*`).
    public var edge = HTTPEdgeSettings()
    /// Portfolio value snapshots (`portfolios.*`).
    public var portfolios = PortfolioSettings()
    /// Alert delivery: webhooks, push, SMTP, retries, throttles (`alerts.*`, `smtp.*`).
    public var alertDelivery = AlertDeliverySettings()
    /// Alerts per user of each tier (`alerts.tiers.<tier>.maxAlerts`).
    public var alertQuotas = AlertQuotaSettings()

    public init(
        host: String = "127.0.0.1", port: Int = 8000, maxBodyBytes: Int = 10 * 1024 * 1024,
        simulatedFeed: SimulatedFeedSettings? = SimulatedFeedSettings(),
        analytics: LiveAnalyticsSettings = LiveAnalyticsSettings(), quotes: QuoteBookSettings = QuoteBookSettings(),
        busBufferSize: Int = 4096, recentSignals: Int = 1000
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.simulatedFeed = simulatedFeed
        self.analytics = analytics
        self.quotes = quotes
        self.busBufferSize = busBufferSize
        self.recentSignals = recentSignals
    }
}
