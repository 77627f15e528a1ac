import FinanceApp
import FinanceCLI
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

@testable import FinanceCLI
@testable import FinanceServer

final class IndicatorRoutesTests: XCTestCase {
    /// 60 daily bars with a gentle oscillation.
    static func dailyBars() -> [Bar] {
        (0..<60).map { i in
            let c = 100 + 5 * sin(Double(i) / 4) + Double(i) * 0.1
            return Bar(
                ts: 1_704_067_200_000 + Int64(i) * 86_400_000, open: c - 0.5, high: c + 1, low: c - 1, close: c,
                volume: 1000 + Double(i))
        }
    }

    func testCatalogAndValuesMatchTheEngine() async throws {
        let store = MemoryStore()
        let bars = Self.dailyBars()
        try await store.writeBars(BarBatch(symbol: "SPY", interval: .day1, bars: bars))
        try await makeApp(store: store).test(.router) { client in
            let catalog = try await client.send(.get, "/api/indicators")
            let keys = try catalog.decode(IndicatorCatalogDTO.self).indicators.map(\.key)
            XCTAssertTrue(
                Set(keys).isSuperset(of: ["sma", "ema", "rsi", "macd", "bbands", "stoch", "willr", "atr", "obv", "cci"])
            )
            let from = bars[40].ts
            let r = try await client.send(
                .get, "/api/indicators/spy?indicators=rsi:14,macd:12:26:9,sma:5&interval=1d&from=\(from)")
            XCTAssertEqual(r.status, .ok, r.text)
            let result = try r.decode(IndicatorValuesDTO.self)
            XCTAssertEqual(result.ts.first, from)
            XCTAssertEqual(result.ts.count, 20)
            let values = result.values
            XCTAssertEqual(
                Set(values.keys), ["rsi_14", "macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9", "sma_5"])
            // Values at `from` equal the computation over the whole history.
            let whole = IndicatorEngine.compute(try IndicatorSpec.parse("rsi:14"), on: try OHLCVSeries(bars: bars))[0]
            XCTAssertEqual(try XCTUnwrap(values["rsi_14"]?.first ?? nil), whole.values[40], accuracy: 1e-12)
            let early = try await client.send(.get, "/api/indicators/SPY?indicators=sma:20")
            let sma = try early.decode(IndicatorValuesDTO.self).values["sma_20"] ?? []
            XCTAssertEqual(sma.first, .some(nil), "null during warm-up")
            XCTAssertEqual(sma.count, 60)
        }
    }

    func testAHistoryLongerThanTheReadLimitServesItsLatestBars() async throws {
        // 60 bars, of which the controller may read 25: a query for the last 10 gets the values computed over the
        // latest 25 bars before `to` (not the oldest 25, which would leave nothing at `from`).
        let store = MemoryStore()
        let bars = Self.dailyBars()
        try await store.writeBars(BarBatch(symbol: "SPY", interval: .day1, bars: bars))
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        IndicatorsController(barQueries: BarQueryService(store: store), clock: SystemClock(), maxHistory: 25)
            .addRoutes(to: router.group("/api/indicators"))
        try await Application(router: router).test(.router) { client in
            let from = bars[50].ts
            let r = try await client.send(.get, "/api/indicators/SPY?indicators=sma:5&interval=1d&from=\(from)")
            XCTAssertEqual(r.status, .ok, r.text)
            let result = try r.decode(IndicatorValuesDTO.self)
            XCTAssertEqual(result.ts, bars[50...].map(\.ts))
            let latest = IndicatorEngine.compute(
                try IndicatorSpec.parse("sma:5"), on: try OHLCVSeries(bars: Array(bars[35...])))[0]
            let got = result.values["sma_5"]?.compactMap { $0 } ?? []
            XCTAssertEqual(got.count, 10)
            for (a, b) in zip(got, latest.values[15...]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
    }

    func testIndicatorErrors() async throws {
        let store = MemoryStore()
        try await store.writeBars(BarBatch(symbol: "SPY", interval: .day1, bars: Self.dailyBars()))
        try await makeApp(store: store).test(.router) { client in
            let bad = try await client.send(.get, "/api/indicators/SPY?indicators=foo:3")
            XCTAssertEqual(bad.status, .unprocessableContent)
            XCTAssertEqual(bad.problemFields.first, "indicators")
            let missing = try await client.send(.get, "/api/indicators/SPY")
            XCTAssertEqual(missing.status, .unprocessableContent)
            let zero = try await client.send(.get, "/api/indicators/SPY?indicators=sma:0")
            XCTAssertEqual(zero.status, .unprocessableContent)
            let unknown = try await client.send(.get, "/api/indicators/NOPE?indicators=sma:5")
            XCTAssertEqual(unknown.status, .notFound)
        }
    }

    func testIndicatorsCommandCSVAndJSON() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var csv = "timestamp,open,high,low,close,volume\n"
        for b in Self.dailyBars() { csv += "\(b.ts),\(b.open),\(b.high),\(b.low),\(b.close),\(b.volume)\n" }
        let input = dir.appendingPathComponent("in.csv").path
        try csv.write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.csv").path
        let code = await FinanceHubCommand.run(arguments: [
            "indicators", "--input", input, "--indicators", "sma:3,bbands:20:2,obv", "--output", out,
        ])
        XCTAssertEqual(code, 0)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "timestamp,sma_3,bb_upper_20_2,bb_middle_20_2,bb_lower_20_2,obv")
        XCTAssertEqual(lines.count, 61)
        XCTAssertTrue(lines[1].hasPrefix("1704067200000,,,,,"))
        let jsonOut = dir.appendingPathComponent("out.json").path
        let code2 = await FinanceHubCommand.run(arguments: [
            "indicators", "--input", input, "--indicators", "rsi", "--format", "json", "--output", jsonOut,
        ])
        XCTAssertEqual(code2, 0)
        let rows =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonOut))) as? [[String: Any]]
            ?? []
        XCTAssertEqual(rows.count, 60)
        XCTAssertTrue(rows[0]["rsi_14"] is NSNull)
        XCTAssertNotNil(rows[59]["rsi_14"] as? Double)
        let usage = await FinanceHubCommand.run(arguments: ["indicators", "--input", input, "--indicators", "nope"])
        XCTAssertEqual(usage, 64)
        let missing = await FinanceHubCommand.run(arguments: [
            "indicators", "--input", dir.appendingPathComponent("none.csv").path, "--indicators", "sma",
        ])
        XCTAssertEqual(missing, 1)
    }
}
