import FinanceCore
import FinanceServer
import FinanceTestSupport
import Foundation
import HummingbirdTesting
import XCTest

/// The wire formats: field names, clamping, round trips, and no escaped slashes.
final class DTOTests: XCTestCase {
    func encodeObject(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any] ?? [:]
    }

    func testPatternAndAnomalyFieldNames() throws {
        let d = PatternDetection(
            id: "x", type: .doubleTop, direction: .bearish, start: 1, end: 2, points: [PatternPoint(ts: 1, price: 2)],
            breakout: 1, target: 0.5, confidence: 0.7, status: .completed)
        let pattern = try self.encodeObject(PatternDTO(d))
        XCTAssertEqual(
            Set(pattern.keys),
            ["id", "type", "direction", "start", "end", "points", "breakout", "target", "confidence", "status"])
        XCTAssertEqual(pattern["type"] as? String, "double_top")
        let a = Anomaly(type: .gapUp, ts: 5, severity: 2, values: ["gap_percent": 1], threshold: 1)
        let anomaly = try self.encodeObject(AnomalyDTO(a))
        XCTAssertEqual(Set(anomaly.keys), ["type", "ts", "severity", "values", "threshold"])
        XCTAssertEqual(anomaly["type"] as? String, "gap_up")
    }

    func testExtremeValuesEncode() throws {
        let a = Anomaly(
            type: .volumeSurge, ts: 0, severity: .infinity, values: ["x": -.infinity, "y": .nan, "z": 2], threshold: 3)
        XCTAssertNoThrow(try JSONEncoder().encode(AnomalyDTO(a)))
        let p = PatternDetection(
            id: "x", type: .support, direction: .bullish, start: 0, end: 1, points: [], breakout: 1e308,
            target: .infinity, confidence: 1, status: .completed, strength: .nan, slope: -.infinity)
        XCTAssertNoThrow(try JSONEncoder().encode(PatternDTO(p)))
    }

    func testSignalsRoundTripThroughJSON() throws {
        let anomaly = Anomaly(type: .volumeSurge, ts: 60_000, severity: 4, values: ["volume": 40], threshold: 3)
        let pattern = PatternDetection(
            id: "double_top:1:2:0", type: .doubleTop, direction: .bearish, start: 1, end: 9,
            points: [PatternPoint(ts: 1, price: 10)], breakout: 9, target: 8, confidence: 0.7, status: .confirmed)
        let events: [AnalyticsEvent] = [
            .anomaly(symbol: "BTC", interval: .minute1, anomaly: anomaly),
            .pattern(symbol: "SPY", interval: .day1, pattern: pattern),
        ]
        let dtos = events.map(SignalDTO.init)
        let data = try JSONEncoder().encode(dtos)
        XCTAssertEqual(try JSONDecoder().decode([SignalDTO].self, from: data), dtos)
        let object = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        XCTAssertEqual(object?.first?["kind"] as? String, "anomaly")
        XCTAssertNil(object?.first?["pattern"])
        XCTAssertEqual(object?.last?["interval"] as? String, "1d")
        XCTAssertEqual((object?.last?["pattern"] as? [String: Any])?["id"] as? String, "double_top:1:2:0")
    }

    func testTheIndicatorCatalogNamesItsParameterBounds() throws {
        let catalog = ["indicators": IndicatorCatalog.all.map(IndicatorInfoDTO.init)]
        let json = String(decoding: try JSONEncoder().encode(catalog), as: UTF8.self)
        XCTAssertTrue(json.contains("\"key\":\"macd\""))
        XCTAssertTrue(json.contains("\"default\":26"))
        XCTAssertTrue(json.contains("\"min\":2"))
        XCTAssertTrue(json.contains("\"max\":1000"))
        let back = try JSONDecoder().decode(IndicatorCatalogDTO.self, from: Data(json.utf8))
        XCTAssertEqual(back.indicators, catalog["indicators"])
    }

    func testProblemPointersAreNotEscaped() async throws {
        try await makeApp().test(.router) { client in
            let r = try await client.send(.post, "/api/ticks", json: #"[{"symbol":"A","ts":"soon","price":1}]"#)
            XCTAssertEqual(r.status, .unprocessableContent)
            XCTAssertTrue(r.text.contains("\"/0/ts\""), r.text)
            XCTAssertFalse(r.text.contains("\\/"), r.text)
        }
    }
}
