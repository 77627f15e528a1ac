import XCTest

@testable import FinanceBenchmarks
@_spi(Benchmarks) @testable import FinanceCore

final class PatternOracleTests: XCTestCase {
    func testKnotFitRecoversAPiecewiseLinearPath() {
        let knots = [3, 10, 14, 30, 31, 45]
        let values = [100.0, 108, 96, 120, 119, 90]
        func path(_ i: Int) -> Double {
            var k = 0
            while k < knots.count - 2 && i > knots[k + 1] { k += 1 }
            let u = Double(i - knots[k]) / Double(knots[k + 1] - knots[k])
            return values[k] + (values[k + 1] - values[k]) * u
        }
        let fit = patKnotFit(knots, path)
        for (a, b) in zip(fit, values) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        // With noise the fit averages it: the error at each knot is far below the per-point noise.
        var r = SeededRandom(seed: 9)
        let noisy = (0...45).map { path($0) + (($0 >= 3) ? 2 * r.normal() : 0) }
        let fitN = patKnotFit(knots) { noisy[$0] }
        let rms = (zip(fitN, values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(values.count)).squareRoot()
        XCTAssertLessThan(rms, 2.0)
        XCTAssertEqual(patKnotFit([5]) { Double($0) }, [5])
    }

    func testTruthCarriesTheTemplateKeyPoints() {
        for s in PatternBenchmark.generate(PatternBenchConfig(seed: 2, series: 21)) {
            guard let t = s.truth.first else { continue }
            // Chart patterns span their whole template; a level or line spans its first to its last touch.
            if t.type.isLine {
                XCTAssertLessThan(t.keyIndices.first!, t.startIndex)
            } else {
                XCTAssertEqual(t.keyIndices.first, t.startIndex)
                XCTAssertEqual(t.keyIndices.last, t.endIndex)
            }
            XCTAssertTrue(zip(t.keyIndices, t.keyIndices.dropFirst()).allSatisfy { $0 <= $1 }, "\(t.type)")
            XCTAssertLessThan(t.keyIndices.last!, s.bars.count)
        }
    }

    func testRulesClassifyNoiseFreeKeyPoints() {
        var cfg = PatternBenchConfig(seed: 1, series: 420)
        cfg.noise = 0
        let rows = PatternBenchmark.oracle(cfg)
        XCTAssertEqual(rows.count, PatternType.allCases.filter { !$0.isLine }.count)
        for row in rows {
            XCTAssertGreaterThan(row.truths, 0, row.type)
            XCTAssertGreaterThanOrEqual(row.accuracy, 0.95, "\(row.type) \(row.wrong)")
        }
        // Noise costs accuracy even with the true key points: the ceiling the turning-point finder works under.
        let noisy = PatternBenchmark.oracle(PatternBenchConfig(seed: 1, series: 420, noise: 0.3))
        XCTAssertLessThan(noisy.map(\.correct).reduce(0, +), rows.map(\.correct).reduce(0, +))
        XCTAssertTrue(noisy.contains { !$0.wrong.isEmpty })
        XCTAssertTrue(rows[0].line.hasPrefix("head_and_shoulders oracle_accuracy "))
    }

    func testTwoLineFitRecoversConvergingLines() throws {
        // Peaks on 120 − 0.2·i, troughs on 100 + 0.1·i, straight legs between them (a symmetrical triangle).
        let idx = [0, 8, 15, 24, 31, 40]
        let w = idx.enumerated().map { k, i in
            PatternEngine.PV(i: i, v: 0, p: 0, hi: k % 2 == 1)
        }
        func line(_ q: PatternEngine.PV) -> Double { q.hi ? 120 - 0.2 * Double(q.i) : 100 + 0.1 * Double(q.i) }
        func path(_ i: Int) -> Double {
            var k = 0
            while k < idx.count - 2 && i > idx[k + 1] { k += 1 }
            let u = Double(i - idx[k]) / Double(idx[k + 1] - idx[k])
            return line(w[k]) + (line(w[k + 1]) - line(w[k])) * u
        }
        let f = try XCTUnwrap(patTwoLineFit(w, path))
        XCTAssertEqual(f.upper.b, -0.2, accuracy: 1e-9)
        XCTAssertEqual(f.upper.at(10), 118, accuracy: 1e-9)
        XCTAssertEqual(f.lower.b, 0.1, accuracy: 1e-9)
        XCTAssertEqual(f.lower.at(0), 100, accuracy: 1e-9)
        XCTAssertNil(patTwoLineFit(Array(w.prefix(3)), path))
        XCTAssertNil(patTwoLineFit([w[0], w[1], w[1], w[2]], path))
    }

    func testConvergenceSeparatesCleanShapesAndNoiseBlursIt() {
        let clean = PatternBenchmark.separation(PatternBenchConfig(seed: 1, series: 840, noise: 0))
        let noisy = PatternBenchmark.separation(PatternBenchConfig(seed: 1, series: 840, noise: 0.2))
        XCTAssertEqual(clean.count, 4)
        for (c, n) in zip(clean, noisy) {
            XCTAssertGreaterThan(c.dPrime, 3, c.pair)
            XCTAssertEqual(c.bestThresholdAccuracy, 1, accuracy: 1e-9, c.pair)
            XCTAssertLessThan(n.dPrime, c.dPrime, n.pair)
            XCTAssertLessThan(n.bestThresholdAccuracy, 0.95, n.pair)
            XCTAssertTrue(c.line.hasPrefix(c.pair + " d_prime "))
        }
    }

    func testTurningPointQualityIsMeasured() {
        var clean = PatternBenchConfig(seed: 1, series: 420)
        clean.noise = 0.02
        let rows = PatternBenchmark.turningPoints(clean)
        let noisy = PatternBenchmark.turningPoints(PatternBenchConfig(seed: 1, series: 420, noise: 0.3))
        XCTAssertEqual(rows.count, 17)
        // Nearly clean shapes: the zigzag finds the key points of head-and-shoulders, double tops and channels.
        for t in ["head_and_shoulders", "double_top", "channel_horizontal"] {
            let r = rows.first { $0.type == t }!
            XCTAssertGreaterThanOrEqual(Double(r.exact), 0.8 * Double(r.truths), t)
            XCTAssertGreaterThan(r.keyPointRecall, 0.9, t)
        }
        XCTAssertLessThan(
            noisy.map(\.keyPointRecall).reduce(0, +), rows.map(\.keyPointRecall).reduce(0, +))
        XCTAssertTrue(rows[0].line.hasPrefix("head_and_shoulders exact_turning_points "))
    }
}

final class PatternResolutionCeilingTests: XCTestCase {
    func testTheTraceHoldsTheShapesConflictResolutionChoseFrom() throws {
        // A noise-free head-and-shoulders: the rules match it and it completes, so both trace lists hold it with
        // the truth's span; a plain run reports it, and without a trace the engine records nothing.
        var cfg = PatternBenchConfig(seed: 1, series: 1)
        cfg.noise = 0
        let s = try XCTUnwrap(PatternBenchmark.generate(cfg).first)
        let t = try XCTUnwrap(s.truth.first)
        XCTAssertEqual(t.type, .headAndShoulders)
        var engine = PatternEngine(options: .rules)
        engine.trace = PatternEngine.Trace()
        var plain = PatternEngine(options: .rules)
        for b in s.bars {
            _ = engine.step(b)
            _ = plain.step(b)
        }
        XCTAssertNil(plain.trace)
        let trace = try XCTUnwrap(engine.trace)
        func right(_ x: PatternEngine.TraceShape) -> Bool {
            x.type == t.type && PatternBenchmark.spanMatches(x.start, max(x.end, t.endIndex), t)
        }
        XCTAssertTrue(trace.candidates.contains(where: right), "\(trace.candidates)")
        XCTAssertTrue(trace.completable.contains(where: right), "\(trace.completable)")
        // Every completed shape was a candidate first (same type and start), found no later than it completed.
        for c in trace.completable {
            XCTAssertTrue(
                trace.candidates.contains { $0.type == c.type && $0.start == c.start && $0.end <= c.end }, "\(c)")
        }
    }

    func testTheCeilingBoundsWhatTheDetectorReaches() {
        let cfg = PatternBenchConfig(seed: 1, series: 420)
        let rows = PatternBenchmark.resolutionCeiling(cfg)
        let run = PatternBenchmark.run(cfg, options: .rules)
        XCTAssertEqual(rows.map(\.type), PatternType.allCases.filter { !$0.isLine }.map(\.rawValue))
        for row in rows {
            XCTAssertEqual(row.truths, run.rows.first { $0.type == row.type }?.truths, row.type)
            XCTAssertLessThanOrEqual(row.withCompleted, row.withCandidate, row.type)
            XCTAssertLessThanOrEqual(row.withCandidate, row.truths, row.type)
            XCTAssertGreaterThanOrEqual(row.ceilingF1, row.completedCeilingF1, row.type)
        }
        // The detector's true positives are shapes that completed, so the completed ceiling is above what it reaches.
        let tp = run.rows.filter { !PatternType(rawValue: $0.type)!.isLine }.map(\.truePositives).reduce(0, +)
        XCTAssertGreaterThanOrEqual(rows.map(\.withCompleted).reduce(0, +), tp)
        XCTAssertTrue(rows[0].line.hasPrefix("head_and_shoulders candidate_recall "))
        XCTAssertTrue(rows[0].line.contains(" completed_ceiling_f1 "))
    }
}
