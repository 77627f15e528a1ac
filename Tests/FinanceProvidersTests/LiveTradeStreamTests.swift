import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import Logging
import Synchronization
import XCTest

@testable import FinanceProviders

/// The live trade sources against their fake servers, over real WebSockets on the loopback.
final class LiveTradeStreamTests: XCTestCase {
    static let fast = LiveStreamOptions(initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200))

    // MARK: Binance

    func testBinanceDeliversExactTradesAndSubscribesEveryStream() async throws {
        let server = try await FakeTradeStreamServer.start(.binance)
        let logs = LogCapture()
        let provider = BinanceTradeStream(
            wsUrl: server.url, symbolMap: ["XBT": "BTCUSDC"], options: Self.fast, logger: logs.logger)
        XCTAssertEqual(provider.name, "binance")
        XCTAssertEqual(provider.capabilities, [.liveTrades])
        let consumer = Consumer(provider.trades(symbols: ["BTC", "ETH", "XBT"]))
        try await server.waitUntilSubscribed(["btcusdt@trade", "ethusdt@trade", "btcusdc@trade"])
        XCTAssertEqual(server.subscriptions(connection: 0), ["btcusdt@trade", "ethusdt@trade", "btcusdc@trade"])
        XCTAssertEqual(
            server.receivedMessages,
            [#"{"method":"SUBSCRIBE","params":["btcusdt@trade","ethusdt@trade","btcusdc@trade"],"id":1}"#])

        await server.publish(
            .init(symbol: "BTCUSDT", id: 7, price: "67000.12", size: "0.00100000", ts: 1_717_000_000_123))
        await server.publish(.init(symbol: "BTCUSDC", id: 8, price: "66999.5", size: "2", ts: 1_717_000_000_124))
        await server.publish(.init(symbol: "ETHUSDT", id: 9, price: "3500.01", size: "100", ts: 1_717_000_000_125))
        try await eventually { consumer.batches.count == 3 }
        XCTAssertEqual(
            consumer.batches,
            [
                [Tick(symbol: "BTC", ts: 1_717_000_000_123, price: 67000.12, size: 0.001)],
                [Tick(symbol: "XBT", ts: 1_717_000_000_124, price: 66999.5, size: 2)],
                [Tick(symbol: "ETH", ts: 1_717_000_000_125, price: 3500.01, size: 100)],
            ])
        XCTAssertEqual(provider.stats.connects, 1)
        XCTAssertEqual(provider.stats.trades, 3)
        consumer.stop()
        await server.stop()
    }

    func testBinanceCombinedStreamURLSubscribes() async throws {
        let server = try await FakeTradeStreamServer.start(.binance, options: .init(pingInterval: .milliseconds(20)))
        let provider = BinanceTradeStream(wsUrl: server.url, subscription: .combinedURL, options: Self.fast)
        let consumer = Consumer(provider.trades(symbols: ["BTC", "ETH"]))
        try await server.waitUntilSubscribed(["btcusdt@trade", "ethusdt@trade"])
        XCTAssertEqual(server.receivedMessages, [], "subscribed in the URL, no message")
        // Pings every 20 ms are answered by the client library: the connection stays up.
        try await Task.sleep(for: .milliseconds(100))
        await server.publish(.init(symbol: "ETHUSDT", id: 1, price: "1", size: "2", ts: 3))
        try await eventually { consumer.batches.count == 1 }
        XCTAssertEqual(consumer.batches, [[Tick(symbol: "ETH", ts: 3, price: 1, size: 2)]])
        XCTAssertEqual(provider.stats.reconnects, 0)
        consumer.stop()
        await server.stop()
    }

    func testBinanceReconnectsAndResubscribesAfterADrop() async throws {
        let server = try await FakeTradeStreamServer.start(.binance)
        let logs = LogCapture()
        let provider = BinanceTradeStream(wsUrl: server.url, options: Self.fast, logger: logs.logger)
        let consumer = Consumer(provider.trades(symbols: ["BTC", "ETH"]))
        try await server.waitUntilSubscribed(["btcusdt@trade", "ethusdt@trade"])
        await server.publish(.init(symbol: "BTCUSDT", id: 1, price: "1", size: "1", ts: 1))
        try await eventually { consumer.batches.count == 1 }

        await server.dropConnections()
        let second = try await server.waitUntilSubscribed(["btcusdt@trade", "ethusdt@trade"])
        XCTAssertEqual(second, 1)
        XCTAssertEqual(server.subscriptions(connection: 1), ["btcusdt@trade", "ethusdt@trade"])
        await server.publish(.init(symbol: "ETHUSDT", id: 2, price: "2", size: "1", ts: 2))
        try await eventually { consumer.batches.count == 2 }
        XCTAssertEqual(consumer.batches.last, [Tick(symbol: "ETH", ts: 2, price: 2, size: 1)])
        let stats = provider.stats
        XCTAssertEqual(stats.reconnects, 1)
        XCTAssertEqual(stats.disconnects, 1)
        XCTAssertEqual(stats.gaps, 1)
        XCTAssertEqual(stats.connects, 2)
        XCTAssertTrue(logs.lines.contains { $0.contains("reconnected") && $0.contains("gap_ms") }, "\(logs.lines)")
        consumer.stop()
        await server.stop()
    }

    func testBinanceSkipsMalformedFramesAndCountsThem() async throws {
        let server = try await FakeTradeStreamServer.start(.binance)
        let provider = BinanceTradeStream(wsUrl: server.url, options: Self.fast)
        let consumer = Consumer(provider.trades(symbols: ["BTC"]))
        try await server.waitUntilSubscribed(["btcusdt@trade"])
        await server.sendRaw("not json")
        await server.sendRaw(#"{"e":"trade","s":"BTCUSDT"}"#)
        await server.sendRaw(
            #"{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":1,"p":"x","q":"1","T":1}}"#)
        await server.sendRaw(#"{"hello":1}"#)
        await server.sendRaw(#"{"code":2,"msg":"Invalid request"}"#)
        await server.sendRaw(#"{"result":null,"id":5}"#)
        await server.publish(.init(symbol: "BTCUSDT", id: 3, price: "5", size: "6", ts: 7))
        try await eventually { consumer.batches.count == 1 }
        XCTAssertEqual(consumer.batches, [[Tick(symbol: "BTC", ts: 7, price: 5, size: 6)]])
        let stats = provider.stats
        XCTAssertEqual(stats.invalidFrames, 4)
        XCTAssertEqual(stats.upstreamErrors, 1)
        XCTAssertEqual(stats.frames, 8, "the subscription answer, 6 raw frames and the trade")
        XCTAssertEqual(stats.reconnects, 0)
        consumer.stop()
        await server.stop()
    }

    func testStreamStopsAndClosesItsSocketWhenTheConsumerStops() async throws {
        let server = try await FakeTradeStreamServer.start(.binance)
        let provider = BinanceTradeStream(wsUrl: server.url, options: Self.fast)
        // A consumer that stops iterating after its first batch.
        let first = Task { () -> [Tick]? in
            for try await batch in provider.trades(symbols: ["BTC"]) { return batch }
            return nil
        }
        try await server.waitUntilSubscribed(["btcusdt@trade"])
        await server.publish(.init(symbol: "BTCUSDT", id: 1, price: "1", size: "1", ts: 1))
        let batch = try await first.value
        XCTAssertEqual(batch, [Tick(symbol: "BTC", ts: 1, price: 1, size: 1)])
        try await eventually { server.openConnectionCount == 0 }
        // And it does not come back.
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(server.connectionCount, 1)
        XCTAssertEqual(provider.stats.reconnects, 0)

        // A consumer task cancelled while waiting.
        let consumer = Consumer(provider.trades(symbols: ["ETH"]))
        try await server.waitUntilSubscribed(["ethusdt@trade"])
        consumer.stop()
        try await eventually { server.openConnectionCount == 0 }
        await server.stop()
    }

    // MARK: Coinbase

    func testCoinbaseDeliversMatchesDetectsSequenceGapsAndResubscribes() async throws {
        let server = try await FakeTradeStreamServer.start(.coinbase)
        let logs = LogCapture()
        let provider = CoinbaseMatchStream(wsUrl: server.url, options: Self.fast, logger: logs.logger)
        XCTAssertEqual(provider.name, "coinbase")
        XCTAssertEqual(provider.capabilities, [.liveTrades])
        let consumer = Consumer(provider.trades(symbols: ["BTC", "ETH"]))
        let subscribed = ["market_trades:BTC-USD", "market_trades:ETH-USD", "heartbeats:BTC-USD", "heartbeats:ETH-USD"]
        try await server.waitUntilSubscribed(subscribed)
        XCTAssertEqual(server.subscriptions(connection: 0), subscribed)

        await server.publish(.init(symbol: "BTC-USD", id: 100, price: "67000.12", size: "0.25", ts: 1_717_000_000_123))
        await server.ping()  // a heartbeat
        await server.publish(.init(symbol: "ETH-USD", id: 101, price: "3500", size: "1.5", ts: 1_717_000_000_124))
        try await eventually { consumer.batches.count == 2 }
        XCTAssertEqual(
            consumer.batches,
            [
                [Tick(symbol: "BTC", ts: 1_717_000_000_123, price: 67000.12, size: 0.25)],
                [Tick(symbol: "ETH", ts: 1_717_000_000_124, price: 3500, size: 1.5)],
            ])
        XCTAssertEqual(provider.stats.sequenceGaps, 0)

        // Three messages lost upstream: one gap of 3.
        server.skipSequence(3)
        await server.publish(.init(symbol: "BTC-USD", id: 102, price: "1", size: "1", ts: 1_717_000_000_125))
        try await eventually { consumer.batches.count == 3 }
        XCTAssertEqual(provider.stats.sequenceGaps, 1)
        XCTAssertEqual(provider.stats.missedMessages, 3)
        XCTAssertTrue(logs.lines.contains { $0.contains("sequence gap") })

        // Malformed frames and an error are skipped.
        await server.sendRaw("{")
        await server.sendRaw(#"{"type":"error","message":"failure"}"#)
        await server.sendRaw(
            #"{"channel":"market_trades","sequence_num":9,"events":[{"trades":[{"trade_id":"1","product_id":"BTC-USD","price":"x","size":"1","time":"2024-01-01T00:00:00Z"}]}]}"#
        )

        await server.dropConnections()
        try await server.waitUntilSubscribed(subscribed)
        XCTAssertEqual(server.subscriptions(connection: 1), subscribed)
        // A trade already delivered (an initial snapshot repeats recent trades) is skipped; a new one is not.
        await server.publish(.init(symbol: "BTC-USD", id: 102, price: "1", size: "1", ts: 1_717_000_000_125))
        await server.publish(.init(symbol: "BTC-USD", id: 103, price: "2", size: "3", ts: 1_717_000_000_126))
        try await eventually { consumer.batches.count == 4 }
        XCTAssertEqual(consumer.batches.last, [Tick(symbol: "BTC", ts: 1_717_000_000_126, price: 2, size: 3)])
        let stats = provider.stats
        XCTAssertEqual(stats.reconnects, 1)
        XCTAssertEqual(stats.gaps, 1)
        XCTAssertEqual(stats.invalidFrames, 2)
        XCTAssertEqual(stats.upstreamErrors, 1)
        XCTAssertTrue(logs.lines.contains { $0.contains("reconnected") && $0.contains("gap_ms") })
        consumer.stop()
        try await eventually { server.openConnectionCount == 0 }
        await server.stop()
    }

    func testCoinbaseReadsASnapshotFrameLargerThan16KiBAsOneBatch() async throws {
        let server = try await FakeTradeStreamServer.start(.coinbase)
        let provider = CoinbaseMatchStream(wsUrl: server.url, options: Self.fast)
        let consumer = Consumer(provider.trades(symbols: ["BTC"]))
        try await server.waitUntilSubscribed(["market_trades:BTC-USD"])
        // A snapshot lists the newest trade first.
        let trades = (1...300).reversed().map { i in
            #"{"trade_id":"\#(i)","product_id":"BTC-USD","price":"\#(i).5","size":"1","side":"SELL","#
                + #""time":"2024-06-01T00:00:00.\#(String(format: "%03d", i % 1000))Z"}"#
        }
        let frame =
            #"{"channel":"market_trades","client_id":"","timestamp":"2024-06-01T00:00:01Z","sequence_num":5,"#
            + #""events":[{"type":"snapshot","trades":["# + trades.joined(separator: ",") + "]}]}"
        XCTAssertGreaterThan(frame.utf8.count, 1 << 14)
        await server.sendRaw(frame)
        try await eventually { consumer.batches.count == 1 }
        let batch = consumer.batches[0]
        XCTAssertEqual(batch.count, 300)
        XCTAssertEqual(batch.first, Tick(symbol: "BTC", ts: 1_717_200_000_001, price: 1.5, size: 1))
        XCTAssertEqual(batch.last, Tick(symbol: "BTC", ts: 1_717_200_000_300, price: 300.5, size: 1))
        XCTAssertEqual(provider.stats.reconnects, 0)
        consumer.stop()
        await server.stop()
    }

    func testFakeDropsEveryNTradesAndTheStreamFollows() async throws {
        let server = try await FakeTradeStreamServer.start(.binance, options: .init(dropEvery: 2))
        let provider = BinanceTradeStream(wsUrl: server.url, options: Self.fast)
        let consumer = Consumer(provider.trades(symbols: ["BTC"]))
        for id in Int64(1)...6 {
            try await server.waitUntilSubscribed(["btcusdt@trade"])
            let published = await server.publish(.init(symbol: "BTCUSDT", id: id, price: "1", size: "1", ts: id))
            XCTAssertTrue(published)
            try await eventually { consumer.batches.count == Int(id) }
        }
        XCTAssertEqual(consumer.batches.map { $0.map(\.ts) }, [[1], [2], [3], [4], [5], [6]])
        try await eventually { provider.stats.reconnects == 3 }
        try await eventually { server.connectionCount == 4 }  // the server registers it a moment later
        consumer.stop()
        await server.stop()
    }

    // MARK: Finnhub

    func testFinnhubDeliversTradesResubscribesAndNeverLogsItsKey() async throws {
        let key = "sk-finnhub-SECRET-4242"
        let server = try await FakeTradeStreamServer.start(.finnhub, options: .init(requiredToken: key))
        let logs = LogCapture()
        let provider = FinnhubTradeStream(
            apiKey: key, wsUrl: server.url, symbolMap: ["BTC": "BINANCE:BTCUSDT"], options: Self.fast,
            logger: logs.logger)
        XCTAssertEqual(provider.name, "finnhub")
        XCTAssertEqual(provider.capabilities, [.liveTrades])
        let consumer = Consumer(provider.trades(symbols: ["AAPL", "BTC"]))
        try await server.waitUntilSubscribed(["AAPL", "BINANCE:BTCUSDT"])
        XCTAssertEqual(
            server.receivedMessages,
            [#"{"type":"subscribe","symbol":"AAPL"}"#, #"{"type":"subscribe","symbol":"BINANCE:BTCUSDT"}"#])

        await server.publish(.init(symbol: "AAPL", id: 1, price: "274.7", size: "10", ts: 1_587_474_380_227))
        await server.ping()
        await server.sendRaw(#"{"type":"error","msg":"Invalid token \#(key)"}"#)
        await server.sendRaw("[oops")
        await server.publish(.init(symbol: "BINANCE:BTCUSDT", id: 2, price: "67000.5", size: "0.01", ts: 5))
        try await eventually { consumer.batches.count == 2 }
        XCTAssertEqual(
            consumer.batches,
            [
                [Tick(symbol: "AAPL", ts: 1_587_474_380_227, price: 274.7, size: 10)],
                [Tick(symbol: "BTC", ts: 5, price: 67000.5, size: 0.01)],
            ])

        await server.dropConnections()
        try await server.waitUntilSubscribed(["AAPL", "BINANCE:BTCUSDT"])
        await server.publish(.init(symbol: "AAPL", id: 3, price: "275", size: "1", ts: 6))
        try await eventually { consumer.batches.count == 3 }
        let stats = provider.stats
        XCTAssertEqual(stats.reconnects, 1)
        XCTAssertEqual(stats.gaps, 1)
        XCTAssertEqual(stats.upstreamErrors, 1)
        XCTAssertEqual(stats.invalidFrames, 1)
        consumer.stop()
        try await eventually { server.openConnectionCount == 0 }
        XCTAssertTrue(logs.lines.contains { $0.contains("Invalid token <redacted>") }, "\(logs.lines)")
        XCTAssertFalse(logs.lines.contains { $0.contains(key) }, "\(logs.lines)")
        await server.stop()
    }

    func testFinnhubRejectedKeyIsRetriedAndNeverLogged() async throws {
        let server = try await FakeTradeStreamServer.start(.finnhub, options: .init(requiredToken: "the-right-key"))
        let logs = LogCapture()
        let key = "wrong-key-SECRET-77"
        let provider = FinnhubTradeStream(apiKey: key, wsUrl: server.url, options: Self.fast, logger: logs.logger)
        let consumer = Consumer(provider.trades(symbols: ["AAPL"]))
        try await eventually { provider.stats.connectFailures >= 2 }
        consumer.stop()
        XCTAssertEqual(provider.stats.connects, 0)
        XCTAssertFalse(logs.lines.isEmpty)
        XCTAssertTrue(logs.lines.contains { $0.contains("connection failed") }, "\(logs.lines)")
        XCTAssertFalse(logs.lines.contains { $0.contains(key) }, "\(logs.lines)")
        await server.stop()
    }
}

/// Collects a stream's batches in a task of its own.
final class Consumer<Element: Sendable>: Sendable {
    private let collected = Mutex<[Element]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncThrowingStream<Element, any Error>) {
        let task = Task { [self] in
            do {
                for try await batch in stream { self.collected.withLock { $0.append(batch) } }
            } catch {}
        }
        self.task.withLock { $0 = task }
    }

    var batches: [Element] { self.collected.withLock { $0 } }

    func stop() { self.task.withLock { $0?.cancel() } }
}

/// Waits until `condition` holds, failing after `timeout` (a bound, not a timing assertion).
func eventually(
    timeout: Duration = .seconds(10), file: StaticString = #filePath, line: UInt = #line,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            XCTFail("condition not met within \(timeout)", file: file, line: line)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

final class ReconnectBackoffTests: XCTestCase {
    func testBackoffDoublesToItsCeilingAndResetsAfterAHealthyConnection() {
        var backoff = ReconnectBackoff(
            LiveStreamOptions(initialBackoff: .milliseconds(100), maxBackoff: .seconds(30), healthyAfter: .seconds(30)))
        let failed = (0..<12).map { _ in backoff.delay(afterConnectedFor: nil) }
        XCTAssertEqual(
            failed,
            [100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000].map {
                Duration.milliseconds($0)
            })
        // A short-lived connection does not reset it; a healthy one does.
        XCTAssertEqual(backoff.delay(afterConnectedFor: .seconds(2)), .seconds(30))
        XCTAssertEqual(backoff.delay(afterConnectedFor: .seconds(31)), .milliseconds(100))
        XCTAssertEqual(backoff.delay(afterConnectedFor: nil), .milliseconds(200))
    }
}
