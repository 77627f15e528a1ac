import FinanceBenchmarks
import XCTest

@testable import FinanceCore

/// Textbook shapes are found by the default method: every chart-pattern type, drawn as its clean piecewise-linear
/// template (the benchmark generator's, `PatternBenchmark.template` on `PatternEngine.Shapes`) of 50–150 bars and 10–20 % of
/// price high, with noise of at most 3 % of its height, inside a random walk of σ 1 % per bar (docs/patterns.md,
/// "Textbook shapes").
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

    /// The final records of the default method that have `type` and overlap the truth by at least half its length.
    static func found(_ type: PatternType, in drawn: Drawn) -> (hit: Bool, reported: String) {
        let records = PatternDetector.latest(PatternDetector().detect(bars: drawn.bars)).filter {
            $0.status != .forming
        }
        func index(_ ts: Int64) -> Int { Int((ts - t0) / day) }
        let hit = records.contains { d in
            let overlap = min(index(d.end), drawn.truth.upperBound) - max(index(d.start), drawn.truth.lowerBound) + 1
            return d.type == type && 2 * overlap >= drawn.truth.count
        }
        let reported = records.map { "\($0.type.rawValue)[\(index($0.start))-\(index($0.end))]" }
        return (hit, "\(reported) truth \(drawn.truth)")
    }

    /// The shapes the default method misses today, as "type length" (45 of the 85): every 150-bar shape (its windows
    /// are at most 122 bars long) and 28 of the 68 shorter ones, which are too clean for its model (trained on
    /// noise of σ 5–15 % of the height; drawn with noise up to 17 %, 60 of the 68 are found). docs/patterns.md,
    /// "Textbook shapes". Asserted to stay missed, so the list cannot outlive a fix: a shape found now must leave it.
    static let knownMisses: Set<String> = [
        "head_and_shoulders 75", "head_and_shoulders 150",
        "inverse_head_and_shoulders 75", "inverse_head_and_shoulders 150",
        "double_top 150",
        "double_bottom 150",
        "ascending_triangle 150",
        "descending_triangle 75", "descending_triangle 125", "descending_triangle 150",
        "symmetrical_triangle 100", "symmetrical_triangle 150",
        "bull_flag 50", "bull_flag 100", "bull_flag 125", "bull_flag 150",
        "bear_flag 50", "bear_flag 75", "bear_flag 100", "bear_flag 125", "bear_flag 150",
        "bull_pennant 100", "bull_pennant 125", "bull_pennant 150",
        "bear_pennant 50", "bear_pennant 75", "bear_pennant 150",
        "rising_wedge 50", "rising_wedge 150",
        "falling_wedge 50", "falling_wedge 75", "falling_wedge 100", "falling_wedge 125", "falling_wedge 150",
        "channel_up 50", "channel_up 125", "channel_up 150",
        "channel_down 100", "channel_down 125", "channel_down 150",
        "channel_horizontal 50", "channel_horizontal 150",
        "cup_and_handle 100", "cup_and_handle 125", "cup_and_handle 150",
    ]

    func testTheDefaultMethodIsTemplateMatching() {
        XCTAssertEqual(PatternOptions().method, .templates)
        XCTAssertEqual(PatternDetector().options.method, .templates)
        XCTAssertEqual(PatternOptions.rules.method, .rules)
    }

    func testTextbookShapesOfEveryChartTypeInARandomWalkAreFoundButTheKnownMisses() {
        XCTAssertEqual(Self.chartTypes.count, 17)
        var misses: [String] = []
        for (t, type) in Self.chartTypes.enumerated() {
            for (l, length) in Self.lengths.enumerated() {
                let drawn = Self.draw(type, length: length, seed: UInt64(1_000 + 10 * t + l))
                let name = "\(type.rawValue) \(length)"
                // The drawing is what the test says: noise within 3 % of the height, height 10–20 % of price.
                let (hit, reported) = Self.found(type, in: drawn)
                if !hit { misses.append(name) }
                if Self.knownMisses.contains(name) {
                    XCTAssertFalse(hit, "\(name) is found now: remove it from knownMisses and docs/patterns.md")
                } else {
                    XCTAssertTrue(hit, "\(name) not found: \(reported)")
                }
            }
        }
        XCTAssertEqual(Set(misses), Self.knownMisses)
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
