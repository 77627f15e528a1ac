import FinanceProviders

/// Settings of the market-data providers (`providers.*` and `providers.<name>.*`).
public struct ProviderSettings: Sendable, Equatable {
    /// One provider's settings.
    public struct Provider: Sendable, Equatable {
        public var name: String
        /// The root of its REST API (`providers.<name>.baseUrl`); Alpha Vantage's adapter appends `/query`.
        public var baseURL: String?
        /// Its WebSocket endpoint, for live sources (`providers.<name>.wsUrl`).
        public var wsURL: String?
        /// API keys (secret).
        public var keys: [String]
        public var budget: ProviderBudget
        public var timeoutSeconds: Double
        public var enabled: Bool

        /// Whether the provider can work without a key (CoinGecko's public API, the crypto exchanges' streams).
        public var worksWithoutKey: Bool { ProviderSettings.keyFree.contains(self.name) }

        /// Enabled and, when it needs keys, given some.
        public var isUsable: Bool { self.enabled && (self.worksWithoutKey || !self.keys.isEmpty) }
    }

    /// Every provider name, as configuration, the API, metrics and a quote's `source` spell it.
    public static let names = [
        "alphavantage", "coingecko", "coinmarketcap", "polygon", "finnhub", "newsapi", "binance", "coinbase",
    ]
    /// Providers usable without a key.
    public static let keyFree: Set<String> = ["coingecko", "binance", "coinbase"]

    /// What each provider offers (its REST adapter and its live stream; docs/providers.md), for listings.
    public static func capabilities(_ name: String) -> Set<ProviderCapability> {
        switch name {
        case "alphavantage", "coingecko", "polygon": return [.quote, .barsHistory]
        case "coinmarketcap": return [.quote]
        case "finnhub": return [.quote, .barsHistory, .liveTrades]
        case "newsapi": return [.news]
        case "binance", "coinbase": return [.liveTrades]
        default: return []
        }
    }

    /// Default endpoints (../shared/reference/providers.md).
    public static func defaultBaseURL(_ name: String) -> String? {
        switch name {
        case "alphavantage": return "https://www.alphavantage.co"
        case "coingecko": return "https://api.coingecko.com/api/v3"
        case "coinmarketcap": return "https://pro-api.coinmarketcap.com"
        case "polygon": return "https://api.polygon.io"
        case "finnhub": return "https://finnhub.io/api/v1"
        case "newsapi": return "https://newsapi.org"
        default: return nil
        }
    }

    public static func defaultWebSocketURL(_ name: String) -> String? {
        switch name {
        case "binance": return "wss://data-stream.binance.vision"
        case "coinbase": return "wss://advanced-trade-ws.coinbase.com"
        case "finnhub": return "wss://ws.finnhub.io"
        default: return nil
        }
    }

    /// Each provider by name, with its defaults until configured.
    public var providers: [String: Provider]
    /// Provider names, highest first: the order among providers of equal health.
    public var preference: [String]
    /// Symbols polled or streamed from providers (separate from `feed.symbols`, the simulated feed's list).
    public var watchlist: [String]
    /// Cache time-to-live per kind of answer, in seconds.
    public var quoteCacheSeconds: Int
    public var barsCacheSeconds: Int
    public var newsCacheSeconds: Int
    /// The shortest polling interval, in seconds.
    public var pollMinSeconds: Int
    /// Whether `GET /api/bars` backfills a range the store does not cover.
    public var backfillOnDemand: Bool
    /// Upstream fetches one user's requests may cause per minute.
    public var onDemandPerUserPerMinute: Int
    public var circuit: CircuitSettings

    public init() {
        var providers: [String: Provider] = [:]
        for name in Self.names {
            providers[name] = Provider(
                name: name, baseURL: Self.defaultBaseURL(name), wsURL: Self.defaultWebSocketURL(name), keys: [],
                budget: .defaults(for: name), timeoutSeconds: 5, enabled: true)
        }
        self.providers = providers
        self.preference = Self.names
        self.watchlist = []
        self.quoteCacheSeconds = 15
        self.barsCacheSeconds = 3_600
        self.newsCacheSeconds = 300
        self.pollMinSeconds = 15
        self.backfillOnDemand = true
        self.onDemandPerUserPerMinute = 30
        self.circuit = CircuitSettings()
    }

    /// The usable providers, in preference order.
    public var usable: [Provider] {
        self.preference.compactMap { self.providers[$0] }.filter(\.isUsable)
            + Self.names.filter { !self.preference.contains($0) }.compactMap { self.providers[$0] }.filter(\.isUsable)
    }

    /// One line per provider that cannot be used and why, for the startup log.
    public var disabledReasons: [String] {
        Self.names.compactMap { name in
            guard let provider = self.providers[name], !provider.isUsable else { return nil }
            if !provider.enabled { return "\(name): disabled by configuration" }
            return "\(name): disabled, no API key (set providers.\(name).keys)"
        }
    }
}
