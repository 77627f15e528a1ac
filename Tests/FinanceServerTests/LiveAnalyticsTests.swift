import FinanceApp
import FinanceBenchmarks
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

final class LiveAnalyticsTests: XCTestCase {
    /// The first generated benchmark series whose batch detection has a final head-and-shoulders or double
    /// top/bottom (daily bars).
    static func seriesWithPattern() -> [Bar] {
        let wanted: Set<PatternType> = [.headAndShoulders, .doubleTop, .inverseHeadAndShoulders, .doubleBottom]
        for series in PatternBenchmark.generate(PatternBenchConfig(seed: 1, series: 21)) {
            let records = PatternDetector.detect(bars: Array(series.bars.dropLast()))
            if records.contains(where: { wanted.contains($0.type) && $0.status != .forming }) { return series.bars }
        }
        return []
    }

    func testBarsPostedOneAtATimeRaiseTheBatchPatternsAndAnomaliesLive() async throws {
        let bars = Self.seriesWithPattern()
        XCTAssertGreaterThan(bars.count, 50)
        let closed = Array(bars.dropLast())
        let patterns = PatternDetector.detect(bars: closed).filter { $0.status != .forming }
        let anomalies = AnomalyDetector().detect(bars: closed)
        XCTAssertTrue(patterns.contains { [.completed, .confirmed].contains($0.status) })
        let analyticsBus = AnalyticsBus()
        let stream = analyticsBus.subscribe()
        try await makeApp(analyticsBus: analyticsBus).test(.router) { client in
            for bar in bars {
                let r = try await client.send(.post, "/api/bars/gen?interval=1d", json: barJSON(bar))
                XCTAssertEqual(r.status, .created, r.text)
            }
            let total = patterns.count + anomalies.count
            let events = await collect(stream) { $0.count >= total }
            let expectedPatterns = patterns.map { AnalyticsEvent.pattern(symbol: "GEN", interval: .day1, pattern: $0) }
            let expectedAnomalies = anomalies.map {
                AnalyticsEvent.anomaly(symbol: "GEN", interval: .day1, anomaly: $0)
            }
            XCTAssertEqual(events.filter { $0.kind == .pattern }, expectedPatterns)
            XCTAssertEqual(events.filter { $0.kind == .anomaly }, expectedAnomalies)
            let r = try await client.send(.get, "/api/signals?symbol=Gen&interval=1d&kind=pattern&limit=1000")
            XCTAssertEqual(r.status, .ok, r.text)
            let signals = try r.decode(SignalsDTO.self).signals
            // The listed signals are the published ones, field for field.
            XCTAssertEqual(signals, expectedPatterns.map(SignalDTO.init))
            XCTAssertEqual(signals.last?.kind, .pattern)
            XCTAssertEqual(signals.last?.symbol, "GEN")
            XCTAssertEqual(signals.last?.interval, "1d")
            XCTAssertNil(signals.last?.anomaly)
            XCTAssertEqual(signals.last?.pattern?.id, patterns.last?.id)
            let final = signals.compactMap { $0.pattern?.status }
            XCTAssertTrue(final.contains(.completed) || final.contains(.confirmed), "\(final)")
            XCTAssertFalse(final.contains(.forming))
            let newest = try await client.send(.get, "/api/signals?limit=2")
            XCTAssertEqual(try newest.decode(SignalsDTO.self).signals.count, min(2, total))
            let minutes = try await client.send(.get, "/api/signals?interval=1m")
            XCTAssertEqual(try minutes.decode(SignalsDTO.self).signals, [])
            let metrics = try await client.send(.get, "/metrics")
            XCTAssertTrue(metrics.text.contains("financehub_live_patterns_total"), metrics.text)
        }
    }

    func testTicksBuildingAVolumeSurgeRaiseAVolumeSurge() async throws {
        let analyticsBus = AnalyticsBus()
        let stream = analyticsBus.subscribe()
        let surge = t0 + 30 * 60_000
        try await makeApp(analyticsBus: analyticsBus).test(.router) { client in
            // 30 quiet minutes of 4 ticks of size 10, a minute of size 500 ticks, and one tick that closes it.
            for minute in 0...31 {
                let count = minute == 31 ? 1 : 4
                let ticks = (0..<count).map { k -> String in
                    let ts = t0 + Int64(minute) * 60_000 + Int64(k) * 10_000
                    let price = 100 + Double((minute * 4 + k) % 5) * 0.1
                    let size = minute == 30 ? 500 : 10
                    return "{\"symbol\":\"SURGE\",\"ts\":\(ts),\"price\":\(price),\"size\":\(size)}"
                }
                let r = try await client.send(.post, "/api/ticks", json: "[" + ticks.joined(separator: ",") + "]")
                XCTAssertEqual(r.status, .created, r.text)
            }
            let events = await collect(stream) { !volumeSurges($0, symbol: "SURGE").isEmpty }
            let found = volumeSurges(events, symbol: "SURGE")
            XCTAssertEqual(found.map(\.ts), [surge], "\(events)")
            XCTAssertEqual(found.first?.values["volume"], 2000)
            XCTAssertEqual(found.first?.values["baseline"], 40)
            let r = try await client.send(.get, "/api/signals?symbol=SURGE&kind=anomaly")
            let listed = try r.decode(SignalsDTO.self).signals.compactMap { $0.anomaly?.type.rawValue }
            // The tick stream reports order flow only, so the surge is not reported twice.
            XCTAssertEqual(listed.filter { $0 == "volume_surge" }.count, 1, "\(listed)")
        }
    }

    func testWarmUpGivesTheFirstLiveBarItsHistory() async throws {
        let store = MemoryStore()
        let history = (0..<300).map { i in
            let p = 100 + Double(i % 9) * 0.2
            return Bar(
                ts: t0 + Int64(i) * 60_000, open: p, high: p + 0.3, low: p - 0.3, close: p + 0.1,
                volume: 100 + Double(i % 13))
        }
        try await store.writeBars(BarBatch(symbol: "WARM", interval: .minute1, bars: history))
        let analyticsBus = AnalyticsBus()
        let stream = analyticsBus.subscribe()
        let live = Bar(ts: t0 + 300 * 60_000, open: 101, high: 101.4, low: 100.8, close: 101.2, volume: 5_000)
        let next = Bar(ts: t0 + 301 * 60_000, open: 101.2, high: 101.5, low: 101, close: 101.3, volume: 100)
        try await makeApp(store: store, analyticsBus: analyticsBus).test(.router) { client in
            for bar in [live, next] {
                let r = try await client.send(.post, "/api/bars/WARM?interval=1m", json: barJSON(bar))
                XCTAssertEqual(r.status, .created, r.text)
            }
            // Without the 300 stored bars the first live bar has no previous bar and no volume baseline.
            let events = await collect(stream) { !volumeSurges($0, symbol: "WARM").isEmpty }
            let surge = volumeSurges(events, symbol: "WARM").first
            XCTAssertEqual(surge?.ts, live.ts, "\(events)")
            let baseline = history.suffix(20).map(\.volume).reduce(0, +) / 20
            XCTAssertEqual(surge?.values["baseline"] ?? 0, baseline, accuracy: 1e-9)
        }
    }

    /// A series seen for the first time (after a restart, or after its symbol was dropped) whose first event
    /// ends a batch: the batch's own bars raise their signals, only the bars before it are warm-up.
    func testTheFirstBatchAfterARestartRaisesItsOwnSignals() async throws {
        let store = MemoryStore()
        func bar(_ i: Int, volume: Double? = nil) -> Bar {
            let p = 100 + Double(i % 9) * 0.2
            return Bar(
                ts: t0 + Int64(i) * 60_000, open: p, high: p + 0.3, low: p - 0.3, close: p + 0.1,
                volume: volume ?? 100 + Double(i % 13))
        }
        // Stored before the "restart": no analyzer has seen them.
        let history = (0..<300).map { bar($0) }
        try await store.writeBars(BarBatch(symbol: "BATCH", interval: .minute1, bars: history))
        let batch = (300..<340).map { bar($0, volume: $0 == 320 ? 6_000 : nil) }
        let closing = bar(340)
        let analyticsBus = AnalyticsBus()
        let stream = analyticsBus.subscribe()
        try await makeApp(store: store, analyticsBus: analyticsBus).test(.router) { client in
            let items = batch.map { barJSON($0).dropFirst().dropLast() }.joined(separator: ",")
            let r = try await client.send(.post, "/api/bars/BATCH?interval=1m", json: "[\(items)]")
            XCTAssertEqual(r.status, .created, r.text)
            let next = try await client.send(.post, "/api/bars/BATCH?interval=1m", json: barJSON(closing))
            XCTAssertEqual(next.status, .created, next.text)
            let events = await collect(stream, timeout: .seconds(10)) { !volumeSurges($0, symbol: "BATCH").isEmpty }
            XCTAssertEqual(volumeSurges(events, symbol: "BATCH").map(\.ts), [batch[20].ts], "\(events)")
            // The live signals of the batch's minutes are those of the batch detectors over the stored series.
            let expected = AnomalyDetector().detect(bars: history + batch).filter { $0.ts >= batch[0].ts }
            let live = events.compactMap { event -> Anomaly? in
                guard case .anomaly("BATCH", .minute1, let a) = event else { return nil }
                return a
            }
            XCTAssertEqual(live.filter { $0.ts < batch[20].ts }, expected.filter { $0.ts < batch[20].ts })
        }
    }

    func testSignalsQueryValidation() async throws {
        try await makeApp().test(.router) { client in
            let bad = try await client.send(.get, "/api/signals?symbol=no%20way!&interval=7m&kind=both&limit=0")
            XCTAssertEqual(bad.status, .unprocessableContent, bad.text)
            XCTAssertEqual(bad.headers[.contentType], "application/problem+json")
            let fields = Set(bad.problemFields)
            XCTAssertEqual(fields, ["symbol", "interval", "kind", "limit"])
            let tooMany = try await client.send(.get, "/api/signals?limit=1001")
            XCTAssertEqual(tooMany.status, .unprocessableContent)
            XCTAssertEqual(tooMany.problemFields, ["limit"])
            let empty = try await client.send(.get, "/api/signals?symbol=btc&interval=1h&kind=anomaly&limit=1000")
            XCTAssertEqual(empty.status, .ok, empty.text)
            XCTAssertEqual(try empty.decode(SignalsDTO.self).signals, [])
        }
    }
}
