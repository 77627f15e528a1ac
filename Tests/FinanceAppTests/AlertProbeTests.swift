import FinanceApp
import FinanceCore
import XCTest

/// `AlertProbe`: each condition read from history and the current value, as `POST /api/alerts/test` answers it.
final class AlertProbeTests: XCTestCase {
    /// 2026-05-28 12:00:30 UTC.
    private let now: Int64 = 1_779_969_630_000

    /// A probe over `hourly` closes (the hours before now), `minutes` closes (the minutes before now) and the
    /// current value `price`.
    private func probe(hourly: [Double], minutes: [Double] = [], price: Double?) -> AlertProbe {
        let now = self.now
        let hours = hourly.enumerated().map { i, close in
            Bar(
                ts: Interval.hour1.bucketStart(now) - Int64(hourly.count - i) * 3_600_000, open: close, high: close,
                low: close, close: close, volume: 10)
        }
        let ones = minutes.enumerated().map { i, close in
            Bar(
                ts: Interval.minute1.bucketStart(now) - Int64(minutes.count - i) * 60_000, open: close, high: close,
                low: close, close: close, volume: 1)
        }
        return AlertProbe(
            history: { request, before in
                Array(hours.filter { $0.ts < before }.suffix(request.bars))
            },
            bars: { _, interval, from, to in
                interval == .minute1 ? ones.filter { $0.ts >= from && $0.ts < to } : []
            },
            current: { target, _ in price.map { AlertProbe.Current(value: $0, ts: now, previousClose: 98) } },
            signals: { _ in [] })
    }

    private func alert(
        _ conditions: [AlertCondition], combine: AlertCombine = .all, target: AlertTarget = .symbol("BTC")
    )
        -> Alert
    {
        Alert(
            id: "a1", owner: "bob", name: "probe", target: target, conditions: conditions, combine: combine,
            trigger: .once, createdAt: self.now, triggeredAt: self.now - 1)
    }

    func testIndicatorsReadFromStoredHistory() async {
        let rising: [Double] = (0..<60).map { i in
            let dip: Double = i % 3 == 0 ? -0.5 : 0
            return 100 + Double(i) + dip
        }
        let conditions: [AlertCondition] = [
            .rsiOverbought(period: 14, level: 70, interval: .hour1),
            .goldenCross(fast: 5, slow: 20, average: .sma, interval: .hour1),
            .rsiOversold(period: 14, level: 30, interval: .hour1),
        ]
        let result = await self.probe(hourly: rising, price: 160).evaluate(self.alert(conditions), now: self.now)
        XCTAssertEqual(result.readings.map(\.condition), ["rsi_overbought", "golden_cross", "rsi_oversold"])
        XCTAssertEqual(result.readings.map(\.holds), [true, true, false])
        XCTAssertGreaterThan(result.readings[0].value ?? 0, 70)
        let fast: Double = (155 + 156 + 156.5 + 158 + 159) / 5
        XCTAssertEqual(result.readings[1].value ?? 0, fast, accuracy: 1e-9, "the fast average")
        XCTAssertFalse(result.matched, "all three: the RSI is not oversold")
        let any = await self.probe(hourly: rising, price: 160).evaluate(
            self.alert(conditions, combine: .any), now: self.now)
        XCTAssertTrue(any.matched)
        // A triggered `once` alert is read all the same: a test asks about the conditions, not the trigger.
        let falling = await self.probe(hourly: rising.reversed(), price: 100).evaluate(
            self.alert(conditions), now: self.now)
        XCTAssertEqual(falling.readings.map(\.holds), [false, false, true])
    }

    func testPriceWindowsAndPreviousClose() async {
        let conditions: [AlertCondition] = [
            .percentChange(percent: 2, window: .minutes(5)), .percentChange(percent: 5, window: .sincePreviousClose),
            .priceCrossingUp(100),
        ]
        let flat = Array(repeating: 100.0, count: 10)
        let up = await self.probe(hourly: [], minutes: flat, price: 103).evaluate(self.alert(conditions), now: self.now)
        XCTAssertEqual(up.readings[0].value ?? 0, 3, accuracy: 1e-9, "103 against 100 five minutes ago")
        XCTAssertEqual(up.readings[1].value ?? 0, (103 - 98) / 98 * 100, accuracy: 1e-9)
        XCTAssertEqual(up.readings.map(\.holds), [true, true, true])
        XCTAssertTrue(up.matched)
        XCTAssertEqual(up.current?.value, 103)
        let little = await self.probe(hourly: [], minutes: flat, price: 101).evaluate(
            self.alert(conditions), now: self.now)
        XCTAssertEqual(little.readings.map(\.holds), [false, false, true])
        XCTAssertFalse(little.matched)
    }

    func testNoDataReadsNothingAndMatchesNothing() async {
        let result = await self.probe(hourly: [], price: nil).evaluate(
            self.alert([.priceAbove(1), .rsiOverbought(period: 14, level: 70, interval: .hour1)], combine: .any),
            now: self.now)
        XCTAssertEqual(result.readings.map(\.value), [nil, nil])
        XCTAssertFalse(result.matched)
        let portfolio = await self.probe(hourly: [], price: 1_500).evaluate(
            self.alert([.portfolioValueAbove(1_000)], target: .portfolio("p1")), now: self.now)
        XCTAssertEqual(
            portfolio.readings, [AlertConditionReading(condition: "portfolio_value_above", value: 1_500, holds: true)])
        XCTAssertTrue(portfolio.matched)
    }
}
