import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Hummingbird
import HummingbirdTesting
import XCTest

/// The per-asset symbol map: `GET/PUT /api/assets/{symbol}/providers`.
final class AssetProvidersTests: XCTestCase {
    func testOverridesReplaceTheBuiltInMapAndNullRemovesThem() async throws {
        let store = MemoryStore()
        try await store.createAsset(Asset(symbol: "BTC", assetClass: .crypto, currency: "USD"))
        try await makeApp(store: store).test(.router) { client in
            let initial = try await client.send(.get, "/api/assets/btc/providers")
            XCTAssertEqual(initial.status, .ok, initial.text)
            let ids = try initial.decode(AssetProvidersDTO.self)
            XCTAssertEqual(ids.ids["coingecko"], "bitcoin")
            XCTAssertEqual(ids.ids["binance"], "BTCUSDT")
            XCTAssertEqual(ids.ids["coinbase"], "BTC-USD")
            XCTAssertEqual(ids.ids["polygon"], "X:BTCUSD")
            XCTAssertEqual(ids.overrides, [])

            let set = try await client.send(
                .put, "/api/assets/BTC/providers", json: #"{"binance": "BTCFDUSD", "coingecko": "wrapped-bitcoin"}"#)
            XCTAssertEqual(set.status, .ok, set.text)
            let changed = try set.decode(AssetProvidersDTO.self)
            XCTAssertEqual(changed.ids["binance"], "BTCFDUSD")
            XCTAssertEqual(changed.ids["coingecko"], "wrapped-bitcoin")
            XCTAssertEqual(changed.overrides, ["binance", "coingecko"])
            let stored = try await store.symbolOverrides("BTC")
            XCTAssertEqual(stored, ["binance": "BTCFDUSD", "coingecko": "wrapped-bitcoin"])

            let removed = try await client.send(.put, "/api/assets/BTC/providers", json: #"{"coingecko": null}"#)
            XCTAssertEqual(try removed.decode(AssetProvidersDTO.self).ids["coingecko"], "bitcoin")
            XCTAssertEqual(try removed.decode(AssetProvidersDTO.self).overrides, ["binance"])
        }
    }

    func testBadBodiesAre422NamingTheFieldAndUnknownAssets404() async throws {
        let store = MemoryStore()
        try await store.createAsset(Asset(symbol: "BTC", assetClass: .crypto))
        try await makeApp(store: store).test(.router) { client in
            let bad = try await client.send(
                .put, "/api/assets/BTC/providers", json: #"{"iex": "BTC", "binance": "BTC USDT", "coinbase": 5}"#)
            XCTAssertEqual(bad.status, .unprocessableContent, bad.text)
            XCTAssertEqual(bad.problemFields, ["binance", "coinbase", "iex"])
            let none = try await store.symbolOverrides("BTC")
            XCTAssertEqual(none, [:], "nothing is written when any entry is wrong")
            let array = try await client.send(.put, "/api/assets/BTC/providers", json: "[]")
            XCTAssertEqual(array.status, .unprocessableContent)
            let missing = try await client.send(.get, "/api/assets/NOPE/providers")
            XCTAssertEqual(missing.status, .notFound)
            let missingPut = try await client.send(.put, "/api/assets/NOPE/providers", json: #"{"binance": "X"}"#)
            XCTAssertEqual(missingPut.status, .notFound)
        }
    }
}
