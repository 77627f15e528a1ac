import FinanceApp
import FinanceCore
import FinanceServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import XCTest

/// The hub's admin API (listing, counts, forced disconnects), the per-user `alerts` channel, the admins' `monitoring`
/// channel and the WebSocket metrics, with real clients over loopback.
final class StreamAdminTests: XCTestCase {
    func testListingCountsAndForcedDisconnectsTakeEffectAtOnce() async throws {
        let fixture = try await StreamFixture.make(session: StreamSessionSettings(authTimeoutMilliseconds: 1_500))
        let hub = fixture.hub
        try await fixture.app.test(.live) { client in
            let port = client.port!
            let listed = TestFlag()
            async let alice = WSConversation.run(port: port, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                try await ws.send(#"{"action":"subscribe","channels":["price","bars.1m"],"symbols":["BTC"]}"#)
                _ = try await ws.next("subscribed")
                while !listed.isSet { try await Task.sleep(for: .milliseconds(10)) }
                _ = try await ws.next("never", timeout: .seconds(5))
            }
            async let bob = WSConversation.run(port: port, path: "/ws/market/ETH/price", headers: fixture.bearer("bob"))
            {
                ws in _ = try await ws.next("never", timeout: .seconds(8))
            }
            async let anonymous = WSConversation.run(port: port) { ws in
                _ = try await ws.next("never", timeout: .seconds(8))
            }
            var connections: [StreamConnectionInfo] = []
            for _ in 0..<300 {
                connections = hub.connections()
                // Listed once alice's subscription is in and its reply written.
                if connections.count == 3,
                    connections.contains(where: {
                        $0.user == "alice" && !$0.subscriptions.isEmpty && $0.messagesOut >= 2
                    })
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let byUser = Dictionary(
                connections.compactMap { c in c.user.map { ($0, c) } }, uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(byUser["alice"]?.tier, "free")
            XCTAssertEqual(byUser["alice"]?.endpoint, "/ws")
            XCTAssertEqual(byUser["alice"]?.ip, "127.0.0.1")
            XCTAssertEqual(byUser["alice"]?.subscriptions, ["price": ["BTC"], "bars.1m": ["BTC"]])
            XCTAssertEqual(byUser["alice"]?.messagesIn, 1)
            XCTAssertGreaterThanOrEqual(byUser["alice"]?.messagesOut ?? 0, 2)
            XCTAssertEqual(byUser["bob"]?.subscriptions, ["price": ["ETH"]])
            XCTAssertEqual(byUser["bob"]?.endpoint, "/ws/market/{symbol}/price")
            XCTAssertEqual(connections.filter { $0.user == nil }.count, 1, "the anonymous one, not yet authenticated")
            let stats = hub.stats()
            XCTAssertEqual(stats.connections, 3)
            XCTAssertEqual(stats.byTier, ["free": 1, "pro": 1, "enterprise": 0])
            XCTAssertEqual(stats.unauthenticated, 1)
            XCTAssertEqual(stats.subscriptions, 3)
            XCTAssertEqual(stats.connectsLastMinute, 3)
            // The metrics follow.
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            XCTAssertTrue(text.contains(#"financehub_ws_connections{tier="free"} 1"#), text)
            XCTAssertTrue(text.contains("financehub_ws_messages_in_total"))
            XCTAssertTrue(text.contains("financehub_ws_subscriptions"))
            // Forced disconnects: by id (1008) and by user (4001 for a revoked token), both at once.
            listed.set()
            let started = ContinuousClock.now
            XCTAssertTrue(hub.disconnect(id: byUser["alice"]!.id))
            XCTAssertEqual(hub.disconnect(user: "bob", reason: .tokenRevoked), 1)
            XCTAssertFalse(hub.disconnect(id: 9_999), "no such connection")
            let (aliceCode, bobCode) = try await (alice, bob)
            XCTAssertEqual(aliceCode, 1008)
            XCTAssertEqual(bobCode, 4001)
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(2), "well within 5 s")
            _ = try await anonymous
        }
    }

    func testAlertsReachOnlyTheirUserAndMonitoringOnlyAdmins() async throws {
        let fixture = try await StreamFixture.make(session: StreamSessionSettings(heartbeatMilliseconds: 200))
        let hub = fixture.hub
        try await fixture.app.test(.live) { client in
            let port = client.port!
            let subscribed = TestFlag()
            async let bob = WSConversation.run(port: port, headers: fixture.bearer("bob")) { ws in
                try await ws.subscribeToAlerts()
                while !subscribed.isSet { try await Task.sleep(for: .milliseconds(10)) }
                try await Task.sleep(for: .milliseconds(300))
                XCTAssertTrue(ws.all("alert").isEmpty, "alice's alert is not bob's")
            }
            try await WSConversation.run(port: port, headers: fixture.bearer("root")) { ws in
                _ = try await ws.next("authenticated")
                try await ws.send(#"{"action":"subscribe","channels":["alerts","monitoring"]}"#)
                let subs = try await ws.next("subscribed")
                XCTAssertEqual(
                    subs?["subscriptions"] as? [String: Bool], ["alerts": true, "monitoring": true], "root is an admin")
                while hub.stats().subscriptions < 3 { try await Task.sleep(for: .milliseconds(10)) }
                hub.publishAlert(user: "root", ByteBuffer(string: #"{"type":"alert","symbol":"BTC","rule":"above"}"#))
                subscribed.set()
                let alert = try await ws.next("alert")
                XCTAssertEqual(alert?["rule"] as? String, "above")
                let monitoring = try await ws.next("monitoring")
                XCTAssertEqual(monitoring?["connections"] as? Int, 2)
                XCTAssertEqual((monitoring?["byTier"] as? [String: Int])?["enterprise"], 1)
            }
            try await bob
        }
    }
}
