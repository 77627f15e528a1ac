import Crypto
import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// The whole alert path on a running server: an alert created through the API, a tick posted to `/api/ticks`, the
/// engine's firing recorded with its deliveries, and the notification arriving on the owner's WebSocket and at a
/// signed webhook; another user's WebSocket gets nothing.
final class AlertEndToEndTests: XCTestCase {
    func testATickFiresAPriceAlertOnTheOwnersWebSocketAndASignedWebhook() async throws {
        let receiver = RecordingReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let fixture = try await StreamFixture.make { $0.alertDelivery.allowPrivateWebhooks = true }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            let first = try await Self.post(client, "/api/ticks", #"[{"symbol":"BTC","ts":\#(now),"price":90}]"#, root)
            XCTAssertEqual(first.status, .created, String(buffer: first.body))
            let alert = """
                {"name":"BTC over 100","target":{"symbol":"BTC"},
                 "conditions":[{"type":"price_crossing_up","value":100}],"combine":"all","trigger":{"mode":"once"},
                 "enabled":true,"channels":[{"type":"websocket"},
                 {"type":"webhook","url":"\(receiver.url())","secret":"bob-webhook-secret"}]}
                """
            let created = try await Self.post(client, "/api/alerts", alert, bob)
            XCTAssertEqual(created.status, .created, String(buffer: created.body))
            let id = try XCTUnwrap(
                (try JSONSerialization.jsonObject(with: Data(buffer: created.body)) as? [String: Any])?["id"] as? String
            )
            let port = client.port!
            let done = TestFlag()
            async let alice = WSConversation.run(port: port, headers: fixture.bearer("alice")) { ws in
                try await ws.subscribeToAlerts()
                while !done.isSet { try await Task.sleep(for: .milliseconds(10)) }
                XCTAssertTrue(ws.all("alert").isEmpty, "bob's alert never reaches alice")
            }
            try await WSConversation.run(port: port, headers: fixture.bearer("bob")) { ws in
                try await ws.subscribeToAlerts()
                while fixture.hub.stats().subscriptions < 2 { try await Task.sleep(for: .milliseconds(10)) }
                let tick = #"[{"symbol":"BTC","ts":\#(now + 1_000),"price":110}]"#
                let second = try await Self.post(client, "/api/ticks", tick, root)
                XCTAssertEqual(second.status, .created)
                let notification = try await ws.next("alert", timeout: .seconds(10))
                XCTAssertEqual(notification?["alertId"] as? String, id)
                XCTAssertEqual(notification?["condition"] as? String, "price_crossing_up")
                XCTAssertEqual(notification?["symbol"] as? String, "BTC")
                XCTAssertEqual(notification?["test"] as? Bool, false)
                done.set()
            }
            try await alice
            // The webhook: signed over "<timestamp>.<body>" with the channel's secret.
            var hook: RecordingReceiver.Request?
            for _ in 0..<100 where hook == nil {
                hook = receiver.requests.first
                if hook == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let request = try XCTUnwrap(hook, "the webhook was called")
            let timestamp = try XCTUnwrap(request.header("X-FinanceHub-Timestamp"))
            let signed = Data("\(timestamp).".utf8) + request.body
            let mac = HMAC<SHA256>.authenticationCode(
                for: signed, using: SymmetricKey(data: Data("bob-webhook-secret".utf8)))
            let hex = mac.map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(request.header("X-FinanceHub-Signature"), "sha256=\(hex)")
            XCTAssertNotNil(request.header("X-FinanceHub-Delivery"))
            XCTAssertEqual((request.json as? [String: Any])?["alertId"] as? String, id)
            // The history shows the firing, to its owner only.
            let history = try await client.execute(
                uri: "/api/alerts/history", method: .get, headers: [.authorization: "Bearer \(bob)"])
            let items = (try JSONSerialization.jsonObject(with: Data(buffer: history.body)) as? [String: Any])?["items"]
            XCTAssertEqual((items as? [[String: Any]])?.count, 1, String(buffer: history.body))
            let theirs = try await client.execute(
                uri: "/api/alerts/history", method: .get,
                headers: [.authorization: "Bearer \(fixture.tokens["alice"]!)"])
            let none = (try JSONSerialization.jsonObject(with: Data(buffer: theirs.body)) as? [String: Any])?["items"]
            XCTAssertEqual((none as? [[String: Any]])?.count, 0)
            let deliveries = try await fixture.dependencies.storage.alertOutbox.deliveries(alertId: id, limit: 10)
            XCTAssertEqual(Set(deliveries.map(\.channel.typeName)), ["websocket", "webhook"])
        }
    }

    func testAPortfolioValueAlertFiresWhenATickLiftsItsHoldings() async throws {
        let fixture = try await StreamFixture.make()
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            _ = try await Self.post(client, "/api/ticks", #"[{"symbol":"AAPL","ts":\#(now),"price":100}]"#, root)
            let portfolio = try await Self.post(
                client, "/api/portfolios",
                #"{"name":"Core","cash":0,"holdings":[{"symbol":"AAPL","quantity":10,"costBasis":90}]}"#, bob)
            XCTAssertEqual(portfolio.status, .created, String(buffer: portfolio.body))
            let pid = try XCTUnwrap(Self.object(portfolio)?["id"] as? String)
            let alert = """
                {"name":"Core over 1500","target":{"portfolio":"\(pid)"},
                 "conditions":[{"type":"portfolio_value_above","value":1500}],"trigger":{"mode":"once"},
                 "enabled":true,"channels":[{"type":"websocket"}]}
                """
            let created = try await Self.post(client, "/api/alerts", alert, bob)
            XCTAssertEqual(created.status, .created, String(buffer: created.body))
            let id = try XCTUnwrap(Self.object(created)?["id"] as? String)
            // 10 × 120 = 1,200: below; 10 × 200 = 2,000: above, once.
            _ = try await Self.post(
                client, "/api/ticks", #"[{"symbol":"AAPL","ts":\#(now + 1_000),"price":120}]"#, root)
            _ = try await Self.post(
                client, "/api/ticks", #"[{"symbol":"AAPL","ts":\#(now + 2_000),"price":200}]"#, root)
            let items = try await Self.history(client, alert: id, token: bob)
            XCTAssertEqual(items.count, 1)
            XCTAssertEqual(items.first?["condition"] as? String, "portfolio_value_above")
            XCTAssertEqual(items.first?["value"] as? Double, 2_000)
        }
    }

    func testASectorMoveAlertFiresWhenItsMembersTicksMoveTheSectorIndex() async throws {
        let fixture = try await StreamFixture.make()
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        try await fixture.app.test(.live) { client in
            let (root, bob) = (fixture.tokens["root"]!, fixture.tokens["bob"]!)
            // Two members of a sector, created through the API: the sector index follows at once.
            for symbol in ["XOM", "CVX"] {
                let asset = try await Self.post(
                    client, "/api/assets", #"{"symbol":"\#(symbol)","assetClass":"equity","sector":"Energy"}"#, root)
                XCTAssertEqual(asset.status, .created, String(buffer: asset.body))
                _ = try await Self.post(
                    client, "/api/ticks", #"[{"symbol":"\#(symbol)","ts":\#(now),"price":100}]"#, root)
            }
            let alert = """
                {"name":"Energy up 5%","target":{"sector":"Energy"},
                 "conditions":[{"type":"sector_move","percent":5,"windowMinutes":5}],"trigger":{"mode":"once"},
                 "enabled":true,"channels":[{"type":"websocket"}]}
                """
            let created = try await Self.post(client, "/api/alerts", alert, bob)
            XCTAssertEqual(created.status, .created, String(buffer: created.body))
            let id = try XCTUnwrap(Self.object(created)?["id"] as? String)
            // Equal-weighted levels (100 at the first prices): XOM 103 → 101.5 one minute on; XOM 106 five minutes
            // later → 103, +1.5 % over 5 minutes (no firing); XOM 115 a minute after → 107.5, +5.9 % over 5 minutes.
            // A change over 5 minutes needs a level 5 minutes back, so the ticks carry their minutes.
            for (offset, price) in [(60_000, 103), (360_000, 106)] {
                _ = try await Self.post(
                    client, "/api/ticks", #"[{"symbol":"XOM","ts":\#(now + Int64(offset)),"price":\#(price)}]"#, root)
            }
            try await Task.sleep(for: .milliseconds(200))
            let none = try await client.execute(
                uri: "/api/alerts/history?alert=\(id)", method: .get, headers: [.authorization: "Bearer \(bob)"])
            XCTAssertEqual((Self.object(none)?["items"] as? [[String: Any]])?.count, 0, "1.5 % is not 5 %")
            _ = try await Self.post(
                client, "/api/ticks", #"[{"symbol":"XOM","ts":\#(now + 420_000),"price":115}]"#, root)
            let items = try await Self.history(client, alert: id, token: bob)
            XCTAssertEqual(items.count, 1)
            XCTAssertEqual(items.first?["condition"] as? String, "sector_move")
        }
    }

    func testABacktestReplaysStoredHistoryAndWritesNothing() async throws {
        let fixture = try await StreamFixture.make()
        let start = Int64(Date().timeIntervalSince1970 * 1_000) / 60_000 * 60_000 - 3_600_000
        try await fixture.app.test(.live) { client in
            let (root, bob, alice) = (fixture.tokens["root"]!, fixture.tokens["bob"]!, fixture.tokens["alice"]!)
            // An hour ago: one tick a minute, 90 → 110 at minute 5, back to 95 at minute 10, over again at minute 15.
            let prices: [Double] = [90, 91, 92, 93, 94, 110, 111, 112, 113, 114, 95, 96, 97, 98, 99, 120, 121]
            let ticks = prices.enumerated().map {
                #"{"symbol":"ETH","ts":\#(start + Int64($0) * 60_000),"price":\#($1)}"#
            }
            let posted = try await Self.post(client, "/api/ticks", "[\(ticks.joined(separator: ","))]", root)
            XCTAssertEqual(posted.status, .created, String(buffer: posted.body))
            let alert = """
                {"name":"ETH over 100","target":{"symbol":"ETH"},
                 "conditions":[{"type":"price_crossing_up","value":100}],"trigger":{"mode":"every_time","cooldownSeconds":60},
                 "enabled":true,"channels":[{"type":"websocket"}]}
                """
            let created = try await Self.post(client, "/api/alerts", alert, bob)
            let id = try XCTUnwrap(Self.object(created)?["id"] as? String, String(buffer: created.body))
            let backtest = try await client.execute(
                uri: "/api/alerts/\(id)/backtest?from=\(start)", method: .get,
                headers: [.authorization: "Bearer \(bob)"])
            XCTAssertEqual(backtest.status, .ok, String(buffer: backtest.body))
            let firings = Self.object(backtest)?["firings"] as? [[String: Any]] ?? []
            XCTAssertEqual(firings.map { $0["ts"] as? Int64 }, [start + 5 * 60_000, start + 15 * 60_000])
            XCTAssertEqual(Set(firings.compactMap { $0["condition"] as? String }), ["price_crossing_up"])
            let history = try await client.execute(
                uri: "/api/alerts/history", method: .get, headers: [.authorization: "Bearer \(bob)"])
            XCTAssertEqual((Self.object(history)?["items"] as? [[String: Any]])?.count, 0, "a backtest writes nothing")
            let theirs = try await client.execute(
                uri: "/api/alerts/\(id)/backtest", method: .get, headers: [.authorization: "Bearer \(alice)"])
            XCTAssertEqual(theirs.status, .notFound, "another user's alert")
            let reversed = try await client.execute(
                uri: "/api/alerts/\(id)/backtest?from=\(start)&to=\(start - 1)", method: .get,
                headers: [.authorization: "Bearer \(bob)"])
            XCTAssertEqual(reversed.status, .unprocessableContent)
        }
    }

    /// The alert's history entries once there are some (up to 5 s).
    private static func history(_ client: some TestClientProtocol, alert id: String, token: String) async throws
        -> [[String: Any]]
    {
        var items: [[String: Any]] = []
        for _ in 0..<100 where items.isEmpty {
            let history = try await client.execute(
                uri: "/api/alerts/history?alert=\(id)", method: .get, headers: [.authorization: "Bearer \(token)"])
            items = Self.object(history)?["items"] as? [[String: Any]] ?? []
            if items.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        return items
    }

    private static func object(_ response: TestResponse) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]
    }

    private static func post(
        _ client: some TestClientProtocol, _ uri: String, _ body: String, _ token: String
    ) async throws -> TestResponse {
        try await client.execute(
            uri: uri, method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
            body: ByteBuffer(string: body))
    }
}
