import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Two instances on one store: an alert created, changed or deleted through one instance's API reaches the other's
/// engine through the relay, so a tick ingested on the other fires it there.
final class AlertRelayChangesTests: XCTestCase {
    func testAlertsStoredOnOneInstanceAreEvaluatedOnTheOther() async throws {
        let network = InProcessRelay.Network()
        let store = MemoryStore()
        let a = try await StreamFixture.make(relay: InProcessRelay(network: network, instanceId: "a"), store: store)
        let b = try await StreamFixture.make(relay: InProcessRelay(network: network, instanceId: "b"), store: store)
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let onB = b.dependencies.alerts.evaluation.control
        try await b.app.test(.live) { _ in
            try await a.app.test(.live) { client in
                let (root, bob) = (a.tokens["root"]!, a.tokens["bob"]!)
                _ = try await Self.send(
                    client, .post, "/api/ticks", #"[{"symbol":"AAPL","ts":\#(now),"price":90}]"#, root)
                let portfolio = try await Self.send(
                    client, .post, "/api/portfolios",
                    #"{"name":"Core","cash":0,"holdings":[{"symbol":"AAPL","quantity":1,"costBasis":80}]}"#, bob)
                let pid = try XCTUnwrap(Self.object(portfolio)?["id"] as? String)
                // A portfolio alert created on A: B's engine watches the portfolio once the change is relayed (the
                // relays start with their applications, so the first change may come before B listens: resent).
                let watch =
                    #"{"name":"Core","target":{"portfolio":"\#(pid)"},"conditions":[{"type":"portfolio_value_above","value":1000}],"trigger":{"mode":"once"},"enabled":true,"channels":[{"type":"websocket"}]}"#
                var watchId: String?
                for _ in 0..<50 where !onB.watches(.portfolio(pid)) {
                    if let id = watchId { _ = try await Self.send(client, .delete, "/api/alerts/\(id)", nil, bob) }
                    watchId =
                        Self.object(try await Self.send(client, .post, "/api/alerts", watch, bob))?["id"] as? String
                    try await waitUntil(timeout: .milliseconds(200)) { onB.watches(.portfolio(pid)) }
                }
                XCTAssertTrue(onB.watches(.portfolio(pid)), "the alert created on A reached B's engine")
                // Deleted on A: gone from B's engine.
                let deleted = try await Self.send(client, .delete, "/api/alerts/\(try XCTUnwrap(watchId))", nil, bob)
                XCTAssertEqual(deleted.status, .noContent)
                try await waitUntil(timeout: .seconds(5)) { !onB.watches(.portfolio(pid)) }
                XCTAssertFalse(onB.watches(.portfolio(pid)), "the deletion reached B's engine")

                // A price alert created on A fires on a tick ingested on B, once.
                let alert =
                    #"{"name":"AAPL over 100","target":{"symbol":"AAPL"},"conditions":[{"type":"price_above","value":100}],"trigger":{"mode":"once"},"enabled":true,"channels":[{"type":"websocket"}]}"#
                let created = try await Self.send(client, .post, "/api/alerts", alert, bob)
                XCTAssertEqual(created.status, .created, String(buffer: created.body))
                let id = try XCTUnwrap(Self.object(created)?["id"] as? String)
                var fired: [AlertHistoryEntry] = []
                for step in 0..<50 where fired.isEmpty {
                    try await b.ingest([Tick(symbol: "AAPL", ts: now + 1_000 + Int64(step), price: 110)])
                    try await Task.sleep(for: .milliseconds(100))
                    fired = try await store.alertHistory(AlertHistoryQuery(owner: "bob", alertId: id, limit: 10))
                }
                XCTAssertEqual(fired.count, 1, "fired by B's engine")
                // Triggered on B: A's engine learns it too, so a tick on A does not fire it again.
                try await a.ingest([Tick(symbol: "AAPL", ts: now + 10_000, price: 120)])
                try await Task.sleep(for: .milliseconds(300))
                let after = try await store.alertHistory(AlertHistoryQuery(owner: "bob", alertId: id, limit: 10))
                XCTAssertEqual(after.count, 1)
            }
        }
    }

    private static func object(_ response: TestResponse) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]
    }

    private static func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String?, _ token: String
    ) async throws -> TestResponse {
        try await client.execute(
            uri: uri, method: method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: body.map { ByteBuffer(string: $0) })
    }
}
