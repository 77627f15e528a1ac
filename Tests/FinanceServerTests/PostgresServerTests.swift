import FinanceApp
import FinanceCLI
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStoragePostgres
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

@testable import FinanceCLI

/// The application and the CLI on a real PostgreSQL server (`FINANCEHUB_TEST_POSTGRES_URL`), each test in its own schema.
final class PostgresServerTests: XCTestCase {
    static func url() throws -> String {
        guard let base = ProcessInfo.processInfo.environment["FINANCEHUB_TEST_POSTGRES_URL"], !base.isEmpty else {
            throw XCTSkip("set FINANCEHUB_TEST_POSTGRES_URL to run the PostgreSQL tests")
        }
        let schema = "fh_srv_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    func testIngestAndQueryOnPostgres() async throws {
        let url = try Self.url()
        let store = try await PostgresStore.connect(url: url)
        _ = try await store.migrate()
        var failure: (any Error)?
        do {
            try await makeApp(store: store).test(.router) { client in
                let r = try await client.send(
                    .post, "/api/bars/AAPL?interval=1m", json: barsJSON(count: 180, start: t0))
                XCTAssertEqual(r.status, .created, r.text)
                let hourly = try await client.send(.get, "/api/bars/AAPL?interval=1h&from=\(t0)")
                let raw = try await client.send(.get, "/api/bars/AAPL?interval=1h&from=\(t0)&source=raw")
                XCTAssertEqual(try hourly.decode(BarsDTO.self).bars.count, 3)
                XCTAssertEqual(hourly.text, raw.text)
                let ticks = try await client.send(
                    .post, "/api/ticks",
                    json:
                        "[{\"symbol\":\"BTC\",\"ts\":\(t0),\"price\":10,\"size\":1},{\"symbol\":\"BTC\",\"ts\":\(t0 + 1000),\"price\":11}]"
                )
                XCTAssertEqual(ticks.status, .created, ticks.text)
                let quote = try await client.send(.get, "/api/quotes/BTC")
                XCTAssertEqual(try quote.decode(QuoteDTO.self).price, 11)
                let bad = try await client.send(
                    .post, "/api/bars/AAPL",
                    json: "[{\"ts\":1,\"open\":1,\"high\":0,\"low\":1,\"close\":1,\"volume\":1}]")
                XCTAssertEqual(bad.status, .unprocessableContent)
                let ready = try await client.send(.get, "/ready")
                XCTAssertEqual(ready.status, .ok)
                XCTAssertFalse(ready.text.contains("financehub:financehub@"), "the password never shows")
            }
        } catch {
            failure = error
        }
        // The application closes the store when it stops; a second connection drops the schema.
        let cleanup = try await PostgresStore.connect(url: url)
        try await cleanup.dropSchema()
        try await cleanup.close()
        if let failure { throw failure }
    }

    func testCommandsRefuseAnOldSchemaUntilMigrated() async throws {
        let url = try Self.url()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("b.csv").path
        try "timestamp,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n".write(
            toFile: csv, atomically: true, encoding: .utf8)
        let before = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "X", "--interval", "1d", "--database", url, csv,
        ])
        XCTAssertEqual(before, 1)
        let migrate = await FinanceHubCommand.run(arguments: ["migrate", "--database", url])
        XCTAssertEqual(migrate, 0)
        let after = await FinanceHubCommand.run(arguments: [
            "import", "bars", "--symbol", "X", "--interval", "1d", "--database", url, csv,
        ])
        XCTAssertEqual(after, 0)
        let store = try await PostgresStore.connect(url: url)
        let bars = try await store.bars(
            symbol: "X", series: .stored(.day1), from: nil, to: nil, limit: 10, newestFirst: false)
        XCTAssertEqual(bars.count, 1)
        try await store.dropSchema()
        try await store.close()
    }
}
