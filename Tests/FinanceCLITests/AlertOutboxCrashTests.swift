import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Synchronization
import XCTest

@testable import FinanceCLI

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The alert outbox survives `kill -9`: a webhook the receiver refused before the crash is delivered after the
/// restart, once, under the delivery id it had before.
final class AlertOutboxCrashTests: XCTestCase {
    func testAWebhookRefusedBeforeAKill9IsDeliveredOnceAfterTheRestart() async throws {
        guard let binary = FinanceHubBinary.url else { throw XCTSkip("financehub binary not built next to the tests") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "financehub-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = "sqlite:" + dir.appendingPathComponent("outbox.sqlite").path
        // The receiver refuses everything until the server is killed.
        let accepting = Atomic(false)
        let receiver = RecordingReceiver { _, _ in (accepting.load(ordering: .acquiring) ? 200 : 503, nil, .zero) }
        try await receiver.start()
        let environment = ["FINANCEHUB_ALERTS_ALLOW_PRIVATE_WEBHOOKS": "true"]
        _ = try XCTUnwrap(FinanceHubBinary.run(["migrate", "--database", database]))
        let added = try XCTUnwrap(
            FinanceHubBinary.run(
                ["user", "add", "bob", "--tier", "pro", "--password-stdin", "--database", database],
                stdin: "bob-password\n"))
        XCTAssertEqual(added.code, 0, added.err)

        var (server, port, apiKey) = try SelfProcess.startServer(
            executable: binary.path, database: database, feed: "none", environment: environment)
        let session = URLSession(configuration: .ephemeral)
        let login = try await Self.send(
            session, port, "POST", "/api/auth/login", #"{"username":"bob","password":"bob-password"}"#)
        let token = try XCTUnwrap((Self.object(login.1))?["access_token"] as? String)
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        _ = try await Self.send(
            session, port, "POST", "/api/ticks", #"[{"symbol":"CRSH","ts":\#(now),"price":90}]"#, apiKey: apiKey)
        let alert = """
            {"name":"CRSH over 100","target":{"symbol":"CRSH"},"conditions":[{"type":"price_above","value":100}],
             "trigger":{"mode":"once"},"enabled":true,
             "channels":[{"type":"webhook","url":"\(receiver.url())","secret":"crash-secret"}]}
            """
        let created = try await Self.send(session, port, "POST", "/api/alerts", alert, token: token)
        XCTAssertEqual(created.0, 201, String(decoding: created.1, as: UTF8.self))
        _ = try await Self.send(
            session, port, "POST", "/api/ticks", #"[{"symbol":"CRSH","ts":\#(now + 1_000),"price":110}]"#,
            apiKey: apiKey)
        try await waitUntil(timeout: .seconds(20), every: .milliseconds(50)) { !receiver.requests.isEmpty }
        let refused = receiver.requests
        XCTAssertFalse(refused.isEmpty, "the webhook was tried before the kill")

        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        XCTAssertEqual(server.terminationReason, .uncaughtSignal)
        accepting.store(true, ordering: .releasing)
        (server, port, apiKey) = try SelfProcess.startServer(
            executable: binary.path, database: database, feed: "none", environment: environment)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        // Retried with backoff from the stored attempt count: within 1 + 2 + 4 + 8 s.
        try await waitUntil(timeout: .seconds(30), every: .milliseconds(50)) { receiver.requests.count > refused.count }
        try await Task.sleep(for: .seconds(2))
        let after = Array(receiver.requests.dropFirst(refused.count))
        if after.isEmpty {
            // Say what the outbox holds, to tell a delivery never retried from one never queued.
            let store = try SQLiteStore(path: dir.appendingPathComponent("outbox.sqlite").path)
            let id = try XCTUnwrap(Self.object(created.1)?["id"] as? String)
            let rows = try await store.deliveries(alertId: id, limit: 10)
            try await store.close()
            XCTFail("nothing arrived after the restart (\(refused.count) refused before); the outbox holds \(rows)")
        }
        XCTAssertEqual(after.count, 1, "delivered once after the restart")
        let ids = Set(receiver.requests.compactMap { $0.header("X-FinanceHub-Delivery") })
        XCTAssertEqual(ids.count, 1, "every attempt carries the same delivery id")
        XCTAssertEqual((after.first?.json as? [String: Any])?["condition"] as? String, "price_above")
        await receiver.stop()
    }

    private static func object(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    private static func send(
        _ session: URLSession, _ port: Int, _ method: String, _ path: String, _ body: String, token: String? = nil,
        apiKey: String? = nil
    ) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let apiKey { request.setValue(apiKey, forHTTPHeaderField: "X-API-Key") }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
