import FinanceStorage
import Hummingbird

/// `GET /health` (the process is up) and `GET /ready` (the store answers and its schema is current).
struct HealthController {
    let database: any DatabaseAdmin

    /// Adds `/health` and `/ready`.
    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health", use: self.health)
        router.get("/ready", use: self.ready)
    }

    /// `GET /health`: the process is up.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        try HTTP.json(HealthDTO(status: "ok"))
    }

    /// `GET /ready`: the store answers and its schema is current (else 503).
    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await self.database.ping()
            let version = try await self.database.schemaVersion()
            guard version.isCurrent else {
                throw Problem(
                    status: .serviceUnavailable,
                    detail: StorageError.schemaBehind(current: version.current, latest: version.latest).description)
            }
            return try HTTP.json(
                ReadinessDTO(
                    status: "ready", database: self.database.displayName, schemaVersion: version.current,
                    latestSchemaVersion: version.latest))
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(status: .serviceUnavailable, detail: "the database is not reachable")
        }
    }
}
