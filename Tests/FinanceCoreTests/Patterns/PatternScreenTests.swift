import XCTest

@testable import FinanceBenchmarks
@_spi(Benchmarks) @testable import FinanceCore

final class PatternScreenTests: XCTestCase {
    func mean(_ report: PatternBenchReport) -> Double {
        report.rows.reduce(0) { $0 + $1.f1 } / Double(report.rows.count)
    }

    /// Seed 1 is not among the training seeds (11–14): the committed screen must help on data it never saw.
    func testTheTrainedScreenRaisesHeldOutF1AndCutsFalseRecords() {
        let config = PatternBenchConfig(seed: 1, series: 420)
        var open = PatternOptions.rules
        open.screen = nil
        let screened = PatternBenchmark.run(config, options: .rules)
        let unscreened = PatternBenchmark.run(config, options: open)
        XCTAssertGreaterThan(self.mean(screened), self.mean(unscreened) + 0.02)
        XCTAssertLessThanOrEqual(screened.falsePositivesPer1000Bars, unscreened.falsePositivesPer1000Bars)
        let detections = { (r: PatternBenchReport) in r.rows.reduce(0) { $0 + $1.detections } }
        XCTAssertLessThan(detections(screened), detections(unscreened))
    }

    func testTheTrainedScreenCoversEveryTypeWithOneWeightPerFeature() {
        let screen = PatternScreen.trained
        for type in PatternType.allCases {
            XCTAssertEqual(screen.weights[type]?.count, PatternScreen.featureNames.count + 1, "\(type)")
            XCTAssertTrue(screen.weights[type]?.allSatisfy(\.isFinite) ?? false, "\(type)")
        }
        XCTAssertTrue(screen.thresholds.values.allSatisfy(\.isFinite))
        // A type without weights (or features of the wrong length) passes: the screen never hides what it cannot
        // score.
        let empty = PatternScreen(weights: [:], thresholds: [.support: 10])
        XCTAssertTrue(empty.passes(.support, [1, 2]))
        XCTAssertNil(empty.probability(.support, [1, 2]))
        let one = PatternScreen(weights: [.support: [-1, 2]], thresholds: [.support: 0])
        XCTAssertTrue(one.passes(.support, [0.5]))
        XCTAssertFalse(one.passes(.support, [0.4]))
        XCTAssertEqual(one.probability(.support, [0.5]) ?? 0, 0.5, accuracy: 1e-12)
        XCTAssertTrue(one.passes(.support, [0.4, 1]))
    }

    /// Newton's method recovers the coefficients of data drawn from a known logistic model.
    func testLogisticFitRecoversAKnownModel() {
        var r = SeededRandom(seed: 7)
        var x: [[Double]] = []
        var y: [Bool] = []
        for _ in 0..<20_000 {
            let a = r.normal() * 2 + 1
            let b = r.uniform(-3, 3)
            let z = 0.5 + 1.5 * a - 2 * b
            x.append([a, b, 4])  // the last feature is constant
            y.append(r.uniform() < 1 / (1 + exp(-z)))
        }
        let w = PatternBenchmark.logisticFit(x, y, penalty: 0)
        XCTAssertEqual(w.count, 4)
        XCTAssertEqual(w[0], 0.5, accuracy: 0.1)
        XCTAssertEqual(w[1], 1.5, accuracy: 0.1)
        XCTAssertEqual(w[2], -2, accuracy: 0.1)
        XCTAssertEqual(w[3], 0)
        // A penalty shrinks the weights.
        let shrunk = PatternBenchmark.logisticFit(x, y, penalty: 5_000)
        XCTAssertLessThan(abs(shrunk[1]), abs(w[1]))
        XCTAssertNil(PatternBenchmark.solve([[1, 2], [2, 4]], [1, 2]))
        XCTAssertEqual(PatternBenchmark.solve([[0, 2], [3, 1]], [4, 5]) ?? [], [1, 2])
    }

    func testTrainingIsDeterministicAndSeparatesItsOwnSamples() {
        var config = PatternScreenTrainingConfig()
        config.seeds = [21]
        config.noises = [0.05, 0.15]
        config.series = 105
        var steps: [String] = []
        let (screen, fits) = PatternBenchmark.trainScreen(config) { steps.append($0) }
        XCTAssertEqual(steps.count, 2)
        XCTAssertEqual(PatternBenchmark.trainScreen(config).screen, screen)
        XCTAssertFalse(fits.isEmpty)
        for fit in fits {
            XCTAssertGreaterThanOrEqual(fit.f1After, fit.f1Before, fit.line)
            XCTAssertTrue(fit.line.hasPrefix("\(fit.type.rawValue) samples \(fit.samples) positives"), fit.line)
        }
        XCTAssertFalse(screen.thresholds.isEmpty)
        // On its own samples the model ranks true shapes above false ones.
        let (samples, _) = PatternBenchmark.screenSamples(config, progress: nil)
        var pos: [Double] = []
        var neg: [Double] = []
        for s in samples {
            guard let p = screen.probability(s.type, s.features) else { continue }
            if s.label { pos.append(p) } else { neg.append(p) }
        }
        XCTAssertGreaterThan(pos.reduce(0, +) / Double(pos.count), neg.reduce(0, +) / Double(neg.count) + 0.1)
        let source = PatternBenchmark.screenSource(screen, config)
        XCTAssertTrue(source.contains("public static let trained = PatternScreen("), source)
        XCTAssertTrue(source.contains("seeds 21, noise 0.05, 0.15, 105 series each"), source)
        for type in screen.weights.keys { XCTAssertTrue(source.contains("            .\(type): ["), "\(type)") }
        let none = PatternBenchmark.screenSource(PatternScreen(weights: [:], thresholds: [:]), config)
        XCTAssertTrue(none.contains("weights: [\n            :\n        ]"), none)
    }

    /// The features of a shape are finite even on degenerate prices, and only bars up to its completion count.
    func testFeaturesAreFiniteOnFlatPrices() {
        var engine = PatternEngine(options: .rules)
        for k in 0..<30 {
            _ = engine.step(Bar(ts: Int64(k) * 60_000, open: 1, high: 1, low: 1, close: 1, volume: 1))
        }
        let cand = PatternEngine.Candidate(
            type: .doubleTop, dir: .bearish, start: 2, pts: [(2, 1), (5, 1), (8, 1), (11, 1)], confirm: .flat(1),
            fail: .flat(1), confirmAbove: false, height: 0, conf: 1, prio: 1)
        let features = engine.screenFeatures(cand, sc: 0, t: 20)
        XCTAssertEqual(features.count, PatternScreen.featureNames.count)
        XCTAssertTrue(features.allSatisfy(\.isFinite), "\(features)")
        let short = PatternEngine.Candidate(
            type: .support, dir: .bullish, start: 2, pts: [(2, 1)], confirm: .flat(1), fail: .flat(1),
            confirmAbove: false, height: 0, conf: 1, prio: 5)
        XCTAssertEqual(engine.screenFeatures(short, sc: 0, t: 20), Array(repeating: 0, count: 23))
    }
}
