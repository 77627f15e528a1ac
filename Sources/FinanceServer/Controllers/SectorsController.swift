import FinanceApp
import FinanceCore
import Hummingbird

/// `GET /api/sectors`: every sector's 1-day and 1-week change and its members.
struct SectorsController {
    let performance: SectorPerformance

    /// Adds the route under `/api/sectors`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.list)
    }

    /// Every sector with a member, by name: assets' own sectors, "Crypto" and "Currencies" for crypto and FX assets
    /// without one.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(SectorListDTO(items: try await self.performance.sectors().map(SectorDTO.init)))
    }
}
