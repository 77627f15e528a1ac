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

/// The options every command that touches data takes: `--database` and `--config`. Such a command reads its
/// settings through the same layers as `serve`: defaults → config file → environment → command line.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "sqlite:PATH or postgres://user:pass@host:port/db (default: sqlite:./data/financehub.sqlite, or database.url from config/env)"
    )
    var database: String?
    @Option(help: "Configuration file (JSON or YAML, dotted camelCase keys).") var config: String?

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

    /// The command's settings, `overrides` (dotted keys of the command's own flags) and `--database` on top;
    /// warnings go to stderr. Every problem is one `CLIFailure`.
    func settings(overrides: [String: String] = [:]) async throws -> AppSettings {
        var overrides = overrides
        if let database = self.database { overrides["database.url"] = database }
        let settings = try await AppSettings.load(configFile: self.config, overrides: overrides)
        for warning in settings.warnings { Console.info(warning) }
        return settings
    }

    /// Opens the store at `value`, or at `database.url` of the settings. SQLite files (and their folder) are created
    /// and migrated, and must be writable; on PostgreSQL the schema must be current unless `migrating` (then the
    /// caller migrates).
    func open(_ settings: AppSettings? = nil, migrating: Bool = false, logger: Logger) async throws -> any MarketStore {
        let loaded: AppSettings
        if let settings { loaded = settings } else { loaded = try await self.settings() }
        return try await StoreFactory.open(
            try DatabaseLocation(parsing: loaded.databaseURL), migrating: migrating, logger: logger,
            sqlite: (cacheMiB: loaded.sqliteCacheMiB, readers: loaded.sqliteReaders))
    }
}

/// Opens stores by location: the only place that picks a storage driver.
public enum StoreFactory {
    /// The job lock of instances sharing the database: a PostgreSQL session advisory lock, or this process's own
    /// lock for SQLite (one instance per file).
    public static func jobLock(_ store: any MarketStore, logger: Logger) -> any JobLock {
        if let postgres = store as? PostgresStore {
            return PostgresJobLock(location: postgres.location, logger: logger)
        }
        return LocalJobLock()
    }

    /// The relay between instances sharing the database: LISTEN/NOTIFY on PostgreSQL, or a relay to no one for
    /// SQLite (one instance per file).
    public static func relay(_ store: any MarketStore, logger: Logger) -> any InstanceRelay {
        if let postgres = store as? PostgresStore {
            return PostgresRelay(store: postgres, logger: logger)
        }
        return InProcessRelay()
    }

    public static func open(
        _ location: DatabaseLocation, migrating: Bool, logger: Logger,
        sqlite: (cacheMiB: Int, readers: Int)
    ) async throws -> any MarketStore {
        switch location {
        case .sqlite(let path):
            let store = try SQLiteStore(path: path, maxReaders: sqlite.readers, cacheSizeMiB: sqlite.cacheMiB)
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
