import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Hummingbird
import HummingbirdTesting
import XCTest

final class QuoteRouteTests: XCTestCase {
    func testQuoteOfAnAssetWithoutDataIs404() async throws {
        let store = MemoryStore()
        try await store.createAsset(Asset(symbol: "EMPTY", assetClass: .equity))
        try await makeApp(store: store).test(.router) { client in
            let r = try await client.send(.get, "/api/quotes/EMPTY")
            XCTAssertEqual(r.status, .notFound)
            XCTAssertTrue(r.problem?.detail.contains("EMPTY") ?? false, r.text)
            let bars = try await client.send(.get, "/api/bars/EMPTY")
            XCTAssertEqual(bars.status, .ok)
            XCTAssertEqual(try bars.decode(BarsDTO.self).bars, [])
        }
    }

    func testPushedHistoryIsStoredAndTheHeldQuoteFollowsIt() async throws {
        let store = MemoryStore()
        try await makeApp(store: store).test(.router) { client in
            let live = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"HQ","ts":"2024-06-03T10:00:00Z","price":10,"size":1}]"#)
            XCTAssertEqual(live.status, .created, live.text)
            let first = try await client.send(.get, "/api/quotes/HQ")
            XCTAssertEqual(try first.decode(QuoteDTO.self).price, 10)
            // A bad flag is a 422 naming it, and nothing is written.
            let bad = try await client.send(
                .post, "/api/ticks?historical=yes",
                json: #"[{"symbol":"HQ","ts":"2024-06-03T10:05:00Z","price":99,"size":1}]"#)
            XCTAssertEqual(bad.status, .unprocessableContent)
            XCTAssertEqual(bad.problemFields, ["historical"])
            let afterBad = try await store.ticks(symbol: "HQ", from: nil, to: nil, limit: 10)
            XCTAssertEqual(afterBad.count, 1)
            // History is stored, and the quote (held in memory since the first read) follows it at once.
            let history = try await client.send(
                .post, "/api/ticks?historical=true",
                json: #"[{"symbol":"HQ","ts":"2024-06-03T10:05:00Z","price":12,"size":1}]"#)
            XCTAssertEqual(history.status, .created, history.text)
            let after = try await client.send(.get, "/api/quotes/HQ")
            XCTAssertEqual(try after.decode(QuoteDTO.self).price, 12)
            let bars = try await client.send(
                .post, "/api/bars/HQ?interval=1d&historical=maybe",
                json: #"[{"ts":"2024-06-01","open":1,"high":1,"low":1,"close":1,"volume":1}]"#)
            XCTAssertEqual(bars.problemFields, ["historical"])
        }
        let days = try await store.storedIntervals(symbol: "HQ")
        XCTAssertEqual(days, [.minute1], "the refused bar batch wrote nothing")
    }
}
