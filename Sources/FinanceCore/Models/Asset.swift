/// The kind of instrument an asset is.
public enum AssetClass: String, Hashable, Sendable, Codable, CaseIterable {
    case equity, etf, crypto, fx, index, unknown
}

/// A tradable instrument, keyed by its canonical symbol.
public struct Asset: Hashable, Sendable {
    public var symbol: String
    public var name: String?
    public var assetClass: AssetClass
    public var exchange: String?
    public var currency: String?
    public var sector: String?
    public var industry: String?
    /// The market capitalisation in the asset's currency, when known: it weights the asset in value-weighted
    /// sector figures.
    public var marketCap: Double?

    public init(
        symbol: String, name: String? = nil, assetClass: AssetClass = .unknown, exchange: String? = nil,
        currency: String? = nil, sector: String? = nil, industry: String? = nil, marketCap: Double? = nil
    ) {
        self.symbol = symbol
        self.name = name
        self.assetClass = assetClass
        self.exchange = exchange
        self.currency = currency
        self.sector = sector
        self.industry = industry
        self.marketCap = marketCap
    }
}
