import XCTest

@testable import FinanceCore

/// Price conditions on twenty years of S&P 500 closes.
final class AlertEnginePriceTests: XCTestCase {
    func testPriceAboveFiresOnTheFirstCloseAbove1500AndNeverForALevelNeverReached() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("above", [.priceAbove(1_500)], trigger: .once))
        engine.add(AlertReplay.alert("never", [.priceAbove(3_000)]))
        let firings = AlertReplay.replay(engine, history)
        XCTAssertEqual(firings.map(\.alertId), ["above"])
        // 2000-03-22, the first close at or above 1,500.
        XCTAssertEqual(firings[0].ts, AlertReplay.tickTime(history) { $0.close >= 1_500 })
        XCTAssertEqual(firings[0].ts, 953_683_200_000 + AlertReplay.closeOffset)
        XCTAssertEqual(firings[0].condition, "price_above")
        XCTAssertEqual(firings[0].event, "once")
        XCTAssertEqual(firings[0].symbol, "SPX")
        XCTAssertEqual(firings[0].price, firings[0].value)
        XCTAssertGreaterThanOrEqual(firings[0].value, 1_500)
        XCTAssertEqual(engine.state(of: "above")?["done"], 1)
    }

    func testPriceBelowFiresAtTheMarch2009LowAndNeverBelowTheAllTimeLow() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("below", [.priceBelow(700)], trigger: .once))
        engine.add(AlertReplay.alert("never", [.priceBelow(600)]))
        let firings = AlertReplay.replay(engine, history)
        XCTAssertEqual(firings.map(\.alertId), ["below"])
        XCTAssertEqual(firings[0].ts, AlertReplay.tickTime(history) { $0.close <= 700 })
        XCTAssertLessThanOrEqual(firings[0].value, 700)
    }

    func testCrossingsFireExactlyAtEveryCrossOfTheLevel() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("up", [.priceCrossingUp(2_000)]))
        engine.add(AlertReplay.alert("down", [.priceCrossingDown(2_000)]))
        engine.add(AlertReplay.alert("never", [.priceCrossingUp(3_000)]))
        let firings = AlertReplay.replay(engine, history)
        var ups: [Int64] = []
        var downs: [Int64] = []
        for i in 1..<history.count {
            let (p, c) = (history[i - 1].close, history[i].close)
            if p < 2_000 && c >= 2_000 { ups.append(history[i].ts + AlertReplay.closeOffset) }
            if p > 2_000 && c <= 2_000 { downs.append(history[i].ts + AlertReplay.closeOffset) }
        }
        XCTAssertEqual(ups.count, 12)
        XCTAssertEqual(downs.count, 11)
        XCTAssertEqual(AlertReplay.of("up", firings).map(\.ts), ups)
        XCTAssertEqual(AlertReplay.of("down", firings).map(\.ts), downs)
        XCTAssertEqual(AlertReplay.of("never", firings), [])
        XCTAssertEqual(Set(firings.map(\.event)).count, firings.count, "every firing has its own event")
        XCTAssertEqual(AlertReplay.of("up", firings).first?.event, "tick:\(ups[0])")
    }

    func testALevelAlreadyMetFiresOnTheFirstPriceButACrossingNeedsACross() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("level", [.priceAbove(1_000)]))
        engine.add(AlertReplay.alert("cross", [.priceCrossingUp(1_000)]))
        let first = engine.process(symbol: "SPX", ts: history[0].ts, price: history[0].close)
        XCTAssertEqual(first.map(\.alertId), ["level"])
        // Added while the price is known: the level fires on the next price that meets it, once (edge).
        engine.add(AlertReplay.alert("late", [.priceAbove(1_100)]))
        XCTAssertEqual(
            engine.process(symbol: "SPX", ts: history[1].ts, price: history[1].close).map(\.alertId), ["late"])
        XCTAssertEqual(engine.process(symbol: "SPX", ts: history[2].ts, price: history[2].close), [])
    }

    func testEveryTimeRespectsItsCooldownAndOncePerBarItsBar() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        let cooldown = 90 * 86_400
        engine.add(AlertReplay.alert("cool", [.priceCrossingUp(1_300)], trigger: .everyTime(cooldownSeconds: cooldown)))
        engine.add(AlertReplay.alert("free", [.priceCrossingUp(1_300)]))
        engine.add(AlertReplay.alert("month", [.priceCrossingUp(1_300)], trigger: .oncePerBar(.month1)))
        engine.add(AlertReplay.alert("once", [.priceCrossingUp(1_300)], trigger: .once))
        let firings = AlertReplay.replay(engine, history, closedBars: false)
        let all = AlertReplay.of("free", firings).map(\.ts)
        XCTAssertGreaterThan(all.count, 20, "the S&P crossed 1,300 up many times")
        var cooled: [Int64] = []
        var months: [Int64] = []
        for ts in all {
            if cooled.last.map({ ts - $0 >= Int64(cooldown) * 1_000 }) ?? true { cooled.append(ts) }
            if months.last.map({ Interval.month1.bucketStart($0) != Interval.month1.bucketStart(ts) }) ?? true {
                months.append(ts)
            }
        }
        XCTAssertLessThan(cooled.count, all.count)
        XCTAssertLessThan(months.count, all.count)
        XCTAssertEqual(AlertReplay.of("cool", firings).map(\.ts), cooled)
        XCTAssertEqual(AlertReplay.of("month", firings).map(\.ts), months)
        XCTAssertEqual(
            AlertReplay.of("month", firings).map(\.event), months.map { "bar:1M:\(Interval.month1.bucketStart($0))" })
        XCTAssertEqual(AlertReplay.of("once", firings).map(\.ts), [all[0]])
    }

    func testDisabledExpiredAndYoungerAlertsDoNotFire() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        let year2005: Int64 = 1_104_537_600_000
        engine.add(AlertReplay.alert("off", [.priceCrossingUp(1_300)], enabled: false))
        engine.add(AlertReplay.alert("expired", [.priceCrossingUp(1_300)], expiresAt: year2005))
        engine.add(AlertReplay.alert("young", [.priceCrossingUp(1_300)], createdAt: year2005))
        let firings = AlertReplay.replay(engine, history, closedBars: false)
        XCTAssertEqual(AlertReplay.of("off", firings), [])
        XCTAssertFalse(AlertReplay.of("expired", firings).isEmpty)
        XCTAssertTrue(AlertReplay.of("expired", firings).allSatisfy { $0.ts < year2005 })
        XCTAssertFalse(AlertReplay.of("young", firings).isEmpty)
        XCTAssertTrue(AlertReplay.of("young", firings).allSatisfy { $0.ts >= year2005 })
        XCTAssertEqual(engine.removeExpired(now: year2005), ["expired"])
    }

    func testOnlyTheAlertsOfTheTickedSymbolAreJudged() {
        let engine = AlertEngine()
        for i in 0..<1_000 {
            engine.add(AlertReplay.alert("other\(i)", [.priceCrossingUp(1_000 + Double(i))], target: .symbol("NDX")))
        }
        engine.add(AlertReplay.alert("mine", [.priceCrossingUp(1_500)]))
        for i in 0..<40 { engine.add(AlertReplay.alert("far\(i)", [.priceAbove(5_000 + Double(i))])) }
        _ = engine.process(symbol: "SPX", ts: 1, price: 1_400)
        _ = engine.process(symbol: "SPX", ts: 2, price: 1_450)
        XCTAssertEqual(engine.stats.judged, 0, "a quiet tick judges no condition")
        XCTAssertEqual(engine.process(symbol: "SPX", ts: 3, price: 1_550).map(\.alertId), ["mine"])
        XCTAssertEqual(engine.stats.judged, 1, "only the crossed threshold is judged")
        // Ticks of a symbol without alerts cost a lookup.
        _ = engine.process(symbol: "DAX", ts: 4, price: 1_000)
        XCTAssertEqual(engine.stats.values, 3)
    }

    func testRestartKeepsTheSideOfACrossingAndCatchesACrossingWhileDown() throws {
        let history = try AlertReplay.sp500()
        let crossing = AlertReplay.alert("cross", [.priceCrossingUp(1_500)])
        let level = AlertReplay.alert("level", [.priceAbove(1_500)])
        let engine = AlertEngine()
        engine.add(crossing)
        engine.add(level)
        // Up to 2000-03-24: 1,500 was crossed on 2000-03-22 and the price stays above.
        let upTo = history.firstIndex { $0.ts >= 953_856_000_000 }!
        let before = AlertReplay.replay(engine, Array(history[...upTo]), closedBars: false)
        XCTAssertEqual(before.map(\.alertId).sorted(), ["cross", "level"])
        let saved = ["cross": engine.state(of: "cross")!, "level": engine.state(of: "level")!]
        XCTAssertEqual(saved["cross"]?["c0"], history[upTo].close)
        // A restart while above: nothing fires on the next prices above the level.
        let restarted = AlertEngine()
        restarted.add(crossing, state: saved["cross"])
        restarted.add(level, state: saved["level"])
        XCTAssertEqual(restarted.process(symbol: "SPX", ts: history[upTo + 1].ts, price: 1_510), [])
        XCTAssertEqual(restarted.process(symbol: "SPX", ts: history[upTo + 2].ts, price: 1_520), [])
        // Saved while below; the server is down while the price crosses: the first price after restart fires.
        let below = AlertEngine()
        below.add(crossing)
        _ = below.process(symbol: "SPX", ts: history[0].ts, price: history[0].close)
        let state = below.state(of: "cross")!
        XCTAssertEqual(state["c0"], history[0].close)
        let back = AlertEngine()
        back.add(crossing, state: state)
        let after = back.process(symbol: "SPX", ts: history[upTo].ts, price: history[upTo].close)
        XCTAssertEqual(after.map(\.alertId), ["cross"])
        // A fired `once` alert stays fired.
        let once = AlertReplay.alert("once", [.priceCrossingUp(1_500)], trigger: .once)
        let first = AlertEngine()
        first.add(once)
        XCTAssertEqual(AlertReplay.of("once", AlertReplay.replay(first, history, closedBars: false)).count, 1)
        let second = AlertEngine()
        second.add(once, state: first.state(of: "once"))
        XCTAssertEqual(AlertReplay.replay(second, history, closedBars: false), [])
    }

    func testChangedStatesAreHandedOutOnce() {
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("a", [.priceCrossingUp(10)]))
        engine.add(AlertReplay.alert("b", [.priceCrossingUp(10)], target: .symbol("OTHER")))
        _ = engine.process(symbol: "SPX", ts: 1, price: 9)
        XCTAssertEqual(engine.takeChangedStates(), ["a": ["c0": 9]])
        XCTAssertEqual(engine.takeChangedStates(), [:])
        _ = engine.process(symbol: "SPX", ts: 2, price: 11)
        XCTAssertEqual(engine.takeChangedStates(), ["a": ["c0": 11, "firedAt": 2]])
    }
}
