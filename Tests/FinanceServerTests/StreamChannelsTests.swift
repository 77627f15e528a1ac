import FinanceApp
import FinanceCore
import FinanceServer
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// `/ws` channels and timers with real WebSocket clients over loopback: live bars, paced quotes, heartbeats, token
/// expiry and refresh.
final class StreamChannelsTests: XCTestCase {
    /// Minute `m` of a fixed past hour (ms).
    private static func minute(_ m: Int64, plus ms: Int64 = 0) -> Int64 { 1_717_000_020_000 + m * 60_000 + ms }

    func testBarsChannelSendsTheSnapshotPacedUpdatesAndEachFinalBarOnce() async throws {
        let fixture = try await StreamFixture.make(session: StreamSessionSettings(flushMilliseconds: 20))
        try await fixture.ingest([
            Tick(symbol: "BTC", ts: Self.minute(0, plus: 1_000), price: 10, size: 1),
            Tick(symbol: "BTC", ts: Self.minute(0, plus: 2_000), price: 12, size: 1),
        ])
        try await fixture.app.test(.live) { client in
            try await WSConversation.run(port: client.port!, headers: fixture.bearer("bob")) { ws in
                try await ws.send(#"{"action":"subscribe","channels":["bars.1m"],"symbols":["BTC"]}"#)
                let snapshot = try await ws.next("bar")
                XCTAssertEqual(snapshot?["snapshot"] as? Bool, true)
                XCTAssertEqual(snapshot?["interval"] as? String, "1m")
                XCTAssertEqual(snapshot?["ts"] as? Int64, Self.minute(0))
                XCTAssertEqual(snapshot?["open"] as? Double, 10)
                XCTAssertEqual(snapshot?["high"] as? Double, 12)
                XCTAssertEqual(snapshot?["volume"] as? Double, 2)
                XCTAssertEqual(snapshot?["closed"] as? Bool, true, "that minute is long over")
                // The next minute: its first tick opens the bar (sent at once), the rest wait for the pace.
                try await fixture.ingest([Tick(symbol: "BTC", ts: Self.minute(1, plus: 1), price: 11, size: 2)])
                let opened = try await ws.next("bar")
                XCTAssertEqual(opened?["ts"] as? Int64, Self.minute(1))
                XCTAssertEqual(opened?["closed"] as? Bool, false)
                let openedAt = ContinuousClock.now
                for (i, price) in [13.0, 12.5, 11.5].enumerated() {
                    try await fixture.ingest([
                        Tick(symbol: "BTC", ts: Self.minute(1, plus: Int64(2 + i)), price: price, size: 1)
                    ])
                }
                let update = try await ws.next("bar")
                XCTAssertGreaterThanOrEqual(ContinuousClock.now - openedAt, .milliseconds(900), "paced: one a second")
                XCTAssertEqual(update?["closed"] as? Bool, false)
                XCTAssertEqual(update?["close"] as? Double, 11.5, "the latest state, once")
                XCTAssertEqual(update?["high"] as? Double, 13)
                XCTAssertEqual(update?["volume"] as? Double, 5)
                try await fixture.ingest([Tick(symbol: "BTC", ts: Self.minute(2, plus: 1), price: 9, size: 1)])
                let final = try await ws.next("bar") { $0["closed"] as? Bool == true }
                XCTAssertEqual(final?["ts"] as? Int64, Self.minute(1))
                XCTAssertEqual(final?["open"] as? Double, 11)
                XCTAssertEqual(final?["low"] as? Double, 11)
                XCTAssertEqual(final?["close"] as? Double, 11.5)
                let next = try await ws.next("bar")
                XCTAssertEqual(next?["ts"] as? Int64, Self.minute(2))
                XCTAssertEqual(next?["closed"] as? Bool, false)
                let finals = ws.all("bar").filter { $0["closed"] as? Bool == true && $0["snapshot"] == nil }
                XCTAssertEqual(finals.count, 1, "each final bar once")
                XCTAssertEqual(
                    ws.all("bar").filter { $0["ts"] as? Int64 == Self.minute(1) && $0["closed"] as? Bool == false }
                        .count,
                    2, "four ticks in the open minute: its first update, then one paced update")
            }
        }
    }

    func testQuotesAreConflatedToOnePerSymbolPerIntervalFromTheQuoteBook() async throws {
        let fixture = try await StreamFixture.make(
            session: StreamSessionSettings(updateMilliseconds: 400, flushMilliseconds: 20))
        let start = Int64(Date().timeIntervalSince1970 * 1_000) - 60_000
        try await fixture.ingest([Tick(symbol: "ETH", ts: start, price: 3_000, size: 1)])
        try await fixture.app.test(.live) { client in
            try await WSConversation.run(port: client.port!, headers: fixture.bearer("bob")) { ws in
                try await ws.send(#"{"action":"subscribe","channels":["quotes"],"symbols":["ETH"]}"#)
                let snapshot = try await ws.next("quote")
                XCTAssertEqual(snapshot?["snapshot"] as? Bool, true)
                XCTAssertEqual(snapshot?["price"] as? Double, 3_000)
                let loadsBefore = fixture.dependencies.quoteBook.stats.loads
                let began = ContinuousClock.now
                for i in 1...30 {
                    try await fixture.ingest([
                        Tick(symbol: "ETH", ts: start + Int64(i), price: 3_000 + Double(i), size: 1)
                    ])
                }
                let last = try await ws.next("quote") { $0["price"] as? Double == 3_030 }
                XCTAssertNotNil(last, "the latest quote arrives")
                XCTAssertEqual(last?["volume"] as? Double, 31)
                let elapsed = ContinuousClock.now - began
                let live = ws.all("quote").filter { $0["snapshot"] == nil }
                let allowed = Int(elapsed / .milliseconds(400)) + 1
                XCTAssertLessThanOrEqual(live.count, allowed, "30 ticks, at most one quote per 400 ms")
                // The book reloads an entry at most once a second (`quotes.maxAgeSeconds`), never per tick.
                XCTAssertLessThanOrEqual(
                    fixture.dependencies.quoteBook.stats.loads - loadsBefore, Int(elapsed / .seconds(1)) + 1,
                    "no store read per tick")
            }
        }
    }

    func testHeartbeatsThenTokenExpiringThenClose4001() async throws {
        let fixture = try await StreamFixture.make(
            session: StreamSessionSettings(heartbeatMilliseconds: 200, expiryWarningMilliseconds: 1_000),
            accessTokenSeconds: 2)
        try await fixture.app.test(.live) { client in
            // Issued now: it lives 1–2 s (`exp` is whole seconds).
            let token = try await fixture.auth.login(user: "alice", password: "pw-alice").accessToken
            let started = ContinuousClock.now
            let code = try await WSConversation.run(
                port: client.port!, headers: [.authorization: "Bearer \(token)"]
            ) { ws in
                let authenticated = try await ws.next("authenticated")
                let expiresAt = authenticated?["expiresAt"] as? Int64 ?? 0
                let warning = try await ws.next("token_expiring", timeout: .seconds(4))
                XCTAssertEqual(warning?["expiresAt"] as? Int64, expiresAt)
                _ = try await ws.next("never", timeout: .seconds(4))
                // Heartbeats every 200 ms meanwhile (in any order with the warning).
                let heartbeats = ws.all("heartbeat")
                XCTAssertGreaterThanOrEqual(heartbeats.count, 2)
                XCTAssertGreaterThan(heartbeats.first?["ts"] as? Int64 ?? 0, 1_700_000_000_000)
            }
            XCTAssertEqual(code, 4001)
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(4))
        }
    }

    func testThePriceEndpointClosesWith4001AtExpiryWithoutExtraMessages() async throws {
        let fixture = try await StreamFixture.make(
            session: StreamSessionSettings(heartbeatMilliseconds: 100), accessTokenSeconds: 2)
        try await fixture.app.test(.live) { client in
            let token = try await fixture.auth.login(user: "alice", password: "pw-alice").accessToken
            let started = ContinuousClock.now
            let code = try await WSConversation.run(
                port: client.port!, path: "/ws/market/BTC/price", headers: [.authorization: "Bearer \(token)"]
            ) { ws in
                _ = try await ws.next("never", timeout: .seconds(4))
                XCTAssertEqual(ws.texts, [], "prices only: no heartbeat, no warning on this endpoint")
            }
            XCTAssertEqual(code, 4001)
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
        }
    }

    func testRefreshInBandKeepsTheConnectionPastTheOldExpiry() async throws {
        let fixture = try await StreamFixture.make(
            session: StreamSessionSettings(expiryWarningMilliseconds: 1_500), accessTokenSeconds: 2)
        let fresh = try await fixture.longAuth.login(user: "alice", password: "pw-alice").accessToken
        let bobs = fixture.tokens["bob"]!
        try await fixture.app.test(.live) { client in
            let token = try await fixture.auth.login(user: "alice", password: "pw-alice").accessToken
            let code = try await WSConversation.run(
                port: client.port!, headers: [.authorization: "Bearer \(token)"]
            ) { ws in
                let first = try await ws.next("authenticated")
                let oldExpiry = first?["expiresAt"] as? Int64 ?? 0
                _ = try await ws.next("token_expiring", timeout: .seconds(3))
                try await ws.send(#"{"action":"refresh","token":"\#(bobs)"}"#)
                let refused = try await ws.next("error")
                XCTAssertEqual(errorCode(refused), 402, "another user's token")
                try await ws.send(#"{"action":"refresh","token":"\#(fresh)"}"#)
                let refreshed = try await ws.next("authenticated")
                XCTAssertGreaterThan(refreshed?["expiresAt"] as? Int64 ?? 0, oldExpiry + 600_000)
                let wait = oldExpiry + 500 - Int64(Date().timeIntervalSince1970 * 1_000)
                if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
                try await ws.send(#"{"action":"ping"}"#)
                let pong = try await ws.next("pong")
                XCTAssertNotNil(pong, "open past the old expiry")
            }
            XCTAssertNil(code, "the client closed it, not the server")
        }
    }
}
