extension Asset {
    /// The sector crypto assets without a sector of their own belong to.
    public static let cryptoSector = "Crypto"
    /// The sector FX assets without a sector of their own belong to.
    public static let currenciesSector = "Currencies"

    /// The sector the asset counts in: its own `sector` (free text, GICS names for equities), else "Crypto" for a
    /// crypto asset and "Currencies" for an FX one; nil for any other asset without a sector.
    public var sectorName: String? {
        if let sector = self.sector, !sector.isEmpty { return sector }
        switch self.assetClass {
        case .crypto: return Self.cryptoSector
        case .fx: return Self.currenciesSector
        default: return nil
        }
    }
}
