import FinanceCore
import FinanceProviders

/// Which providers can quote a symbol, and what each calls it.
///
/// The asset class comes from the asset table when it says, else from the built-in crypto map (then any symbol the
/// map knows is crypto), else the symbol is an equity. Provider identifiers: a per-asset override (data, keyed by
/// symbol then provider) wins, then the built-in map (BTC → `bitcoin` on CoinGecko, `X:BTCUSD` on Polygon), else the
/// symbol itself. The quote currency is the asset's currency, USD by default.
public struct SymbolResolver: Sendable {
    /// CoinGecko ids of the most traded coins; CoinGecko's coin list extends it (ranked by market cap where symbols
    /// repeat).
    public static let builtInCoinGeckoIds: [String: String] = [
        "BTC": "bitcoin", "ETH": "ethereum", "SOL": "solana", "XRP": "ripple", "ADA": "cardano", "DOGE": "dogecoin",
        "DOT": "polkadot", "LTC": "litecoin", "BNB": "binancecoin", "AVAX": "avalanche-2", "LINK": "chainlink",
        "USDT": "tether", "USDC": "usd-coin", "TRX": "tron", "BCH": "bitcoin-cash", "XLM": "stellar",
        "ATOM": "cosmos", "UNI": "uniswap", "SHIB": "shiba-inu", "TON": "the-open-network",
    ]

    /// The asset classes each REST provider quotes (docs/providers.md).
    public static let classes: [String: Set<AssetClass>] = [
        "alphavantage": [.equity, .etf, .fx],
        "coingecko": [.crypto],
        "coinmarketcap": [.crypto],
        "polygon": [.equity, .etf, .fx, .crypto],
        "finnhub": [.equity, .etf],
    ]

    /// Per-asset overrides: symbol → provider → identifier.
    public var overrides: [String: [String: String]]
    /// CoinGecko ids learnt from its coin list (symbol → id), beyond the built-in map.
    public var coinGeckoIds: [String: String]

    public init(overrides: [String: [String: String]] = [:], coinGeckoIds: [String: String] = [:]) {
        self.overrides = overrides
        self.coinGeckoIds = coinGeckoIds
    }

    /// The asset class of `symbol`, given its stored asset if any.
    public func assetClass(of symbol: String, stored: Asset?) -> AssetClass {
        if let stored, stored.assetClass != .unknown { return stored.assetClass }
        if Self.builtInCoinGeckoIds[symbol] != nil || self.coinGeckoIds[symbol] != nil { return .crypto }
        return .equity
    }

    /// The providers among `names` that quote `assetClass`.
    public func providers(for assetClass: AssetClass, among names: [String]) -> Set<String> {
        Set(names.filter { Self.classes[$0]?.contains(assetClass) == true })
    }

    /// What `provider` calls `symbol`.
    public func upstream(_ symbol: String, provider: String, assetClass: AssetClass, currency: String?)
        -> UpstreamSymbol
    {
        let currency = currency ?? "USD"
        if let id = self.overrides[symbol]?[provider] {
            return UpstreamSymbol(symbol: symbol, id: id, currency: currency)
        }
        let id: String
        switch (provider, assetClass) {
        case ("coingecko", _): id = Self.builtInCoinGeckoIds[symbol] ?? self.coinGeckoIds[symbol] ?? symbol.lowercased()
        case ("polygon", .crypto): id = "X:\(symbol)\(currency)"
        case ("polygon", .fx): id = "C:\(symbol)"
        case ("binance", _): id = "\(symbol)USDT"
        case ("coinbase", _): id = "\(symbol)-\(currency)"
        default: id = symbol
        }
        return UpstreamSymbol(symbol: symbol, id: id, currency: currency)
    }
}
