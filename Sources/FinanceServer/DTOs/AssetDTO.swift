import FinanceCore

/// An asset on the wire (`GET/POST/PUT /api/assets...`); absent optional fields are left out.
public struct AssetDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var name: String?
    public var assetClass: AssetClass
    public var exchange: String?
    public var currency: String?
    public var sector: String?
    public var industry: String?
    /// The market capitalisation in the asset's currency: it weights the asset in value-weighted sector figures.
    public var marketCap: Double?

    public init(_ asset: Asset) {
        self.symbol = asset.symbol
        self.name = asset.name
        self.assetClass = asset.assetClass
        self.exchange = asset.exchange
        self.currency = asset.currency
        self.sector = asset.sector
        self.industry = asset.industry
        self.marketCap = asset.marketCap
    }
}

/// `GET /api/assets`.
public struct AssetListDTO: Codable, Sendable, Equatable {
    public var assets: [AssetDTO]
}
