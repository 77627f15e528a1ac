import FinanceBenchmarks
import XCTest

@testable import FinanceCore

/// Textbook shapes are found by the default method: every chart-pattern type, drawn as its clean piecewise-linear
/// template (the benchmark generator's, `PatternBenchmark.template` on `PatternEngine.Shapes`) of 50–150 bars and 10–20 %
/// of price high, with noise of at most 3 % of its height, inside a random walk of σ 1 % per bar (docs/patterns.md,
/// "Textbook shapes" and "Textbook fits").
final class TextbookShapeTests: XCTestCase {
    static let day: Int64 = 86_400_000
    static let t0: Int64 = 1_577_836_800_000
    /// Every chart-pattern type (not support, resistance or trend lines).
    static let chartTypes = PatternType.allCases.filter { !$0.isLine }
    /// The pattern lengths drawn for every type.
    static let lengths = [50, 75, 100, 125, 150]

    /// One drawn shape: a random walk, the template over `length` bars, a random walk.
    struct Drawn {
        var bars: [Bar]
        /// Bar indices of the template's first and last bar.
        var truth: ClosedRange<Int>
        var height: Double
    }

    /// The shape of `type` over `length` bars, `height` × price high, with uniform noise in ±`noise` × height, after
    /// 60–100 bars of a log random walk of σ `sigma` per bar and before 40–60 more. Deterministic in `seed`.
    static func draw(
        _ type: PatternType, length: Int, seed: UInt64, noise: Double = 0.03, sigma: Double = 0.01
    ) -> Drawn {
        var r = SeededRandom(seed: seed)
        var bars: [Bar] = []
        var price = 100.0
        func push(_ close: Double) {
            let open = bars.last?.close ?? close
            let wick = 0.25 * sigma * close
            bars.append(
                Bar(
                    ts: t0 + Int64(bars.count) * day, open: open, high: max(open, close) + abs(r.normal()) * wick,
                    low: min(open, close) - abs(r.normal()) * wick, close: close, volume: 1_000_000))
        }
        func walk(_ k: Int) {
            for _ in 0..<k {
                price *= exp(sigma * r.normal())
                push(price)
            }
        }
        walk(r.int(60, 100))
        let tpl = PatternBenchmark.template(type, &r)
        let lo = tpl.pts.map(\.1).min()!
        let hi = tpl.pts.map(\.1).max()!
        let height = price * r.uniform(0.10, 0.20)
        let scale = height / (hi - lo)
        let base = price
        let y0 = tpl.pts[0].1
        let start = bars.count - 1  // the template's first knot is the walk's last close
        var seg = 0
        for k in 1..<length {
            let x = Double(k) / Double(length - 1)
            while seg < tpl.pts.count - 2 && x > tpl.pts[seg + 1].0 { seg += 1 }
            let (xa, ya) = tpl.pts[seg]
            let (xb, yb) = tpl.pts[seg + 1]
            let y = xb > xa ? ya + (yb - ya) * (x - xa) / (xb - xa) : yb
            push(base + (y - y0) * scale + r.uniform(-noise, noise) * height)
        }
        price = bars.last!.close
        walk(r.int(40, 60))
        return Drawn(bars: bars, truth: start...(start + length - 1), height: height)
    }

    /// The final records of the default method that have `type` and overlap the truth by at least half its length,
    /// and every final record as "type[first bar-last bar]" (for messages).
    static func found(_ type: PatternType, in drawn: Drawn, options: PatternOptions = PatternOptions()) -> (
        hits: [PatternDetection], reported: String
    ) {
        let records = PatternDetector.latest(PatternDetector(options: options).detect(bars: drawn.bars)).filter {
            $0.status != .forming
        }
        let hits = records.filter { d in
            let overlap = min(index(d.end), drawn.truth.upperBound) - max(index(d.start), drawn.truth.lowerBound) + 1
            return d.type == type && 2 * overlap >= drawn.truth.count
        }
        let reported = records.map { "\($0.type.rawValue)[\(index($0.start))-\(index($0.end))]" }
        return (hits, "\(reported) truth \(drawn.truth)")
    }

    static func index(_ ts: Int64) -> Int { Int((ts - t0) / day) }

    func testTheDefaultMethodIsTemplateMatching() {
        XCTAssertEqual(PatternOptions().method, .templates)
        XCTAssertEqual(PatternDetector().options.method, .templates)
        XCTAssertEqual(PatternOptions.rules.method, .rules)
    }

    /// All 85 shapes (17 types × 5 lengths) are reported with their type, once: the model's window and a textbook fit
    /// of the same type never both report one shape.
    func testTextbookShapesOfEveryChartTypeInARandomWalkAreAllFound() {
        XCTAssertEqual(Self.chartTypes.count, 17)
        for (t, type) in Self.chartTypes.enumerated() {
            for (l, length) in Self.lengths.enumerated() {
                let drawn = Self.draw(type, length: length, seed: UInt64(1_000 + 10 * t + l))
                let (hits, reported) = Self.found(type, in: drawn)
                XCTAssertEqual(hits.count, 1, "\(type.rawValue) \(length): \(reported)")
                for h in hits {
                    XCTAssertEqual(h.status, .confirmed)
                    XCTAssertGreaterThanOrEqual(h.confidence, 0.5)
                    // The span is the shape's, within a tenth of its length at either end.
                    XCTAssertLessThanOrEqual(abs(Self.index(h.start) - drawn.truth.lowerBound), length / 10)
                    XCTAssertLessThanOrEqual(
                        abs(h.points.last.map { Self.index($0.ts) }! - drawn.truth.upperBound), length / 10)
                }
            }
        }
    }

    /// Without textbook fits the model alone misses many of them (the shapes are cleaner than anything it learned):
    /// the fits are what finds them.
    func testWithoutTextbookFitsTheModelAloneMissesManyShapes() {
        var off = PatternOptions()
        off.textbookNoise = 0
        var missed = 0
        for (t, type) in Self.chartTypes.enumerated() {
            for (l, length) in Self.lengths.enumerated() {
                let drawn = Self.draw(type, length: length, seed: UInt64(1_000 + 10 * t + l))
                if Self.found(type, in: drawn, options: off).hits.isEmpty { missed += 1 }
            }
        }
        XCTAssertGreaterThanOrEqual(missed, 30)
    }

    /// Shapes drawn with the benchmark's noise (uniform within ±17 % of the height, σ ≈ 10 %) are left to the model:
    /// no textbook fit is made, and the records are those of the model alone.
    func testNoisyShapesAreLeftToTheModel() {
        var off = PatternOptions()
        off.textbookNoise = 0
        for (t, type) in Self.chartTypes.enumerated() {
            let drawn = Self.draw(type, length: 100, seed: UInt64(2_000 + t), noise: 0.17)
            let on = PatternDetector().detect(bars: drawn.bars)
            XCTAssertFalse(on.contains { $0.id.contains(":x") }, "\(type.rawValue)")
            XCTAssertEqual(on, PatternDetector(options: off).detect(bars: drawn.bars), "\(type.rawValue)")
        }
    }

    /// On a pattern-free random walk textbook fits change nothing: no fit is clean enough.
    func testTextbookFitsChangeNothingOnARandomWalk() {
        let bars = PatternBenchmark.randomWalk(count: 20_000, seed: 11, sigma: 0.01, stepMs: 86_400_000)
        var off = PatternOptions()
        off.textbookNoise = 0
        let on = PatternDetector().detect(bars: bars)
        XCTAssertFalse(on.contains { $0.id.contains(":x") })
        XCTAssertEqual(on, PatternDetector(options: off).detect(bars: bars))
    }

    /// A long series of textbook shapes gives the same records scanned ahead on all cores (a piece of 4,096 bars or
    /// more) as bar by bar, and the same whether reading starts at its first bar or later.
    func testTextbookFitsAreTheSameInBatchesAndBarByBar() {
        var bars: [Bar] = []
        for (t, type) in Self.chartTypes.enumerated() {
            for length in [75, 150] {
                let drawn = Self.draw(type, length: length, seed: UInt64(3_000 + 10 * t + length))
                let shift = (bars.last?.ts ?? Self.t0 - Self.day) + Self.day - drawn.bars[0].ts
                let scale = (bars.last?.close ?? drawn.bars[0].close) / drawn.bars[0].close
                bars += drawn.bars.map {
                    Bar(
                        ts: $0.ts + shift, open: $0.open * scale, high: $0.high * scale, low: $0.low * scale,
                        close: $0.close * scale, volume: $0.volume)
                }
            }
        }
        XCTAssertGreaterThan(bars.count, 8_000)
        var batch = PatternStream(options: PatternOptions())
        // The first piece is scanned ahead on all cores, the second (under 4,096 bars) bar by bar.
        let ahead = batch.appendFinal(bars[..<4_096]) + batch.appendFinal(bars[4_096...])
        var single = PatternStream(options: PatternOptions())
        var byBar: [PatternDetection] = []
        for b in bars { byBar += single.append(b).filter { $0.status != .forming } }
        XCTAssertEqual(ahead, byBar)
        let textbook = byBar.filter { $0.id.contains(":x") }
        XCTAssertGreaterThanOrEqual(textbook.count, 10)
        // Reading from a later bar on gives the same chart records once the windows before them are read (levels
        // and lines differ in their last digits through the ATR: PatternTemplateTests).
        let settled = bars[1_000].ts
        func charts(_ bars: ArraySlice<Bar>) -> [PatternDetection] {
            PatternDetector().detect(bars: Array(bars)).filter { $0.start >= settled && !$0.type.isLine }
        }
        let full = charts(bars[...])
        XCTAssertTrue(full.contains { $0.id.contains(":x") })
        for drop in [1, 7, 400] { XCTAssertEqual(charts(bars[drop...]), full, "reading from bar \(drop)") }
    }

    /// The drawing keeps its promises: the template's closes stay within 3 % of its height of the clean shape,
    /// the height is 10–20 % of the price at its start, and the same seed draws the same bars.
    func testTheDrawingIsDeterministicAndWithinItsBounds() {
        for type in Self.chartTypes {
            let a = Self.draw(type, length: 100, seed: 7)
            let clean = Self.draw(type, length: 100, seed: 7, noise: 0)
            XCTAssertEqual(a.bars, Self.draw(type, length: 100, seed: 7).bars)
            XCTAssertEqual(a.truth, clean.truth)
            let startPrice = a.bars[a.truth.lowerBound].close
            XCTAssertTrue((0.10...0.20).contains(a.height / startPrice), "\(type)")
            for i in a.truth.dropFirst() {
                XCTAssertLessThanOrEqual(abs(a.bars[i].close - clean.bars[i].close), 0.03 * a.height + 1e-9)
            }
        }
    }
}
