import FinanceApp
import FinanceCore
import FinanceServer
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import XCTest

/// Slow clients with real WebSockets over loopback: one that falls behind gets error 407 and close 4007; one that
/// stops reading altogether (its socket full, the server's writer stuck) is dropped all the same, and its queue
/// stays bounded meanwhile.
final class StreamSlowClientTests: XCTestCase {
    private static let queue = StreamQueueSettings(conflateAfter: 2, max: 8)

    func testAClientFallingBehindGets407AndClose4007() async throws {
        let fixture = try await StreamFixture.make(queue: Self.queue)
        let symbols = (0..<200).map { "S\($0)" }
        try await fixture.app.test(.live) { client in
            let code = try await WSConversation.run(port: client.port!, headers: fixture.bearer("bob")) { ws in
                _ = try await ws.next("authenticated")
                let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
                try await ws.send(#"{"action":"subscribe","channels":["price"],"symbols":[\#(list)]}"#)
                _ = try await ws.next("subscribed")
                // Bursts of 200 distinct symbols: conflation cannot help, and the queue passes 8 as soon as one
                // burst outruns the writer (on a busy machine the writer may keep up with the first ones).
                var error: [String: Any]?
                for round in 0..<100 where error == nil {
                    for (i, symbol) in symbols.enumerated() {
                        let tick = Tick(symbol: symbol, ts: Int64(round * symbols.count + i), price: 1)
                        fixture.hub.route(MarketMessage(.tick(tick)))
                    }
                    error = try await ws.next("error", timeout: .milliseconds(50))
                }
                XCTAssertEqual(errorCode(error), 407)
                XCTAssertEqual(error?["message"] as? String, "slow client")
            }
            XCTAssertEqual(code, 4007)
        }
    }

    func testAClientThatStopsReadingIsDroppedAndItsQueueStaysBounded() async throws {
        let fixture = try await StreamFixture.make(queue: Self.queue)
        let hub = fixture.hub
        try await fixture.app.test(.live) { client in
            let port = client.port!
            let done = TestFlag()
            var logger = Logger(label: "test.ws.client")
            logger.logLevel = .critical
            async let stuck: Void = {
                // Subscribes to alerts, then never reads again: its socket fills up.
                _ = try? await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/ws",
                    configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: fixture.bearer("bob")),
                    logger: logger
                ) { _, outbound, _ in
                    try await outbound.write(.text(#"{"action":"subscribe","channels":["alerts"]}"#))
                    while !done.isSet { try await Task.sleep(for: .milliseconds(20)) }
                }
            }()
            while hub.stats().subscriptions < 1 { try await Task.sleep(for: .milliseconds(10)) }
            let big = ByteBuffer(string: #"{"type":"alert","pad":""# + String(repeating: "x", count: 60_000) + #""}"#)
            let started = ContinuousClock.now
            var deepest = 0
            // Alerts of 60 kB, paced so the writer keeps up until the socket is full; then the queue fills, the
            // client is slow, the writer stays stuck, and the watchdog drops the connection.
            while hub.connectionCount(user: "bob") > 0, ContinuousClock.now - started < .seconds(20) {
                hub.publishAlert(user: "bob", big)
                deepest = max(deepest, hub.connections().map(\.queueDepth).max() ?? 0)
                try await Task.sleep(for: .milliseconds(2))
            }
            XCTAssertEqual(hub.connectionCount(user: "bob"), 0, "dropped")
            XCTAssertLessThan(ContinuousClock.now - started, .seconds(15))
            XCTAssertLessThanOrEqual(deepest, Self.queue.max + 1, "bounded while the writer was stuck")
            // Everyone else is served meanwhile.
            try await WSConversation.run(port: port, headers: fixture.bearer("alice")) { ws in
                try await ws.send(#"{"action":"ping"}"#)
                let pong = try await ws.next("pong")
                XCTAssertNotNil(pong)
            }
            done.set()
            await stuck
        }
    }
}
