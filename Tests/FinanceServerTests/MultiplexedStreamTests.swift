import FinanceApp
import FinanceCore
import FinanceServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOWebSocket
import XCTest

/// `/ws` with real WebSocket clients over loopback: authentication (in-band and in the handshake), subscriptions and
/// their snapshots, invalid messages, frames the server refuses.
final class MultiplexedStreamTests: XCTestCase {
    func testInBandAuthThenPricesWithASnapshotFirst() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.ingest([Tick(symbol: "BTC", ts: 1_717_000_000_000, price: 67_000, size: 0.5)])
        let token = fixture.tokens["alice"]!
        _ = try await fixture.app.test(.live) { client in
            try await WSConversation.run(port: client.port!) { ws in
                try await ws.send(#"{"action":"ping"}"#)
                let earlyPong = try await ws.next("pong")
                XCTAssertNotNil(earlyPong, "ping works before auth")
                try await ws.send(#"{"action":"subscribe","channels":["price"],"symbols":["BTC"]}"#)
                let unauthenticated = try await ws.next("error")
                XCTAssertEqual(errorCode(unauthenticated), 401, "subscribing needs auth first")
                try await ws.send(#"{"action":"auth","token":"\#(token)"}"#)
                let authenticated = try await ws.next("authenticated")
                XCTAssertEqual(authenticated?["user"] as? String, "alice")
                XCTAssertEqual(authenticated?["tier"] as? String, "free")
                XCTAssertGreaterThan(authenticated?["expiresAt"] as? Int64 ?? 0, 1_717_000_000_000)
                try await ws.send(#"{"action":"subscribe","channels":["price"],"symbols":["btc","ETH"]}"#)
                let subscribed = try await ws.next("subscribed")
                XCTAssertEqual(
                    (subscribed?["subscriptions"] as? [String: Any])?["price"] as? [String], ["BTC", "ETH"],
                    "symbols normalized, sorted; ETH has no data yet but may be subscribed")
                let snapshot = try await ws.next("price")
                XCTAssertEqual(snapshot?["snapshot"] as? Bool, true)
                XCTAssertEqual(snapshot?["price"] as? Double, 67_000)
                try await fixture.ingest([
                    Tick(symbol: "BTC", ts: 1_717_000_001_000, price: 67_001, size: 0.1),
                    Tick(symbol: "SOL", ts: 1_717_000_001_000, price: 150),
                    Tick(symbol: "ETH", ts: 1_717_000_001_001, price: 3_500),
                ])
                let live = try await ws.next("price")
                XCTAssertNil(live?["snapshot"], "live updates carry no snapshot flag")
                XCTAssertEqual(live?["price"] as? Double, 67_001)
                let eth = try await ws.next("price")
                XCTAssertEqual(eth?["symbol"] as? String, "ETH", "prices flow once ingested")
                try await ws.send(#"{"action":"unsubscribe","channels":["price"],"symbols":["BTC"]}"#)
                let after = try await ws.next("subscribed")
                XCTAssertEqual((after?["subscriptions"] as? [String: Any])?["price"] as? [String], ["ETH"])
                try await fixture.ingest([Tick(symbol: "BTC", ts: 1_717_000_002_000, price: 1)])
                try await ws.send(#"{"action":"ping"}"#)
                let pong = try await ws.next("pong")
                XCTAssertNotNil(pong)
                XCTAssertFalse(ws.all("price").contains { $0["price"] as? Double == 1 }, "unsubscribed")
                XCTAssertTrue(ws.all("price").allSatisfy { $0["symbol"] as? String != "SOL" })
            }
        }
    }

    func testEachHandshakeTokenPlaceAuthenticatesAtOnce() async throws {
        let fixture = try await StreamFixture.make()
        let token = fixture.tokens["bob"]!
        try await fixture.app.test(.live) { client in
            var subProtocol = HTTPFields()
            subProtocol[.secWebSocketProtocol] = "bearer, \(token)"
            for (path, headers) in [
                ("/ws", fixture.bearer("bob")), ("/ws", subProtocol), ("/ws?token=\(token)", HTTPFields()),
            ] {
                try await WSConversation.run(port: client.port!, path: path, headers: headers) { ws in
                    let authenticated = try await ws.next("authenticated")
                    XCTAssertEqual(authenticated?["user"] as? String, "bob", path)
                    XCTAssertEqual(authenticated?["tier"] as? String, "pro")
                    try await ws.send(#"{"action":"auth","token":"\#(token)"}"#)
                    let again = try await ws.next("error")
                    XCTAssertEqual(errorCode(again), 400, "already authenticated")
                }
            }
        }
    }

    func testAuthTimeoutAndFailedAuthCloseWith1008() async throws {
        let fixture = try await StreamFixture.make(session: StreamSessionSettings(authTimeoutMilliseconds: 300))
        try await fixture.app.test(.live) { client in
            let started = ContinuousClock.now
            let timedOut = try await WSConversation.run(port: client.port!) { ws in
                let error = try await ws.next("error")
                XCTAssertEqual(errorCode(error), 404, "auth timeout")
            }
            XCTAssertEqual(timedOut, 1008)
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
            let failed = try await WSConversation.run(port: client.port!) { ws in
                try await ws.send(#"{"action":"auth","token":"forged.token.value"}"#)
                let error = try await ws.next("error")
                XCTAssertEqual(errorCode(error), 402)
                XCTAssertFalse((error?["message"] as? String ?? "").contains("forged"), "the token is not echoed")
            }
            XCTAssertEqual(failed, 1008)
        }
    }

    func testRefusedHandshakesGetRealStatusesWithoutUpgrading() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.app.test(.live) { client in
            var headers = StreamFixture.upgradeHeaders
            headers[.authorization] = "Bearer forged.token.value"
            let forged = try await client.execute(uri: "/ws", method: .get, headers: headers)
            XCTAssertEqual(forged.status, .unauthorized)
            XCTAssertEqual(forged.headers[.contentType], "application/problem+json")
            XCTAssertEqual(forged.headers[.wwwAuthenticate], "Bearer")
        }
        try await fixture.app.test(.live) { client in
            var headers = StreamFixture.upgradeHeaders
            headers[.authorization] = "Bearer \(fixture.tokens["alice"]!)"
            let badSymbol = try await client.execute(uri: "/ws/market/not!valid/price", method: .get, headers: headers)
            XCTAssertEqual(badSymbol.status, .unprocessableContent)
            XCTAssertEqual(badSymbol.headers[.contentType], "application/problem+json")
        }
        try await fixture.app.test(.router) { client in
            let plain = try await client.execute(uri: "/ws", method: .get)
            XCTAssertEqual(plain.status, .upgradeRequired, "a plain GET without a token: use a WebSocket")
            let forged = try await client.execute(
                uri: "/ws", method: .get, headers: [.authorization: "Bearer forged.token.value"])
            XCTAssertEqual(forged.status, .unauthorized)
        }
    }

    func testInvalidMessagesAreAnswered400AndTheConnectionStays() async throws {
        let fixture = try await StreamFixture.make()
        _ = try await fixture.app.test(.live) { client in
            // bob (pro: 50 messages a second), so that the eleven messages stay under the rate limit.
            try await WSConversation.run(port: client.port!, headers: fixture.bearer("bob")) { ws in
                _ = try await ws.next("authenticated")
                let cases: [(String, String)] = [
                    ("not json", "not JSON"), ("[1,2]", "JSON object"), (#"{"channels":[]}"#, "action"),
                    (#"{"action":"dance"}"#, "unknown action"),
                    (#"{"action":"subscribe","channels":["price"]}"#, "symbols"),
                    (#"{"action":"subscribe","channels":["bars.2m"],"symbols":["BTC"]}"#, "channels[0]"),
                    (#"{"action":"subscribe","channels":["price"],"symbols":["BTC","no!pe"]}"#, "symbols[1]"),
                    (#"{"action":"subscribe","channels":["monitoring"]}"#, "admins"),
                    (#"{"action":"refresh"}"#, "token"),
                ]
                for (message, field) in cases {
                    try await ws.send(message)
                    let error = try await ws.next("error")
                    XCTAssertEqual(errorCode(error), 400, message)
                    XCTAssertTrue((error?["message"] as? String ?? "").contains(field), "\(message): \(error ?? [:])")
                }
                try await ws.outbound.write(
                    .custom(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: [0xFF, 0xFE]))))
                let utf8 = try await ws.next("error")
                XCTAssertEqual(errorCode(utf8), 400)
                XCTAssertTrue((utf8?["message"] as? String ?? "").contains("UTF-8"))
                try await ws.send(#"{"action":"subscribe","channels":["alerts"]}"#)
                let alerts = try await ws.next("subscribed")
                XCTAssertEqual(
                    (alerts?["subscriptions"] as? [String: Any])?["alerts"] as? Bool, true, "no symbols needed")
                try await ws.send(#"{"action":"ping"}"#)
                let stillOpen = try await ws.next("pong")
                XCTAssertNotNil(stillOpen, "still open")
            }
        }
    }

    func testBinaryFramesClose1003AndOversizedMessages1009() async throws {
        let fixture = try await StreamFixture.make(maxMessageBytes: 1_024)
        try await fixture.app.test(.live) { client in
            let binary = try await WSConversation.run(port: client.port!, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                try await ws.outbound.write(.binary(ByteBuffer(bytes: [1, 2, 3])))
                _ = try await ws.next("never", timeout: .seconds(2))
            }
            XCTAssertEqual(binary, 1003)
            // One frame over the limit: refused by the frame decoder.
            let big = try await WSConversation.run(port: client.port!, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                try await ws.send(String(repeating: "x", count: 2_000))
                _ = try await ws.next("never", timeout: .seconds(2))
            }
            XCTAssertEqual(big, 1009)
            // Fragments each under the limit whose message is over it: refused when collated.
            let fragmented = try await WSConversation.run(port: client.port!, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                let part = ByteBuffer(string: String(repeating: "y", count: 700))
                try await ws.outbound.write(.custom(WebSocketFrame(fin: false, opcode: .text, data: part)))
                try await ws.outbound.write(.custom(WebSocketFrame(fin: true, opcode: .continuation, data: part)))
                _ = try await ws.next("never", timeout: .seconds(2))
            }
            XCTAssertEqual(fragmented, 1009)
            try await WSConversation.run(port: client.port!, headers: fixture.bearer("alice")) { ws in
                _ = try await ws.next("authenticated")
                let part = ByteBuffer(string: #"{"action":"#)
                try await ws.outbound.write(.custom(WebSocketFrame(fin: false, opcode: .text, data: part)))
                try await ws.outbound.write(
                    .custom(WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(string: #""ping"}"#))))
                let collated = try await ws.next("pong")
                XCTAssertNotNil(collated, "a fragmented message under the limit is collated")
            }
        }
    }
}
