import FinanceStorage
import Hummingbird

/// `GET /health` (the process is up) and `GET /ready` (the store answers and its schema is current).
struct HealthController<Context: RequestContext> {
    let store: any MarketStore

    struct Health: Encodable {
        var status: String
    }

    struct Readiness: Encodable {
        var status: String
        var database: String
        var schemaVersion: Int
        var latestSchemaVersion: Int
    }

    func register(on router: Router<Context>) {
        router.get("/health") { _, _ in try HTTP.json(Health(status: "ok")) }
        router.get("/ready") { _, _ in
            do {
                try await self.store.ping()
                let version = try await self.store.schemaVersion()
                guard version.isCurrent else {
                    throw Problem(
                        status: .serviceUnavailable,
                        detail: StorageError.schemaBehind(current: version.current, latest: version.latest).description)
                }
                return try HTTP.json(
                    Readiness(
                        status: "ready", database: self.store.displayName, schemaVersion: version.current,
                        latestSchemaVersion: version.latest))
            } catch let problem as Problem {
                throw problem
            } catch {
                throw Problem(status: .serviceUnavailable, detail: "the database is not reachable")
            }
        }
    }
}
