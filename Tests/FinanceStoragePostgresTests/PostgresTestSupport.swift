import FinanceStorage
import FinanceStoragePostgres
import Foundation
import XCTest

/// Test databases: `FINANCEHUB_TEST_POSTGRES_URL` names a server; each test gets its own schema (dropped afterwards)
/// so tests never see each other's rows.
enum PostgresTestDatabase {
    static let envName = "FINANCEHUB_TEST_POSTGRES_URL"

    static var baseURL: String? {
        let value = ProcessInfo.processInfo.environment[envName]
        return value?.isEmpty == false ? value : nil
    }

    static func requireURL() throws -> String {
        guard let url = baseURL else { throw XCTSkip("set \(envName) to run the PostgreSQL tests") }
        return url
    }

    /// A unique schema name for one test.
    static func uniqueSchema() -> String {
        "fh_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    }

    /// The base URL with `schema=` set (replacing any schema option in it).
    static func url(_ base: String, schema: String) -> String {
        var parts = base.split(separator: "?", maxSplits: 1).map(String.init)
        var options = parts.count > 1 ? parts[1].split(separator: "&").map(String.init) : []
        options.removeAll { $0.hasPrefix("schema=") }
        options.append("schema=\(schema)")
        parts = [parts[0]]
        return parts[0] + "?" + options.joined(separator: "&")
    }

    /// Connects to a fresh schema and migrates it.
    static func freshStore(migrate: Bool = true) async throws -> PostgresStore {
        let base = try requireURL()
        let store = try await PostgresStore.connect(url: url(base, schema: uniqueSchema()))
        if migrate { _ = try await store.migrate() }
        return store
    }

    /// Drops the store's schema and closes it.
    static func dispose(_ store: PostgresStore) async {
        try? await store.dropSchema()
        try? await store.close()
    }
}
