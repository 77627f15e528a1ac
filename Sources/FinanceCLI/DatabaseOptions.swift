import ArgumentParser
import FinanceCore
import FinanceStorage
import FinanceStoragePostgres
import FinanceStorageSQLite
import Foundation
import Logging

/// Where the data lives: `sqlite:PATH` (or a bare path) or `postgres://user:pass@host:port/db`.
public enum DatabaseLocation: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    /// The embedded default.
    public static let defaultValue = "sqlite:./data/financehub.sqlite"

    public init(parsing text: String) throws {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw StorageError.invalidConfiguration("the sqlite: database location needs a path")
            }
            self = .sqlite(path: path.hasPrefix("//") ? String(path.dropFirst(2)) : path)
        } else if !text.contains("://"), !text.isEmpty {
            self = .sqlite(path: text)
        } else {
            throw StorageError.invalidConfiguration(
                "unsupported database location: use sqlite:PATH or postgres://user:pass@host:port/db")
        }
    }
}

/// The `--database` option every command that touches data takes.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "sqlite:PATH or postgres://user:pass@host:port/db (default: sqlite:./data/financehub.sqlite, or database.url from config/env)"
    )
    var database: String?

    /// An empty or unsupported `--database` is a usage error (exit 64), found before any work.
    func validate() throws {
        if let database = self.database { try Self.check(database, option: "--database") }
    }

    /// Throws a usage error naming `option` when `text` is not a database location.
    static func check(_ text: String, option: String) throws {
        guard !text.isEmpty else {
            throw ArgumentParser.ValidationError(
                "\(option) is empty: use sqlite:PATH or postgres://user:pass@host:port/db (or omit it)")
        }
        do { _ = try DatabaseLocation(parsing: text) } catch {
            throw ArgumentParser.ValidationError("\(option) '\(Echo.text(text))': \(error)")
        }
    }

    /// Opens the store. SQLite files (and their folder) are created and migrated, and must be writable; on
    /// PostgreSQL the schema must be current unless `migrating` (then the caller migrates).
    func open(_ value: String? = nil, migrating: Bool = false, logger: Logger) async throws -> any MarketStore {
        let text =
            value ?? self.database ?? ProcessInfo.processInfo.environment["FINANCEHUB_DATABASE_URL"]
            ?? DatabaseLocation.defaultValue
        return try await StoreFactory.open(try DatabaseLocation(parsing: text), migrating: migrating, logger: logger)
    }
}

/// Opens stores by location: the only place that picks a storage driver.
public enum StoreFactory {
    public static func open(_ location: DatabaseLocation, migrating: Bool, logger: Logger) async throws
        -> any MarketStore
    {
        switch location {
        case .sqlite(let path):
            let store = try SQLiteStore(path: path)
            do {
                try await store.checkWritable()
                _ = try await store.migrate()
            } catch {
                try? await store.close()
                throw error
            }
            return store
        case .postgres(let url):
            let store = try await PostgresStore.connect(url: url, logger: logger)
            if !migrating {
                let version = try await store.schemaVersion()
                guard version.isCurrent else {
                    try? await store.close()
                    throw CLIFailure(
                        "the database schema is at version \(version.current), this build needs \(version.latest): run financehub migrate"
                    )
                }
            }
            return store
        }
    }
}
