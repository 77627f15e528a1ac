import FinanceCore
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
            XCTAssertTrue((r.object["detail"] as? String ?? "").contains("EMPTY"))
            let bars = try await client.send(.get, "/api/bars/EMPTY")
            XCTAssertEqual(bars.status, .ok)
            XCTAssertEqual((bars.object["bars"] as? [Any])?.count, 0)
        }
    }
}
