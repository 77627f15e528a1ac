import AsyncHTTPClient
import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging
import ServiceLifecycle

/// Builds the provider layer from `providers.*`: one adapter per usable REST provider over a shared HTTP client, each
/// with its key pool, behind one router. The composition root of providers, as `DatabaseOptions` is of storage.
enum ProviderWiring {
    /// The router of the usable REST providers, nil unless some provider has keys (on-demand quotes are then off:
    /// a fresh install never reaches out to the internet on its own).
    /// With `requireKeys` false (polling the watchlist), key-free providers alone make a router.
    static func router(
        _ settings: ProviderSettings, client: HTTPClient, repository: any ProviderStateRepository,
        clock: any WallClock, logger: Logger, requireKeys: Bool = true
    ) -> ProviderRouter? {
        guard !requireKeys || settings.providers.values.contains(where: { $0.enabled && !$0.keys.isEmpty }) else {
            return nil
        }
        let routed = settings.usable.compactMap { provider -> RoutedProvider? in
            guard let adapter = Self.adapter(provider, client: client, clock: clock, logger: logger) else { return nil }
            return RoutedProvider(
                adapter: adapter,
                pool: KeyPool(
                    provider: provider.name, keys: provider.keys.map(ProviderKey.init), budget: provider.budget,
                    repository: repository, clock: clock))
        }
        guard !routed.isEmpty else { return nil }
        return ProviderRouter(
            providers: routed, preference: settings.preference, circuit: settings.circuit, repository: repository,
            clock: clock)
    }

    /// The REST adapter of `provider`, nil for live-only sources (binance, coinbase).
    static func adapter(
        _ provider: ProviderSettings.Provider, client: HTTPClient, clock: any WallClock, logger: Logger
    ) -> (any MarketDataProvider)? {
        guard let base = provider.baseURL else { return nil }
        let timeout = provider.timeoutSeconds
        var log = logger
        log[metadataKey: "provider"] = "\(provider.name)"
        let now: @Sendable () -> Int64 = { clock.nowMilliseconds() }
        switch provider.name {
        case "alphavantage":
            return AlphaVantageProvider(client: client, baseURL: base, timeoutSeconds: timeout, logger: log, now: now)
        case "coingecko":
            return CoinGeckoProvider(client: client, baseURL: base, timeoutSeconds: timeout, logger: log, now: now)
        case "coinmarketcap":
            return CoinMarketCapProvider(client: client, baseURL: base, timeoutSeconds: timeout, logger: log)
        case "polygon": return PolygonProvider(client: client, baseURL: base, timeoutSeconds: timeout, logger: log)
        case "finnhub": return FinnhubProvider(client: client, baseURL: base, timeoutSeconds: timeout, logger: log)
        case "newsapi": return NewsAPIProvider(client: client, baseURL: base, timeoutSeconds: timeout, logger: log)
        default: return nil
        }
    }
}

extension ProviderWiring {
    /// The services that feed the watchlist from the providers (`feed.mode` includes `providers`): a live stream per
    /// source in `plan` and a poller for the rest, each run by one instance (`ExclusiveService` over `lock`).
    static func feedServices(
        _ plan: ProviderFeedPlan, settings: ProviderSettings, router: ProviderRouter?, ingestor: Ingestor,
        assets: any AssetRepository, lock: any JobLock, logger: Logger
    ) -> [any Service] {
        var services: [any Service] = []
        for (name, symbols) in plan.live.sorted(by: { $0.key < $1.key }) {
            guard let provider = settings.providers[name], let source = Self.stream(provider, logger: logger) else {
                continue
            }
            let feed = LiveFeedService(
                provider: source, symbols: symbols, assets: assets, ingestor: ingestor, logger: logger)
            services.append(
                ExclusiveService(job: "providers.stream.\(name)", lock: lock, logger: logger, running: feed))
        }
        if !plan.polled.isEmpty, let router {
            let poller = ProviderPoller(
                symbols: plan.polled, interval: .seconds(plan.pollSeconds), router: router, ingestor: ingestor,
                logger: logger)
            services.append(ExclusiveService(job: "providers.poll", lock: lock, logger: logger, running: poller))
        }
        return services
    }

    /// The live trade stream of `provider`, nil for REST-only providers.
    static func stream(_ provider: ProviderSettings.Provider, logger: Logger) -> (any LiveTradeProvider)? {
        guard let url = provider.wsURL else { return nil }
        var log = logger
        log[metadataKey: "provider"] = "\(provider.name)"
        switch provider.name {
        case "binance": return BinanceTradeStream(wsUrl: url, logger: log)
        case "coinbase": return CoinbaseMatchStream(wsUrl: url, logger: log)
        case "finnhub":
            guard let key = provider.keys.first else { return nil }
            return FinnhubTradeStream(apiKey: key, wsUrl: url, logger: log)
        default: return nil
        }
    }
}
