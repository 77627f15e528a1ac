import FinanceCore
import FinanceProviders
import FinanceStorage
import XCTest

@testable import FinanceApp

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

/// A live source that yields the given frames, then ends.
private struct FramesProvider: LiveTradeProvider {
    let name = "frames"
    let capabilities: Set<ProviderCapability> = [.liveTrades]
    let frames: [[Tick]]

    func trades(symbols: [String]) -> AsyncThrowingStream<[Tick], any Error> {
        let frames = self.frames
        return AsyncThrowingStream { continuation in
            for frame in frames { continuation.yield(frame) }
            continuation.finish()
        }
    }
}

final class LiveFeedBatchingTests: XCTestCase {
    func testFramesThatPiledUpAreWrittenTogetherAndABadTradeIsSetAside() async throws {
        let store = MemoryStore()
        let bus = InProcessMarketBus()
        let frames: [[Tick]] = (0..<50).map { i in
            [Tick(symbol: "BTC", ts: 1_717_000_000_000 + Int64(i), price: i == 7 ? -1 : 100 + Double(i), size: 1)]
        }
        let service = LiveFeedService(
            provider: FramesProvider(frames: frames), symbols: ["BTC"], assets: store,
            ingestor: Ingestor(marketData: store, bus: bus), logger: .init(label: "test"))
        try await service.pump(FramesProvider(frames: frames).trades(symbols: ["BTC"]))
        let stored = try await store.ticks(symbol: "BTC", from: nil, to: nil, limit: 100)
        XCTAssertEqual(stored.count, 49, "every valid trade is stored; the one with a negative price is skipped")
        XCTAssertFalse(stored.contains { $0.price < 0 })
        XCTAssertEqual(stored.map(\.ts), stored.map(\.ts).sorted(), "in order")
    }

    func testTheBacklogKeepsItsNewestTicksWithinItsCapacity() async {
        let backlog = TickBacklog(capacity: 3)
        backlog.append((0..<5).map { Tick(symbol: "A", ts: Int64($0), price: 1) })
        let first = await backlog.next()
        XCTAssertEqual(first?.ticks.map(\.ts), [2, 3, 4])
        XCTAssertEqual(first?.dropped, 2)
        backlog.append([Tick(symbol: "A", ts: 9, price: 1)])
        backlog.finish()
        let second = await backlog.next()
        XCTAssertEqual(second?.ticks.map(\.ts), [9])
        let end = await backlog.next()
        XCTAssertNil(end)
    }
}
