import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import XCTest

/// A live source whose connection counters move as its one batch arrives (a reconnection with a 1.5 s gap, a jump
/// in the upstream's sequence).
private final class CountingTradeSource: LiveTradeProvider {
    let name = "binance"
    let capabilities: Set<ProviderCapability> = [.liveTrades]
    private let stats = Mutex(LiveStreamStats())
    var streamStats: LiveStreamStats? { self.stats.withLock { $0 } }

    func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Tick].self)
        Task {
            // As a real source: the counters move once connected, after the stream was handed out.
            try? await Task.sleep(for: .milliseconds(100))
            self.stats.withLock { s in
                s.reconnects = 1
                s.gaps = 1
                s.totalGapMilliseconds = 1_500
                s.sequenceGaps = 1
                s.missedMessages = 3
            }
            let now = SystemClock().nowMilliseconds()
            continuation.yield([Tick(symbol: "MBTC", ts: now - 40, price: 67_000, size: 1)])
            continuation.finish()
        }
        return stream
    }
}

/// The live feed exports its stream's lag and connection counters as metrics.
final class StreamFeedMetricsTests: XCTestCase {
    func testLagReconnectsGapsAndSequenceGapsReachTheMetrics() async throws {
        let store = MemoryStore()
        try await makeApp(store: store).test(.router) { client in
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let feed = LiveFeedService(
                provider: CountingTradeSource(), symbols: ["MBTC"], assets: store,
                ingestor: Ingestor(marketData: store, bus: InProcessMarketBus()), logger: logger,
                retryDelay: .seconds(60))
            // The counters are read when the stream starts (nothing yet) and as each batch arrives.
            let running = Task { try await feed.run() }
            var text = ""
            for _ in 0..<100 {
                text = try await client.send(.get, "/metrics").text
                if text.contains("financehub_provider_stream_missed_messages_total") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            running.cancel()
            XCTAssertTrue(text.contains(#"financehub_provider_stream_lag_seconds_count{provider="binance"}"#), text)
            XCTAssertTrue(text.contains(#"financehub_provider_stream_reconnects_total{provider="binance"} 1"#), text)
            XCTAssertTrue(
                text.contains(#"financehub_provider_stream_gap_milliseconds_total{provider="binance"} 1500"#), text)
            XCTAssertTrue(text.contains(#"financehub_provider_stream_missed_messages_total{provider="binance"} 3"#))
        }
    }
}
