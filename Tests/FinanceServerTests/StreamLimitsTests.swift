import FinanceApp
import FinanceCore
import FinanceServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import XCTest

/// Per-tier WebSocket limits with real clients over loopback: symbols, subscription rate, message rate, and
/// connections per user across both endpoints.
final class StreamLimitsTests: XCTestCase {
    /// Free-tier limits small enough to reach in a test.
    private static func tiny(
        maxConnections: Int = 3, maxSymbols: Int = 50, subscriptionsPerMinute: Int = 60, messagesPerSecond: Int = 10
    ) -> StreamSessionSettings {
        StreamSessionSettings(tiers: [
            .free: StreamTierLimits(
                maxConnections: maxConnections, maxSymbols: maxSymbols, subscriptionsPerMinute: subscriptionsPerMinute,
                messagesPerSecond: messagesPerSecond)
        ])
    }

    func testASubscribeIsCheckedForSyntaxThenSymbolLimitThenRate() async throws {
        let fixture = try await StreamFixture.make(session: Self.tiny(maxSymbols: 3, subscriptionsPerMinute: 2))
        try await fixture.app.test(.live) { client in
            try await WSConversation.run(port: client.port!, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                try await ws.send(#"{"action":"subscribe","channels":["price"],"symbols":["A","B"]}"#)
                _ = try await ws.next("subscribed")
                // Quotes of C and D would make four distinct symbols: the whole message is rejected.
                try await ws.send(#"{"action":"subscribe","channels":["quotes","price"],"symbols":["C","D"]}"#)
                let limit = try await ws.next("error")
                XCTAssertEqual(errorCode(limit), 405)
                // The same symbols on another channel do not count twice.
                try await ws.send(#"{"action":"subscribe","channels":["bars.5m"],"symbols":["A","B","C"]}"#)
                let second = try await ws.next("subscribed")
                let subscriptions = second?["subscriptions"] as? [String: Any]
                XCTAssertEqual(
                    subscriptions?["price"] as? [String], ["A", "B"], "the rejected message changed nothing")
                XCTAssertEqual(subscriptions?["bars.5m"] as? [String], ["A", "B", "C"])
                XCTAssertNil(subscriptions?["quotes"])
                // Two changes a minute are used up: syntax errors still say 400, limit breaches 405, the rest 429.
                try await ws.send(#"{"action":"subscribe","channels":["nope"],"symbols":["A"]}"#)
                let syntax = try await ws.next("error")
                XCTAssertEqual(errorCode(syntax), 400)
                try await ws.send(#"{"action":"subscribe","channels":["price"],"symbols":["X","Y"]}"#)
                let overLimit = try await ws.next("error")
                XCTAssertEqual(errorCode(overLimit), 405)
                try await ws.send(#"{"action":"unsubscribe","channels":["price"],"symbols":["A"]}"#)
                let rate = try await ws.next("error")
                XCTAssertEqual(errorCode(rate), 429)
            }
        }
    }

    func testMessagesOverTheTierRateAreAnswered429() async throws {
        let fixture = try await StreamFixture.make(session: Self.tiny(messagesPerSecond: 3))
        try await fixture.app.test(.live) { client in
            try await WSConversation.run(port: client.port!, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                for _ in 0..<8 { try await ws.send(#"{"action":"ping"}"#) }
                let limited = try await ws.next("error")
                XCTAssertEqual(errorCode(limited), 429)
                try await Task.sleep(for: .milliseconds(300))
                let pongs = ws.all("pong").count
                XCTAssertGreaterThanOrEqual(pongs, 3)
                XCTAssertLessThanOrEqual(pongs, 5, "3 a second, plus what refilled while sending")
                try await Task.sleep(for: .seconds(1))
                try await ws.send(#"{"action":"ping"}"#)
                let later = try await ws.next("pong")
                XCTAssertNotNil(later, "the bucket refills")
            }
        }
    }

    func testMaxConnectionsCountsAUsersWebSocketsOnBothEndpoints() async throws {
        let fixture = try await StreamFixture.make(session: Self.tiny(maxConnections: 2))
        try await fixture.app.test(.live) { client in
            let port = client.port!
            let released = TestFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Two open WebSockets of alice, one on each endpoint, held until the checks are done.
                for path in ["/ws", "/ws/market/BTC/price"] {
                    group.addTask {
                        try await WSConversation.run(port: port, path: path, headers: fixture.bearer("alice")) { _ in
                            while !released.isSet { try await Task.sleep(for: .milliseconds(10)) }
                        }
                    }
                }
                while fixture.hub.connectionCount(user: "alice") < 2 { try await Task.sleep(for: .milliseconds(10)) }
                // A third handshake with a token: refused before upgrading with 429 and Retry-After.
                var headers = StreamFixture.upgradeHeaders
                headers[.authorization] = "Bearer \(fixture.tokens["alice"]!)"
                let refused = try await client.execute(uri: "/ws", method: .get, headers: headers)
                XCTAssertEqual(refused.status, .tooManyRequests)
                XCTAssertEqual(refused.headers[.retryAfter], "5")
                XCTAssertEqual(refused.headers[.contentType], "application/problem+json")
                // A third authenticating in-band: error 406, close 1008.
                let token = fixture.tokens["alice"]!
                let inBand = try await WSConversation.run(port: port) { ws in
                    try await ws.send(#"{"action":"auth","token":"\#(token)"}"#)
                    let error = try await ws.next("error")
                    XCTAssertEqual(errorCode(error), 406)
                }
                XCTAssertEqual(inBand, 1008)
                // Another user is not affected.
                try await WSConversation.run(port: port, headers: fixture.bearer("bob")) { ws in
                    let authenticated = try await ws.next("authenticated")
                    XCTAssertNotNil(authenticated)
                }
                released.set()
                try await group.waitForAll()
            }
            while fixture.hub.connectionCount(user: "alice") > 0 { try await Task.sleep(for: .milliseconds(10)) }
            try await WSConversation.run(port: port, headers: fixture.bearer("alice")) { ws in
                let authenticated = try await ws.next("authenticated")
                XCTAssertNotNil(authenticated, "a slot frees when a connection closes")
            }
        }
    }
}
