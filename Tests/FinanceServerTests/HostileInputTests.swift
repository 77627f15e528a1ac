import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Hostile and malformed bodies never produce a 5xx, and never write anything.
final class HostileInputTests: XCTestCase {
    func testNoServerErrorsOnMalformedInput() async throws {
        let store = MemoryStore()
        var bodies = [
            "", "null", "{}", "[null]", "[[]]", "\"text\"", "[{\"symbol\":{}}]", "[{\"ts\":1e400}]",
            "[{\"symbol\":\"A\",\"ts\":1,\"price\":1e309}]",
            "[{\"symbol\":\"A\",\"ts\":99999999999999999999999,\"price\":1}]",
            "[{\"symbol\":\"A\",\"ts\":\"2024-13-45\",\"price\":1}]", String(repeating: "[", count: 10_000),
            "[{\"symbol\":\"\\u0000\",\"ts\":1,\"price\":1}]", "[{\"symbol\":\"A\",\"ts\":1,\"price\":NaN}]",
            "[{\"symbol\":\"A\",\"ts\":-9223372036854775808,\"price\":1}]",
        ]
        var state: UInt64 = 99
        for _ in 0..<40 {
            var bytes: [UInt8] = []
            for _ in 0..<64 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            bodies.append(String(decoding: bytes, as: UTF8.self))
        }
        let allBodies = bodies
        try await makeApp(store: store).test(.router) { client in
            for body in allBodies {
                for uri in ["/api/ticks", "/api/bars/AAA?interval=1m", "/api/bars/AAA?interval=1d", "/api/assets"] {
                    let r = try await client.send(.post, uri, json: body)
                    XCTAssertLessThan(r.status.code, 500, "\(uri) \(body.prefix(60)): \(r.text)")
                    XCTAssertGreaterThanOrEqual(r.status.code, 400, "\(uri) \(body.prefix(60)) was accepted")
                }
            }
            for uri in [
                "/api/bars/AAA?from=\u{7f}", "/api/bars/%FF", "/api/quotes/" + String(repeating: "A", count: 5000),
                "/api/bars/AAA?limit=999999999999999999999", "/api/indicators/AAA?indicators=sma:1e99",
            ] {
                let r = try await client.send(.get, uri)
                XCTAssertLessThan(r.status.code, 500, uri)
            }
        }
        let assets = try await store.assets()
        XCTAssertEqual(assets, [])
    }

    /// A bad string deep inside nested objects is reported once: before, every level decoded its object again,
    /// so the work doubled per level (20 levels, 120 bytes: about a minute of CPU per request).
    func testABadStringDeepInsideNestedObjectsIsAQuick400() async throws {
        let depth = 26
        let body = String(repeating: "{\"a\":", count: depth) + "\"\\ud800\"" + String(repeating: "}", count: depth)
        let nestedArray = "[" + String(repeating: "[", count: 400) + String(repeating: "]", count: 401)
        try await makeApp().test(.router) { client in
            let clock = ContinuousClock()
            let start = clock.now
            for uri in ["/api/ticks", "/api/bars/AAA?interval=1d", "/api/assets"] {
                let r = try await client.send(.post, uri, json: body)
                XCTAssertEqual(r.status, .badRequest, r.text)
                XCTAssertFalse(r.text.contains("Dictionary"), r.text)
            }
            let arrays = try await client.send(.post, "/api/ticks", json: nestedArray)
            XCTAssertEqual(arrays.status, .unprocessableContent, arrays.text)
            // 2^26 decodes took hours; one pass takes milliseconds. A generous bound for a loaded machine.
            XCTAssertLessThan(clock.now - start, .seconds(20))
            // Nesting that is fine still parses as before.
            let ok = try await client.send(
                .post, "/api/ticks",
                json: "[{\"symbol\":\"NEST\",\"ts\":1,\"price\":1,\"extra\":{\"a\":[1,{\"b\":null}]}}]")
            XCTAssertEqual(ok.status, .unprocessableContent, ok.text)
            XCTAssertTrue(ok.text.contains("extra"), ok.text)
        }
    }

    func testProblemsQuoteBadValuesCutShort() async throws {
        let huge = String(repeating: "q", count: 60_000)
        try await makeApp().test(.router) { client in
            for (uri, fields) in [
                ("/api/patterns/AAA?types=\(huge)&status=\(huge)", ["types", "status"]),
                ("/api/anomalies/AAA?types=\(huge)", ["types"]), ("/api/bars/AAA?interval=\(huge)", ["interval"]),
                ("/api/indicators/AAA?indicators=\(huge)", ["indicators"]),
                ("/api/indicators/AAA?indicators=sma:\(huge)", ["indicators"]),
            ] {
                let r = try await client.send(.get, uri)
                XCTAssertEqual(r.status, .unprocessableContent, String(uri.prefix(40)))
                // Before: each value was quoted whole, 60 KB in `detail` and again in `errors`.
                XCTAssertLessThan(r.body.readableBytes, 1500, String(uri.prefix(40)))
                XCTAssertEqual(r.problemFields, fields)
                for detail in r.problem?.errors?.map(\.detail) ?? [] {
                    XCTAssertTrue(detail.contains("'" + String(repeating: "q", count: 64) + "…'"), detail)
                }
            }
        }
    }
}
