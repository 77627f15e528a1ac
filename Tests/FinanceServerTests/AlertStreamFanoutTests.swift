import FinanceApp
import FinanceServer
import FinanceStorage
import Hummingbird
import HummingbirdTesting
import XCTest

/// An alert notification fired on one instance reaches its owner's `alerts` subscription on another instance through
/// the relay, and nobody else's.
final class AlertStreamFanoutTests: XCTestCase {
    func testANotificationReachesItsOwnerOnTheOtherInstanceOnly() async throws {
        let network = InProcessRelay.Network()
        let a = try await StreamFixture.make(relay: InProcessRelay(network: network, instanceId: "a"))
        let b = try await StreamFixture.make(relay: InProcessRelay(network: network, instanceId: "b"))
        let fanout = AlertStreamFanout(hub: a.hub, relay: a.dependencies.relay)
        try await a.app.test(.live) { _ in
            try await b.app.test(.live) { client in
                let port = client.port!
                let ready = TestFlag()
                async let alice = WSConversation.run(port: port, headers: b.bearer("alice")) { ws in
                    try await ws.subscribeToAlerts()
                    while !ready.isSet { try await Task.sleep(for: .milliseconds(10)) }
                    try await Task.sleep(for: .milliseconds(300))
                    XCTAssertTrue(ws.all("alert").isEmpty, "bob's alert is not alice's")
                }
                try await WSConversation.run(port: port, headers: b.bearer("bob")) { ws in
                    try await ws.subscribeToAlerts()
                    while b.hub.stats().subscriptions < 2 { try await Task.sleep(for: .milliseconds(10)) }
                    // Sent until it arrives: the relays start with their applications, a moment after the servers.
                    var alert: [String: Any]?
                    for _ in 0..<50 where alert == nil {
                        fanout.send(user: "bob", body: #"{"type":"alert","alertId":"7","condition":"price_above"}"#)
                        alert = try await ws.next("alert", timeout: .milliseconds(100))
                    }
                    ready.set()
                    XCTAssertEqual(alert?["alertId"] as? String, "7")
                }
                try await alice
            }
        }
    }
}
