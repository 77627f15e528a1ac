import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Logging

/// The server `bench ws` starts for itself when given no `--url`: `financehub serve --feed none` on a fresh SQLite
/// file (or `database`), with an admin user `bench` (enterprise tier) holding a random password, and the
/// WebSocket connect-attempt and connection limits raised so that every client may connect from 127.0.0.1.
struct WSLoadServer {
    let process: Process
    let port: Int
    let user: String
    let password: String
    let folder: URL

    /// The environment the server runs with on top of ours: connect-attempt limits above any client count.
    static let environment = [
        "FINANCEHUB_WS_CONNECT_ATTEMPTS_PER_IP_PER_MINUTE": "1000000",
        "FINANCEHUB_WS_CONNECT_ATTEMPTS_PER_USER_PER_MINUTE": "1000000",
        "FINANCEHUB_WS_TIERS_ENTERPRISE_MAX_CONNECTIONS": "1000000",
    ]

    /// Starts the server; `prepare` runs on the migrated database (with its settings) before the server opens it,
    /// and `environment` adds to `WSLoadServer.environment`.
    static func start(
        database: String?, environment: [String: String] = [:],
        prepare: ((any MarketStore, AppSettings) async throws -> Void)? = nil
    ) async throws -> WSLoadServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("financehub-wsbench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let db = database ?? ("sqlite:" + folder.appendingPathComponent("ws.sqlite").path)
        let options = try DatabaseOptions.parse(["--database", db])
        let settings = try await options.settings()
        let store = try await options.open(settings, migrating: true, logger: Logger(label: "financehub.bench"))
        let user = "bench"
        let password = FirstAdmin.randomPassword()
        do {
            _ = try await store.migrate()
            let auth = try await AuthService.make(settings: settings.auth, users: store, clock: SystemClock())
            let hash = auth.hashPassword(password)
            do {
                try await store.createUser(
                    User(
                        name: user, passwordHash: hash, role: .admin, tier: .enterprise,
                        createdAt: SystemClock().nowMilliseconds()))
            } catch StorageError.conflict {
                var existing = try await store.user(named: user)
                existing.passwordHash = hash
                existing.disabled = false
                existing.role = .admin
                existing.tier = .enterprise
                try await store.updateUser(existing)
            }
            try await prepare?(store, settings)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
        let (process, port, _) = try SelfProcess.startServer(
            database: db, feed: "none", environment: Self.environment.merging(environment) { $1 })
        return WSLoadServer(process: process, port: port, user: user, password: password, folder: folder)
    }

    func stop() {
        self.process.terminate()
        self.process.waitUntilExit()
        try? FileManager.default.removeItem(at: self.folder)
    }
}
