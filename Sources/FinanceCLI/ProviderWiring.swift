import AsyncHTTPClient
import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import Logging

/// Builds the provider layer from `providers.*`: one adapter per usable REST provider over a shared HTTP client, each
/// with its key pool, behind one router. The composition root of providers, as `DatabaseOptions` is of storage.
enum ProviderWiring {
    /// The router of the usable REST providers, nil unless some provider has keys (on-demand quotes are then off:
    /// a fresh install never reaches out to the internet on its own).
    static func router(
        _ settings: ProviderSettings, client: HTTPClient, repository: any ProviderStateRepository,
        clock: any WallClock, logger: Logger
    ) -> ProviderRouter? {
        guard settings.providers.values.contains(where: { $0.enabled && !$0.keys.isEmpty }) else { return nil }
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
