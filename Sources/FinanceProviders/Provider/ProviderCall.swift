import FinanceCore

/// A symbol as one provider names it: our canonical symbol (`BTC`, `AAPL`) with the provider's identifier for it
/// (`bitcoin` on CoinGecko, `BTCUSDT` on Binance, `BTC-USD` on Coinbase, `AAPL` for equities) and the currency
/// prices are wanted in. Resolution (per-asset override, built-in map, CoinGecko's coin list) happens in the
/// application layer; adapters only use what they are given.
public struct UpstreamSymbol: Hashable, Sendable {
    /// Our symbol, which the values an adapter returns carry.
    public var symbol: String
    /// The provider's identifier.
    public var id: String
    /// The quote currency, lower or upper case as the provider wants it is the adapter's business (`usd`).
    public var currency: String

    public init(symbol: String, id: String? = nil, currency: String = "USD") {
        self.symbol = symbol
        self.id = id ?? symbol
        self.currency = currency
    }
}

/// What one call to a provider carries from the application layer: the key the key pool chose, and a hook run
/// before every upstream HTTP request the call makes (a paginated history makes several), where the key pool
/// reserves budget (throwing `ProviderError.rateLimited` when none is left stops the call).
public struct ProviderCall: Sendable {
    /// The API key (a secret: never logged, never put in an error), or nil for a key-free request.
    public var key: String?
    /// Runs before each upstream request with the endpoint's name (e.g. `GLOBAL_QUOTE`, `/simple/price`).
    public var beforeRequest: @Sendable (_ endpoint: String) async throws -> Void

    public init(
        key: String? = nil, beforeRequest: @escaping @Sendable (_ endpoint: String) async throws -> Void = { _ in }
    ) {
        self.key = key
        self.beforeRequest = beforeRequest
    }
}

/// A quote as a provider answers it, with the basis of its change figures.
public struct ProviderQuote: Hashable, Sendable {
    /// What the change figures compare the price with.
    public enum ChangeBasis: String, Hashable, Sendable {
        /// The previous session's close (Alpha Vantage, Finnhub, Polygon's previous close).
        case previousClose
        /// The price 24 hours ago (CoinGecko, CoinMarketCap).
        case rolling24h = "24h"
    }

    /// Canonical symbol, price, event time (ms since the epoch, never a date-only "latest trading day"), and the
    /// provider's own open/high/low/volume and change figures when it gives them.
    public var quote: Quote
    public var changeBasis: ChangeBasis
    public var previousClose: Double?

    public init(quote: Quote, changeBasis: ChangeBasis, previousClose: Double? = nil) {
        self.quote = quote
        self.changeBasis = changeBasis
        self.previousClose = previousClose
    }
}
