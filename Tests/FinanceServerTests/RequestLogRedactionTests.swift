import XCTest

@testable import FinanceServer

/// Request logs never hold a token or key.
final class RequestLogRedactionTests: XCTestCase {
    func testSecretQueryValuesAreRedactedAndTheRestKept() {
        XCTAssertEqual(
            RequestLogMiddleware<AppRequestContext>.redacted(path: "/api/quotes/BTC", query: nil), "/api/quotes/BTC")
        XCTAssertEqual(
            RequestLogMiddleware<AppRequestContext>.redacted(
                path: "/ws/market/BTC/price", query: "token=eyJhbGciOi.x.y&limit=5&ApiKey=fhk_1_2&api%5Fkey=z&flag"),
            "/ws/market/BTC/price?token=REDACTED&limit=5&ApiKey=REDACTED&api%5Fkey=REDACTED&flag")
        XCTAssertEqual(
            RequestLogMiddleware<AppRequestContext>.redacted(path: "/x", query: "access_token=a&refresh_token=b"),
            "/x?access_token=REDACTED&refresh_token=REDACTED")
    }
}
