import XCTest

@testable import FinanceBenchmarks
@_spi(Benchmarks) @testable import FinanceCore

final class PatternTemplateTests: XCTestCase {
    static var templates: PatternOptions {
        var o = PatternOptions()
        o.method = .templates
        return o
    }

    func chartMean(_ report: PatternBenchReport) -> Double {
        let rows = report.rows.filter { !PatternType(rawValue: $0.type)!.isLine }
        return rows.reduce(0) { $0 + $1.f1 } / Double(rows.count)
    }

    /// Seed 1 is not among the model's training seeds (11–14).
    func testTemplatesFindHeldOutChartPatternsFarBetterThanTheRules() {
        let config = PatternBenchConfig(seed: 1, series: 420)
        let templates = PatternBenchmark.run(config, options: Self.templates)
        let rules = PatternBenchmark.run(config, options: .rules)
        XCTAssertGreaterThan(self.chartMean(templates), 0.75)
        XCTAssertGreaterThan(self.chartMean(templates), self.chartMean(rules) + 0.15)
        XCTAssertLessThanOrEqual(templates.falsePositivesPer1000Bars, rules.falsePositivesPer1000Bars)
        // Levels and lines by their own template scan.
        func lineMean(_ report: PatternBenchReport) -> Double {
            let rows = report.rows.filter { PatternType(rawValue: $0.type)!.isLine }
            XCTAssertEqual(rows.count, 3)
            return rows.reduce(0) { $0 + $1.f1 } / Double(rows.count)
        }
        XCTAssertGreaterThan(lineMean(templates), 0.65)
        XCTAssertGreaterThan(lineMean(templates), lineMean(rules) + 0.1)
    }

    /// Every line window's fits: a curve through its knots with the touches on one sloped line is fitted exactly
    /// by the touch-line and free fits, and not by the level fit; its rows are split into segments once each.
    func testEveryLineGeometryFitsTouchLineCurvesExactly() {
        XCTAssertEqual(patLineGeometry.count, 2 * patTemplateLengths.count)
        for g in patLineGeometry {
            let k = g.x.count
            XCTAssertEqual(k, 2 * g.n + 1)
            XCTAssertEqual(g.segments.map(\.i0).first, 0)
            XCTAssertEqual(g.segments.last?.i1, g.rows)
            XCTAssertTrue(zip(g.segments.dropLast(), g.segments.dropFirst()).allSatisfy { $0.i1 == $1.i0 })
            XCTAssertEqual(g.rows, min(g.d, g.lastTouch + PatternEngine.LineGeometry.lag + 1))
            // Knot values: touches on 0.3 + 0.8u, swings above it, the ends anywhere.
            var knots = (0..<k).map { j -> Double in
                let u = g.x[j] / Double(g.d - 1)
                return 0.3 + 0.8 * u + (g.touches.contains(j) ? 0 : 0.2 + 0.05 * Double(j))
            }
            knots[0] = -0.4
            var z = [Double](repeating: 0, count: g.rows)
            var basis = [[Double]](repeating: [Double](repeating: 0, count: k), count: g.rows)
            for s in g.segments {
                for i in s.i0..<s.i1 {
                    let b = (Double(i) - g.x[s.j]) / (g.x[s.j + 1] - g.x[s.j])
                    basis[i][s.j] = 1 - b
                    basis[i][s.j + 1] = b
                    z[i] = knots[s.j] * (1 - b) + knots[s.j + 1] * b
                }
            }
            let zv = (0..<k).map { j in (0..<g.rows).reduce(0.0) { $0 + basis[$1][j] * z[$1] } }
            let syy = z.reduce(0) { $0 + $1 * $1 }
            func fitted(_ m: [Double]) -> (values: [Double], rss: Double) {
                let v = (0..<k).map { i in (0..<k).reduce(0.0) { $0 + m[i * k + $1] * zv[$1] } }
                return (v, syy - zip(zv, v).reduce(0) { $0 + $1.0 * $1.1 })
            }
            let line = fitted(g.touchLine)
            let free = fitted(g.free)
            for j in 0..<k {
                XCTAssertEqual(line.values[j], knots[j], accuracy: 1e-9, "d \(g.d) n \(g.n) knot \(j)")
                XCTAssertEqual(free.values[j], knots[j], accuracy: 1e-9)
            }
            XCTAssertEqual(line.rss, 0, accuracy: 1e-9)
            XCTAssertGreaterThan(fitted(g.level).rss, 1e-3)
        }
    }

    /// The scan's fits (`PatternEngine.TemplateScan.fit`, column by column from the table's column-major copy) give every knot
    /// value bit for bit as the row's dot product with the geometry's row-major projection, and the residual from
    /// them.
    func testTheScanTablesFitsGiveEachRowsDotProduct() {
        let tab = PatternEngine.LineTable.shared
        XCTAssertEqual(tab.count, patLineGeometry.count)
        var r = SeededRandom(seed: 11)
        for (gi, g) in patLineGeometry.enumerated() {
            let w = tab.windows[gi]
            let k = g.x.count
            XCTAssertEqual(w.knots, k)
            for (offset, rowMajor) in [(w.touchLine, g.touchLine), (w.level, g.level), (w.free, g.free)] {
                for _ in 0..<3 {
                    var z = (0..<k).map { _ in r.normal() }
                    let syy = z.reduce(0) { $0 + $1 * $1 } + 1
                    var v = [Double](repeating: .nan, count: k)
                    let rss = PatternEngine.TemplateScan.fit(tab.matrices + offset, &z, k: k, syy: syy, into: &v)
                    var zz = 0.0
                    for i in 0..<k {
                        var s = 0.0
                        for j in 0..<k { s += rowMajor[i * k + j] * z[j] }
                        XCTAssertEqual(v[i], s, "d \(g.d) n \(g.n) knot \(i)")
                        zz += z[i] * s
                    }
                    XCTAssertEqual(rss, max(syy - zz, 1e-300))
                }
            }
        }
    }

    /// `PatternEngine.TemplateScan.bestFits` chooses as one pass of comparisons does: the first fit of the least residual, and
    /// the least residual of another type (the first of equals), fits without a type (+∞) never chosen.
    func testTheBestFitsAreThoseOfOnePassOverTheFits() {
        func onePass(_ rss: [Double], _ types: [Int]) -> (Int, Double, Int) {
            var best = -1
            var bestRSS = Double.infinity
            var bestType = -1
            var second = Double.infinity
            var secondType = -1
            for k in rss.indices where types[k] >= 0 {
                if rss[k] < bestRSS {
                    if best >= 0 && bestType != types[k] {
                        second = bestRSS
                        secondType = bestType
                    }
                    bestRSS = rss[k]
                    best = k
                    bestType = types[k]
                } else if rss[k] < second && types[k] != bestType {
                    second = rss[k]
                    secondType = types[k]
                }
            }
            return (best, second, secondType)
        }
        var r = SeededRandom(seed: 12)
        for trial in 0..<5_000 {
            let count = r.int(1, 11)
            // Few distinct values and types, so ties and same-type runner-ups are common.
            let types = (0..<count).map { _ in r.int(-1, 3) }
            let rss = types.map { $0 < 0 ? Double.infinity : Double(r.int(0, 4)) }
            let expected = onePass(rss, types)
            let got = rss.withUnsafeBufferPointer { rp in
                types.withUnsafeBufferPointer { tp in
                    PatternEngine.TemplateScan.bestFits(rss: rp.baseAddress!, types: tp.baseAddress!, count: count)
                }
            }
            XCTAssertEqual(got.best, expected.0, "trial \(trial): \(rss) \(types)")
            XCTAssertEqual(got.second, expected.1, "trial \(trial)")
            XCTAssertEqual(got.secondType, expected.2, "trial \(trial)")
        }
    }

    /// Seed 7's levels and lines (held out from training) come back with their touches, level and slope.
    func testGeneratedLevelsAndLinesAreReportedWithTheirTouches() throws {
        let data = PatternBenchmark.generate(PatternBenchConfig(seed: 7, series: 105))
        var found: [PatternType: Int] = [:]
        for series in data {
            guard let truth = series.truth.first, truth.type.isLine else { continue }
            let records = PatternDetector(options: Self.templates).detect(bars: series.bars)
            guard
                let r = records.first(where: {
                    $0.type == truth.type
                        && PatternBenchmark.spanMatches(index($0.start, series), index($0.end, series), truth)
                })
            else { continue }
            found[truth.type, default: 0] += 1
            XCTAssertEqual(r.status, .completed)
            XCTAssertTrue(r.touches == 3 || r.touches == 4)
            XCTAssertEqual(r.points.count, r.touches)
            XCTAssertEqual(r.points.first?.ts, r.start)
            XCTAssertGreaterThan(r.confidence, 0.6)
            // The truth's touches lie within a few bars of the reported ones.
            let truthTouches = truth.keyIndices.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            if truthTouches.count == r.points.count {
                for (p, i) in zip(r.points, truthTouches) { XCTAssertLessThan(abs(index(p.ts, series) - i), 8) }
            }
            if truth.type == .trendLine {
                XCTAssertNotEqual(r.slope ?? 0, 0)
                let p = r.points
                let step = (p[1].price - p[0].price) / Double(p[1].ts - p[0].ts)
                for q in p {
                    XCTAssertEqual(q.price, p[0].price + step * Double(q.ts - p[0].ts), accuracy: 1e-9 * q.price)
                }
            } else {
                XCTAssertEqual(r.slope, 0)
                let prices = r.points.map(\.price)
                XCTAssertEqual(prices.max()! / prices.min()!, 1, accuracy: 1e-9)
                XCTAssertEqual(r.direction, truth.type == .support ? .bullish : .bearish)
            }
            // A later break of the level or line is a new record with the same id.
            if let broken = records.first(where: { $0.id == r.id && $0.end > r.end }) {
                XCTAssertEqual(broken.status, .confirmed)
            }
        }
        XCTAssertGreaterThanOrEqual(found[.support] ?? 0, 1)
        XCTAssertGreaterThanOrEqual(found[.resistance] ?? 0, 1)
        XCTAssertGreaterThanOrEqual(found[.trendLine] ?? 0, 1)
    }

    func testEveryTypeHasItsThresholdAndOneThresholdSetsTheLinesToo() {
        XCTAssertEqual(Set(PatternOptions.templateThresholds.keys), Set(PatternType.allCases))
        let data = PatternBenchmark.generate(PatternBenchConfig(seed: 7, series: 63))
        func lineRecords(_ threshold: Double?) -> [PatternDetection] {
            var options = Self.templates
            options.templateThreshold = threshold
            return data.flatMap { PatternDetector(options: options).detect(bars: $0.bars) }
                .filter { $0.type.isLine && $0.status == .completed }
        }
        let byType = lineRecords(nil)
        XCTAssertFalse(byType.isEmpty)
        for r in byType { XCTAssertGreaterThanOrEqual(r.confidence, PatternOptions.templateThresholds[r.type]!) }
        let loose = lineRecords(0.5)
        XCTAssertGreaterThan(loose.count, byType.count)
        XCTAssertTrue(loose.allSatisfy { $0.confidence >= 0.5 })
        XCTAssertTrue(loose.contains { $0.type != .trendLine && $0.confidence < 0.85 })
        XCTAssertEqual(lineRecords(1).count, 0)
    }

    func testTemplateRecordsUseOnlyPastBarsAndNeverChange() {
        let data = PatternBenchmark.generate(PatternBenchConfig(seed: 5, series: 42))
        var checked = 0
        for series in data {
            let full = PatternDetector(options: Self.templates).detect(bars: series.bars)
            for cut in stride(from: 30, to: series.bars.count, by: 17) {
                let prefix = Array(series.bars[...cut])
                let early = PatternDetector(options: Self.templates).detect(bars: prefix).filter {
                    $0.status != .forming
                }
                XCTAssertEqual(early, full.filter { $0.end <= prefix.last!.ts && $0.status != .forming })
                checked += early.count
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }

    func testAGeneratedHeadAndShouldersIsReportedWithItsKeyPointsLevelsAndTarget() throws {
        let data = PatternBenchmark.generate(PatternBenchConfig(seed: 7, series: 21))
        let series = try XCTUnwrap(data.first { $0.truth.first?.type == .headAndShoulders })
        let truth = series.truth[0]
        let records = PatternDetector(options: Self.templates).detect(bars: series.bars)
        let r = try XCTUnwrap(records.first { $0.type == .headAndShoulders })
        XCTAssertEqual(r.status, .confirmed)
        XCTAssertEqual(r.direction, .bearish)
        XCTAssertTrue(PatternBenchmark.spanMatches(index(r.start, series), index(r.end, series), truth))
        XCTAssertEqual(r.points.count, 7)
        XCTAssertEqual(r.points.map(\.ts), r.points.map(\.ts).sorted())
        XCTAssertEqual(r.points.first?.ts, r.start)
        let head = r.points[3].price
        XCTAssertGreaterThan(head, r.points[1].price)
        XCTAssertGreaterThan(head, r.points[5].price)
        XCTAssertEqual(r.breakout, r.points[4].price)
        XCTAssertEqual(r.target, r.breakout - (head - r.breakout), accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(r.confidence, PatternOptions.templateThresholds[.headAndShoulders]!)
        XCTAssertLessThanOrEqual(r.confidence, 1)
        // Reported `templateLag` bars after the window's last bar.
        XCTAssertEqual(r.end, r.points.last!.ts + Int64(PatternOptions().templateLag) * 86_400_000)
        XCTAssertTrue(r.id.hasPrefix("head_and_shoulders:\(r.start):"))
    }

    func index(_ ts: Int64, _ series: LabeledSeries) -> Int {
        Int((ts - series.bars[0].ts) / 86_400_000)
    }

    func testEveryTemplateGeometryReproducesItsShapeOverEveryLength() {
        for d in patTemplateLengths {
            for (k, tpl) in PatternEngine.Template.bank.enumerated() {
                let g = PatternEngine.TemplateScan.geometry[patTemplateLengths.firstIndex(of: d)!][k]
                var covered = 0
                var previousEnd = 0
                for run in g.runs {
                    XCTAssertEqual(run.m0, previousEnd, "\(tpl.type) \(d)")
                    previousEnd = run.m1
                    for m in run.m0..<run.m1 {
                        let x = Double(d - 1 - m) / Double(d - 1)
                        let j = max(0, (tpl.knots.lastIndex { $0.0 <= x } ?? 0))
                        let (xa, ya) = tpl.knots[min(j, tpl.knots.count - 2)]
                        let (xb, yb) = tpl.knots[min(j, tpl.knots.count - 2) + 1]
                        let expected = ya + (yb - ya) * (x - xa) / (xb - xa)
                        XCTAssertEqual(run.a + run.b * Double(m), expected, accuracy: 1e-9, "\(tpl.type) \(d) \(m)")
                        covered += 1
                    }
                }
                XCTAssertEqual(covered, d)
                XCTAssertGreaterThan(g.spread, 0)
                XCTAssertEqual(g.knotAge.first, d - 1)
                XCTAssertEqual(g.knotAge.last, 0)
            }
        }
        XCTAssertEqual(patTemplateLengths.first, 20)
        XCTAssertEqual(patTemplateLengths.last, 122)
        XCTAssertEqual(patTemplateLengths.count, 20)
    }

    func testTheModelEvaluatesItsTreesAndTheCommittedOneLoads() {
        let model = PatternEngine.TemplateModel(text: "baseline 0.5\n0:1.5:1:2 L:1 L:-1\nL:0.25")
        XCTAssertEqual(model.roots.count, 2)
        XCTAssertEqual(model.probability([1]), 1 / (1 + exp(-1.75)), accuracy: 1e-12)
        XCTAssertEqual(model.probability([2]), 1 / (1 + exp(0.25)), accuracy: 1e-12)
        let trained = PatternEngine.TemplateModel.trained
        XCTAssertEqual(trained.roots.count, 300)
        XCTAssertTrue(trained.nodes.allSatisfy { $0.value.isFinite })
        XCTAssertTrue(trained.nodes.allSatisfy { $0.slot <= 8 })
        XCTAssertEqual(trained.cascadeWeights.count, 31)
        XCTAssertEqual(PatternEngine.TemplateModel(text: "").probability([0]), 0.5)
        let lines = PatternEngine.TemplateModel.lines
        XCTAssertEqual(lines.roots.count, 150)
        XCTAssertTrue(lines.nodes.allSatisfy { $0.value.isFinite && $0.slot <= 21 })
        XCTAssertEqual(lines.cascadeWeights.count, 2 + 2 * PatternEngine.TemplateScan.lineFeatureCount)
        // The line cascade: bias + Σ x·(w + x·w²), skipping one statistic.
        let cascade = PatternEngine.TemplateModel(text: "cascade 1 0.5 1 9 2 0 0 1")
        XCTAssertTrue(cascade.cascade(lines: [0.4, 5, 0.1], skipping: 1))
        XCTAssertFalse(cascade.cascade(lines: [0.4, 5, -0.5], skipping: 1))
        XCTAssertTrue(PatternEngine.TemplateModel(text: "").cascade(lines: [0], skipping: 0))
    }

    /// The committed models evaluated many windows at once (eight walks side by side, a tail of fewer) give each
    /// window exactly the score of a plain walk of the trees as written, NaN features included.
    func testTheBatchEvaluationGivesEveryWindowThePlainWalksScore() {
        /// The trees as written (`f:threshold:left:right` / `L:value`, children relative to the tree), walked one
        /// node at a time.
        func plain(_ text: String, _ x: [Double]) -> Double {
            var s = 0.0
            for line in text.split(separator: "\n") {
                if line.hasPrefix("baseline ") { s += Double(line.dropFirst(9))! }
                if line.hasPrefix("baseline ") || line.hasPrefix("cascade ") { continue }
                let nodes = line.split(separator: " ").map { $0.split(separator: ":") }
                var k = 0
                while nodes[k][0] != "L" {
                    k = x[Int(nodes[k][0])!] <= Double(nodes[k][1])! ? Int(nodes[k][2])! : Int(nodes[k][3])!
                }
                s += Double(nodes[k][1])!
            }
            return 1 / (1 + exp(-s))
        }
        var r = SeededRandom(seed: 5)
        for (text, features) in [(patternTemplateModelText, 8), (patternLineModelText, 21)] {
            let model = PatternEngine.TemplateModel(text: text)
            // Each feature's split thresholds: windows on them, just below and just above them reach every leaf.
            var splits = [[Double]](repeating: [0], count: features)
            for node in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                let p = node.split(separator: ":")
                if p.count == 4, let f = Int(p[0]), let v = Double(p[1]) { splits[f].append(v) }
            }
            for count in [1, 7, 8, 19, 300] {
                // Some features NaN, which goes right.
                let windows = (0..<count).map { _ in
                    (0..<features).map { j -> Double in
                        let v = splits[j][r.int(0, splits[j].count - 1)]
                        let u = r.uniform()
                        return u < 0.02 ? .nan : u < 0.34 ? v : u < 0.67 ? v.nextDown : v.nextUp
                    }
                }
                var slots: [Double] = []
                for w in windows { slots += [-.infinity] + w }
                var out = [Double](repeating: 0, count: count)
                model.probabilities(slots, stride: features + 1, count: count, into: &out)
                for (i, w) in windows.enumerated() {
                    XCTAssertEqual(out[i], plain(text, w), "\(features) features, window \(i) of \(count)")
                    XCTAssertEqual(model.probability(w), out[i])
                }
            }
        }
        XCTAssertEqual(PatternEngine.TemplateModel.lines.depths.count, 150)
        XCTAssertEqual(PatternEngine.TemplateModel.trained.depths.max(), 12)
    }

    /// Recall by the truth's length adds up to each type's truths and true positives, and `minTruthBars` leaves
    /// the shorter truths out of the score: their detections count neither as right nor as wrong.
    func testTheBenchmarkScoresByTruthLengthAndCanLeaveShortTruthsOut() {
        var cfg = PatternBenchConfig(seed: 3, series: 210)
        let all = PatternBenchmark.run(cfg)
        XCTAssertEqual(all.belowMinBars, 0)
        XCTAssertEqual(all.byLength.count, 4 * PatternType.allCases.count)
        for row in all.rows {
            let bands = all.byLength.filter { $0.type == row.type }
            XCTAssertEqual(bands.map(\.from), [1, 30, 50, 80])
            XCTAssertEqual(bands.map(\.truths).reduce(0, +), row.truths, row.type)
            XCTAssertEqual(bands.map(\.found).reduce(0, +), row.truePositives, row.type)
        }
        cfg.minTruthBars = 50
        let long = PatternBenchmark.run(cfg)
        for row in long.rows {
            let bands = all.byLength.filter { $0.type == row.type && $0.from >= 50 }
            XCTAssertEqual(row.truths, bands.map(\.truths).reduce(0, +), row.type)
            XCTAssertEqual(row.truePositives, bands.map(\.found).reduce(0, +), row.type)
        }
        let shortFound = all.byLength.filter { $0.to < 50 }.map(\.found).reduce(0, +)
        XCTAssertGreaterThan(shortFound, 0)
        XCTAssertEqual(long.belowMinBars, shortFound)
        XCTAssertEqual(
            long.rows.map(\.detections).reduce(0, +), all.rows.map(\.detections).reduce(0, +) - shortFound)
        XCTAssertEqual(long.byLength, all.byLength)
        XCTAssertEqual(
            LengthRecall(type: "x", from: 80, to: 1_000, truths: 4, found: 3).line,
            "x span 80+ recall 0.750 found 3 of 4")
        XCTAssertEqual(
            LengthRecall(type: "x", from: 1, to: 29, truths: 0, found: 0).line, "x span 1-29 recall 0.000 found 0 of 0")
    }

    func testLineFeatureRowsAreLabeledByTheBenchmarkRule() {
        let csv = PatternBenchmark.lineFeatures(PatternBenchConfig(seed: 3, series: 42))
        let lines = csv.split(separator: "\n")
        XCTAssertTrue(lines.first!.hasPrefix("label,component,length,touches,type,side,slope,noise,dw,"))
        let rows = lines.dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertGreaterThan(rows.count, 1000)
        XCTAssertTrue(
            rows.allSatisfy { $0.count == 2 + PatternEngine.TemplateScan.lineFeatureCount && $0.allSatisfy(\.isFinite) }
        )
        for type in 0..<3 { XCTAssertGreaterThan(rows.filter { $0[0] == 1 && $0[4] == Double(type) }.count, 5) }
        XCTAssertGreaterThan(rows.filter { $0[1] == 1 }.count, 100)
        XCTAssertTrue(rows.allSatisfy { $0[0] == 0 || $0[1] == 0 })
        // Within the loose limits: noise, margin, gain over a straight line.
        XCTAssertTrue(
            rows.allSatisfy {
                $0[7] < PatternEngine.TemplateScan.lineMaxNoise && $0[10] > PatternEngine.TemplateScan.lineMinMargin
                    && $0[17] > PatternEngine.TemplateScan.lineMinGain
            })
        // Two swings lie on their own line: their spread is exactly 0, not rounding noise; three swings have one.
        XCTAssertTrue(rows.filter { $0[3] == 3 }.allSatisfy { $0[21] == 0 })
        XCTAssertTrue(rows.filter { $0[3] == 4 }.contains { $0[21] > 1e-6 })
    }

    /// No split of either committed model compares a feature with a rounding-noise threshold (0 < |t| < 1e-9): the
    /// line model once split 36 times on the spread of two swings, which is 0 computed as ±1e-16.
    func testNoSplitOfTheCommittedModelsFallsOnRoundingNoise() {
        for text in [patternTemplateModelText, patternLineModelText] {
            var splits = 0
            for node in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                let p = node.split(separator: ":")
                guard p.count == 4, let t = Double(p[1]) else { continue }
                splits += 1
                XCTAssertFalse(t != 0 && abs(t) < 1e-9, "split \(node)")
            }
            XCTAssertGreaterThan(splits, 1_000)
        }
    }

    func testFeatureRowsAreLabeledByTheBenchmarkRule() {
        let csv = PatternBenchmark.templateFeatures(PatternBenchConfig(seed: 3, series: 21))
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "label,noise,gain,gap,rho,length,height_ratio,type,second")
        let rows = lines.dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertGreaterThan(rows.count, 1000)
        XCTAssertTrue(rows.allSatisfy { $0.count == 9 && $0.allSatisfy(\.isFinite) })
        let positives = rows.filter { $0[0] == 1 }.count
        XCTAssertGreaterThan(positives, 20)
        XCTAssertLessThan(positives, rows.count / 4)
        XCTAssertTrue(
            rows.allSatisfy {
                $0[1] < PatternEngine.TemplateScan.maxNoise && $0[2] > PatternEngine.TemplateScan.minGain
            })
    }

    /// Benchmark series joined end to end into one daily series.
    static func joined(seed: UInt64, series: Int) -> [Bar] {
        var bars: [Bar] = []
        for series in PatternBenchmark.generate(PatternBenchConfig(seed: seed, series: series)) {
            let shift = (bars.last?.ts ?? 0) + 86_400_000 - series.bars[0].ts
            let scale = (bars.last?.close ?? series.bars[0].close) / series.bars[0].close
            bars += series.bars.map {
                Bar(
                    ts: $0.ts + shift, open: $0.open * scale, high: $0.high * scale, low: $0.low * scale,
                    close: $0.close * scale, volume: $0.volume)
            }
        }
        return bars
    }

    /// Template records do not depend on the bar reading starts at (an API query's window), once the windows
    /// before them are read. (Levels and lines differ in their last digits, through the ATR: docs/api.md.)
    func testTemplateRecordsDoNotDependOnWhereReadingStarts() {
        let bars = Self.joined(seed: 4, series: 30)
        let settled = bars[1_000].ts
        func records(_ bars: ArraySlice<Bar>) -> (charts: [PatternDetection], lines: [String]) {
            let all = PatternDetector(options: Self.templates).detect(bars: Array(bars)).filter { $0.start >= settled }
            return (
                all.filter { !$0.type.isLine }, all.filter(\.type.isLine).map { "\($0.id) \($0.status) \($0.end)" }
            )
        }
        let full = records(bars[...])
        XCTAssertGreaterThan(full.charts.count, 10)
        for drop in [1, 2, 3, 5, 7] {
            let later = records(bars[drop...])
            XCTAssertEqual(later.charts, full.charts, "reading from bar \(drop)")
            XCTAssertEqual(later.lines, full.lines, "reading from bar \(drop)")
        }
    }

    /// Template levels and lines (found by review): turning points join them only after their last touch, so their
    /// points stay in time order; and one is not reported when the close at its report bar already broke it.
    func testTemplateLinesKeepTheirTouchesInOrderAndAreNotReportedBroken() {
        let bars = Self.joined(seed: 3, series: 210)
        let records = PatternDetector(options: Self.templates).detect(bars: bars).filter(\.type.isLine)
        XCTAssertGreaterThan(records.count, 40)
        let index = Dictionary(bars.enumerated().map { ($1.ts, $0) }, uniquingKeysWith: { a, _ in a })
        for r in records {
            XCTAssertEqual(r.points.map(\.ts), r.points.map(\.ts).sorted(), r.id)
            XCTAssertEqual(Set(r.points.map(\.ts)).count, r.points.count, r.id)
            XCTAssertEqual(r.touches, r.points.count, r.id)
            guard r.status == .completed, let start = index[r.start], let end = index[r.end] else { continue }
            XCTAssertLessThan(start, end)
            let up = r.direction == .bullish
            let close = bars[end].close
            XCTAssertTrue(up ? close >= r.breakout * (1 - 1e-9) : close <= r.breakout * (1 + 1e-9), r.id)
        }
        // A bar spacing that overflows gives phase 0 instead of trapping.
        XCTAssertEqual(
            PatternEngine.TemplateScan.phase(ts: 9_000_000_000_000_000_000, previous: -9_000_000_000_000_000_000), 0)
        XCTAssertEqual(PatternEngine.TemplateScan.phase(ts: 600, previous: 540), 10)
    }

    /// A long batch is scanned ahead on all cores (`PatternEngine.TemplateScan.prepare`); bar by bar gives the same records.
    func testALongBatchScannedOnAllCoresGivesTheRecordsOfTheBarByBarScan() {
        var bars = Self.joined(seed: 9, series: 42)
        XCTAssertGreaterThan(bars.count, 8_000)
        // A bar the stream skips (not after the previous one) must be skipped by the look-ahead scan too.
        bars.insert(bars[5_000], at: 5_001)
        var batch = PatternStream(options: Self.templates)
        let ahead = batch.appendFinal(bars[..<6_000]) + batch.appendFinal(bars[6_000...])
        var single = PatternStream(options: Self.templates)
        var byBar: [PatternDetection] = []
        for b in bars { byBar += single.append(b).filter { $0.status != .forming } }
        XCTAssertEqual(ahead, byBar)
        XCTAssertGreaterThan(ahead.filter { !$0.type.isLine }.count, 20)
    }

    /// History is kept long enough for a record decided long after its window, whatever the other limits.
    func testALongLagWithShortPatternLimitsStillReportsTheWindow() throws {
        let data = PatternBenchmark.generate(PatternBenchConfig(seed: 7, series: 21))
        let series = try XCTUnwrap(data.first { $0.truth.first?.type == .headAndShoulders })
        var options = Self.templates
        options.maxPatternBars = 5
        options.templateLag = 400
        let late = PatternDetector(options: options).detect(bars: series.bars + Self.walk(after: series.bars, 800))
        let r = try XCTUnwrap(late.first { $0.type == .headAndShoulders })
        XCTAssertEqual(r.end, r.points.last!.ts + 400 * 86_400_000)
        options.templateLag = Int.max
        XCTAssertNoThrow(PatternDetector(options: options).detect(bars: series.bars))
    }

    static func walk(after bars: [Bar], _ count: Int) -> [Bar] {
        let last = bars[bars.count - 1]
        return PatternBenchmark.randomWalk(count: count, seed: 3, sigma: 0.015, stepMs: 86_400_000).enumerated().map {
            let scale = last.close / 100
            return Bar(
                ts: last.ts + Int64($0.offset + 1) * 86_400_000, open: $0.element.open * scale,
                high: $0.element.high * scale, low: $0.element.low * scale, close: $0.element.close * scale,
                volume: $0.element.volume)
        }
    }

    /// Prices near the largest double would overflow the detectors' sums: such bars are ignored, under both
    /// methods, and the rest is read as usual.
    func testPricesNearTheLargestDoubleAreIgnoredWithoutATrap() {
        // Closes up to 1.67e308 and highs capped at the largest double: the support/resistance zigzag trapped here.
        let bars = Self.joined(seed: 2, series: 400)
        let k = 1.67e308 / bars.map(\.close).max()!
        let huge = bars.map {
            Bar(
                ts: $0.ts, open: $0.open * k, high: min($0.high * k, .greatestFiniteMagnitude), low: $0.low * k,
                close: $0.close * k, volume: 1)
        }
        for options in [Self.templates, PatternOptions.rules] {
            XCTAssertEqual(PatternDetector(options: options).detect(bars: huge), [])
            let mixed = Array(bars[..<5_000]) + huge[5_000...]
            XCTAssertEqual(
                PatternDetector(options: options).detect(bars: mixed).filter { $0.status != .forming },
                PatternDetector(options: options).detect(bars: Array(bars[..<5_000])).filter {
                    $0.status != .forming
                })
        }
        XCTAssertFalse(PatternStream.accepts(huge[0], after: nil))
        XCTAssertTrue(PatternStream.accepts(bars[0], after: nil))
    }

    func testFlatAndShortSeriesGiveNoTemplateRecords() {
        let flat = (0..<200).map { Bar(ts: Int64($0) * 60_000, open: 10, high: 10, low: 10, close: 10, volume: 1) }
        XCTAssertTrue(PatternDetector(options: Self.templates).detect(bars: flat).isEmpty)
        let short = Array(PatternBenchmark.randomWalk(count: 19))
        XCTAssertTrue(PatternDetector(options: Self.templates).detect(bars: short).isEmpty)
    }
}
