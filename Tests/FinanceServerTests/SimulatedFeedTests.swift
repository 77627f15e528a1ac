import FinanceCore
import FinanceProviders
import FinanceStorage
import XCTest

final class SimulatedFeedTests: XCTestCase {
    func testSameSeedSameMarket() {
        var a = SimulatedMarket(instruments: SimulatedInstrument.defaultWatchlist, seed: 9, ticksPerSecond: 4)
        var b = SimulatedMarket(instruments: SimulatedInstrument.defaultWatchlist, seed: 9, ticksPerSecond: 4)
        var c = SimulatedMarket(instruments: SimulatedInstrument.defaultWatchlist, seed: 10, ticksPerSecond: 4)
        var differs = false
        for i in 0..<500 {
            let ts = Int64(i) * 250
            let x = a.step(ts: ts)
            XCTAssertEqual(x, b.step(ts: ts))
            if x != c.step(ts: ts) { differs = true }
        }
        XCTAssertTrue(differs)
    }

    func testTicksAreRealistic() {
        var market = SimulatedMarket(instruments: SimulatedInstrument.defaultWatchlist, seed: 1, ticksPerSecond: 4)
        var btc: [Double] = []
        for i in 0..<20_000 {
            for t in market.step(ts: Int64(i) * 250) {
                var issues: [ValidationIssue] = []
                Validation.check(t, index: 0, into: &issues)
                XCTAssertEqual(issues, [], "\(t)")
                XCTAssertLessThan(t.bid!, t.ask!)
                XCTAssertGreaterThan(t.size!, 0)
                if t.symbol == "BTC" { btc.append(t.price) }
            }
        }
        // The price moves, but stays in a sane range over ~83 minutes.
        XCTAssertGreaterThan(Set(btc).count, 1000)
        XCTAssertLessThan(btc.max()! / btc.min()!, 1.2)
        let returns = zip(btc.dropFirst(), btc).map { log($0 / $1) }
        let maxMove = returns.map(abs).max()!
        let typical = returns.map(abs).sorted()[returns.count / 2]
        XCTAssertGreaterThan(maxMove, 5 * typical, "occasional jumps")
    }

    func testFeedServiceIngestsThroughTheOnePath() async throws {
        let store = MemoryStore()
        let bus = MarketBus()
        let events = bus.subscribe()
        let service = SimulatedFeedService(
            ingestor: Ingestor(store: store, bus: bus),
            instruments: Array(SimulatedInstrument.defaultWatchlist.prefix(2)),
            seed: 5, ticksPerSecond: 50, logger: .init(label: "test"))
        try await store.createAsset(Asset(symbol: "BTC"))
        let task = Task { try await service.run() }
        var seen = 0
        for await event in events {
            if case .tick = event { seen += 1 }
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
