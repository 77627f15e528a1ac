import XCTest

@testable import FinanceCore

/// Percent change, RSI, moving-average crosses, relative volume and patterns on the S&P 500's daily bars.
final class AlertEngineTechnicalTests: XCTestCase {
    func testPercentChangeOverBarsFiresInOctober2008AndNeverForACrashThatDidNotHappen() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(
            AlertReplay.alert("fall", [.percentChange(percent: -20, window: .bars(20, .day1))], trigger: .once))
        engine.add(AlertReplay.alert("never", [.percentChange(percent: -25, window: .bars(5, .day1))]))
        let firings = AlertReplay.replay(engine, history)
        XCTAssertEqual(firings.map(\.alertId), ["fall"])
        // The first 20-day fall of 20%: the bar of 2008-10-08.
        let i = (20..<history.count).first { (history[$0].close / history[$0 - 20].close - 1) * 100 <= -20 }!
        XCTAssertEqual(history[i].ts, 1_223_424_000_000)
        XCTAssertEqual(firings[0].ts, AlertReplay.closeTime(history, i))
        XCTAssertEqual(firings[0].value, (history[i].close / history[i - 20].close - 1) * 100, accuracy: 1e-9)
    }

    func testPercentChangeEdgesMatchAReferenceOnEveryBar() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("rise", [.percentChange(percent: 8, window: .bars(10, .day1))]))
        let firings = AlertReplay.replay(engine, history)
        var expected: [Int64] = []
        var before: Bool?
        for i in 10..<history.count {
            let now = (history[i].close - history[i - 10].close) / history[i - 10].close * 100 >= 8
            if now && before != true { expected.append(AlertReplay.closeTime(history, i)) }
            before = now
        }
        XCTAssertGreaterThan(expected.count, 3)
        XCTAssertEqual(firings.map(\.ts), expected)
    }

    func testPercentChangeSinceThePreviousCloseFiresOn15October2008Only() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("day", [.percentChange(percent: -9, window: .sincePreviousClose)]))
        engine.add(AlertReplay.alert("never", [.percentChange(percent: 12, window: .sincePreviousClose)]))
        let firings = AlertReplay.replay(engine, history, closedBars: false)
        XCTAssertEqual(firings.map(\.alertId), ["day"])
        XCTAssertEqual(firings.first?.ts, 1_224_028_800_000 + AlertReplay.closeOffset)
        XCTAssertEqual(firings.first?.value ?? 0, -9.03, accuracy: 0.01)
    }

    func testPercentChangeOverMinutesUsesThePriceOfThatMinute() throws {
        // The closes as one price a minute: a 20-minute window sees the same change as 20 bars.
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("fall", [.percentChange(percent: -20, window: .minutes(20))], trigger: .once))
        engine.add(AlertReplay.alert("never", [.percentChange(percent: 30, window: .minutes(20))]))
        var firings: [AlertFiring] = []
        for (k, bar) in history.enumerated() {
            firings += engine.process(symbol: "SPX", ts: Int64(k) * 60_000 + 30_000, price: bar.close)
        }
        let i = (20..<history.count).first { (history[$0].close / history[$0 - 20].close - 1) * 100 <= -20 }!
        XCTAssertEqual(firings.map(\.alertId), ["fall"])
        XCTAssertEqual(firings.first?.ts, Int64(i) * 60_000 + 30_000)
    }

    func testRSICrossingsIntoTheZonesMatchTheBatchRSI() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("hot", [.rsiOverbought(period: 14, level: 70, interval: .day1)]))
        engine.add(AlertReplay.alert("cold", [.rsiOversold(period: 14, level: 30, interval: .day1)]))
        engine.add(AlertReplay.alert("never", [.rsiOverbought(period: 14, level: 99, interval: .day1)]))
        engine.add(AlertReplay.alert("hourly", [.rsiOverbought(period: 14, level: 70, interval: .hour1)]))
        let firings = AlertReplay.replay(engine, history)
        let rsi = IndicatorEngine.compute([try IndicatorSpec(.rsi, [14])], on: try OHLCVSeries(bars: history))[0].values
        var hot: [Int64] = []
        var cold: [Int64] = []
        for i in 1..<history.count where rsi[i - 1].isFinite {
            if rsi[i - 1] < 70 && rsi[i] >= 70 { hot.append(AlertReplay.closeTime(history, i)) }
            if rsi[i - 1] > 30 && rsi[i] <= 30 { cold.append(AlertReplay.closeTime(history, i)) }
        }
        XCTAssertGreaterThan(hot.count, 10)
        XCTAssertGreaterThan(cold.count, 10)
        XCTAssertEqual(AlertReplay.of("hot", firings).map(\.ts), hot)
        XCTAssertEqual(AlertReplay.of("cold", firings).map(\.ts), cold)
        XCTAssertEqual(AlertReplay.of("never", firings), [])
        XCTAssertEqual(AlertReplay.of("hourly", firings), [], "no hourly bars were fed")
        let first = AlertReplay.of("hot", firings)[0]
        XCTAssertEqual(first.condition, "rsi_overbought")
        XCTAssertGreaterThanOrEqual(first.value, 70)
        XCTAssertTrue(first.event.hasPrefix("bar:1d:"))
    }

    func testGoldenAndDeathCrossesMatchTheBatchAverages() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("golden", [.goldenCross(fast: 50, slow: 200, average: .sma, interval: .day1)]))
        engine.add(AlertReplay.alert("death", [.deathCross(fast: 50, slow: 200, average: .sma, interval: .day1)]))
        engine.add(AlertReplay.alert("ema", [.goldenCross(fast: 21, slow: 50, average: .ema, interval: .day1)]))
        // Created after the last bar closed: the same crosses never fire it.
        let end = AlertReplay.closeTime(history, history.count - 1)
        engine.add(
            AlertReplay.alert(
                "late", [.goldenCross(fast: 50, slow: 200, average: .sma, interval: .day1)], createdAt: end + 1))
        let firings = AlertReplay.replay(engine, history)
        let series = try OHLCVSeries(bars: history)
        func crosses(_ kind: IndicatorKind, _ fast: Int, _ slow: Int, up: Bool) throws -> [Int64] {
            let columns = IndicatorEngine.compute(
                [try IndicatorSpec(kind, [Double(fast)]), try IndicatorSpec(kind, [Double(slow)])], on: series)
            let spread = zip(columns[0].values, columns[1].values).map { $0 - $1 }
            return (1..<history.count).compactMap { i in
                guard spread[i - 1].isFinite else { return nil }
                let crossed = up ? spread[i - 1] < 0 && spread[i] >= 0 : spread[i - 1] > 0 && spread[i] <= 0
                return crossed ? AlertReplay.closeTime(history, i) : nil
            }
        }
        let golden = try crosses(.sma, 50, 200, up: true)
        let death = try crosses(.sma, 50, 200, up: false)
        XCTAssertGreaterThanOrEqual(golden.count, 5)
        XCTAssertGreaterThanOrEqual(death.count, 5)
        XCTAssertEqual(AlertReplay.of("golden", firings).map(\.ts), golden)
        XCTAssertEqual(AlertReplay.of("death", firings).map(\.ts), death)
        XCTAssertEqual(AlertReplay.of("ema", firings).map(\.ts), try crosses(.ema, 21, 50, up: true))
        XCTAssertEqual(AlertReplay.of("late", firings), [])
        // The 2003 golden cross after the dot-com bear market.
        XCTAssertTrue(golden.contains { $0 > 1_041_379_200_000 && $0 < 1_072_915_200_000 })
    }

    func testVolumeAnomalyFiresWhenTheBarsOwnRelativeVolumeReachesTheRatio() throws {
        let history = try AlertReplay.sp500()
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("surge", [.volumeAnomaly(ratio: 1.8, lookback: 20, interval: .day1)]))
        engine.add(AlertReplay.alert("never", [.volumeAnomaly(ratio: 3, lookback: 20, interval: .day1)]))
        let firings = AlertReplay.replay(engine, history)
        var expected: [Int64] = []
        var before: Bool?
        for i in 20..<history.count {
            let mean = history[(i - 20)..<i].map(\.volume).reduce(0, +) / 20
            let now = history[i].volume / mean >= 1.8
            if now && before != true { expected.append(AlertReplay.closeTime(history, i)) }
            before = now
        }
        XCTAssertGreaterThan(expected.count, 3)
        XCTAssertEqual(AlertReplay.of("surge", firings).map(\.ts), expected)
        XCTAssertEqual(AlertReplay.of("never", firings), [])
    }

    func testPatternSignalsOfTheLiveAnalyzerFireMatchingPatternAlerts() throws {
        let history = try AlertReplay.sp500()
        var analyzer = LiveSeriesAnalyzer(symbol: "SPX", source: .day1, target: .day1)
        var signals: [AnalyticsEvent] = []
        for bar in history { signals += analyzer.analyze(closed: bar) }
        let patterns = signals.compactMap { signal -> PatternDetection? in
            if case .pattern(_, _, let p) = signal { return p }
            return nil
        }
        let confirmed = patterns.filter { $0.status == .confirmed }
        let type = try XCTUnwrap(confirmed.first?.type)
        let engine = AlertEngine()
        engine.add(AlertReplay.alert("shape", [.pattern(types: [type], status: .confirmed, interval: .day1)]))
        engine.add(AlertReplay.alert("hourly", [.pattern(types: [type], status: .confirmed, interval: .hour1)]))
        let absent = PatternType.allCases.first { t in !patterns.contains { $0.type == t } }
        if let absent {
            engine.add(AlertReplay.alert("absent", [.pattern(types: [absent], status: .confirmed, interval: .day1)]))
        }
        var firings: [AlertFiring] = []
        for signal in signals { firings += engine.process(signal: signal) }
        let expected = confirmed.filter { $0.type == type }
        XCTAssertEqual(AlertReplay.of("shape", firings).map(\.ts), expected.map { $0.end + 86_400_000 })
        XCTAssertEqual(
            AlertReplay.of("shape", firings).map(\.event), expected.map { "pattern:1d:\($0.id):confirmed" })
        XCTAssertEqual(AlertReplay.of("hourly", firings), [])
        XCTAssertEqual(AlertReplay.of("absent", firings), [])
        // A signal about a bar that closed before the alert existed never fires it.
        let young = AlertEngine()
        young.add(
            AlertReplay.alert(
                "young", [.pattern(types: [type], status: .confirmed, interval: .day1)],
                createdAt: expected[0].end + 86_400_000 + 1))
        XCTAssertEqual(young.process(signal: .pattern(symbol: "SPX", interval: .day1, pattern: expected[0])), [])
    }
}
