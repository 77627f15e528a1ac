import FinanceBenchmarks
import XCTest

@_spi(Benchmarks) @testable import FinanceCore

final class PatternTests: XCTestCase {
    static let day: Int64 = 86_400_000
    static let t0: Int64 = 1_577_836_800_000

    /// A clean series: a flat-ish lead, the template over `d` bars (height 10 on a base of 100, small seeded
    /// noise), then a drift in the breakout direction. Returns bars and the truth span (bar indices).
    func series(_ type: PatternType, d: Int = 80, noise: Double = 0.02, seed: UInt64 = 1) -> ([Bar], ClosedRange<Int>) {
        var r = SeededRandom(seed: seed)
        let tpl = PatternBenchmark.template(type, &r)
        var closes: [Double] = []
        for k in 0..<40 { closes.append(100 - 0.01 * Double(40 - k)) }
        let firstUp = tpl.pts[1].1 > tpl.pts[0].1
        let lead = 10
        for k in 1...lead { closes.append(100 + (firstUp ? 3.5 : -3.5) * (1 - Double(k) / Double(lead))) }
        let start = closes.count - 1
        var lo = Double.infinity
        var hi = -Double.infinity
        for p in tpl.pts {
            lo = min(lo, p.1)
            hi = max(hi, p.1)
        }
        let scale = 10 / (hi - lo)
        var seg = 0
        for k in 1..<d {
            let x = Double(k) / Double(d - 1)
            while seg < tpl.pts.count - 2 && x > tpl.pts[seg + 1].0 { seg += 1 }
            let (xa, ya) = tpl.pts[seg]
            let (xb, yb) = tpl.pts[seg + 1]
            let y = ya + (yb - ya) * (x - xa) / (xb - xa)
            closes.append(100 + (y - tpl.pts[0].1) * scale + noise * 10 * r.normal())
        }
        let last = closes.last!
        let slope = (closes[closes.count - 1] - closes[closes.count - 3]) / 2
        for k in 1...30 { closes.append(last + slope * Double(k) * 0.5) }
        var bars: [Bar] = []
        for (i, c) in closes.enumerated() {
            let o = i == 0 ? c : closes[i - 1]
            bars.append(
                Bar(
                    ts: Self.t0 + Int64(i) * Self.day, open: o, high: max(o, c) + 0.05, low: min(o, c) - 0.05, close: c,
                    volume: 1000))
        }
        let s = start + Int((tpl.s * Double(d - 1)).rounded())
        let e = start + Int((tpl.e * Double(d - 1)).rounded())
        return (bars, s...e)
    }

    func index(_ ts: Int64) -> Int { Int((ts - Self.t0) / Self.day) }

    func assertDetected(_ type: PatternType, file: StaticString = #filePath, line: UInt = #line) {
        let (bars, span) = series(type)
        let recs = PatternDetector.latest(PatternDetector.detect(bars: bars, options: .rules)).filter {
            $0.status != .forming
        }
        let hit = recs.first { d in
            guard d.type == type else { return false }
            let a = index(d.start)
            let b = index(d.end)
            let ov = min(b, span.upperBound) - max(a, span.lowerBound) + 1
            return 2 * ov >= span.count && (b - a + 1) <= 2 * span.count
        }
        XCTAssertNotNil(
            hit,
            "\(type) not found in \(recs.map { "\($0.type.rawValue)[\(index($0.start))-\(index($0.end))]" }) truth \(span)",
            file: file, line: line)
        if let h = hit {
            XCTAssertTrue((0...1).contains(h.confidence), file: file, line: line)
            XCTAssertFalse(h.points.isEmpty, file: file, line: line)
        }
    }

    func testHeadAndShouldersFamily() {
        assertDetected(.headAndShoulders)
        assertDetected(.inverseHeadAndShoulders)
    }

    func testMinimumConfidenceHidesWeakShapes() {
        let (bars, _) = series(.headAndShoulders)
        func found(_ options: PatternOptions) -> [PatternDetection] {
            PatternDetector(options: options).detect(bars: bars).filter {
                $0.type == .headAndShoulders && $0.status != .forming
            }
        }
        let shown = found(PatternOptions.rules)
        XCTAssertFalse(shown.isEmpty)
        XCTAssertTrue(shown.allSatisfy { $0.confidence >= 0.7 })
        var strict = PatternOptions.rules
        strict.minConfidence[.headAndShoulders] = 1.01
        XCTAssertTrue(found(strict).isEmpty)
        // With no thresholds, weaker shapes of the types that have one appear too.
        var open = PatternOptions.rules
        open.minConfidence = [:]
        XCTAssertGreaterThanOrEqual(found(open).count, shown.count)
        XCTAssertNil(PatternOptions.defaultMinConfidence[.cupAndHandle])
    }

    func testDoubleTopAndBottom() {
        assertDetected(.doubleTop)
        assertDetected(.doubleBottom)
    }

    func testTrianglesWedgesChannels() {
        assertDetected(.ascendingTriangle)
        assertDetected(.descendingTriangle)
        assertDetected(.risingWedge)
        assertDetected(.fallingWedge)
        assertDetected(.channelUp)
        assertDetected(.channelDown)
        assertDetected(.channelHorizontal)
    }

    func testFlagsPennantsAndSymmetricalTriangle() {
        assertDetected(.bullFlag)
        assertDetected(.bearFlag)
        assertDetected(.bullPennant)
        assertDetected(.bearPennant)
        assertDetected(.symmetricalTriangle)
    }

    /// Turning points of one shape come at a steady pace: the longest leg at most 3x the shortest (counted as at
    /// least 3 bars).
    func testRegularLegs() {
        func pv(_ idx: [Int]) -> [PatternEngine.PV] {
            idx.enumerated().map { PatternEngine.PV(i: $0.element, v: 0, p: 0, hi: $0.offset % 2 == 1) }
        }
        XCTAssertTrue(PatternEngine.regularLegs(pv([0, 10, 20, 28, 40])))
        XCTAssertTrue(PatternEngine.regularLegs(pv([0, 2, 4, 13])))  // short legs count as 3 bars: 9 <= 3 * 3
        XCTAssertFalse(PatternEngine.regularLegs(pv([0, 30, 35, 42, 50])))  // 30 > 3 * 5
    }

    func testLevelsAndCup() {
        assertDetected(.support)
        assertDetected(.resistance)
        assertDetected(.cupAndHandle)
    }

    func testHeadAndShouldersLifecycle() throws {
        let (bars, _) = series(.headAndShoulders)
        let recs = PatternDetector.detect(bars: bars, options: .rules).filter { $0.type == .headAndShoulders }
        let completed = try XCTUnwrap(recs.first { $0.status == .completed })
        let confirmed = try XCTUnwrap(recs.first { $0.status == .confirmed && $0.id == completed.id })
        XCTAssertEqual(confirmed.start, completed.start)
        XCTAssertGreaterThan(confirmed.end, completed.end)
        XCTAssertEqual(completed.direction, .bearish)
        XCTAssertEqual(completed.points.count, 6)
        XCTAssertLessThan(confirmed.target, confirmed.breakout)
        // The confirming bar closed below the neckline value it reports.
        let bar = try XCTUnwrap(bars.first { $0.ts == confirmed.end })
        XCTAssertLessThan(bar.close, confirmed.breakout)
    }

    func testPatternFreeNoiseGivesFewDetections() {
        let bars = PatternBenchmark.randomWalk(count: 5000, seed: 3, sigma: 0.015, stepMs: Self.day)
        let recs = PatternDetector.latest(PatternDetector.detect(bars: bars, options: .rules)).filter {
            $0.status != .forming && !$0.type.isLine
        }
        // docs/patterns.md states about 7 chart patterns per 1,000 bars on a daily random walk; allow a margin.
        XCTAssertLessThan(Double(recs.count) / 5.0, 20)
    }

    /// Append-only and no look-ahead: every final record of a prefix run reappears unchanged, in the same
    /// order, in a run over a longer series.
    func testPrefixRecordsAreIdenticalInLongerRun() {
        let data = PatternBenchmark.generate(PatternBenchConfig(seed: 5, series: 42))
        var bars: [Bar] = []
        for s in data.prefix(10) {
            let shift = (bars.last?.ts ?? 0) + Self.day - s.bars[0].ts
            let scale = (bars.last?.close ?? s.bars[0].close) / s.bars[0].close
            for b in s.bars {
                bars.append(
                    Bar(
                        ts: b.ts + shift, open: b.open * scale, high: b.high * scale, low: b.low * scale,
                        close: b.close * scale, volume: b.volume))
            }
        }
        let full = PatternDetector.detect(bars: bars, options: .rules).filter { $0.status != .forming }
        XCTAssertGreaterThan(full.count, 5)
        for n in [200, 537, 1000, bars.count - 7] {
            let pre = PatternDetector.detect(bars: Array(bars.prefix(n)), options: .rules).filter {
                $0.status != .forming
            }
            XCTAssertEqual(pre, Array(full.prefix(pre.count)), "prefix \(n)")
            XCTAssertTrue(full.dropFirst(pre.count).allSatisfy { $0.end > bars[n - 1].ts }, "prefix \(n)")
        }
    }

    func testStreamingMatchesBatchAndNeverLooksAhead() {
        let bars = PatternBenchmark.generate(PatternBenchConfig(seed: 2, series: 21)).flatMap(\.bars)
            .enumerated().map { i, b in
                Bar(
                    ts: Self.t0 + Int64(i) * Self.day, open: b.open, high: b.high, low: b.low, close: b.close,
                    volume: b.volume)
            }
        var stream = PatternStream(options: .rules)
        var finals: [PatternDetection] = []
        var seen: [String: PatternDetection] = [:]
        for b in bars {
            for r in stream.append(b) {
                XCTAssertEqual(r.end, b.ts, "a record is stamped with the bar it was reported at")
                XCTAssertTrue(r.points.allSatisfy { $0.ts <= b.ts })
                XCTAssertLessThanOrEqual(r.start, r.end)
                if r.status != .forming {
                    if let prev = seen[r.id] {
                        XCTAssertEqual(prev.type, r.type)
                        XCTAssertEqual(prev.start, r.start)
                        XCTAssertEqual(prev.status, .completed, "only completed records are followed by another")
                    }
                    seen[r.id] = r
                    finals.append(r)
                }
            }
        }
        let batch = PatternDetector.detect(bars: bars, options: .rules)
        XCTAssertEqual(batch.filter { $0.status != .forming }, finals)
        XCTAssertEqual(batch.filter { $0.status == .forming }, stream.forming)
    }

    func testSVGChart() {
        let (bars, _) = series(.headAndShoulders)
        let svg = PatternChart.svg(
            bars: bars, detections: PatternDetector.latest(PatternDetector.detect(bars: bars, options: .rules)))
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertTrue(svg.contains("head_and_shoulders"))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
    }

    func testBadBarsIgnoredAndQueryHelpers() {
        let (bars, _) = series(.doubleTop)
        var dirty = bars
        dirty.insert(Bar(ts: bars[60].ts + 1, open: 1, high: .infinity, low: 1, close: 1, volume: 1), at: 61)
        dirty.insert(bars[10], at: 80)
        XCTAssertEqual(
            PatternDetector.detect(bars: dirty, options: .rules), PatternDetector.detect(bars: bars, options: .rules))
        XCTAssertTrue(PatternDetector.detect(bars: [], options: .rules).isEmpty)
        XCTAssertTrue(PatternDetector.detect(bars: Array(bars.prefix(5)), options: .rules).isEmpty)
        XCTAssertEqual(PatternType.parseList("double_top,support"), [.doubleTop, .support])
        XCTAssertNil(PatternType.parseList("double_top,triple_top"))
        XCTAssertEqual(PatternStatus.parseList("confirmed"), [.confirmed])
        XCTAssertEqual(PatternType.parseList(" double_top , support,"), [.doubleTop, .support])
        for empty in ["", ",", " , ,"] {
            XCTAssertNil(PatternType.parseList(empty), empty)
            XCTAssertTrue(
                PatternType.listProblem(empty).hasPrefix("names nothing: use one or more of head_and_shoulders"))
        }
        XCTAssertTrue(PatternStatus.listProblem("done").hasPrefix("unknown value in 'done': use forming, completed"))
        let recs = PatternDetector.detect(bars: bars, options: .rules)
        let f = PatternDetector.filter(recs, from: bars[50].ts, types: [.doubleTop], statuses: [.confirmed])
        XCTAssertTrue(f.allSatisfy { $0.type == .doubleTop && $0.status == .confirmed && $0.end >= bars[50].ts })
        XCTAssertFalse(f.isEmpty)
    }

    func testBoundedMemoryDoesNotChangeResults() {
        let bars = PatternBenchmark.randomWalk(count: 12_000, seed: 8, sigma: 0.01, stepMs: Self.day)
        var trimmed = PatternStream(options: .rules)
        var full = PatternStream(options: .rules)
        full.engine.trimming = false
        var a: [PatternDetection] = []
        var b: [PatternDetection] = []
        for x in bars {
            a += trimmed.append(x)
            b += full.append(x)
        }
        XCTAssertEqual(a, b)
        XCTAssertGreaterThan(a.count, 50)
        XCTAssertLessThan(trimmed.engine.bars.items.count, 4000)
        XCTAssertEqual(trimmed.count, 12_000)
    }
}
