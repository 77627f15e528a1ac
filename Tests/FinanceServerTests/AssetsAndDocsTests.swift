import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

final class AssetsAndDocsTests: XCTestCase {
    func testAssetCRUD() async throws {
        try await makeApp().test(.router) { client in
            let body =
                "{\"symbol\":\"brk.b\",\"name\":\"Berkshire Hathaway B\",\"assetClass\":\"equity\",\"exchange\":\"NYSE\",\"currency\":\"USD\"}"
            let created = try await client.send(.post, "/api/assets", json: body)
            XCTAssertEqual(created.status, .created, created.text)
            XCTAssertEqual(try created.decode(AssetDTO.self).symbol, "BRK.B")
            let awaited1 = try await client.send(.post, "/api/assets", json: body).status
            XCTAssertEqual(awaited1, .conflict)
            let got = try await client.send(.get, "/api/assets/Brk.B")
            XCTAssertEqual(try got.decode(AssetDTO.self).name, "Berkshire Hathaway B")
            let put = try await client.send(
                .put, "/api/assets/BRK.B", json: "{\"assetClass\":\"etf\",\"sector\":\"Financials\"}")
            XCTAssertEqual(put.status, .ok, put.text)
            let awaited2 = try await client.send(.get, "/api/assets/BRK.B").decode(AssetDTO.self).sector
            XCTAssertEqual(awaited2, "Financials")
            let list = try await client.send(.get, "/api/assets")
            XCTAssertEqual(try list.decode(AssetListDTO.self).assets.map(\.symbol), ["BRK.B"])
            let awaited3 = try await client.send(.delete, "/api/assets/BRK.B").status
            XCTAssertEqual(awaited3, .noContent)
            let awaited4 = try await client.send(.get, "/api/assets/BRK.B").status
            XCTAssertEqual(awaited4, .notFound)
            let awaited5 = try await client.send(.delete, "/api/assets/BRK.B").status
            XCTAssertEqual(awaited5, .notFound)
        }
    }

    func testAssetValidation() async throws {
        try await makeApp().test(.router) { client in
            let bad = try await client.send(
                .post, "/api/assets", json: "{\"symbol\":\"no way!\",\"assetClass\":\"stock\",\"name\":3}")
            XCTAssertEqual(bad.status, .unprocessableContent)
            let fields = Set(bad.problemFields)
            XCTAssertEqual(fields, ["symbol", "assetClass", "name"])
            let missing = try await client.send(.post, "/api/assets", json: "{}")
            XCTAssertEqual(missing.status, .unprocessableContent)
            let mismatch = try await client.send(.put, "/api/assets/AAPL", json: "{\"symbol\":\"MSFT\"}")
            XCTAssertEqual(mismatch.status, .unprocessableContent)
            // A null body symbol is neither absent nor the path's symbol.
            let null = try await client.send(.put, "/api/assets/AAPL", json: #"{"symbol":null,"assetClass":"etf"}"#)
            XCTAssertEqual(null.status, .unprocessableContent)
            XCTAssertEqual(null.problemPointers, ["/symbol"])
            let awaited6 = try await client.send(.put, "/api/assets/AAPL", json: "{}").status
            XCTAssertEqual(awaited6, .notFound)
            let awaited7 = try await client.send(.post, "/api/assets", json: "[1]").status
            XCTAssertEqual(awaited7, .unprocessableContent)
        }
    }

    func testAssetTextFieldsRefuseControlCharactersAndOverlongText() async throws {
        // A real SQLite file: it would keep only the text before a NUL.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("a.sqlite").path)
        _ = try await store.migrate()
        try await makeApp(store: store).test(.router) { client in
            func fields(_ r: TestResponse) -> [String] { r.problemFields }
            let nul = try await client.send(.post, "/api/assets", json: #"{"symbol":"nul1","name":"a\u0000b"}"#)
            XCTAssertEqual(nul.status, .unprocessableContent, nul.text)
            XCTAssertEqual(fields(nul), ["name"])
            for field in ["name", "exchange", "currency", "sector", "industry"] {
                for bad in [
                    #"a\u0000b"#, #"a\nb"#, #"a\tb"#, #"\u007f"#, #"\u0085"#, String(repeating: "x", count: 201),
                ] {
                    let r = try await client.send(.post, "/api/assets", json: #"{"symbol":"T1","\#(field)":"\#(bad)"}"#)
                    XCTAssertEqual(r.status, .unprocessableContent, "\(field) \(bad.prefix(10))")
                    XCTAssertEqual(fields(r), [field])
                }
            }
            let long = String(repeating: "é", count: 200)
            let ok = try await client.send(.post, "/api/assets", json: #"{"symbol":"T1","name":"\#(long)"}"#)
            XCTAssertEqual(ok.status, .created, ok.text)
            let back = try await client.send(.get, "/api/assets/T1")
            XCTAssertEqual(try back.decode(AssetDTO.self).name, long)
            let put = try await client.send(.put, "/api/assets/T1", json: #"{"sector":"x\u0000"}"#)
            XCTAssertEqual(put.status, .unprocessableContent)
            XCTAssertEqual(fields(put), ["sector"])
            for dots in [".", "..", "..."] {
                let r = try await client.send(.post, "/api/assets", json: #"{"symbol":"\#(dots)"}"#)
                XCTAssertEqual(r.status, .unprocessableContent, dots)
                XCTAssertEqual(fields(r), ["symbol"])
            }
            let names = (try await store.assets()).map(\.symbol)
            XCTAssertEqual(names, ["T1"])
        }
    }

    func testHealthReadyMetrics() async throws {
        try await makeApp().test(.router) { client in
            let awaited8 = try await client.send(.get, "/health").decode(HealthDTO.self).status
            XCTAssertEqual(awaited8, "ok")
            let ready = try await client.send(.get, "/ready")
            XCTAssertEqual(ready.status, .ok)
            XCTAssertEqual(try ready.decode(ReadinessDTO.self).database, "memory")
            _ = try await client.send(.post, "/api/ticks", json: "[{\"symbol\":\"X\",\"ts\":1,\"price\":1}]")
            _ = try await client.send(.get, "/api/assets/X")
            let metrics = try await client.send(.get, "/metrics")
            XCTAssertEqual(metrics.status, .ok)
            XCTAssertTrue(metrics.text.contains("financehub_ingested_ticks_total"), metrics.text)
            XCTAssertTrue(metrics.text.contains("http_server_request_duration"))
            XCTAssertTrue(metrics.text.contains("http_route=\"/api/assets/{symbol}\""))
            XCTAssertTrue(metrics.text.contains("financehub_db_operation_duration_seconds"))
        }
    }

    func testADatabaseFailureIsARetryable503WithoutItsCause() {
        let problem = ProblemMiddleware<BasicRequestContext>.problem(
            for: StorageError.backend("database is locked at /secret/path"), logger: .init(label: "t"))
        XCTAssertEqual(problem.status, 503)
        XCTAssertNotNil(problem.correlationId)
        XCTAssertFalse(problem.detail.contains("locked"), problem.detail)
        let config = ProblemMiddleware<BasicRequestContext>.problem(
            for: StorageError.invalidConfiguration("x"), logger: .init(label: "t"))
        XCTAssertEqual(config.status, 500)
    }

    func testMetricsCountTheStatusClientsGetAndEveryRejectedBatch() async throws {
        try await makeApp().test(.router) { client in
            func rejected() async throws -> Double {
                let text = try await client.send(.get, "/metrics").text
                let line = text.split(separator: "\n").first { $0.hasPrefix("financehub_rejected_batches_total") }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            }
            let before = try await rejected()
            // Refused by the ingestor's rules, by a type error, by malformed JSON, and by a bad query.
            let refused = [
                ("/api/ticks", "[{\"symbol\":\"X1\",\"ts\":1,\"price\":-1}]"),
                ("/api/ticks", "[{\"symbol\":\"X1\",\"ts\":true,\"price\":1}]"),
                ("/api/ticks", "{\"symbol\":"),
                ("/api/bars/X1?interval=1m", "[{\"ts\":0,\"open\":1,\"high\":0.5,\"low\":1,\"close\":1,\"volume\":1}]"),
                ("/api/bars/X1?interval=7q", "[]"),
            ]
            for (path, body) in refused {
                let r = try await client.send(.post, path, json: body)
                XCTAssertTrue((400..<500).contains(r.status.code), "\(path) \(r.status)")
            }
            let missing = try await client.send(.get, "/api/bars/NOPE")
            XCTAssertEqual(missing.status, .notFound)
            let after = try await rejected()
            XCTAssertEqual(after - before, Double(refused.count))
            let text = try await client.send(.get, "/metrics").text
            XCTAssertTrue(text.contains("http_response_status_code=\"422\""), text)
            XCTAssertTrue(text.contains("http_response_status_code=\"404\""), text)
            XCTAssertTrue(text.contains("http_response_status_code=\"400\""), text)
        }
    }

    func testOpenAPIDescribesEveryRoute() async throws {
        let store = MemoryStore()
        let router = buildRouter(
            AppDependencies(
                store: store, settings: ServerSettings(simulatedFeed: nil), logger: Logger(label: "test"),
                auth: try await TestAuth.service(users: store)))
        let routes = router.routes.map { route in
            (route.path.description.replacingOccurrences(of: ":", with: ""), route.method.rawValue.lowercased())
        }
        try await makeApp().test(.router) { client in
            let r = try await client.send(.get, "/openapi.json")
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(r.object["openapi"] as? String, "3.1.0")
            let paths = r.object["paths"] as? [String: [String: Any]] ?? [:]
            for (path, method) in routes {
                // Hummingbird prints parameters as {name}; OpenAPI uses the same form.
                XCTAssertNotNil(paths[path]?[method], "\(method.uppercased()) \(path) is missing from openapi.json")
            }
            XCTAssertGreaterThanOrEqual(routes.count, 14)
            let docs = try await client.send(.get, "/docs")
            XCTAssertEqual(docs.status, .ok)
            XCTAssertTrue(docs.text.contains("/api/bars/{symbol}"))
            XCTAssertFalse(docs.text.contains("http://") && docs.text.contains("<script src"), "no external assets")
        }
    }

    func testUnknownErrorsBecome500WithCorrelationId() {
        struct Boom: Error {}
        let problem = ProblemMiddleware<BasicRequestContext>.problem(for: Boom(), logger: .init(label: "t"))
        XCTAssertEqual(problem.status, 500)
        XCTAssertNotNil(problem.correlationId)
        XCTAssertFalse(problem.detail.contains("Boom"))
        XCTAssertEqual(
            ProblemMiddleware<BasicRequestContext>.problem(for: StorageError.conflict("x"), logger: .init(label: "t"))
                .status, 409)
    }
}
