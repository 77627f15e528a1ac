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

/// Hostile indicator requests: unbounded parameters, huge work, huge output, non-finite values.
final class IndicatorLimitsTests: XCTestCase {
    /// `count` daily bars of a gentle oscillation.
    static func bars(_ count: Int, interval: Int64 = 86_400_000) -> [Bar] {
        (0..<count).map { i in
            let c = 100 + 5 * sin(Double(i) / 4) + Double(i % 50) * 0.1
            return Bar(
                ts: 1_704_067_200_000 + Int64(i) * interval, open: c - 0.5, high: c + 1, low: c - 1, close: c,
                volume: 1000 + Double(i % 17))
        }
    }

    static func fields(_ r: TestResponse) -> [String] {
        r.problemFields
    }

    static func store(_ count: Int, interval: Interval = .day1) async throws -> MemoryStore {
        let store = MemoryStore()
        try await store.writeBars(
            BarBatch(symbol: "SPY", interval: interval, bars: Self.bars(count, interval: interval.nominalMilliseconds)))
        return store
    }

    func testUnboundedDecimalParametersAre422NotACrash() async throws {
        let store = try await Self.store(60)
        try await makeApp(store: store).test(.router) { client in
            for specs in [
                "sar:1e19:1e19", "sar:1e300:0.2", "sar:0.02:1e19", "sar:2:0.2", "bbands:20:1e308", "bbands:20:101",
                "keltner:20:10:1e300", "cci:1001",
            ] {
                let r = try await client.send(.get, "/api/indicators/SPY?indicators=\(specs)")
                XCTAssertEqual(r.status, .unprocessableContent, "\(specs): \(r.text)")
                XCTAssertEqual(Self.fields(r), ["indicators"], specs)
                XCTAssertEqual(r.headers[.contentType], "application/problem+json")
            }
            // The bounds themselves are accepted, and every value is a finite number or null.
            let ok = try await client.send(
                .get, "/api/indicators/SPY?indicators=sar:1:1,bbands:20:100,keltner:20:10:100,cci:1000")
            XCTAssertEqual(ok.status, .ok, ok.text)
            XCTAssertEqual(try ok.decode(IndicatorValuesDTO.self).values["sar_1_1"]?.count, 60)
        }
    }

    func testTheCatalogShowsEveryParameterRange() async throws {
        try await makeApp().test(.router) { client in
            let r = try await client.send(.get, "/api/indicators")
            let infos = try r.decode(IndicatorCatalogDTO.self).indicators
            XCTAssertEqual(infos.count, IndicatorKind.allCases.count)
            for info in infos {
                for p in info.parameters {
                    XCTAssertLessThanOrEqual(p.minimum, p.maximum, "\(info.key) \(p.name)")
                }
            }
            let sar = infos.first { $0.key == "sar" }
            XCTAssertEqual(sar?.parameters.map(\.maximum), [1, 1])
            let cci = infos.first { $0.key == "cci" }
            XCTAssertEqual(cci?.parameters.first?.maximum, 1000)
        }
    }

    func testAtMost50SpecsPerRequest() async throws {
        let store = try await Self.store(30)
        try await makeApp(store: store).test(.router) { client in
            let fifty = (2...51).map { "sma:\($0)" }.joined(separator: ",")
            let ok = try await client.send(.get, "/api/indicators/SPY?indicators=\(fifty)")
            XCTAssertEqual(ok.status, .ok)
            XCTAssertEqual(try ok.decode(IndicatorValuesDTO.self).values.count, 50)
            let many = (2...201).map { "sma:\($0)" }.joined(separator: ",")
            let r = try await client.send(.get, "/api/indicators/SPY?indicators=\(many)")
            XCTAssertEqual(r.status, .unprocessableContent)
            XCTAssertEqual(Self.fields(r), ["indicators"])
            XCTAssertTrue(r.text.contains("at most 50"), r.text)
        }
    }

    func testTheWorkOfARequestIsBounded() async throws {
        // 50 CCIs of periods 951...1000 over 4,200 bars: about 205 million window steps, over the budget of 200
        // million, so a 422 naming `indicators` instead of seconds of CPU; the same over 400 bars is computed.
        let many = (951...1000).map { "cci:\($0)" }.joined(separator: ",")
        let big = try await Self.store(4_200, interval: .minute1)
        try await makeApp(store: big).test(.router) { client in
            let r = try await client.send(.get, "/api/indicators/SPY?interval=1m&indicators=\(many)")
            XCTAssertEqual(r.status, .unprocessableContent, r.text)
            XCTAssertEqual(Self.fields(r), ["indicators"])
            XCTAssertTrue(r.text.contains("more than the 200000000 one request may use"), r.text)
        }
        let small = try await Self.store(1_200, interval: .minute1)
        try await makeApp(store: small).test(.router) { client in
            let r = try await client.send(.get, "/api/indicators/SPY?interval=1m&indicators=\(many)")
            XCTAssertEqual(r.status, .ok, r.text)
            let values = try r.decode(IndicatorValuesDTO.self).values
            XCTAssertEqual(values.count, 50)
            XCTAssertNotNil(values["cci_1000"]?.last ?? nil)
            XCTAssertEqual(values["cci_1000"]?.count, 1_200)
        }
    }

    func testLimitSelectsTheLatestRowsOrTheFirstFromFrom() async throws {
        let bars = Self.bars(60)
        let store = MemoryStore()
        try await store.writeBars(BarBatch(symbol: "SPY", interval: .day1, bars: bars))
        let whole = IndicatorEngine.compute(try IndicatorSpec.parse("rsi:14"), on: try OHLCVSeries(bars: bars))[0]
        try await makeApp(store: store).test(.router) { client in
            let latest = try await client.send(.get, "/api/indicators/SPY?indicators=rsi:14&limit=5")
            XCTAssertEqual(latest.status, .ok, latest.text)
            let answer = try latest.decode(IndicatorValuesDTO.self)
            XCTAssertEqual(answer.ts, bars[55...].map(\.ts))
            let got = answer.values["rsi_14"]?.compactMap { $0 } ?? []
            XCTAssertEqual(got.count, 5)
            // JSONSerialization's parsing of a double may differ in the last bit.
            for (a, b) in zip(got, whole.values[55...]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            let first = try await client.send(
                .get, "/api/indicators/SPY?indicators=rsi:14&limit=3&from=\(bars[20].ts)")
            XCTAssertEqual(try first.decode(IndicatorValuesDTO.self).ts, bars[20..<23].map(\.ts))
            for bad in ["limit=0", "limit=100001", "limit=x"] {
                let r = try await client.send(.get, "/api/indicators/SPY?indicators=rsi:14&\(bad)")
                XCTAssertEqual(r.status, .unprocessableContent, bad)
                XCTAssertEqual(Self.fields(r), ["limit"], bad)
            }
            // At most 1,000,000 values per response: 100,000 rows of 11 columns is too many, of 10 is not.
            let eleven = (2...12).map { "sma:\($0)" }.joined(separator: ",")
            let tooMany = try await client.send(.get, "/api/indicators/SPY?indicators=\(eleven)&limit=100000")
            XCTAssertEqual(tooMany.status, .unprocessableContent)
            XCTAssertEqual(Self.fields(tooMany), ["limit"])
            let ten = (2...11).map { "sma:\($0)" }.joined(separator: ",")
            let fits = try await client.send(.get, "/api/indicators/SPY?indicators=\(ten)&limit=100000")
            XCTAssertEqual(fits.status, .ok, fits.text)
        }
    }

    func testFromAfterToIs422NamingFrom() async throws {
        let store = try await Self.store(10)
        try await makeApp(store: store).test(.router) { client in
            for uri in [
                "/api/indicators/SPY?indicators=sma:2&from=2024-02-01&to=2024-01-01",
                "/api/bars/SPY?interval=1d&from=2024-02-01&to=2024-01-01",
                "/api/patterns/SPY?from=2024-02-01&to=2024-01-01",
                "/api/anomalies/SPY?interval=1d&from=2024-02-01&to=2024-01-01",
            ] {
                let r = try await client.send(.get, uri)
                XCTAssertEqual(r.status, .unprocessableContent, uri)
                XCTAssertEqual(Self.fields(r), ["from"], uri)
            }
            // An empty range (from == to) is not an error.
            let empty = try await client.send(.get, "/api/bars/SPY?interval=1d&from=2024-01-01&to=2024-01-01")
            XCTAssertEqual(empty.status, .ok)
        }
    }

    func testCLIRejectsUnboundedParametersAsAUsageError() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var csv = "timestamp,open,high,low,close,volume\n"
        for b in Self.bars(30) { csv += "\(b.ts),\(b.open),\(b.high),\(b.low),\(b.close),\(b.volume)\n" }
        let input = dir.appendingPathComponent("ok.csv").path
        try csv.write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.csv").path
        for specs in ["sar:1e19", "sar:1e300:0.2", "bbands:20:1e308", "keltner:20:10:1e300", "cci:1001"] {
            let code = await FinanceHubCommand.run(arguments: [
                "indicators", "--input", input, "--indicators", specs, "--output", out,
            ])
            XCTAssertEqual(code, 64, specs)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testOutputNeverCarriesInfinityOrNaN() throws {
        let series = try OHLCVSeries(bars: Self.bars(3))
        let column = IndicatorColumn(name: "x", values: [.infinity, -.infinity, .nan])
        let json = IndicatorsCommand.json(series, [column])
        let rows = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[0]["x"] as? Double, .greatestFiniteMagnitude)
        XCTAssertEqual(rows[1]["x"] as? Double, -.greatestFiniteMagnitude)
        XCTAssertTrue(rows[2]["x"] is NSNull)
        let csv = IndicatorsCommand.csv(series, [column])
        XCTAssertFalse(csv.contains("inf"), csv)
        XCTAssertFalse(csv.contains("nan"), csv)
        XCTAssertEqual(csv.split(separator: "\n")[1], "\(series.timestamps[0]),1.7976931348623157e+308")
        // The API encodes the same column the same way (clamped, null for missing), never failing.
        let encoded = try HTTP.encoder.encode(["x": column.optionalValues(0..<3)])
        XCTAssertEqual(
            String(decoding: encoded, as: UTF8.self), #"{"x":[1.7976931348623157e+308,-1.7976931348623157e+308,null]}"#)
    }
}
