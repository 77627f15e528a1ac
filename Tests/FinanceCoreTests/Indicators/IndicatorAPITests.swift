import FinanceBenchmarks
import Foundation
import XCTest

@testable import FinanceCore

/// Spec parsing, naming, catalog, degenerate inputs, errors, live-bar semantics.
final class IndicatorAPITests: XCTestCase {
    func testParseIssueExample() throws {
        let specs = try IndicatorSpec.parse(
            "sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,stoch:14:3:3,willr:14,atr:14,obv,cci:20,adx:14,mfi:14,roc:10,wma:20"
        )
        XCTAssertEqual(
            specs.flatMap(\.columnNames),
            [
                "sma_20", "ema_20", "rsi_14", "macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9",
                "bb_upper_20_2", "bb_middle_20_2", "bb_lower_20_2", "stoch_slowk_14_3_3", "stoch_slowd_14_3_3",
                "willr_14", "atr_14", "obv", "cci_20", "adx_14", "mfi_14", "roc_10", "wma_20",
            ])
    }

    func testNamesWithDefaultsAndOtherOutputs() throws {
        let specs = try IndicatorSpec.parse(
            " aroon , stochrsi,plus_di:10,minus_di,sar,bbands:20:1.5,macd,keltner,ichimoku,vwap")
        XCTAssertEqual(
            specs.flatMap(\.columnNames),
            [
                "aroon_down_14", "aroon_up_14", "stochrsi_fastk_14_5_3", "stochrsi_fastd_14_5_3", "plus_di_10",
                "minus_di_14", "sar_0.02_0.2", "bb_upper_20_1.5", "bb_middle_20_1.5", "bb_lower_20_1.5",
                "macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9", "keltner_upper_20_10_2",
                "keltner_middle_20_10_2", "keltner_lower_20_10_2", "ichimoku_tenkan_9_26_52", "ichimoku_kijun_9_26_52",
                "ichimoku_span_a_9_26_52", "ichimoku_span_b_9_26_52", "vwap",
            ])
        XCTAssertEqual(try IndicatorSpec.parseOne("SMA").description, "sma:30")
        XCTAssertEqual(try IndicatorSpec.parseOne("adx:14").columnNames, ["adx_14"])
    }

    func testParseErrors() {
        func error(_ s: String) -> IndicatorError? {
            do {
                _ = try IndicatorSpec.parse(s)
                return nil
            } catch let e as IndicatorError {
                return e
            } catch {
                return nil
            }
        }
        XCTAssertEqual(error("foo:3"), .unknownIndicator("foo"))
        XCTAssertEqual(error("sma:20:3"), .wrongParameterCount(indicator: "sma", expectedAtMost: 1, got: 2))
        XCTAssertEqual(error("obv:1"), .wrongParameterCount(indicator: "obv", expectedAtMost: 0, got: 1))
        XCTAssertEqual(
            error("sma:0"), .invalidParameter(indicator: "sma", parameter: "period", value: "0", reason: "must be ≥ 2"))
        XCTAssertEqual(
            error("rsi:-5"),
            .invalidParameter(indicator: "rsi", parameter: "period", value: "-5", reason: "must be ≥ 2"))
        XCTAssertEqual(
            error("ema:abc"),
            .invalidParameter(indicator: "ema", parameter: "period", value: "abc", reason: "must be an integer"))
        XCTAssertEqual(
            error("sma:2.5"),
            .invalidParameter(indicator: "sma", parameter: "period", value: "2.5", reason: "must be an integer"))
        XCTAssertEqual(
            error("bbands:20:x"),
            .invalidParameter(indicator: "bbands", parameter: "devs", value: "x", reason: "must be a number"))
        XCTAssertEqual(
            error("bbands:20:nan"),
            .invalidParameter(indicator: "bbands", parameter: "devs", value: "nan", reason: "must be a number"))
        XCTAssertEqual(
            error("bbands:20:1e999"),
            .invalidParameter(indicator: "bbands", parameter: "devs", value: "1e999", reason: "is not a finite number"))
        XCTAssertEqual(error("sma:20,,ema"), .emptySpec)
        XCTAssertEqual(error(""), .emptySpec)
        XCTAssertEqual(error("sma:20,sma:20"), .duplicateColumn("sma_20"))
        XCTAssertEqual(
            error("sma:"),
            .invalidParameter(indicator: "sma", parameter: "period", value: "", reason: "must be an integer"))
        XCTAssertThrowsError(try IndicatorSpec(.macd, [12, 26, 9, 1]))
        // Every error has a readable message.
        XCTAssertTrue(IndicatorError.unknownIndicator("foo").description.contains("unknown indicator 'foo'"))
    }

    func testCatalogIsCompleteAndEncodes() throws {
        XCTAssertEqual(IndicatorCatalog.all.count, IndicatorKind.allCases.count)
        for info in IndicatorCatalog.all {
            // Defaults parse and give one column per output.
            let spec = try IndicatorSpec.parseOne(info.key)
            XCTAssertEqual(spec.columnNames.count, info.outputs.count)
            XCTAssertEqual(spec.lookbacks.count, info.outputs.count)
            for p in info.parameters { XCTAssertGreaterThanOrEqual(p.defaultValue, p.minimum) }
        }
    }

    static func series(_ n: Int, start: Double = 100) throws -> OHLCVSeries {
        var rng = IndSplitMix(seed: 7)
        var c = start
        var bars: [Bar] = []
        for i in 0..<n {
            let o = c
            c *= 1 + (rng.unit() - 0.5) * 0.02
            bars.append(
                Bar(
                    ts: 1_700_000_000_000 + Int64(i) * 60_000, open: o, high: max(o, c) * 1.001, low: min(o, c) * 0.999,
                    close: c, volume: Double(1 + i % 7)))
        }
        return try OHLCVSeries(bars: bars)
    }

    func testEmptyAndShortSeries() throws {
        let all = IndicatorCatalog.all.map(\.key).joined(separator: ",")
        let specs = try IndicatorSpec.parse(all)
        let empty = try OHLCVSeries(bars: [])
        for col in IndicatorEngine.compute(specs, on: empty) { XCTAssertEqual(col.values.count, 0, col.name) }
        for n in [1, 2, 5] {
            let short = try Self.series(n)
            for (spec, cols) in specs.map({ ($0, IndicatorEngine.columns($0, short)) }) {
                for (o, col) in cols.enumerated() {
                    XCTAssertEqual(col.count, n)
                    for (i, v) in col.enumerated() {
                        XCTAssertEqual(v.isNaN, i < spec.lookbacks[o], "\(spec) output \(o) row \(i) of \(n)")
                    }
                }
            }
        }
    }

    func testNonFiniteAndUnorderedInputsThrow() {
        let ts: [Int64] = [1, 2, 3]
        let ok = [1.0, 2.0, 3.0]
        XCTAssertThrowsError(
            try OHLCVSeries(timestamps: ts, open: ok, high: ok, low: ok, close: [1, .nan, 3], volume: ok)
        ) {
            XCTAssertEqual($0 as? IndicatorError, .nonFinite(field: "close", index: 1))
        }
        XCTAssertThrowsError(
            try OHLCVSeries(timestamps: ts, open: ok, high: [1, 2, .infinity], low: ok, close: ok, volume: ok)
        ) { XCTAssertEqual($0 as? IndicatorError, .nonFinite(field: "high", index: 2)) }
        XCTAssertThrowsError(
            try OHLCVSeries(timestamps: [1, 3, 2], open: ok, high: ok, low: ok, close: ok, volume: ok)
        ) {
            XCTAssertEqual($0 as? IndicatorError, .timestampsNotIncreasing(index: 2))
        }
        XCTAssertThrowsError(try OHLCVSeries(timestamps: ts, open: ok, high: ok, low: ok, close: [1, 2], volume: ok))

        let stream = IndicatorStream(try! IndicatorSpec.parse("sma:2"))
        XCTAssertNoThrow(try stream.append(Bar(ts: 10, open: 1, high: 1, low: 1, close: 1, volume: 1)))
        XCTAssertThrowsError(try stream.append(Bar(ts: 11, open: 1, high: 1, low: 1, close: .nan, volume: 1))) {
            XCTAssertEqual($0 as? IndicatorError, .nonFinite(field: "close", index: 1))
        }
        XCTAssertThrowsError(try stream.append(Bar(ts: 10, open: 1, high: 1, low: 1, close: 1, volume: 1))) {
            XCTAssertEqual($0 as? IndicatorError, .timestampsNotIncreasing(index: 1))
        }
        XCTAssertThrowsError(try stream.updateLast(Bar(ts: 9, open: 1, high: 1, low: 1, close: 1, volume: 1)))
        XCTAssertEqual(stream.barCount, 1)
    }

    /// Replacing the open bar N times then closing it equals appending only its final version.
    func testLiveBarReplacement() throws {
        let specs = try IndicatorSpec.parse(IndicatorCatalog.all.map(\.key).joined(separator: ","))
        let s = try Self.series(300)
        let a = IndicatorStream(specs)
        let b = IndicatorStream(specs)
        var rng = IndSplitMix(seed: 3)
        for i in 0..<s.count {
            let bar = s.bar(i)
            for _ in 0..<Int(rng.next() % 5) {
                var p = bar
                p.close *= 1 + (rng.unit() - 0.5) * 0.05
                p.high = max(p.high, p.close) * (1 + rng.unit() * 0.01)
                p.low = min(p.low, p.close)
                p.volume = rng.unit() * 10
                try b.updateLast(p)
            }
            let va = try a.append(bar)
            let vb = try b.append(bar)
            XCTAssertEqual(va.map(\.bitPattern), vb.map(\.bitPattern), "row \(i)")
            XCTAssertEqual(a.values.map(\.bitPattern), va.map(\.bitPattern))
        }
        XCTAssertEqual(a.barCount, 300)
        XCTAssertEqual(a.lastTimestamp, s.timestamps.last)
    }

    func testVWAPResetsAtMidnightUTC() throws {
        let day: Int64 = 86_400_000
        let t0: Int64 = 1_704_153_600_000  // 2024-01-02T00:00Z
        let bars = [
            Bar(ts: t0 - 120_000, open: 10, high: 10, low: 10, close: 10, volume: 1),
            Bar(ts: t0 - 60_000, open: 20, high: 20, low: 20, close: 20, volume: 3),
            Bar(ts: t0, open: 30, high: 30, low: 30, close: 30, volume: 0),
            Bar(ts: t0 + 60_000, open: 40, high: 40, low: 40, close: 40, volume: 2),
            Bar(ts: t0 + day, open: 50, high: 50, low: 50, close: 50, volume: 5),
        ]
        let v = try IndicatorEngine.compute("vwap", on: OHLCVSeries(bars: bars))[0].values
        XCTAssertEqual(v[0], 10)
        XCTAssertEqual(v[1], 17.5)
        XCTAssertTrue(v[2].isNaN)  // a new day whose volume is still 0
        XCTAssertEqual(v[3], 40)
        XCTAssertEqual(v[4], 50)
        XCTAssertEqual(try IndicatorEngine.compute("vwap", on: OHLCVSeries(bars: bars))[0].optionalValues[2], nil)
    }

    func testFormatting() {
        XCTAssertEqual(IndicatorFormat.csv(.nan), "")
        for x in [0.00001, 1e-05, 100.0, 0.1 + 0.2, 123456789.123, -3.5e-300, 5e15] {
            let s = IndicatorFormat.csv(x)
            XCTAssertEqual(Double(s), x, s)
        }
        XCTAssertEqual(IndicatorSpec.format(2), "2")
        XCTAssertEqual(IndicatorSpec.format(0.02), "0.02")
    }

    func testBenchmarkRuns() throws {
        let s = try Self.series(2_000)
        let r = IndicatorBenchmark.run(series: s, repetitions: 1)
        XCTAssertEqual(Array(r.map(\.key).prefix(10)), IndicatorBenchmark.coreKeys)
        XCTAssertEqual(r.count, 27)
        XCTAssertTrue(IndicatorBenchmark.report(r).hasSuffix("ns/bar"))
        XCTAssertGreaterThan(IndicatorBenchmark.runStreaming(series: s, repetitions: 1), 0)
    }

    func testParametersHaveUpperBounds() throws {
        func reason(_ s: String) -> String? {
            do {
                _ = try IndicatorSpec.parse(s)
                return nil
            } catch IndicatorError.invalidParameter(_, _, _, let reason) {
                return reason
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(reason("sar:1e19:1e19"), "must be ≤ 1")
        XCTAssertEqual(reason("sar:1e300:0.2"), "must be ≤ 1")
        XCTAssertEqual(reason("sar:0.02:1.5"), "must be ≤ 1")
        XCTAssertEqual(reason("bbands:20:1e308"), "must be ≤ 100")
        XCTAssertEqual(reason("keltner:20:10:1e300"), "must be ≤ 100")
        XCTAssertEqual(reason("sma:100001"), "must be ≤ 100000")
        XCTAssertEqual(reason("cci:1001"), "must be ≤ 1000")
        XCTAssertNil(reason("sar:1:1,bbands:20:100,keltner:20:10:100,sma:100000,cci:1000"))
        XCTAssertThrowsError(try IndicatorSpec(.sar, [1e19, 1e19]))
        for info in IndicatorCatalog.all {
            for p in info.parameters {
                XCTAssertLessThanOrEqual(p.minimum, p.defaultValue, "\(info.key) \(p.name)")
                XCTAssertLessThanOrEqual(p.defaultValue, p.maximum, "\(info.key) \(p.name)")
            }
        }
        XCTAssertEqual(IndicatorCatalog.info(forKey: "cci")?.parameters.map(\.maximum).contains(1000), true)
        XCTAssertEqual(try IndicatorSpec.parse("cci:1000,sma:20,macd").map(\.costPerBar), [1000, 1, 3])
    }

    func testTheLargestParametersComputeWithoutTrapping() throws {
        let s = try Self.series(300)
        let specs = try IndicatorSpec.parse("sar:1:1,bbands:20:100,keltner:20:10:100,sar:0:0")
        for col in IndicatorEngine.compute(specs, on: s) {
            XCTAssertEqual(col.values.count, 300)
            XCTAssertTrue(col.values.allSatisfy { $0.isNaN || $0.isFinite }, col.name)
        }
        let stream = IndicatorStream(specs)
        for bar in s.bars { try stream.push(bar, isClosed: true) }
        XCTAssertEqual(stream.barCount, 300)
    }

    func testNonFiniteValuesAreClampedForOutput() throws {
        let col = IndicatorColumn(name: "x", values: [.infinity, -.infinity, .nan, 1.5])
        XCTAssertEqual(col.optionalValues, [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, nil, 1.5])
        XCTAssertEqual(col.optionalValues(1..<3), [-.greatestFiniteMagnitude, nil])
        XCTAssertEqual(IndicatorFormat.csv(.infinity), "1.7976931348623157e+308")
        XCTAssertEqual(IndicatorFormat.csv(-.infinity), "-1.7976931348623157e+308")
        XCTAssertEqual(IndicatorFormat.csv(.nan), "")
    }

    func testStreamingBenchmarkTimesEverySeriesLength() throws {
        // Series of 1,088 to 2,047 bars used to report the 1,000,000 s placeholder (976562500000 ns/update).
        for n in [1, 40, 65, 100, 1_088, 1_500, 2_047, 2_048, 3_000] {
            let ns = IndicatorBenchmark.runStreaming(series: try Self.series(n), repetitions: 1)
            XCTAssertGreaterThan(ns, 0, "\(n)")
            XCTAssertLessThan(ns, 1e7, "\(n)")
        }
        XCTAssertEqual(IndicatorBenchmark.runStreaming(series: try Self.series(0), repetitions: 1), 0)
    }
}
