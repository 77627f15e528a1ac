import FinanceCore
import FinanceStorage
import Logging
import PostgresNIO

/// The PostgreSQL time-series store.
///
/// ```swift
/// let store = try await PostgresStore.connect(url: "postgres://user:pass@localhost:5432/financehub", logger: logger)
/// defer { ... try await store.close() }
/// _ = try await store.migrate()
/// ```
///
/// `connect` starts a background task running the `PostgresClient` connection pool and checks the server answers;
/// `close()` cancels that task and waits for the pool to shut down. Every write runs in one transaction.
public final class PostgresStore: MarketStore {
    /// The parsed location (holds the password: never print it, use `displayName`).
    public let location: PostgresURL
    public let displayName: String
    /// The connection pool; internal so the cross-instance bus (LISTEN/NOTIFY) can share it later.
    let client: PostgresClient
    let logger: Logger
    private let runTask: Task<Void, Never>

    /// Bars per statement in bulk writes (6 arrays of 8-byte values: about 3.6 MB per statement).
    static let chunkSize = 50_000
    /// The default `bulkThreshold`.
    public static let defaultBulkThreshold = 1_000
    /// Series writes of at least this many bars compute their rollups in Swift from a pre-read of the touched
    /// spans (and insert new bars without ON CONFLICT); smaller ones let the server aggregate the touched buckets.
    /// Both give `Bucketing.aggregate` exactly (the tests run the contract both ways).
    public let bulkThreshold: Int

    private init(
        location: PostgresURL, client: PostgresClient, runTask: Task<Void, Never>, logger: Logger, bulkThreshold: Int
    ) {
        self.bulkThreshold = bulkThreshold
        self.location = location
        self.displayName = location.displayName
        self.client = client
        self.runTask = runTask
        self.logger = logger
    }

    /// Parses `url` (see `PostgresURL`), starts the pool and checks the server answers.
    /// Throws `StorageError.invalidConfiguration` for a bad URL, `StorageError.backend` when the server cannot be reached.
    public static func connect(
        url: String, logger: Logger = Logger(label: "financehub.postgres"), bulkThreshold: Int = defaultBulkThreshold
    ) async throws -> PostgresStore {
        try await self.connect(PostgresURL(parsing: url), logger: logger, bulkThreshold: bulkThreshold)
    }

    /// Checks the server answers with a single connection (so a bad host, port or password fails at once with the
    /// server's reason instead of the pool's retries), then starts the pool.
    public static func connect(
        _ location: PostgresURL, logger: Logger = Logger(label: "financehub.postgres"),
        bulkThreshold: Int = defaultBulkThreshold
    ) async throws -> PostgresStore {
        do {
            let probe = try await PostgresConnection.connect(
                configuration: Self.connectionConfiguration(location), id: 0, logger: logger)
            try? await probe.close()
        } catch {
            throw Self.mapError(error, "connect to \(location.displayName)")
        }
        let client = PostgresClient(configuration: Self.configuration(location), backgroundLogger: logger)
        // The pool leases connections only once `run()` is going (a lease before it logs a warning): wait until
        // its task has started, then give it a turn to get there.
        let (started, starting) = AsyncStream<Void>.makeStream()
        let runTask = Task {
            starting.finish()
            await client.run()
        }
        for await _ in started {}
        await Task.yield()
        let store = PostgresStore(
            location: location, client: client, runTask: runTask, logger: logger, bulkThreshold: bulkThreshold)
        do {
            try await store.ping()
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    /// TLS settings with libpq's `sslmode` meaning; nil for `disable`.
    private static func tls(_ mode: PostgresURL.SSLMode) -> (config: TLSConfiguration, required: Bool)? {
        var t = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return nil
        case .allow, .prefer:
            t.certificateVerification = .none
            return (t, false)
        case .require:
            t.certificateVerification = .none
            return (t, true)
        case .verifyCA:
            t.certificateVerification = .noHostnameVerification
            return (t, true)
        case .verifyFull:
            return (t, true)
        }
    }

    private static func startupParameters(_ location: PostgresURL) -> [(String, String)] {
        var startup: [(String, String)] = []
        if let schema = location.schema { startup.append(("search_path", Self.quoteIdentifier(schema))) }
        if let name = location.applicationName { startup.append(("application_name", name)) }
        return startup
    }

    private static func socketPath(_ location: PostgresURL) -> String {
        (location.host.hasSuffix("/") ? location.host : location.host + "/") + ".s.PGSQL.\(location.port)"
    }

    static func configuration(_ location: PostgresURL) -> PostgresClient.Configuration {
        var config: PostgresClient.Configuration
        if location.isUnixSocket {
            config = PostgresClient.Configuration(
                unixSocketPath: Self.socketPath(location), username: location.username, password: location.password,
                database: location.database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            if let t = Self.tls(location.sslMode) {
                tls = t.required ? .require(t.config) : .prefer(t.config)
            } else {
                tls = .disable
            }
            config = PostgresClient.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        if let seconds = location.connectTimeoutSeconds { config.options.connectTimeout = .seconds(seconds) }
        config.options.additionalStartupParameters = Self.startupParameters(location)
        return config
    }

    static func connectionConfiguration(_ location: PostgresURL) throws -> PostgresConnection.Configuration {
        var config: PostgresConnection.Configuration
        if location.isUnixSocket {
            config = PostgresConnection.Configuration(
                unixSocketPath: Self.socketPath(location), username: location.username, password: location.password,
                database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            if let t = Self.tls(location.sslMode) {
                let context = try NIOSSLContext(configuration: t.config)
                tls = t.required ? .require(context) : .prefer(context)
            } else {
                tls = .disable
            }
            config = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: tls)
        }
        config.options.connectTimeout = .seconds(Int64(location.connectTimeoutSeconds ?? 10))
        config.options.additionalStartupParameters = Self.startupParameters(location)
        return config
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    public func close() async throws {
        self.runTask.cancel()
        await self.runTask.value
    }

    // MARK: Plumbing

    /// The operation names of `financehub_db_operation_duration_seconds`, by what error messages call them.
    static let operationNames: [String: String] = [
        "migrate": "migrate", "read the schema version": "schema_version", "drop schema": "drop_schema",
        "ping": "ping", "list assets": "assets", "read asset": "asset", "create asset": "create_asset",
        "update asset": "update_asset", "delete asset": "delete_asset", "write bars": "write_bars",
        "write ticks": "write_ticks", "read stored intervals": "stored_intervals", "read bars": "read_bars",
        "read ticks": "read_ticks", "read the latest tick": "latest_tick", "reserve budget": "reserve_budget",
        "read budget usage": "budget_usage", "read key states": "key_states", "save key state": "save_key_state",
        "append usage": "append_usage", "read usage": "usage", "record health": "record_health",
        "read health": "health", "record source": "record_source", "read source": "asset_source",
        "read symbol overrides": "symbol_overrides", "set symbol overrides": "set_symbol_overrides",
        "create user": "create_user", "read user": "user", "list users": "users", "update user": "update_user",
        "count users": "user_count", "store refresh token": "store_refresh_token",
        "read refresh token": "refresh_token",
        "rotate refresh token": "rotate_refresh_token", "revoke refresh family": "revoke_refresh_family",
        "revoke refresh tokens": "revoke_refresh_tokens", "read secret": "secret",
        "append audit": "append_audit", "read audit": "audit_events", "prune audit": "prune_audit",
        "create portfolio": "create_portfolio", "read portfolio": "portfolio", "list portfolios": "portfolios",
        "update portfolio": "update_portfolio", "delete portfolio": "delete_portfolio",
        "append portfolio snapshots": "append_portfolio_snapshots",
        "read portfolio snapshots": "portfolio_snapshots",
        "create alert": "create_alert", "read alert": "alert", "update alert": "update_alert",
        "delete alert": "delete_alert", "list alerts": "alerts", "count alerts": "alert_count",
        "read enabled alerts": "enabled_alerts", "mark alert triggered": "mark_alert_triggered",
        "disable alert": "disable_alert", "read alert history": "alert_history",
        "save alert states": "save_alert_states", "read alert states": "alert_states",
        "record firing": "record_firing", "enqueue deliveries": "enqueue_deliveries",
        "claim deliveries": "claim_deliveries", "complete delivery": "complete_delivery",
        "read deliveries": "alert_deliveries", "store email code": "store_email_code",
        "confirm email": "confirm_email", "read email confirmation": "email_confirmed",
    ]

    /// Runs `body` on a pooled connection, timed, mapping errors to `StorageError`.
    func withConnection<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await OperationTimer.measure(Self.operationNames[what] ?? what) {
            do {
                return try await self.client.withConnection { conn in try await body(conn) }
            } catch {
                throw Self.mapError(error, what)
            }
        }
    }

    /// Runs `body` in one transaction (BEGIN … COMMIT, ROLLBACK on any error), mapping errors to `StorageError`.
    func transaction<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await self.withConnection(what) { conn in
            try await self.exec(conn, "BEGIN")
            do {
                let value = try await body(conn)
                try await self.exec(conn, "COMMIT")
                return value
            } catch {
                do {
                    try await self.exec(conn, "ROLLBACK")
                } catch {
                    // Never hand a connection that may still be inside the transaction back to the pool.
                    try? await conn.close()
                }
                throw error
            }
        }
    }

    /// Runs a statement, draining any rows.
    func exec(_ conn: PostgresConnection, _ query: PostgresQuery) async throws {
        let rows = try await conn.query(query, logger: self.logger)
        for try await _ in rows {}
    }

    /// Runs a statement and counts the rows it returns.
    func count(_ conn: PostgresConnection, _ query: PostgresQuery) async throws -> Int {
        var n = 0
        for try await _ in try await conn.query(query, logger: self.logger) { n += 1 }
        return n
    }

    /// A `StorageError` for any error: server errors keep the server's message and SQLSTATE (never the URL or
    /// password, which the server never sees in queries), client errors name what failed.
    static func mapError(_ error: any Error, _ what: String) -> any Error {
        switch error {
        case let e as StorageError:
            return e
        case is CancellationError:
            return error
        case let e as PSQLError:
            if e.code == .server, let info = e.serverInfo {
                let state = info[.sqlState] ?? "?"
                let message = info[.message] ?? "unknown server error"
                return StorageError.backend("\(what): \(message) (SQLSTATE \(state))")
            }
            if e.code == .poolClosed { return StorageError.backend("\(what): the store is closed") }
            if e.code == .queryCancelled { return CancellationError() }
            var message = "\(what): \(e.code)"
            if let underlying = e.underlying { message += " (\(underlying))" }
            return StorageError.backend(message)
        default:
            return StorageError.backend("\(what): \(String(describing: error))")
        }
    }
}
