import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// The abuse guard and the audit log wired in: sign-in throttling, WebSocket connection-attempt limits and bans,
/// and what the audit log records of them.
final class AbuseWiringTests: XCTestCase {
    /// The status line and head of a WebSocket upgrade on a fresh connection (a refusal closes it).
    private static func handshake(port: Int, path: String, token: String?) async -> String {
        await onThread {
            guard let connection = try? RawConnection(port: port, timeout: 1) else { return "no connection" }
            var head = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            head += "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            if let token { head += "Authorization: Bearer \(token)\r\n" }
            guard connection.send(head + "\r\n") else { return "not sent" }
            return connection.receiveAll().text
        }
    }

    func testFailedSignInsAreThrottledAndAudited() async throws {
        let store = MemoryStore()
        let auth = try await TestAuth.service(users: store)
        try await store.createUser(
            User(name: "alice", passwordHash: auth.hashPassword("pw-alice"), role: .user, tier: .free, createdAt: 0))
        try await makeApp(store: store, auth: auth) { $0.abuse.loginAttemptsPerMinute = 3 }.test(.live) { client in
            for _ in 0..<3 {
                let r = try await client.send(
                    .post, "/api/auth/login", json: #"{"username":"alice","password":"wrong"}"#, token: nil)
                XCTAssertEqual(r.status, .unauthorized)
            }
            let throttled = try await client.send(
                .post, "/api/auth/login", json: #"{"username":"alice","password":"pw-alice"}"#, token: nil)
            XCTAssertEqual(throttled.status, .tooManyRequests, "even the right password waits")
            XCTAssertNotNil(throttled.headers[.retryAfter])
            // The audit log has them, once written (at most a second).
            var types: [String] = []
            for _ in 0..<50 {
                let page = try await client.send(.get, "/api/admin/audit?user=alice")
                types = (page.object["items"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
                if types.count >= 4 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            XCTAssertEqual(types.filter { $0 == "login_failed" }.count, 3, "\(types)")
            XCTAssertEqual(types.filter { $0 == "limit_hit" }.count, 1, "\(types)")
        }
    }

    func testBadTokensBanTheAddressAndAttemptsAreLimited() async throws {
        let store = MemoryStore()
        let auth = try await TestAuth.service(users: store)
        try await makeApp(store: store, auth: auth) {
            $0.abuse.banThreshold = 3
            $0.abuse.connectAttemptsPerIpPerMinute = 1_000
        }.test(.live) { client in
            let port = client.port!
            let good = await Self.handshake(port: port, path: "/ws/market/BTC/price", token: TestAuth.adminToken)
            XCTAssertTrue(good.hasPrefix("HTTP/1.1 101"), good)
            for _ in 0..<3 {
                let bad = await Self.handshake(port: port, path: "/ws/market/BTC/price", token: "forged.token.x")
                XCTAssertTrue(bad.hasPrefix("HTTP/1.1 401"), bad)
            }
            let banned = await Self.handshake(port: port, path: "/ws", token: TestAuth.adminToken)
            XCTAssertTrue(banned.hasPrefix("HTTP/1.1 403"), "the address is banned, whatever its token: \(banned)")
            XCTAssertTrue(banned.lowercased().contains("retry-after: 6"), banned)
            var types: [String] = []
            for _ in 0..<50 {
                let page = try await client.send(.get, "/api/admin/audit")
                types = (page.object["items"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
                if types.contains("ban") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            XCTAssertEqual(types.filter { $0 == "auth_failed" }.count, 3, "\(types)")
            XCTAssertTrue(types.contains("ban"), "\(types)")
            XCTAssertTrue(types.contains("connect"), "\(types)")
        }
    }

    func testConnectionAttemptsPerAddressAreLimited() async throws {
        try await makeApp { $0.abuse.connectAttemptsPerIpPerMinute = 2 }.test(.live) { client in
            let port = client.port!
            for _ in 0..<2 {
                let ok = await Self.handshake(port: port, path: "/ws/market/BTC/price", token: TestAuth.adminToken)
                XCTAssertTrue(ok.hasPrefix("HTTP/1.1 101"), ok)
            }
            let limited = await Self.handshake(port: port, path: "/ws/market/BTC/price", token: TestAuth.adminToken)
            XCTAssertTrue(limited.hasPrefix("HTTP/1.1 429"), limited)
            XCTAssertTrue(limited.lowercased().contains("retry-after:"), limited)
        }
    }

    func testAFloodingUserIsBannedAndTheirSocketsClosed() async throws {
        let store = MemoryStore()
        try await store.createUser(User(name: "alice", passwordHash: "x", role: .user, tier: .free, createdAt: 0))
        let alice = TestAuth.token(user: "alice", role: .user, tier: .free)
        try await makeApp(store: store) { $0.abuse.banThreshold = 3 }.test(.live) { client in
            let port = client.port!
            let code = try await WSConversation.run(port: port, headers: [.authorization: "Bearer \(alice)"]) { ws in
                _ = try await ws.next("authenticated")
                // The free tier allows 10 messages a second: the rest are violations.
                for _ in 0..<20 { try await ws.send(#"{"action":"ping"}"#) }
                _ = try await ws.next("never", timeout: .seconds(5))
            }
            XCTAssertEqual(code, 1008, "the ban closes the flooding user's socket")
            let again = await Self.handshake(port: port, path: "/ws", token: alice)
            XCTAssertTrue(again.hasPrefix("HTTP/1.1 403"), again)
        }
    }
}
