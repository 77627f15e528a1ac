import FinanceApp
import FinanceCore
import FinanceStorage
import Hummingbird

/// The symbol map of one asset: `GET/PUT /api/assets/{symbol}/providers`.
extension AssetsController {
    /// The longest provider identifier accepted.
    static let maxProviderIdLength = 100

    /// `GET /api/assets/{symbol}/providers`: what each provider calls the asset, and which names are overrides.
    @Sendable func showProviderIds(_ request: Request, context: AppRequestContext) async throws -> Response {
        let asset = try await self.assets.asset(try HTTP.symbol(context))
        return try HTTP.json(try await self.providerIds(asset))
    }

    /// `PUT /api/assets/{symbol}/providers`: sets the asset's identifiers at some providers (`null` removes an
    /// override); providers not named keep theirs.
    @Sendable func updateProviderIds(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireWriter()
        let asset = try await self.assets.asset(try HTTP.symbol(context))
        guard case .object(let object) = try await JSONInput.parse(request, limit: self.maxBodyBytes) else {
            throw ValidationError(field: "", detail: "the body must be a JSON object of provider names to identifiers")
        }
        var issues: [ValidationIssue] = []
        var overrides: [String: String?] = [:]
        for (provider, value) in object.sorted(by: { $0.key < $1.key }) {
            guard ProviderSettings.names.contains(provider) else {
                issues.append(
                    ValidationIssue(
                        index: nil, field: provider,
                        detail: "not a provider (known: \(ProviderSettings.names.joined(separator: ", ")))"))
                continue
            }
            switch value {
            case .null: overrides[provider] = .some(nil)
            case .string(let id)
            where !id.isEmpty && id.count <= Self.maxProviderIdLength
                && id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }):
                overrides[provider] = id
            default:
                issues.append(
                    ValidationIssue(
                        index: nil, field: provider,
                        detail:
                            "\(provider) must be null or an identifier of 1–\(Self.maxProviderIdLength) printable ASCII characters without spaces"
                    ))
            }
        }
        if !issues.isEmpty { throw ValidationError(issues) }
        try await self.symbolMap.setSymbolOverrides(asset.symbol, overrides)
        return try HTTP.json(try await self.providerIds(asset))
    }

    private func providerIds(_ asset: Asset) async throws -> AssetProvidersDTO {
        let overrides = try await self.symbolMap.symbolOverrides(asset.symbol)
        let resolver = SymbolResolver(overrides: [asset.symbol: overrides])
        let assetClass = resolver.assetClass(of: asset.symbol, stored: asset)
        var ids: [String: String] = [:]
        for name in ProviderSettings.names where name != "newsapi" {
            ids[name] =
                resolver.upstream(asset.symbol, provider: name, assetClass: assetClass, currency: asset.currency).id
        }
        return AssetProvidersDTO(symbol: asset.symbol, ids: ids, overrides: overrides.keys.sorted())
    }
}

/// An asset's identifiers at each provider.
public struct AssetProvidersDTO: Codable, Sendable, Equatable {
    public var symbol: String
    /// Provider name → the identifier requests use.
    public var ids: [String: String]
    /// The providers whose identifier is a per-asset override (the others come from the built-in map).
    public var overrides: [String]
}
