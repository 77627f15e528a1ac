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
}
