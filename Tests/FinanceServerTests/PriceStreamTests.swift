import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import Synchronization
import XCTest

/// `/ws/market/{symbol}/price` with real WebSocket clients over loopback.
final class PriceStreamTests: XCTestCase {
    private func app() async throws -> (some ApplicationProtocol, token: String) {
        let store = MemoryStore()
        let auth = try await AuthService.make(settings: TestAuth.settings, users: store, clock: SystemClock())
        try await store.createUser(
            User(name: "alice", passwordHash: auth.hashPassword("pw-alice"), role: .user, tier: .free, createdAt: 0))
        let token = try await auth.login(user: "alice", password: "pw-alice").accessToken
        return (try await makeApp(store: store, analytics: LiveAnalyticsSettings(intervals: []), auth: auth), token)
    }

    private static var logger: Logger {
        var logger = Logger(label: "test.ws")
        logger.logLevel = .critical
        return logger
    }

    /// Opens a client on `path` with `headers`, runs `body` once connected, and returns the text messages received
    /// until `count` arrived (or 5 s passed).
    private static func receive(
        port: Int, path: String, headers: HTTPFields, count: Int,
        afterConnect: @escaping @Sendable () async throws -> Void
    ) async throws -> [String] {
        let received = Mutex<[String]>([])
        try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)\(path)", configuration: .init(additionalHeaders: headers), logger: Self.logger
        ) { inbound, outbound, _ in
            try await afterConnect()
            let deadline = ContinuousClock.now + .seconds(5)
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if case .text(let text) = message { received.withLock { $0.append(text) } }
                if received.withLock({ $0.count }) >= count || ContinuousClock.now > deadline { break }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        return received.withLock { $0 }
    }

    func testPricesOfTheSymbolStreamToAnAuthenticatedClient() async throws {
        let (app, token) = try await self.app()
        try await app.test(.live) { client in
            let port = client.port!
            let tickBody =
                #"[{"symbol":"BTC","ts":1717000000000,"price":67000.5,"size":0.01},"#
                + #"{"symbol":"ETH","ts":1717000000001,"price":3500},"#
                + #"{"symbol":"BTC","ts":1717000000002,"price":67001,"bid":67000,"ask":67002}]"#
            let messages = try await Self.receive(
                port: port, path: "/ws/market/btc/price", headers: [.authorization: "Bearer \(token)"], count: 2
            ) {
                // Give the hub a moment to register the connection, then publish.
                try await Task.sleep(for: .milliseconds(50))
                let r = try await client.call(
                    uri: "/api/ticks", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: tickBody))
                XCTAssertEqual(r.status, .created)
            }
            XCTAssertEqual(
                messages,
                [
                    #"{"type":"price","symbol":"BTC","price":67000.5,"size":0.01,"ts":1717000000000}"#,
                    #"{"type":"price","symbol":"BTC","price":67001,"bid":67000,"ask":67002,"ts":1717000000002}"#,
                ], "only the subscribed symbol, in order, size/bid/ask only when the tick has them")
        }
    }

    func testTheTokenMayComeAsASubProtocolOrAQueryParameter() async throws {
        let (app, token) = try await self.app()
        try await app.test(.live) { client in
            let port = client.port!
            var subProtocol = HTTPFields()
            subProtocol[.secWebSocketProtocol] = "bearer, \(token)"
            for (path, headers) in [
                ("/ws/market/ETH/price", subProtocol), ("/ws/market/ETH/price?token=\(token)", HTTPFields()),
            ] {
                let messages = try await Self.receive(port: port, path: path, headers: headers, count: 1) {
                    try await Task.sleep(for: .milliseconds(50))
                    _ = try await client.call(
                        uri: "/api/ticks", method: .post, headers: [.contentType: "application/json"],
                        body: ByteBuffer(string: #"[{"symbol":"ETH","ts":1717000000000,"price":3500}]"#))
                }
                XCTAssertEqual(messages.count, 1, path)
            }
        }
    }

    func testHandshakesWithoutAValidTokenAreNotUpgraded() async throws {
        let (_, token) = try await self.app()
        let upgrade: HTTPFields = [
            .connection: "Upgrade", .upgrade: "websocket", .secWebSocketVersion: "13",
            .secWebSocketKey: "dGhlIHNhbXBsZSBub25jZQ==",
        ]
        // One server per case: the refusal closes the connection.
        for auth in [nil, "Bearer forged.token.value", "Bearer " + token.dropLast(3) + "AAA"] as [String?] {
            let (app, _) = try await self.app()
            try await app.test(.live) { client in
                var headers = upgrade
                if let auth { headers[.authorization] = auth }
                let r = try await client.execute(uri: "/ws/market/BTC/price", method: .get, headers: headers)
                // Refused before upgrading, answered by the plain route: 401 as problem+json.
                XCTAssertEqual(r.status, .unauthorized, "\(auth ?? "no token")")
                XCTAssertEqual(r.headers[.contentType], "application/problem+json")
                XCTAssertEqual(r.headers[.wwwAuthenticate], "Bearer")
            }
        }
    }

    func testAPlainGetSays401Or426() async throws {
        let (app, token) = try await self.app()
        try await app.test(.router) { client in
            let anonymous = try await client.send(.get, "/ws/market/BTC/price", token: nil)
            XCTAssertEqual(anonymous.status, .unauthorized)
            XCTAssertEqual(anonymous.headers[.wwwAuthenticate], "Bearer")
            let plain = try await client.call(
                uri: "/ws/market/BTC/price", method: .get, headers: [.authorization: "Bearer \(token)"])
            XCTAssertEqual(plain.status, .upgradeRequired)
            XCTAssertEqual(plain.headers[.upgrade], "websocket")
            let bad = try await client.call(
                uri: "/ws/market/not!valid/price", method: .get, headers: [.authorization: "Bearer \(token)"])
            XCTAssertEqual(bad.status, .unprocessableContent)
        }
    }
}
