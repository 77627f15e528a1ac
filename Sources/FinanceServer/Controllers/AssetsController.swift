import FinanceApp
import FinanceCore
import FinanceStorage
import Hummingbird

/// Asset CRUD: `GET/POST /api/assets`, `GET/PUT/DELETE /api/assets/{symbol}`, and the asset's identifiers at the
/// providers, `GET/PUT /api/assets/{symbol}/providers`.
struct AssetsController {
    let assets: any AssetRepository
    /// Forgets a deleted asset's recorded source.
    let sources: DataSourceLedger
    /// Per-asset provider identifiers.
    let symbolMap: any ProviderStateRepository
    let maxBodyBytes: Int
    /// Sector members follow asset writes at once (a new sector or member moves `sector_move` alerts).
    var sectors: SectorIndex? = nil

    /// Reloads the sector index after an asset write; a failure leaves it to the next periodic reload.
    private func sectorsChanged() async {
        try? await self.sectors?.reload()
    }

    /// Adds the routes under `/api/assets`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.list)
        group.get("{symbol}", use: self.show)
        group.post(use: self.create)
        group.put("{symbol}", use: self.update)
        group.delete("{symbol}", use: self.delete)
        group.get("{symbol}/providers", use: self.showProviderIds)
        group.put("{symbol}/providers", use: self.updateProviderIds)
    }

    /// `GET /api/assets`: every asset, ordered by symbol.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(AssetListDTO(assets: try await self.assets.assets().map(AssetDTO.init)))
    }

    /// `GET /api/assets/{symbol}`: one asset.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(AssetDTO(try await self.assets.asset(try HTTP.symbol(context))))
    }

    /// `POST /api/assets`: creates an asset.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireWriter()
        let asset = try await self.readAsset(request, pathSymbol: nil)
        try await self.assets.createAsset(asset)
        await self.sectorsChanged()
        return try HTTP.json(AssetDTO(asset), status: .created)
    }

    /// `PUT /api/assets/{symbol}`: replaces an asset's fields.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireWriter()
        let asset = try await self.readAsset(request, pathSymbol: try HTTP.symbol(context))
        try await self.assets.updateAsset(asset)
        await self.sectorsChanged()
        return try HTTP.json(AssetDTO(asset))
    }

    /// `DELETE /api/assets/{symbol}`: deletes an asset with its data.
    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireWriter()
        let symbol = try HTTP.symbol(context)
        try await self.assets.deleteAsset(symbol)
        await self.sectorsChanged()
        self.sources.forget(symbol)
        return Response(status: .noContent)
    }

    /// Parses an asset body; on PUT the path names the symbol and a body symbol, if any, must match it.
    func readAsset(_ request: Request, pathSymbol: String?) async throws -> Asset {
        guard case .object(let object) = try await JSONInput.parse(request, limit: self.maxBodyBytes) else {
            throw ValidationError(field: "", detail: "the body must be a JSON object")
        }
        var reader = FieldReader(object, index: nil)
        reader.rejectUnknown(InputFields.asset)
        let rawSymbol = reader.string("symbol", required: pathSymbol == nil)
        // On PUT a body symbol is optional, but null is neither absent nor the path's symbol.
        if let pathSymbol, case .null? = object["symbol"] {
            reader.fail("symbol", "symbol must be absent or the path's symbol \(pathSymbol), not null")
        }
        var symbol = pathSymbol ?? ""
        if let rawSymbol {
            if let s = Symbol.normalize(rawSymbol) {
                if let pathSymbol, s != pathSymbol {
                    reader.fail("symbol", "the body's symbol \(s) differs from the path's \(pathSymbol)")
                }
                symbol = s
            } else {
                reader.fail("symbol", "invalid symbol: \(Symbol.rule)")
            }
        }
        var assetClass = AssetClass.unknown
        if let raw = reader.string("assetClass", required: false) {
            if let c = AssetClass(rawValue: raw) {
                assetClass = c
            } else {
                reader.fail(
                    "assetClass",
                    "assetClass must be one of \(AssetClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let marketCap = reader.number("marketCap", required: false)
        if let marketCap, marketCap.isFinite, !(0...Validation.maxValue).contains(marketCap) {
            reader.fail("marketCap", "marketCap must be a number from 0 to 1e30")
        }
        let asset = Asset(
            symbol: symbol, name: reader.text("name"), assetClass: assetClass, exchange: reader.text("exchange"),
            currency: reader.text("currency"), sector: reader.text("sector"), industry: reader.text("industry"),
            marketCap: marketCap)
        if !reader.issues.isEmpty { throw ValidationError(reader.issues) }
        return asset
    }
}
