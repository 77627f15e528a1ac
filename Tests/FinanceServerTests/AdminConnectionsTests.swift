import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// `/api/admin/connections*` over HTTP, and WebSockets closed within 5 s when their caller loses access.
final class AdminConnectionsTests: XCTestCase {
    func testAdminsListCountAndForceDisconnectOverREST() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.app.test(.live) { client in
            let port = client.port!
            let listed = TestFlag()
            async let alice = WSConversation.run(
                port: port, path: "/ws/market/BTC/price", headers: fixture.bearer("alice")
            ) { _ in
                while !listed.isSet { try await Task.sleep(for: .milliseconds(10)) }
                try await Task.sleep(for: .seconds(8))
            }
            var items: [[String: Any]] = []
            for _ in 0..<300 {
                let r = try await client.execute(
                    uri: "/api/admin/connections", method: .get, headers: fixture.bearer("root"))
                XCTAssertEqual(r.status, .ok)
                items =
                    (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])?["items"]
                    as? [[String: Any]] ?? []
                if !items.isEmpty { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            XCTAssertEqual(items.first?["user"] as? String, "alice")
            XCTAssertEqual(items.first?["subscriptions"] as? [String: [String]], ["price": ["BTC"]])
            let stats = try await client.execute(
                uri: "/api/admin/connections/stats", method: .get, headers: fixture.bearer("root"))
            XCTAssertTrue(String(buffer: stats.body).contains(#""connections":1"#), String(buffer: stats.body))
            let forbidden = try await client.execute(
                uri: "/api/admin/connections", method: .get, headers: fixture.bearer("alice"))
            XCTAssertEqual(forbidden.status, .forbidden)
            let missing = try await client.execute(
                uri: "/api/admin/connections/9999", method: .delete, headers: fixture.bearer("root"))
            XCTAssertEqual(missing.status, .notFound)
            let invalid = try await client.execute(
                uri: "/api/admin/connections/x", method: .delete, headers: fixture.bearer("root"))
            XCTAssertEqual(invalid.status, .unprocessableContent)
            listed.set()
            let id = items.first?["id"] as? Int ?? 0
            let gone = try await client.execute(
                uri: "/api/admin/connections/\(id)", method: .delete, headers: fixture.bearer("root"))
            XCTAssertEqual(gone.status, .noContent)
            let code = try await alice
            XCTAssertEqual(code, 1008)
            let none = try await client.execute(
                uri: "/api/admin/users/bob/connections", method: .delete, headers: fixture.bearer("root"))
            XCTAssertEqual(String(buffer: none.body), #"{"closed":0}"#)
        }
    }

    func testALogoutOrADisabledUserClosesTheirWebSocketsWithinFiveSeconds() async throws {
        let fixture = try await StreamFixture.make()
        let store = fixture.dependencies.storage.users
        let signIn = try await fixture.auth.login(user: "alice", password: "pw-alice")
        try await fixture.app.test(.live) { client in
            let port = client.port!
            let started = ContinuousClock.now
            async let alice = WSConversation.run(
                port: port, path: "/ws/market/BTC/price", headers: [.authorization: "Bearer \(signIn.accessToken)"]
            ) { ws in _ = try await ws.next("never", timeout: .seconds(10)) }
            async let bob = WSConversation.run(port: port, path: "/ws/market/ETH/price", headers: fixture.bearer("bob"))
            { ws in _ = try await ws.next("never", timeout: .seconds(10)) }
            while fixture.hub.connectionCount < 2 { try await Task.sleep(for: .milliseconds(10)) }
            try await fixture.auth.logout(signIn.refreshToken)
            var user = try await store.user(named: "bob")
            user.disabled = true
            try await store.updateUser(user)
            let (aliceCode, bobCode) = try await (alice, bob)
            XCTAssertEqual(aliceCode, 4001, "a revoked sign-in")
            XCTAssertEqual(bobCode, 1008, "a disabled user")
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(6))
        }
    }
}
