import FinanceBenchmarks
import XCTest

@testable import FinanceCore

final class AnomalyTests: XCTestCase {
    func naiveMedian(_ a: [Double]) -> Double {
        let s = a.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    func testRollingMedianAndMADMatchNaive() {
        var r = SeededRandom(seed: 7)
        for cap in [1, 2, 5, 50] {
            var w = AnomWindow(capacity: cap, sorted: true)
            var hist: [Double] = []
            for k in 0..<400 {
                let x = k % 7 == 0 ? 1.0 : (r.uniform() < 0.1 ? 0.5 : r.normal())  // ties included
                w.push(x)
                hist.append(x)
                let win = Array(hist.suffix(cap))
                let med = naiveMedian(win)
                XCTAssertEqual(w.median, med, accuracy: 1e-12)
                XCTAssertEqual(w.mad(med), naiveMedian(win.map { abs($0 - med) }), accuracy: 1e-12)
                let mean = win.reduce(0, +) / Double(win.count)
                XCTAssertEqual(w.mean, mean, accuracy: 1e-9)
            }
        }
    }

    func testRobustZWithZeroMAD() {
        // MAD = 0 but some spread: falls back to the mean absolute deviation.
        var w = AnomWindow(capacity: 5, sorted: true)
        for x in [1.0, 1, 1, 1, 2] { w.push(x) }
        let med = w.median
        XCTAssertEqual(w.mad(med), 0)
        let z = anomRobustZ(3, median: med, mad: 0, meanAbsDev: { w.meanAbsDev(med) }, cap: 1000)
        XCTAssertEqual(z, 2 / (1.253314 * 0.2), accuracy: 1e-9)
        // No spread at all: 0 for the median itself, ±cap otherwise.
        XCTAssertEqual(anomRobustZ(1, median: 1, mad: 0, meanAbsDev: { 0 }, cap: 1000), 0)
        XCTAssertEqual(anomRobustZ(0.5, median: 1, mad: 0, meanAbsDev: { 0 }, cap: 1000), -1000)
    }

    func flatBars(_ n: Int, price: Double = 100, volume: Double = 1000) -> [Bar] {
        (0..<n).map { i in
            Bar(
                ts: 1_577_836_800_000 + Int64(i) * 86_400_000, open: price, high: price, low: price, close: price,
                volume: volume)
        }
    }

    func testConstantPricesThenSpikeIsFlaggedWithoutNaN() throws {
        var bars = flatBars(40)
        let last = bars[39]
        bars.append(Bar(ts: last.ts + 86_400_000, open: 100, high: 110, low: 100, close: 110, volume: 1000))
        let res = AnomalyDetector().detect(bars: bars)
        let spikes = res.filter { $0.type == .priceSpike }
        XCTAssertEqual(spikes.count, 1)
        let s = try XCTUnwrap(spikes.first)
        XCTAssertEqual(s.ts, bars[40].ts)
        XCTAssertEqual(s.severity, 1000)
        XCTAssertEqual(s.values["mad"], 0)
        for a in res { for v in a.values.values { XCTAssertTrue(v.isFinite) } }
    }

    func testVolumeSurgeAndGap() {
        var bars = flatBars(30)
        for i in 1..<30 {
            let p = 100 + Double(i % 3)
            bars[i].open = bars[i - 1].close
            bars[i].close = p
            bars[i].high = max(bars[i].open, p) + 0.5
            bars[i].low = min(bars[i].open, p) - 0.5
        }
        bars[20].volume = 5000
        let gapOpen = bars[24].close * 1.05
        bars[25] = Bar(
            ts: bars[25].ts, open: gapOpen, high: gapOpen + 1, low: gapOpen - 0.2, close: gapOpen, volume: 1000)
        let res = AnomalyDetector().detect(bars: bars)
        let surge = res.filter { $0.type == .volumeSurge }
        XCTAssertEqual(surge.map(\.ts), [bars[20].ts])
        XCTAssertEqual(surge[0].values["relative_volume"] ?? 0, 5, accuracy: 1e-9)
        let gaps = res.filter { $0.type == .gapUp }
        XCTAssertEqual(gaps.map(\.ts), [bars[25].ts])
        XCTAssertEqual(gaps[0].values["full_gap"], 1)
        // 24/7 assets: gaps are off.
        var o = AnomalyOptions()
        o.continuousMarket = true
        XCTAssertTrue(AnomalyDetector(options: o).detect(bars: bars).filter { $0.type == .gapUp }.isEmpty)
    }

    func testSameTimeOfDayVolume() {
        // Minute bars over 10 days: 09:30 always has 10x volume, which is normal for that minute.
        var bars: [Bar] = []
        let day: Int64 = 86_400_000
        for d in 0..<10 {
            for m in 0..<60 {
                let ts = 1_700_006_400_000 - 1_700_006_400_000 % day + Int64(d) * day + 34_200_000 + Int64(m) * 60_000
                let v: Double = m == 0 ? 10_000 : 1000
                bars.append(
                    Bar(ts: ts, open: 100, high: 100.1, low: 99.9, close: 100 + 0.01 * Double(m % 2), volume: v))
            }
        }
        let surges = AnomalyDetector().detect(bars: bars).filter { $0.type == .volumeSurge }
        // Flagged only on the first days, before 5 days of same-minute history exist.
        XCTAssertFalse(surges.isEmpty)
        for s in surges {
            XCTAssertLessThan(s.ts, bars[5 * 60].ts)
            XCTAssertEqual(s.values["same_time_of_day"], 0)
        }
    }

    /// OFI by hand from Cont, Kukanov & Stoikov (2014), eq. (2): e_n = 1{Pb_n ≥ Pb_n−1} qb_n − 1{Pb_n ≤ Pb_n−1} qb_n−1
    /// − 1{Pa_n ≤ Pa_n−1} qa_n + 1{Pa_n ≥ Pa_n−1} qa_n−1.
    func testOFIHandComputed() {
        let quotes: [(Double, Double, Double, Double)] = [
            (10.00, 10.01, 100, 200),  // first quote: no event
            (10.00, 10.01, 150, 200),  // bid size +50: e = 150 − 100 = 50 (ask same: −200 + 200 = 0)
            (10.01, 10.02, 80, 300),  // bid up: +80; ask up: + previous ask size 200 → e = 280
            (10.01, 10.02, 80, 250),  // ask size −50: e = 80 − 80 − 250 + 300 = 50
            (10.00, 10.01, 120, 90),  // bid down: −80 (previous bid size); ask down: −90 → e = −170
        ]
        var s = AnomalyStream()
        for (k, q) in quotes.enumerated() {
            _ = s.append(
                tick: Tick(symbol: "X", ts: 1_000 + Int64(k), price: 10, bid: q.0, ask: q.1, bidSize: q.2, askSize: q.3)
            )
        }
        XCTAssertEqual(s.ofi, 50 + 280 + 50 - 170, accuracy: 1e-9)
        XCTAssertEqual(s.quoteEvents, 4)
    }

    func testOFIFlagsOneSidedInterval() {
        let g = AnomalyBenchmark.generateTicks(seed: 78, minutes: 400, injections: 5, quotes: true)
        var o = AnomalyOptions()
        o.types = [.orderFlowImbalance]
        let found = Set(AnomalyDetector(options: o).detect(ticks: g.ticks).map(\.ts))
        let hits = g.truth.filter { found.contains($0.ts) }.count
        XCTAssertGreaterThanOrEqual(hits, 4)
    }

    func testTradeSignImbalanceWhenOnlyTrades() {
        let g = AnomalyBenchmark.generateTicks(seed: 5, minutes: 300, injections: 4, quotes: false)
        var o = AnomalyOptions()
        o.types = [.orderFlowImbalance]
        let res = AnomalyDetector(options: o).detect(ticks: g.ticks)
        let found = Set(res.map(\.ts))
        XCTAssertEqual(g.truth.filter { found.contains($0.ts) }.count, g.truth.count)
        XCTAssertNotNil(res.first?.values["trade_imbalance"])
        XCTAssertNil(res.first?.values["ofi"])
    }

    func testBatchEqualsStreamingBarsAndTicks() {
        let g = AnomalyBenchmark.generateBars(seed: 3, bars: 1500, injections: 20)
        let batch = AnomalyDetector().detect(bars: g.bars)
        var s = AnomalyStream()
        var stream: [Anomaly] = []
        for b in g.bars { stream += s.append(b) }
        XCTAssertEqual(batch, stream)
        XCTAssertFalse(batch.isEmpty)

        var t = AnomalyBenchmark.generateTicks(seed: 4, minutes: 200, injections: 3, quotes: true).ticks
        for k in t.indices where k % 3 == 0 { t[k].size = 100 }
        let tb = AnomalyDetector().detect(ticks: t)
        var ts = AnomalyStream()
        var tsOut: [Anomaly] = []
        for x in t { tsOut += ts.append(tick: x) }
        tsOut += ts.finish()
        XCTAssertEqual(tb, tsOut)
    }

    func testNoLookAheadPrefix() {
        let g = AnomalyBenchmark.generateBars(seed: 9, bars: 800, injections: 10)
        let full = AnomalyDetector().detect(bars: g.bars)
        let prefix = AnomalyDetector().detect(bars: Array(g.bars.prefix(500)))
        XCTAssertEqual(prefix, full.filter { $0.ts <= g.bars[499].ts })
    }

    func testUnusualRunAndDivergence() {
        let g = AnomalyBenchmark.generateBars(seed: 11, bars: 3000, injections: 16)
        let res = AnomalyDetector().detect(bars: g.bars)
        for kind in [
            AnomalyType.unusualRun, .priceVolumeDivergence, .volatilitySpike, .priceSpike, .gapUp, .gapDown,
            .volumeSurge,
        ] {
            let truths = g.truth.filter { $0.type == kind }
            guard !truths.isEmpty else { continue }
            let hits = truths.filter { t in
                res.contains { $0.type == kind && $0.ts >= t.ts && ($0.ts - t.ts) / 86_400_000 <= Int64(t.window) }
            }
            XCTAssertGreaterThanOrEqual(Double(hits.count), 0.5 * Double(truths.count), "\(kind)")
        }
    }

    func testTickCSVAndJSONShape() throws {
        let csv =
            "timestamp,price,size,bid,ask,bidSize,askSize\n2024-01-02T14:30:00Z,10,100,9.99,10.01,500,400\n1704205801,10.01,,10.00,10.02,300,200\n"
        let ticks = AnomalyDetector.parseTickCSV(csv, symbol: "X")
        XCTAssertEqual(ticks.count, 2)
        XCTAssertEqual(ticks[1].ts, 1_704_205_801_000)
        XCTAssertNil(ticks[1].size)
        XCTAssertEqual(ticks[1].askSize, 200)
    }

    func testExtremePriceJumpsStayFiniteAndEncode() throws {
        // Valid prices 1e−160 then 1e160: their ratio overflows a double, the difference of their logs does not.
        var bars: [Bar] = []
        for i in 0..<60 {
            let p = i < 30 ? 1e-160 * (1 + 0.01 * Double(i % 3)) : 1e160 * (1 + 0.01 * Double(i % 3))
            bars.append(Bar(ts: Int64(i) * 86_400_000, open: p, high: p * 1.01, low: p * 0.99, close: p, volume: 100))
        }
        let found = AnomalyDetector().detect(bars: bars)
        let spike = try XCTUnwrap(found.first { $0.type == .priceSpike && $0.ts == bars[30].ts })
        XCTAssertEqual(spike.values["return"]!, log(1e160) - log(1.02e-160), accuracy: 1e-9)
        let gap = try XCTUnwrap(found.first { $0.type == .gapUp })
        XCTAssertEqual(gap.values["gap_percent"], Double.greatestFiniteMagnitude)
        for a in found {
            XCTAssertTrue(a.severity.isFinite)
            XCTAssertTrue(a.values.values.allSatisfy(\.isFinite), "\(a)")
        }
        // The same holds for every record built by hand: infinities are clamped, NaN values left out.
        let a = Anomaly(
            type: .volumeSurge, ts: 0, severity: .infinity, values: ["x": -.infinity, "y": .nan, "z": 2], threshold: 3)
        XCTAssertEqual(a.severity, .greatestFiniteMagnitude)
        XCTAssertEqual(a.values, ["x": -.greatestFiniteMagnitude, "z": 2])
        let p = PatternDetection(
            id: "x", type: .support, direction: .bullish, start: 0, end: 1, points: [], breakout: 1e308,
            target: .infinity, confidence: 1, status: .completed, strength: .nan, slope: -.infinity)
        XCTAssertEqual(p.target, .greatestFiniteMagnitude)
        XCTAssertNil(p.strength)
        XCTAssertEqual(p.slope, -.greatestFiniteMagnitude)
    }

    func testBadBarsAreIgnoredAndFiltersParse() {
        let g = AnomalyBenchmark.generateBars(seed: 21, bars: 600, injections: 6)
        var dirty = g.bars
        dirty.insert(Bar(ts: g.bars[300].ts + 1, open: .nan, high: .nan, low: .nan, close: .nan, volume: 1), at: 301)
        dirty.insert(g.bars[100], at: 200)  // an old bar out of order
        XCTAssertEqual(AnomalyDetector().detect(bars: dirty), AnomalyDetector().detect(bars: g.bars))
        XCTAssertEqual(AnomalyType.parseList("gap_up,price_spike"), [.gapUp, .priceSpike])
        XCTAssertNil(AnomalyType.parseList("gap_up,nope"))
        let all = AnomalyDetector().detect(bars: g.bars)
        let some = AnomalyDetector.filter(all, from: g.bars[200].ts, to: g.bars[400].ts, types: [.gapUp, .gapDown])
        XCTAssertTrue(
            some.allSatisfy {
                ($0.type == .gapUp || $0.type == .gapDown) && $0.ts >= g.bars[200].ts && $0.ts <= g.bars[400].ts
            })
    }
}
