import FinanceCore
import FinanceProviders
import XCTest

@testable import FinanceProviders

final class SimulatedProviderTests: XCTestCase {
    func testThePaceHoldsTheRateWhenStoringIsSlow() {
        // 10 ms per step. Waking on time gives one step; waking 35 ms late (a slow ingest) gives the 4 steps due,
        // and the next deadline stays on the original grid; a stall beyond `maxCatchUp` steps skips the rest.
        let start = ContinuousClock.now
        var pace = FeedPace(period: .milliseconds(10), start: start)
        XCTAssertEqual(pace.next, start + .milliseconds(10))
        XCTAssertEqual(pace.due(at: start + .milliseconds(10)), 1)
        XCTAssertEqual(pace.next, start + .milliseconds(20))
        XCTAssertEqual(pace.due(at: start + .milliseconds(55)), 4)
        XCTAssertEqual(pace.next, start + .milliseconds(60))
        var total = 0
        var now = start + .milliseconds(60)
        for _ in 0..<100 {
            total += pace.due(at: now)
            now = now + .milliseconds(35)
        }
        // Woken every 35 ms from 60 ms to 3,525 ms: one step per 10 ms grid point from 60 to 3,520 ms.
        XCTAssertEqual(total, (3_520 - 60) / 10 + 1, "steps stay on the 10 ms grid")
        let stalled = pace.due(at: now + .seconds(3600))
        XCTAssertEqual(stalled, FeedPace.maxCatchUp)
        XCTAssertGreaterThan(pace.next, now + .seconds(3600))
    }

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
}
