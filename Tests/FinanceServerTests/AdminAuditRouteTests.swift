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
import XCTest

/// `GET /api/admin/audit` over HTTP on a real SQLite file: pages newest first through `next`, filters, 422 problems
/// naming every bad parameter, and events recorded by the running application showing up.
/// The one place these tests call the admin route, as the test admin.
private func adminGet(_ client: some TestClientProtocol, _ query: String) async throws -> TestResponse {
    try await client.send(.get, "/api/admin/audit" + query)
}

/// 2024-01-02 00:00 UTC.
private let t0: Int64 = 1_704_153_600_000

final class AdminAuditRouteTests: TemporaryFolderTestCase {
    private func dependencies(_ store: any MarketStore, flushInterval: Duration = .seconds(1)) async throws
        -> AppDependencies
    {
        var settings = ServerSettings(host: "127.0.0.1", port: 0, simulatedFeed: nil)
        settings.audit.flushInterval = flushInterval
        // The seeded events are from 2024: kept whatever their age.
        settings.audit.retentionDays = 0
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return AppDependencies(
            storage: Storage(store), settings: settings, logger: logger, auth: try await TestAuth.service(users: store))
    }

    private func seededStore() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: self.path("audit.sqlite"))
        _ = try await store.migrate()
        // 250 events, two per millisecond; every fifth has no user, every seventh is a failed sign-in.
        var events: [AuditEvent] = []
        for i in 0..<250 {
            let type: AuditEventType = i % 7 == 0 ? .loginFailed : .connect
            let user: String? = i % 5 == 0 ? nil : "user\(i % 3)"
            events.append(
                AuditEvent(
                    id: "ev\(1000 + i)", ts: t0 + Int64(i / 2), type: type, user: user, ip: "192.0.2.\(i % 200)",
                    detail: "event \(i)"))
        }
        try await store.appendAudit(events)
        return store
    }

    func testPagesFollowNextNewestFirstAndFiltersApply() async throws {
        let store = try await self.seededStore()
        try await buildApplication(try await self.dependencies(store)).test(.router) { client in
            var details: [String] = []
            var query = "?limit=100"
            var pages = 0
            while pages < 10 {
                let response = try await adminGet(client, query)
                XCTAssertEqual(response.status, .ok, response.text)
                let page = try response.decode(AuditPageDTO.self)
                details += page.items.map(\.detail)
                pages += 1
                guard let next = page.next else { break }
                XCTAssertEqual(page.items.count, 100)
                query = "?limit=100&cursor=" + next
            }
            XCTAssertEqual(pages, 3)
            XCTAssertEqual(details, (0..<250).reversed().map { "event \($0)" }, "all, newest first, once each")

            let first = try await adminGet(client, "?limit=1")
            let item = try XCTUnwrap((first.object["items"] as? [[String: Any]])?.first)
            XCTAssertEqual(
                Set(item.keys), ["id", "ts", "type", "user", "ip", "detail"], "fields as documented: \(first.text)")
            XCTAssertEqual(item["type"] as? String, "connect")
            let noUser = try await adminGet(client, "?to=\(t0 + 1)")
            let bare = try XCTUnwrap((noUser.object["items"] as? [[String: Any]])?.last)
            XCTAssertNil(bare["user"], "an event without a user has no user field: \(noUser.text)")

            let failed = try await adminGet(client, "?type=login_failed&limit=1000")
            let failedItems = try failed.decode(AuditPageDTO.self).items
            XCTAssertEqual(failedItems.count, 36)
            XCTAssertTrue(failedItems.allSatisfy { $0.type == "login_failed" })
            let user = try await adminGet(client, "?user=user1&type=connect&limit=1000")
            let userItems = try user.decode(AuditPageDTO.self).items
            XCTAssertFalse(userItems.isEmpty)
            XCTAssertTrue(userItems.allSatisfy { $0.user == "user1" && $0.type == "connect" })
            // from inclusive, to exclusive, in any time form the API takes.
            let window = try await adminGet(client, "?from=\(t0 + 10)&to=\(t0 + 12)")
            XCTAssertEqual(
                try window.decode(AuditPageDTO.self).items.map(\.detail),
                ["event 23", "event 22", "event 21", "event 20"])
            let iso = try await adminGet(client, "?from=2024-01-02T00:00:00.124Z")
            XCTAssertEqual(try iso.decode(AuditPageDTO.self).items.map(\.detail), ["event 249", "event 248"])
            let nobody = try await adminGet(client, "?user=nobody")
            XCTAssertEqual(nobody.text, #"{"items":[]}"#)
        }
        try await store.close()
    }

    func testBadParametersAre422ProblemsNamingEachOne() async throws {
        let store = try await self.seededStore()
        try await buildApplication(try await self.dependencies(store)).test(.router) { client in
            let cases: [(String, [String])] = [
                ("?from=yesterday", ["from"]), ("?to=%00", ["to"]),
                ("?from=\(t0 + 5)&to=\(t0)", ["from"]), ("?type=login,ban", ["type"]),
                ("?type=LOGIN", ["type"]), ("?limit=0", ["limit"]), ("?limit=1001", ["limit"]),
                ("?limit=ten", ["limit"]), ("?cursor=***", ["cursor"]), ("?cursor=", ["cursor"]),
                ("?cursor=" + String(repeating: "A", count: 5_000), ["cursor"]),
                // Valid base64url of text that is no cursor: "hello", "12:" and "x:id".
                ("?cursor=aGVsbG8", ["cursor"]), ("?cursor=MTI6", ["cursor"]), ("?cursor=eDppZA", ["cursor"]),
                ("?user=", ["user"]), ("?user=" + String(repeating: "u", count: 65), ["user"]),
                ("?from=x&to=y&type=z&limit=-1&cursor=!&user=", ["from", "to", "user", "type", "limit", "cursor"]),
            ]
            for (query, fields) in cases {
                let response = try await adminGet(client, query)
                XCTAssertEqual(response.status, .unprocessableContent, "\(query): \(response.text)")
                XCTAssertEqual(response.headers[.contentType], "application/problem+json", query)
                XCTAssertEqual(response.problemFields, fields, query)
                XCTAssertLessThan(response.body.readableBytes, 2_000, "\(query): the problem stays small")
            }
        }
        try await store.close()
    }

    func testEventsRecordedByTheRunningApplicationAreServed() async throws {
        let store = try SQLiteStore(path: self.path("live.sqlite"))
        _ = try await store.migrate()
        let dependencies = try await self.dependencies(store, flushInterval: .milliseconds(50))
        try await buildApplication(dependencies).test(.live) { client in
            dependencies.auditLog.record(.login, user: "alice", ip: "192.0.2.1", detail: "password")
            dependencies.auditLog.record(.ban, ip: "198.51.100.7", detail: "20 violations in a minute")
            let deadline = ContinuousClock.now + .seconds(10)
            var items: [AuditEventDTO] = []
            while ContinuousClock.now < deadline {
                items = try await adminGet(client, "").decode(AuditPageDTO.self).items
                if items.count == 2 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            XCTAssertEqual(items.map(\.type).sorted(), ["ban", "login"])
            XCTAssertEqual(items.first { $0.type == "login" }?.user, "alice")
        }
    }
}
