import FinanceApp
import FinanceCore
import FinanceProviders
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Hummingbird
import HummingbirdTesting
import XCTest

/// `GET /api/bars/{symbol}` backfilling a range the store does not cover, through scripted providers.
final class OnDemandBarsTests: XCTestCase {
    private let day: Int64 = 86_400_000
    /// 2025-02-04: Polygon's 2 years reach back before 2024.
    private var now: Int64 { t0 + 400 * self.day }
    private let june = Timestamp.parse("2024-06-01")!

    private func app(
        _ providers: [any MarketDataProvider], store: MemoryStore, settings: ProviderSettings = ProviderSettings()
    ) async throws -> some ApplicationProtocol {
        let clock = SettableClock(self.now)
        return try await makeApp(
            store: store, providers: scriptedRouter(providers, repository: store, clock: clock),
            providerSettings: settings, clock: clock)
    }

    func testARangeTheStoreDoesNotCoverIsBackfilledOnceThenAnsweredFromTheStore() async throws {
        let store = MemoryStore()
        let cutoff = Timestamp.parse("2024-06-20")!
        // No bars after the 20th (a holiday, a halted stock): the rest of the range stays empty.
        let polygon = ScriptedBarProvider("polygon") { request in
            stride(from: request.from, to: min(request.to, cutoff), by: 86_400_000).map {
                Bar(ts: $0, open: 10, high: 11, low: 9, close: 10.5, volume: 100)
            }
        }
        let june = self.june
        try await self.app([polygon], store: store).test(.router) { client in
            let first = try await client.send(.get, "/api/bars/aapl?interval=1d&from=2024-06-01&to=2024-07-01")
            XCTAssertEqual(first.status, .ok, first.text)
            let bars = try first.decode(BarsDTO.self)
            XCTAssertEqual(bars.bars.count, 19)
            XCTAssertEqual(bars.bars.first?.ts, june)
            XCTAssertEqual(
                polygon.requests,
                [
                    BarRequest(
                        symbol: "AAPL", id: "AAPL", interval: .day1, from: june,
                        to: Timestamp.parse("2024-07-01")!)
                ])
            let asset = try await store.asset("AAPL")
            XCTAssertEqual(asset.assetClass, .equity)

            for range in ["from=2024-06-01&to=2024-07-01", "from=2024-06-05&to=2024-06-10"] {
                let again = try await client.send(.get, "/api/bars/AAPL?interval=1d&\(range)")
                XCTAssertEqual(again.status, .ok)
            }
            XCTAssertEqual(polygon.requests.count, 1, "a range already fetched, or stored, is not fetched again")

            let later = try await client.send(.get, "/api/bars/AAPL?interval=1d&from=2024-06-10&to=2024-08-01")
            XCTAssertEqual(later.status, .ok)
            XCTAssertEqual(polygon.requests.count, 2, "a range reaching past what is stored and fetched is fetched")
        }
    }

    func testSymbolsFedHereAndTheSettingOffAreNotBackfilled() async throws {
        let store = MemoryStore()
        let polygon = ScriptedBarProvider("polygon", price: 5)
        try await self.app([polygon], store: store).test(.router) { client in
            let push = try await client.send(
                .post, "/api/ticks", json: #"[{"symbol":"MSFT","ts":"2024-06-03T10:00:00Z","price":150}]"#)
            XCTAssertEqual(push.status, .created)
            let bars = try await client.send(.get, "/api/bars/MSFT?interval=1d&from=2024-01-01&to=2024-12-01")
            XCTAssertEqual(bars.status, .ok)
            XCTAssertEqual(try bars.decode(BarsDTO.self).bars.count, 1, "the store answers a pushed symbol")
            XCTAssertEqual(polygon.requests, [])
        }
        var off = ProviderSettings()
        off.backfillOnDemand = false
        try await self.app([polygon], store: MemoryStore(), settings: off).test(.router) { client in
            let bars = try await client.send(.get, "/api/bars/IBM?interval=1d&from=2024-01-01&to=2024-02-01")
            XCTAssertEqual(bars.status, .notFound, "as before: an unknown symbol")
            XCTAssertEqual(polygon.requests, [])
        }
    }

    func testFailuresAre503WithoutStoredDataElseTheStoreAnswers() async throws {
        let store = MemoryStore()
        let down = ScriptedBarProvider("polygon") { _ in throw ProviderError.server(status: 502) }
        try await self.app([down], store: store).test(.router) { client in
            let none = try await client.send(.get, "/api/bars/NFLX?interval=1d&from=2024-01-01&to=2024-02-01")
            XCTAssertEqual(none.status, .serviceUnavailable, none.text)
            XCTAssertTrue(none.text.contains("polygon"), "the problem names the providers tried")
            XCTAssertFalse(none.text.contains("secret"), "keys never reach a response")
            let create = try await client.send(.post, "/api/assets", json: #"{"symbol":"NFLX","assetClass":"equity"}"#)
            XCTAssertEqual(create.status, .created)
            let stored = try await client.send(.get, "/api/bars/NFLX?interval=1d&from=2024-01-01&to=2024-02-01")
            XCTAssertEqual(stored.status, .ok, "the asset exists: the store answers what it has")
            XCTAssertEqual(try stored.decode(BarsDTO.self).bars, [])
        }
        let unknown = ScriptedBarProvider("polygon") { request in throw ProviderError.unknownSymbol(request.symbol) }
        try await self.app([unknown], store: MemoryStore()).test(.router) { client in
            let nope = try await client.send(.get, "/api/bars/ZZZZ?interval=1d&from=2024-01-01&to=2024-02-01")
            XCTAssertEqual(nope.status, .notFound, nope.text)
        }
    }
}
