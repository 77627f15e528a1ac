import XCTest

@testable import FinanceCore

/// Combinations, portfolio and sector targets, updates and the backtest.
final class AlertEngineCombineTests: XCTestCase {
    func testAllFiresOnlyWhileEveryConditionHoldsAndAnyOnEachEdge() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        // The RSI turning oversold while the index is still above 1,200 (and the same with `any`).
        let conditions: [AlertCondition] = [
            .rsiOversold(period: 14, level: 30, interval: .day1), .priceAbove(1_200),
        ]
        engine.add(AlertReplay.alert("all", conditions, combine: .all))
        engine.add(AlertReplay.alert("any", conditions, combine: .any))
        engine.add(AlertReplay.alert("rsi", [conditions[0]]))
        engine.add(AlertReplay.alert("price", [conditions[1]]))
        let firings = AlertReplay.replay(engine, history)
        let rsi = AlertReplay.of("rsi", firings)
        let price = AlertReplay.of("price", firings)
        XCTAssertFalse(rsi.isEmpty)
        XCTAssertFalse(price.isEmpty)
        // `all`: the RSI edges that came while the last price was at or above 1,200, and the price edges that came
        // while the RSI of the last closed bar was oversold.
        let values = IndicatorEngine.compute([try IndicatorSpec(.rsi, [14])], on: try OHLCVSeries(bars: history))[0]
            .values
        let oversoldPrices = price.filter { firing in
            let i = history.firstIndex { $0.ts + AlertReplay.closeOffset == firing.ts }!
            return i > 0 && values[i - 1] <= 30
        }
        let expectedAll = (rsi.filter { ($0.price ?? 0) >= 1_200 } + oversoldPrices).map(\.ts).sorted()
        XCTAssertFalse(expectedAll.isEmpty)
        XCTAssertLessThan(expectedAll.count, rsi.count + price.count)
        XCTAssertEqual(AlertReplay.of("all", firings).map(\.ts), expectedAll)
        // `any`: every edge of either condition.
        XCTAssertEqual(AlertReplay.of("any", firings).map(\.ts), (rsi + price).map(\.ts).sorted())
    }

    func testPortfolioValueAndChangeAndSectorMoveFireOnTheFedValues() throws {
        // A portfolio of 10 S&P 500 units, valued at each close; the Nasdaq as a sector index.
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        let portfolio = AlertTarget.portfolio("p1")
        let sector = AlertTarget.sector("Information Technology")
        engine.add(AlertReplay.alert("rich", [.portfolioValueAbove(20_000)], target: portfolio, trigger: .once))
        engine.add(AlertReplay.alert("poor", [.portfolioValueBelow(7_000)], target: portfolio, trigger: .once))
        engine.add(AlertReplay.alert("drop", [.portfolioChange(percent: -5, windowMinutes: 1)], target: portfolio))
        engine.add(AlertReplay.alert("tech", [.sectorMove(percent: 8, windowMinutes: 1)], target: sector))
        engine.add(AlertReplay.alert("wrong", [.priceAbove(1)], target: portfolio))
        var firings: [AlertFiring] = []
        let nasdaq = try Self.nasdaq()
        for (k, bar) in history.enumerated() {
            let ts = bar.ts + AlertReplay.closeOffset
            firings += engine.process(target: portfolio, value: bar.close * 10, ts: ts)
            if k < nasdaq.count { firings += engine.process(target: sector, value: nasdaq[k].close, ts: ts) }
        }
        XCTAssertEqual(
            AlertReplay.of("rich", firings).map(\.ts), [AlertReplay.tickTime(history) { $0.close >= 2_000 }!])
        XCTAssertEqual(AlertReplay.of("poor", firings).map(\.ts), [AlertReplay.tickTime(history) { $0.close <= 700 }!])
        XCTAssertNil(AlertReplay.of("rich", firings)[0].symbol)
        XCTAssertNil(AlertReplay.of("rich", firings)[0].price)
        // Daily values one minute-window apart: a fall of 5% from one close to the next.
        var drops: [Int64] = []
        var before: Bool?
        for i in 1..<history.count {
            let now = (history[i].close / history[i - 1].close - 1) * 100 <= -5
            if now && before != true { drops.append(history[i].ts + AlertReplay.closeOffset) }
            before = now
        }
        XCTAssertGreaterThan(drops.count, 3)
        XCTAssertEqual(AlertReplay.of("drop", firings).map(\.ts), drops)
        XCTAssertFalse(AlertReplay.of("tech", firings).isEmpty, "the Nasdaq rose 8% in a day more than once")
        XCTAssertEqual(AlertReplay.of("wrong", firings), [], "a price condition never holds for a portfolio")
    }

    func testAnUpdateKeepsTheStateOnlyWhenTheConditionsAreUnchanged() {
        let engine = AlertEngine()
        var alert = AlertReplay.alert("a", [.priceAbove(100)])
        engine.add(alert)
        XCTAssertEqual(engine.process(symbol: "SPX", ts: 1, price: 101).count, 1)
        alert.name = "renamed"
        engine.update(alert)
        XCTAssertEqual(engine.process(symbol: "SPX", ts: 2, price: 102), [], "a rename does not re-fire a level")
        alert.conditions = [.priceAbove(101)]
        engine.update(alert)
        XCTAssertEqual(engine.process(symbol: "SPX", ts: 3, price: 103).count, 1, "a new level is judged afresh")
        engine.remove(id: "a")
        XCTAssertEqual(engine.process(symbol: "SPX", ts: 4, price: 90), [])
        XCTAssertEqual(engine.process(symbol: "SPX", ts: 5, price: 110), [])
        XCTAssertEqual(engine.count, 0)
    }

    func testTheBacktestReplaysBarsThroughAFreshEngine() throws {
        let history = try AlertReplay.sp500()
        // Created today, once, expired and disabled: the backtest fires it anyway, on every crossing of the past.
        let alert = AlertReplay.alert(
            "bt", [.priceCrossingUp(2_000)], createdAt: 2_000_000_000_000, expiresAt: 1, enabled: false)
        let firings = AlertBacktest.run(alert: alert, bars: history, interval: .day1)
        // Without ticks a bar crosses when its high reaches the level from below the previous path.
        var expected: [Int64] = []
        var last: Double?
        for bar in history {
            for (ts, price) in AlertBacktest.path(bar, close: bar.ts + 86_400_000) {
                if let p = last, p < 2_000 && price >= 2_000 { expected.append(ts) }
                last = price
            }
        }
        XCTAssertGreaterThan(expected.count, 10)
        XCTAssertEqual(firings.map(\.ts), expected)
        // Bar conditions of a coarser interval are built from the bars: weekly RSI from daily bars.
        let weekly = AlertReplay.alert("w", [.rsiOversold(period: 14, level: 30, interval: .week1)])
        let weeklyFirings = AlertBacktest.run(alert: weekly, bars: history, interval: .day1)
        XCTAssertFalse(weeklyFirings.isEmpty)
        XCTAssertTrue(weeklyFirings.allSatisfy { Interval.week1.bucketStart($0.ts) == $0.ts })
        // With ticks, prices come from the ticks only.
        let ticks = history.map { Tick(symbol: "SPX", ts: $0.ts + AlertReplay.closeOffset, price: $0.close) }
        let tickFirings = AlertBacktest.run(alert: alert, bars: history, interval: .day1, ticks: ticks)
        XCTAssertEqual(tickFirings.count, 12)
        XCTAssertEqual(
            AlertBacktest.run(
                alert: AlertReplay.alert("p", [.portfolioValueAbove(1)], target: .portfolio("x")), bars: history,
                interval: .day1), [])
    }

    func testABacktestFedPageByPageFiresAsOneFedAtOnce() throws {
        let history = try AlertReplay.sp500()
        let weekly = AlertReplay.alert(
            "w", [.rsiOversold(period: 14, level: 30, interval: .week1), .priceCrossingDown(1_500)], combine: .any)
        let whole = AlertBacktest.run(alert: weekly, bars: history, interval: .day1)
        XCTAssertGreaterThan(whole.count, 5)
        var replay = try XCTUnwrap(AlertBacktest.Replay(alert: weekly, interval: .day1))
        var paged: [AlertFiring] = []
        var start = 0
        while start < history.count {
            // Pages of 97 bars: week buckets straddle the page ends.
            let end = min(start + 97, history.count)
            paged += replay.feed(Array(history[start..<end]))
            start = end
        }
        XCTAssertEqual(paged, whole)
        XCTAssertNil(AlertBacktest.Replay(alert: AlertReplay.alert("p", [], target: .portfolio("x")), interval: .day1))
    }

    static func nasdaq() throws -> [Bar] {
        let base = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/real/nasdaq_daily.csv")
        let url =
            FileManager.default.fileExists(atPath: base.path)
            ? base : Bundle.module.url(forResource: "Fixtures/real/nasdaq_daily", withExtension: "csv")!
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",").map { Double($0)! }
            return Bar(ts: Int64(f[0]), open: f[1], high: f[2], low: f[3], close: f[4], volume: f[5])
        }
    }
}

extension AlertEngineCombineTests {
    func testTheBacktestIntervalIsTheFinestTheConditionsRead() {
        let rsi = AlertCondition.rsiOversold(period: 14, level: 30, interval: .hour1)
        let cross = AlertCondition.goldenCross(fast: 9, slow: 21, average: .ema, interval: .minute15)
        XCTAssertEqual(AlertBacktest.barInterval(for: AlertReplay.alert("a", [rsi, cross])), .minute15)
        XCTAssertEqual(AlertBacktest.barInterval(for: AlertReplay.alert("b", [rsi, .priceAbove(1)])), .minute1)
        XCTAssertEqual(AlertBacktest.barInterval(for: AlertReplay.alert("c", [rsi])), .hour1)
    }
}
