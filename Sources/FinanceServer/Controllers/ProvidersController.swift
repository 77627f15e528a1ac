import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import Foundation
import Hummingbird

/// The market-data providers: `GET /api/providers` (each provider, whether it is used and why not, capabilities,
/// health, circuit, keys masked with their budget use), `GET /api/providers/{name}/usage` (the usage log) and
/// `GET /api/providers/{name}/health` (the per-minute health history). Keys appear only masked.
struct ProvidersController {
    let settings: ProviderSettings
    /// The router of the usable REST providers, nil when no provider has keys.
    let router: ProviderRouter?
    let repository: any ProviderStateRepository
    let clock: any WallClock

    static let defaultLimit = 1_000
    static let maxLimit = 100_000
    /// The default window of the usage and health queries: the last 24 hours.
    static let defaultSpan: Int64 = 86_400_000

    /// Adds the routes under `/api/providers`.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get(use: self.list)
        group.get("{name}/usage", use: self.usage)
        group.get("{name}/health", use: self.health)
    }

    /// `GET /api/providers`: every provider by name, used or not.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let routed = self.router?.providers ?? []
        let extra = routed.map(\.name).filter { !ProviderSettings.names.contains($0) }
        var items: [ProviderDTO] = []
        for name in ProviderSettings.names + extra {
            var item = try await self.item(name, routed: routed.first { $0.name == name })
            // Key details are for admins.
            if context.principal?.role != .admin { item.keys = [] }
            items.append(item)
        }
        return try HTTP.json(ProvidersDTO(items: items))
    }

    private func item(_ name: String, routed: RoutedProvider?) async throws -> ProviderDTO {
        let configured = self.settings.providers[name]
        let enabled = configured?.enabled ?? true
        let usable = routed != nil || configured?.isUsable == true
        var reason: String?
        if !usable {
            reason = enabled ? "no API key (set providers.\(name).keys)" : "disabled by configuration"
        }
        let capabilities = ProviderSettings.capabilities(name).union(routed?.adapter.capabilities ?? [])
        // A provider the router does not use gets a pool of its configured keys, for their persisted state and use.
        let pool =
            routed?.pool
            ?? configured.flatMap { provider -> KeyPool? in
                if provider.keys.isEmpty && !provider.worksWithoutKey { return nil }
                return KeyPool(
                    provider: name, keys: provider.keys.map(ProviderKey.init), budget: provider.budget,
                    repository: self.repository, clock: self.clock)
            }
        let keys = try await pool?.overview() ?? []
        var health: Double?
        var circuit: CircuitDTO?
        if let router = self.router, routed != nil {
            health = await router.score(name)
            circuit = await router.circuit(name).map(CircuitDTO.init)
        }
        return ProviderDTO(
            name: name, enabled: enabled, usable: usable, reason: reason,
            capabilities: ProviderCapability.allCases.filter(capabilities.contains).map(\.rawValue), health: health,
            circuit: circuit, keys: keys.map(KeyDTO.init))
    }

    /// `GET /api/providers/{name}/usage?from&to&limit`: the usage log in `[from, to)`, oldest first.
    @Sendable func usage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireAdmin()
        let name = try self.name(context)
        var query = HTTP.Query(request)
        let (from, to) = self.window(&query)
        let limit = query.integer("limit", default: Self.defaultLimit, range: 1...Self.maxLimit)
        try query.check()
        let entries = try await self.repository.usage(provider: name, from: from, to: to, limit: limit)
        return try HTTP.json(ProviderUsageDTO(items: entries.map(ProviderUsageItemDTO.init)))
    }

    /// `GET /api/providers/{name}/health?from&to`: the per-minute health samples in `[from, to)`, oldest first.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = try self.name(context)
        var query = HTTP.Query(request)
        let (from, to) = self.window(&query)
        try query.check()
        let samples = try await self.repository.health(provider: name, from: from, to: to)
        return try HTTP.json(ProviderHealthDTO(items: samples.map(ProviderHealthItemDTO.init)))
    }

    /// The provider named in the path, or a 404 for a name that is no provider.
    private func name(_ context: AppRequestContext) throws -> String {
        let raw = context.parameters.get("name") ?? ""
        let decoded = raw.removingPercentEncoding ?? raw
        let known = ProviderSettings.names + (self.router?.providers.map(\.name) ?? [])
        guard known.contains(decoded) else {
            let names = ProviderSettings.names.joined(separator: ", ")
            throw Problem(status: .notFound, detail: "unknown provider '\(Echo.text(decoded))': use one of \(names)")
        }
        return decoded
    }

    /// `from` and `to` (to: now by default, from: 24 hours before `to`); a `from` after `to` is a problem naming
    /// `from`.
    private func window(_ query: inout HTTP.Query) -> (from: Int64, to: Int64) {
        let givenFrom = query.time("from")
        let givenTo = query.time("to")
        let to = givenTo ?? self.clock.nowMilliseconds()
        let from = givenFrom ?? to - Self.defaultSpan
        if from > to {
            query.issues.append(
                ValidationIssue(
                    index: nil, field: "from",
                    detail: "from (\(Timestamp.iso8601(from))) is after to (\(Timestamp.iso8601(to)))"))
        }
        return (from, to)
    }
}
