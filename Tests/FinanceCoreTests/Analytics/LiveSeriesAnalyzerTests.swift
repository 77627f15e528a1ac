import FinanceBenchmarks
import Foundation
import XCTest

@testable import FinanceCore

final class LiveSeriesAnalyzerTests: XCTestCase {
    /// The first generated benchmark series whose batch detection has a final head-and-shoulders or double top.
    static func seriesWithPattern() -> [Bar] {
        let wanted: Set<PatternType> = [.headAndShoulders, .doubleTop, .inverseHeadAndShoulders, .doubleBottom]
        for series in PatternBenchmark.generate(PatternBenchConfig(seed: 1, series: 21)) {
            let closed = Array(series.bars.dropLast())
            if PatternDetector.detect(bars: closed).contains(where: {
                wanted.contains($0.type) && $0.status != .forming
            }) {
                return series.bars
            }
        }
        return []
    }

    /// What the batch detectors report on `closed`, as events: final pattern records, then anomalies.
    static func batch(_ closed: [Bar], symbol: String, interval: Interval) -> (
        patterns: [AnalyticsEvent], anomalies: [AnalyticsEvent]
    ) {
        let patterns = PatternDetector.detect(bars: closed).filter { $0.status != .forming }.map {
            AnalyticsEvent.pattern(symbol: symbol, interval: interval, pattern: $0)
        }
        let anomalies = AnomalyDetector().detect(bars: closed).map {
            AnalyticsEvent.anomaly(symbol: symbol, interval: interval, anomaly: $0)
        }
        return (patterns, anomalies)
    }

    func testEventsEqualBatchDetectionOnTheClosedBars() throws {
        let bars = Self.seriesWithPattern()
        XCTAssertGreaterThan(bars.count, 50, "the benchmark generator should give a series with a final pattern")
        var analyzer = LiveSeriesAnalyzer(symbol: "GEN", source: .day1, target: .day1)
        var events: [AnalyticsEvent] = []
        for bar in bars {
            // Each day arrives as three growing updates; only the last one may count.
            var first = bar
            first.high = max(bar.open, bar.close)
            first.low = min(bar.open, bar.close)
            first.volume = bar.volume / 3
            events += analyzer.update(first)
            events += analyzer.update(bar)
            events += analyzer.update(bar)
        }
        let expected = Self.batch(Array(bars.dropLast()), symbol: "GEN", interval: .day1)
        XCTAssertFalse(expected.patterns.isEmpty)
        XCTAssertEqual(events.filter { $0.kind == .pattern }, expected.patterns)
        XCTAssertEqual(events.filter { $0.kind == .anomaly }, expected.anomalies)
        XCTAssertEqual(analyzer.analyzed, bars.count - 1)
        for event in events {
            guard case .pattern(_, _, let record) = event else { continue }
            XCTAssertNotEqual(record.status, .forming)
        }
    }

    func testHourlyEventsFromMinutesEqualBatchOnTheRollup() {
        var minutes = PatternBenchmark.randomWalk(count: 150 * 60, seed: 4, sigma: 0.002)
        // Hour 120 trades ten times the usual volume.
        let surgeHour = Interval.hour1.bucketStart(minutes[0].ts) + 120 * 3_600_000
        for i in minutes.indices where Interval.hour1.bucketStart(minutes[i].ts) == surgeHour {
            minutes[i].volume *= 10
        }
        var analyzer = LiveSeriesAnalyzer(symbol: "RW", source: .minute1, target: .hour1)
        var events: [AnalyticsEvent] = []
        for m in minutes { events += analyzer.update(m) }
        let hours = Array(Bucketing.aggregate(minutes, into: .hour1).dropLast())
        let expected = Self.batch(hours, symbol: "RW", interval: .hour1)
        XCTAssertEqual(events.filter { $0.kind == .pattern }, expected.patterns)
        XCTAssertEqual(events.filter { $0.kind == .anomaly }, expected.anomalies)
        XCTAssertTrue(
            events.contains {
                if case .anomaly(_, .hour1, let a) = $0 { return a.type == .volumeSurge && a.ts == surgeHour }
                return false
            }, "\(events.map(\.ts))")
    }

    func testWarmUpReturnsNothingButGivesTheDetectorsTheirHistory() {
        let bars = Self.seriesWithPattern()
        let split = bars.count / 2
        var analyzer = LiveSeriesAnalyzer(symbol: "GEN", source: .day1, target: .day1)
        analyzer.warmUp(bars: Array(bars[..<split]))
        XCTAssertEqual(analyzer.analyzed, split)
        var events: [AnalyticsEvent] = []
        // A replayed warm-up bar is skipped; the live bars continue the same streams.
        events += analyzer.update(bars[split - 1])
        for bar in bars[split...] { events += analyzer.update(bar) }
        let all = Self.batch(Array(bars.dropLast()), symbol: "GEN", interval: .day1)
        let live = bars[split].ts
        XCTAssertEqual(events.filter { $0.kind == .pattern }, all.patterns.filter { $0.ts >= live })
        XCTAssertEqual(events.filter { $0.kind == .anomaly }, all.anomalies.filter { $0.ts >= live })
        // Without warm-up the same live bars have no baseline, so the results differ.
        var cold = LiveSeriesAnalyzer(symbol: "GEN", source: .day1, target: .day1)
        var coldEvents: [AnalyticsEvent] = []
        for bar in bars[split...] { coldEvents += cold.update(bar) }
        XCTAssertNotEqual(coldEvents, events)
    }
}
