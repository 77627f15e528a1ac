import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceStorage
import XCTest

final class LiveFeedServiceTests: XCTestCase {
    func testFeedServiceIngestsThroughTheOnePath() async throws {
        let store = MemoryStore()
        let bus = InProcessMarketBus()
        let events = bus.subscribe("test")
        let provider = SimulatedProvider(
            instruments: Array(SimulatedInstrument.defaultWatchlist.prefix(2)), seed: 5, ticksPerSecond: 50)
        let service = LiveFeedService(
            provider: provider, symbols: ["BTC", "ETH"], assets: store, ingestor: Ingestor(marketData: store, bus: bus),
            logger: .init(label: "test"))
        try await store.createAsset(Asset(symbol: "BTC"))
        let task = Task { try await service.run() }
        var seen = 0
        for await message in events {
            XCTAssertEqual(message.freshness, .live)
            if case .tick = message.event { seen += 1 }
            if seen >= 6 { break }
        }
        task.cancel()
        _ = try? await task.value
        XCTAssertGreaterThanOrEqual(seen, 6)
        let btc = try await store.asset("BTC")
        XCTAssertEqual(btc.assetClass, .crypto)
        let tick = try await store.latestTick(symbol: "ETH")
        XCTAssertNotNil(tick)
    }
}
