import Foundation
import XCTest

@testable import FinanceCore

/// Compares every indicator with the TA-Lib reference fixtures (scripts/talib_fixtures.py) and proves that
/// streaming (including live updates of the open bar) gives the same numbers as batch.
final class IndicatorFixtureTests: XCTestCase {
    static let seriesNames = [
        "rw_0p001", "rw_1", "rw_100", "rw_1e5", "rw_1e-15", "rw_1e5_calm", "flat", "rising", "zero_volume",
        "high_eq_low", "short",
    ]

    static func fixtureURL(_ file: String) throws -> URL {
        let candidates = [
            Bundle.module.url(forResource: "Fixtures/indicators/\(file)", withExtension: nil),
            Bundle.module.resourceURL?.appendingPathComponent("Fixtures/indicators/\(file)"),
        ]
        for case let url? in candidates where FileManager.default.fileExists(atPath: url.path) { return url }
        struct MissingFixture: Error, CustomStringConvertible {
            let file: String
            var description: String { "fixture Fixtures/indicators/\(file) not found in the test bundle" }
        }
        // Fail (not skip): a silently skipped comparison would hide a broken resource path.
        throw MissingFixture(file: file)
    }

    static func readCSV(_ file: String) throws -> (header: [String], rows: [[Substring]]) {
        let text = try String(contentsOf: fixtureURL(file), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        return (header, lines.map { $0.split(separator: ",", omittingEmptySubsequences: false) })
    }

    static func loadSeries(_ name: String) throws -> OHLCVSeries {
        let (_, rows) = try readCSV("\(name).input.csv")
        return try OHLCVSeries(
            timestamps: rows.map { Int64($0[0])! }, open: rows.map { Double($0[1])! },
            high: rows.map { Double($0[2])! }, low: rows.map { Double($0[3])! }, close: rows.map { Double($0[4])! },
            volume: rows.map { Double($0[5])! })
    }

    static func loadSpecs() throws -> [IndicatorSpec] {
        let text = try String(contentsOf: fixtureURL("specs.txt"), encoding: .utf8)
        return try IndicatorSpec.parse(text.split(separator: "\n").first.map(String.init) ?? "")
    }

    func testBatchMatchesTALib() throws {
        let specs = try Self.loadSpecs()
        var checked = 0
        for name in Self.seriesNames {
            let series = try Self.loadSeries(name)
            let (header, rows) = try Self.readCSV("\(name).expected.csv")
            let columns = IndicatorEngine.compute(specs, on: series)
            // Absolute floor for values that should be 0 but carry rounding residue (e.g. MACD histogram of a
            // straight line): relative to the series' price scale, so tiny-price series stay meaningful.
            let floor = 1e-12 * (series.close.map(abs).max() ?? 0)
            XCTAssertEqual(columns.map(\.name), header, name)
            for (c, column) in columns.enumerated() {
                let expected = rows.map { $0[c].isEmpty ? Double.nan : Double($0[c])! }
                XCTAssertEqual(column.values.count, expected.count)
                let scale = expected.filter { !$0.isNaN }.map(abs).max() ?? 0
                var failures = 0
                for (i, (a, e)) in zip(column.values, expected).enumerated() {
                    if a.isNaN != e.isNaN {
                        if failures < 3 {
                            XCTFail("\(name) \(column.name) row \(i): got \(a), TA-Lib \(e) (missing-value mismatch)")
                        }
                        failures += 1
                        continue
                    }
                    if e.isNaN { continue }
                    let err = abs(a - e)
                    if !(err <= 1e-9 * abs(e) || err <= 1e-9 * scale || err <= floor) {
                        if failures < 3 { XCTFail("\(name) \(column.name) row \(i): got \(a), TA-Lib \(e)") }
                        failures += 1
                    }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 100_000)
    }

    func testStreamingEqualsBatch() throws {
        let specs = try Self.loadSpecs()
        for name in Self.seriesNames {
            let series = try Self.loadSeries(name)
            let batch = IndicatorEngine.compute(specs, on: series)
            let stream = IndicatorStream(specs)
            let live = IndicatorStream(specs)
            XCTAssertEqual(stream.columnNames, batch.map(\.name))
            var rng = IndSplitMix(seed: 42)
            for i in 0..<series.count {
                let bar = series.bar(i)
                // The live stream sees a few provisional versions of the bar before its final one.
                for _ in 0..<3 {
                    var provisional = bar
                    provisional.close = bar.low + (bar.high - bar.low) * rng.unit()
                    provisional.high = max(bar.high * (1 + 0.01 * rng.unit()), provisional.close)
                    provisional.low = min(bar.low * (1 - 0.01 * rng.unit()), provisional.close)
                    provisional.volume = bar.volume * rng.unit()
                    try live.updateLast(provisional)
                }
                let lastLive = try live.updateLast(bar)
                let v = try stream.append(bar)
                let w = try live.append(bar)
                for (c, column) in batch.enumerated() {
                    let b = column.values[i]
                    let same = { (x: Double) in x == b || (x.isNaN && b.isNaN) }
                    if !same(v[c]) { XCTFail("\(name) \(column.name) row \(i): stream \(v[c]) batch \(b)") }
                    if !same(w[c]) { XCTFail("\(name) \(column.name) row \(i): live \(w[c]) batch \(b)") }
                    if !same(lastLive[c]) {
                        XCTFail("\(name) \(column.name) row \(i): open bar \(lastLive[c]) batch \(b)")
                    }
                }
            }
            XCTAssertEqual(stream.barCount, series.count)
        }
    }

    func testLookbacksMatchFirstValidRow() throws {
        let specs = try Self.loadSpecs()
        let series = try Self.loadSeries("rw_1")
        for spec in specs {
            let cols = IndicatorEngine.columns(spec, series)
            for (o, col) in cols.enumerated() {
                let first = col.firstIndex { !$0.isNaN }
                XCTAssertEqual(first, spec.lookbacks[o], "\(spec) output \(o)")
            }
        }
    }
}

/// Deterministic generator for tests.
struct IndSplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
