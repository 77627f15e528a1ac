import FinanceCore
import FinanceStorage

/// What an alert body's portfolio and sector targets are checked against (`POST`/`PUT /api/alerts`). The portfolio
/// store and the sector index plug in here; until they do, `StoredAssetTargets` answers from the asset table.
public protocol AlertTargetDirectory: Sendable {
    /// True when `owner` has a portfolio with `id`.
    func portfolioExists(id: String, owner: String) async throws -> Bool
    /// True when some asset falls in the sector `name` (compared exactly).
    func sectorExists(name: String) async throws -> Bool
}

/// The directory of stored data: sectors are the stored assets' `sector` values, with "Crypto" and "Currencies" for
/// crypto and FX assets without one; portfolios are the owner's stored portfolios (none without a portfolio store).
public struct StoredAssetTargets: AlertTargetDirectory {
    public let assets: any AssetRepository
    public let portfolios: (any PortfolioRepository)?

    public init(assets: any AssetRepository, portfolios: (any PortfolioRepository)? = nil) {
        self.assets = assets
        self.portfolios = portfolios
    }

    public func portfolioExists(id: String, owner: String) async throws -> Bool {
        guard let portfolios = self.portfolios else { return false }
        do {
            return try await portfolios.portfolio(id: id).owner == owner
        } catch StorageError.notFound {
            return false
        }
    }

    public func sectorExists(name: String) async throws -> Bool {
        try await self.assets.assets().contains { Self.sector(of: $0) == name }
    }

    /// The sector an asset falls in: its own, else "Crypto" or "Currencies" by class, else none.
    public static func sector(of asset: Asset) -> String? {
        if let sector = asset.sector, !sector.isEmpty { return sector }
        switch asset.assetClass {
        case .crypto: return "Crypto"
        case .fx: return "Currencies"
        default: return nil
        }
    }
}
