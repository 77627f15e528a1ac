import Foundation
import XCTest

@testable import FinanceCore

/// The detector on real daily history: S&P 500 1999–2018 (Tests/Fixtures/real, made by scripts/real_history.py).
final class RealHistoryTests: XCTestCase {
    static func sp500() throws -> [Bar] {
        let base = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/real/sp500_daily.csv")
        let url =
            FileManager.default.fileExists(atPath: base.path)
            ? base : Bundle.module.url(forResource: "Fixtures/real/sp500_daily", withExtension: "csv")!
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",").map { Double($0)! }
            return Bar(ts: Int64(f[0]), open: f[1], high: f[2], low: f[3], close: f[4], volume: f[5])
        }
    }

    func testTheRulesDetectTheShapesOfTwentyYearsOfTheSP500() throws {
        let bars = try Self.sp500()
        XCTAssertEqual(bars.count, 5031)
        let records = PatternDetector(options: .rules).detect(bars: bars)
        let final = PatternDetector.latest(records).filter { $0.status != .forming }
        XCTAssertGreaterThanOrEqual(Set(final.map(\.type)).count, 12)
        XCTAssertGreaterThanOrEqual(final.count, 35)
        // The learned screen holds back the shapes that look like the benchmark's false detections (mostly short
        // and shallow ones); without it every shape the rules accept is reported.
        var open = PatternOptions.rules
        open.screen = nil
        let unscreened = PatternDetector.latest(PatternDetector(options: open).detect(bars: bars)).filter {
            $0.status != .forming
        }
        XCTAssertGreaterThan(unscreened.count, final.count)
        // The head-and-shoulders top of spring–summer 2015, confirmed before the August 2015 drop.
        let may2015: Int64 = 1_430_438_400_000
        let sep2015: Int64 = 1_441_065_600_000
        let hs = final.filter { $0.type == .headAndShoulders && $0.start >= may2015 - 90 * 86_400_000 }
        XCTAssertTrue(hs.contains { $0.status == .confirmed && $0.end < sep2015 && $0.end > may2015 }, "\(hs)")
        for r in final {
            XCTAssertLessThanOrEqual(r.start, r.end)
            XCTAssertTrue((0.05...1).contains(r.confidence), "\(r.id)")
            XCTAssertTrue(r.points.allSatisfy { $0.ts >= r.start && $0.ts <= r.end }, "\(r.id)")
        }
    }

    func testRealHistoryRecordsDoNotDependOnLaterBars() throws {
        let bars = try Self.sp500()
        let all = PatternDetector().detect(bars: bars).filter { $0.status != .forming }
        for n in [1_200, 2_600, 4_100] {
            let prefix = PatternDetector().detect(bars: Array(bars[..<n])).filter { $0.status != .forming }
            XCTAssertEqual(prefix, Array(all.prefix(prefix.count)), "prefix of \(n) bars")
            XCTAssertTrue(all.dropFirst(prefix.count).allSatisfy { $0.end >= bars[n].ts })
        }
    }
}
