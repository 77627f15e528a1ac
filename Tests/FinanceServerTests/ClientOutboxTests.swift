import FinanceCore
import NIOCore
import XCTest

@testable import FinanceServer

final class ClientOutboxTests: XCTestCase {
    private func text(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    func testAClientThatKeepsUpLosesNothing() {
        var outbox = ClientOutbox(settings: StreamQueueSettings(conflateAfter: 4, max: 10))
        for i in 0..<4 { XCTAssertEqual(outbox.push(self.text("BTC \(i)"), symbol: "BTC", now: 0), .queued) }
        XCTAssertEqual(outbox.drain().map { String(buffer: $0) }, ["BTC 0", "BTC 1", "BTC 2", "BTC 3"])
        XCTAssertTrue(outbox.isEmpty)
    }

    func testBeyondConflateAfterTheLatestPriceReplacesTheUnsentOneInPlace() {
        var outbox = ClientOutbox(settings: StreamQueueSettings(conflateAfter: 3, max: 10))
        _ = outbox.push(self.text("BTC 1"), symbol: "BTC", now: 0)
        _ = outbox.push(self.text("ETH 1"), symbol: "ETH", now: 0)
        _ = outbox.push(self.text("control"), symbol: nil, now: 0)
        XCTAssertEqual(outbox.push(self.text("SOL 1"), symbol: "SOL", now: 0), .queued, "3 queued: not yet beyond")
        XCTAssertEqual(outbox.push(self.text("BTC 2"), symbol: "BTC", now: 0), .conflated)
        XCTAssertEqual(outbox.push(self.text("ETH 2"), symbol: "ETH", now: 0), .conflated)
        XCTAssertEqual(outbox.push(self.text("other"), symbol: nil, now: 0), .queued, "non-price messages are kept")
        XCTAssertEqual(outbox.count, 5)
        XCTAssertEqual(
            outbox.drain().map { String(buffer: $0) }, ["BTC 2", "ETH 2", "control", "SOL 1", "other"],
            "each symbol keeps its turn with its latest price")
        // After a drain nothing is pending: a new update queues again.
        for i in 0..<4 { _ = outbox.push(self.text("X \(i)"), symbol: "X\(i)", now: 0) }
        XCTAssertEqual(outbox.push(self.text("BTC 3"), symbol: "BTC", now: 0), .queued)
    }

    func testAQueueBeyondItsMaximumOrTooOldIsASlowClient() {
        var outbox = ClientOutbox(settings: StreamQueueSettings(conflateAfter: 2, max: 4, maxAgeMilliseconds: 1_000))
        for i in 0..<4 { XCTAssertNotEqual(outbox.push(self.text("S\(i)"), symbol: "S\(i)", now: 0), .slow) }
        XCTAssertEqual(outbox.push(self.text("S9"), symbol: "S9", now: 0), .slow, "5 distinct symbols > max 4")
        var aged = ClientOutbox(settings: StreamQueueSettings(conflateAfter: 2, max: 100, maxAgeMilliseconds: 1_000))
        _ = aged.push(self.text("a"), symbol: "A", now: 0)
        XCTAssertEqual(aged.push(self.text("b"), symbol: "B", now: 1_000), .queued)
        XCTAssertEqual(aged.push(self.text("c"), symbol: "C", now: 1_001), .slow, "the oldest waited over 1 s")
    }
}

final class StreamHubTests: XCTestCase {
    /// A connection subscribed to the prices of `symbols`.
    private static func connect(_ hub: StreamHub, _ symbols: Set<String>) -> StreamConnection {
        let connection = hub.open(ip: "127.0.0.1", endpoint: .price)
        hub.update(connection, to: StreamSubscriptions(symbols: [.price: symbols]), first: [])
        return connection
    }

    func testTicksGoToTheConnectionsOfTheirSymbolEncodedOnce() {
        let hub = StreamHub(settings: StreamQueueSettings(conflateAfter: 2, max: 3), clock: SystemClock())
        let btc = Self.connect(hub, ["BTC"])
        let both = Self.connect(hub, ["BTC", "ETH"])
        XCTAssertEqual(hub.connectionCount, 2)
        hub.route(MarketMessage(.tick(Tick(symbol: "BTC", ts: 1, price: 10))))
        hub.route(MarketMessage(.tick(Tick(symbol: "ETH", ts: 2, price: 20, size: 3))))
        hub.route(MarketMessage(.tick(Tick(symbol: "BTC", ts: 3, price: 11)), freshness: .historical))
        let first = btc.drain().map { String(buffer: $0) }
        XCTAssertEqual(first, [#"{"type":"price","symbol":"BTC","price":10,"ts":1}"#], "history is not streamed")
        XCTAssertEqual(both.drain().count, 2)
        // The slow client: beyond max distinct symbols' messages (conflation cannot help) it is flagged.
        let many = Self.connect(hub, ["A", "B", "C", "D"])
        for symbol in ["A", "B", "C", "D"] { hub.route(MarketMessage(.tick(Tick(symbol: symbol, ts: 1, price: 1)))) }
        XCTAssertTrue(many.isSlow)
        XCTAssertFalse(btc.isSlow)
        hub.close(btc)
        hub.close(both)
        hub.close(many)
        XCTAssertEqual(hub.connectionCount, 0)
        hub.route(MarketMessage(.tick(Tick(symbol: "BTC", ts: 4, price: 12))))
        XCTAssertTrue(btc.drain().isEmpty, "a disconnected client gets nothing")
    }
}
