import ArgumentParser
import FinanceStorage
import Logging

/// `financehub migrate`: applies pending migrations (idempotent).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending database migrations.")

    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let store = try await self.db.open(migrating: true, logger: Logger(label: "financehub.migrate"))
        let applied: Int
        let version: SchemaVersion
        do {
            applied = try await store.migrate()
            version = try await store.schemaVersion()
            try await store.close()
        } catch {
            try? await store.close()
            throw CLIFailure("migration failed: \(error)")
        }
        try Output.line(
            "\(store.displayName): \(applied) migration\(applied == 1 ? "" : "s") applied; schema version \(version.current)"
        )
    }
}
