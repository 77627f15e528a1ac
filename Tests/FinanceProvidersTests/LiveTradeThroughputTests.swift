import FinanceCore
import FinanceProviderFakes
import FinanceProviders
import Synchronization
import XCTest

/// 5,000 trades/s of 20 symbols for 3 s through the fake Binance server into `BinanceTradeStream`, with every
/// connection dropped once in the middle: no trade delivered while connected is lost. Lag (the fake's send time to
/// arrival) is printed, never asserted.
final class LiveTradeThroughputTests: XCTestCase {
    func testNoTradeSentWhileConnectedIsLostAcrossADrop() async throws {
        let server = try await FakeTradeStreamServer.start(.binance)
        let provider = BinanceTradeStream(
            wsUrl: server.url, options: LiveStreamOptions(initialBackoff: .milliseconds(50)))
        let symbols = (0..<20).map { "S\($0)" }
        let upstream = symbols.map { provider.upstreamId($0) }
        let received = ReceivedTrades()
        let consumer = Task {
            for try await batch in provider.tradeEvents(symbols: symbols) {
                let now = LiveStreamConnection.nowMilliseconds()
                received.add(batch, at: now)
            }
        }
        try await server.waitUntilSubscribed(upstream.map { server.subscriptionKey($0) })

        let report = await server.publishTrades(
            symbols: upstream, ratePerSecond: 5_000, duration: .seconds(3), dropAfter: .milliseconds(1_500))
        XCTAssertEqual(report.drops, 1)
        XCTAssertEqual(report.delivered.count + report.undelivered.count, 15_000)
        // Wait (bounded) for the delivered trades to arrive.
        try await eventually(timeout: .seconds(30)) { received.count >= report.delivered.count }
        try await Task.sleep(for: .milliseconds(200))
        consumer.cancel()

        let ids = received.ids
        let delivered = Set(report.delivered.map(String.init))
        let undelivered = Set(report.undelivered.map(String.init))
        let lost = delivered.subtracting(ids)
        XCTAssertEqual(
            lost.count, 0, "trades delivered while connected and never received: \(lost.sorted().prefix(20))")
        XCTAssertEqual(received.duplicates, 0)
        XCTAssertTrue(ids.subtracting(delivered).isSubset(of: undelivered))
        let stats = provider.stats
        XCTAssertEqual(stats.reconnects, 1)
        XCTAssertEqual(stats.invalidFrames, 0)
        let lags = received.lags.sorted()
        let p50 = lags[lags.count / 2]
        let p99 = lags[min(lags.count - 1, lags.count * 99 / 100)]
        print(
            "binance throughput: published \(report.delivered.count + report.undelivered.count), delivered "
                + "\(report.delivered.count), published while disconnected \(report.undelivered.count), received "
                + "\(ids.count), lost \(lost.count), gap \(stats.lastGapMilliseconds) ms, lag p50 "
                + "\(String(format: "%.2f", p50)) ms p99 \(String(format: "%.2f", p99)) ms max "
                + "\(String(format: "%.2f", lags.last ?? 0)) ms")
        await server.stop()
    }
}

/// Trades received, by id, with their lag (arrival - the fake's send time `E`, ms).
final class ReceivedTrades: Sendable {
    private struct State {
        var ids: Set<String> = []
        var duplicates = 0
        var lags: [Double] = []
    }
    private let state = Mutex(State())

    func add(_ batch: [LiveTrade], at now: Double) {
        self.state.withLock { s in
            for trade in batch {
                if let id = trade.tradeId, !s.ids.insert(id).inserted { s.duplicates += 1 }
                if let sent = trade.sentAt { s.lags.append(now - Double(sent)) }
            }
        }
    }

    var count: Int { self.state.withLock { $0.ids.count } }
    var ids: Set<String> { self.state.withLock { $0.ids } }
    var duplicates: Int { self.state.withLock { $0.duplicates } }
    var lags: [Double] { self.state.withLock { $0.lags } }
}
