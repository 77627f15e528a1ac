import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Logging

/// 2024-06-04 00:00 UTC (a Tuesday), the "today" of the portfolio and sector tests.
let portfolioToday: Int64 = 1_717_459_200_000
let portfolioDay: Int64 = 86_400_000

/// A migrated SQLite file with the users alice and bob.
func portfolioStore(_ path: String) async throws -> SQLiteStore {
    let store = try SQLiteStore(path: path)
    _ = try await store.migrate()
    for name in ["alice", "bob"] {
        try await store.createUser(User(name: name, passwordHash: "x", role: .user, tier: .free, createdAt: 0))
    }
    return store
}

/// The application's parts on `store` with a clock the test sets (the feed off).
func portfolioDependencies(_ store: any MarketStore, clock: any WallClock) async throws -> AppDependencies {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    return AppDependencies(
        store: store, settings: ServerSettings(host: "127.0.0.1", port: 0, simulatedFeed: nil), logger: logger,
        clock: clock, auth: try await TestAuth.service(users: store, clock: clock))
}

/// Tokens of the two users of the portfolio tests.
enum PortfolioUsers {
    static let alice = TestAuth.token(user: "alice", role: .user, tier: .free)
    static let bob = TestAuth.token(user: "bob", role: .user, tier: .free)
}

/// A daily bar at `ts` closing at `close`, as JSON.
func dailyBarJSON(_ ts: Int64, close: Double) -> String {
    #"{"ts":\#(ts),"open":\#(close),"high":\#(close),"low":\#(close),"close":\#(close),"volume":1}"#
}
