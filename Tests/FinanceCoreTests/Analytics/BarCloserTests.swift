import XCTest

@testable import FinanceCore

final class BarCloserTests: XCTestCase {
    /// 2024-01-01T00:00:00Z
    let day0: Int64 = 1_704_067_200_000

    func bar(_ ts: Int64, _ close: Double, volume: Double = 10) -> Bar {
        Bar(ts: ts, open: close - 1, high: close + 2, low: close - 2, close: close, volume: volume)
    }

    func testRepeatedUpdatesOfTheSameBarCloseNothing() {
        var closer = BarCloser(source: .minute1, target: .minute1)
        for k in 1...10 {
            XCTAssertEqual(closer.update(self.bar(self.day0, 100 + Double(k), volume: Double(k))), [])
        }
        XCTAssertEqual(closer.current?.volume, 10)
        XCTAssertNil(closer.bucket)
        var hourly = BarCloser(source: .minute1, target: .hour1)
        for k in 1...10 { XCTAssertEqual(hourly.update(self.bar(self.day0, 100, volume: Double(k))), []) }
    }

    func testANewerBarClosesTheLatestUpdateAndOlderUpdatesAreIgnored() {
        var closer = BarCloser(source: .minute1, target: .minute1)
        XCTAssertEqual(closer.update(self.bar(self.day0, 100, volume: 1)), [])
        XCTAssertEqual(closer.update(self.bar(self.day0, 101, volume: 5)), [])
        XCTAssertEqual(
            closer.update(self.bar(self.day0 + 60_000, 102, volume: 2)), [self.bar(self.day0, 101, volume: 5)])
        // A late update of the closed minute changes nothing.
        XCTAssertEqual(closer.update(self.bar(self.day0, 150, volume: 9)), [])
        XCTAssertEqual(closer.ignored, 1)
        XCTAssertEqual(closer.current, self.bar(self.day0 + 60_000, 102, volume: 2))
        // A gap closes the open bar too.
        XCTAssertEqual(
            closer.update(self.bar(self.day0 + 600_000, 103)), [self.bar(self.day0 + 60_000, 102, volume: 2)])
    }

    func testHoursAndDaysFromMinutesEqualTheRollupOfTheSameMinutes() {
        var r = SeededRandom(seed: 3)
        // 3 days of minutes starting 00:17, some minutes missing, each minute updated up to three times.
        var minutes: [Bar] = []
        var price = 100.0
        for k in 0..<(3 * 1440) where r.uniform() > 0.1 {
            price *= 1 + 0.001 * r.normal()
            let open = price * (1 + 0.0005 * r.normal())
            minutes.append(
                Bar(
                    ts: self.day0 + 17 * 60_000 + Int64(k) * 60_000, open: open, high: max(open, price) * 1.001,
                    low: min(open, price) * 0.999, close: price, volume: 1 + 100 * r.uniform()))
        }
        var hourly = BarCloser(source: .minute1, target: .hour1)
        var daily = BarCloser(source: .minute1, target: .day1)
        var hours: [Bar] = []
        var days: [Bar] = []
        for m in minutes {
            let updates = r.int(1, 3)
            for u in 1...updates {
                // Partial states of the live minute: the final update is the minute itself.
                var partial = m
                if u < updates {
                    partial.volume = m.volume * Double(u) / Double(updates)
                    partial.close = m.open
                }
                hours += hourly.update(partial)
                days += daily.update(partial)
            }
        }
        let expectedHours = Bucketing.aggregate(minutes, into: .hour1)
        XCTAssertEqual(hours.count, expectedHours.count - 1)
        XCTAssertEqual(hours, Array(expectedHours.dropLast()))
        XCTAssertEqual(days, Array(Bucketing.aggregate(minutes, into: .day1).dropLast()))
        XCTAssertEqual(days.count, 3)  // 00:17 on day 0 to 00:16 on day 3: the fourth day is open
        XCTAssertEqual(hourly.ignored, 0)
    }

    func testDailySourceBarsCloseIntoWeeks() {
        var weekly = BarCloser(source: .day1, target: .week1)
        // 2024-01-01 is a Monday: days 0-6 are one week, day 7 starts the next.
        var out: [Bar] = []
        for d in 0..<8 { out += weekly.update(self.bar(self.day0 + Int64(d) * 86_400_000, 100 + Double(d))) }
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out.first?.ts, self.day0)
        XCTAssertEqual(out.first?.close, 106)
        XCTAssertEqual(out.first?.volume, 70)
    }
}
