import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import XCTest

/// A fixed "now" of the alert tests: 2026-05-28.
let alertNow: Int64 = 1_780_000_000_000
/// Tokens of the alert tests' users: alice (free), bob (pro).
let aliceToken = TestAuth.token(user: "alice", role: .user, tier: .free)
let bobToken = TestAuth.token(user: "bob", role: .user, tier: .pro)

/// Portfolio and sector targets of the alert tests: alice owns the portfolio `p-alice`; the sectors are the stored
/// assets' (the default directory's answer).
struct TestAlertTargets: AlertTargetDirectory {
    let sectors: StoredAssetTargets

    func portfolioExists(id: String, owner: String) async throws -> Bool { id == "p-alice" && owner == "alice" }
    func sectorExists(name: String) async throws -> Bool { try await self.sectors.sectorExists(name: name) }
}

/// An alert body: the given members over a valid price alert on BTC.
func alertBody(
    name: String = #""BTC over 100""#, target: String = #"{"symbol":"BTC"}"#,
    conditions: String = #"[{"type":"price_above","value":100}]"#, extra: String = ""
) -> String {
    #"{"name":\#(name),"target":\#(target),"conditions":\#(conditions)\#(extra.isEmpty ? "" : ",")\#(extra)}"#
}

extension TemporaryFolderTestCase {
    /// The real application on a SQLite file (`alerts.sqlite` in the test's folder) holding the users alice (free)
    /// and bob (pro) and the assets BTC (crypto) and AAPL (Information Technology), at `alertNow`.
    func alertApp(
        changes: (any AlertChangeObserver)? = nil, configure: (inout ServerSettings) -> Void = { _ in }
    ) async throws -> (
        app: some ApplicationProtocol, store: SQLiteStore
    ) {
        let store = try SQLiteStore(path: self.path("alerts.sqlite"))
        _ = try await store.migrate()
        for (name, tier) in [("alice", UserTier.free), ("bob", .pro)] {
            try await store.createUser(User(name: name, passwordHash: "-", role: .user, tier: tier, createdAt: 0))
        }
        try await store.createAsset(Asset(symbol: "BTC", assetClass: .crypto))
        try await store.createAsset(Asset(symbol: "AAPL", assetClass: .equity, sector: "Information Technology"))
        let clock = SettableClock(alertNow)
        var settings = ServerSettings(host: "127.0.0.1", port: 0, simulatedFeed: nil)
        configure(&settings)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var dependencies = AppDependencies(
            storage: Storage(store), settings: settings, logger: logger, clock: clock,
            auth: try await TestAuth.service(users: store, clock: clock))
        dependencies.alertTargets = TestAlertTargets(sectors: StoredAssetTargets(assets: store))
        if let changes { dependencies.alertChanges = changes }
        return (buildApplication(dependencies), store)
    }
}

/// What the alert API told its change observer, in order: `saved <id> <name>` and `deleted <id> <owner>`.
final class RecordedAlertChanges: AlertChangeObserver {
    let log = Mutex<[String]>([])

    func alertSaved(_ alert: Alert) async { self.log.withLock { $0.append("saved \(alert.id) \(alert.name)") } }
    func alertDeleted(id: String, owner: String) async { self.log.withLock { $0.append("deleted \(id) \(owner)") } }
}

extension TestResponse {
    /// The body as an alert.
    var alert: AlertDTO? { try? self.decode(AlertDTO.self) }
}
