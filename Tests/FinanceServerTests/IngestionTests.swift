import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

final class IngestionTests: XCTestCase {

    func testTicksBuildMinuteBarsAndQuote() async throws {
        let store = MemoryStore()
        try await makeApp(store: store).test(.router) { client in
            let body = """
                [{"symbol":"btc","ts":"2024-01-01T00:00:05Z","price":100,"size":2,"bid":99.5,"ask":100.5},
                 {"symbol":"BTC","ts":1704067210,"price":103,"size":1},
                 {"symbol":"BTC","ts":1704067265000,"price":101,"size":4,"bid":100.9,"ask":101.1}]
                """
            let r = try await client.send(.post, "/api/ticks", json: body)
            XCTAssertEqual(r.status, .created, r.text)
            XCTAssertEqual(try r.decode(IngestSummaryDTO.self).accepted, 3)
            let bars = try await client.send(.get, "/api/bars/btc?from=2024-01-01&to=2024-01-02")
            XCTAssertEqual(bars.status, .ok)
            let list = try bars.decode(BarsDTO.self)
            XCTAssertEqual(list.bars.count, 2)
            XCTAssertEqual(list.bars.first?.ts, t0)
            XCTAssertEqual(list.bars.first?.open, 100)
            XCTAssertEqual(list.bars.first?.high, 103)
            XCTAssertEqual(list.bars.first?.close, 103)
            XCTAssertEqual(list.bars.first?.volume, 3)
            XCTAssertEqual(list.symbol, "BTC")
            let response = try await client.send(.get, "/api/quotes/BTC")
            XCTAssertEqual(response.status, .ok, response.text)
            let quote = try response.decode(QuoteDTO.self)
            XCTAssertEqual(quote.price, 101)
            XCTAssertEqual(quote.bid, 100.9)
            XCTAssertEqual(quote.high, 103)
            XCTAssertEqual(quote.volume, 7)
            let asset = try await client.send(.get, "/api/assets/btc")
            XCTAssertEqual(try asset.decode(AssetDTO.self).assetClass, .unknown)
        }
    }

    func testBarsUpsertAndBucketing() async throws {
        try await makeApp().test(.router) { client in
            let r = try await client.send(.post, "/api/bars/AAPL?interval=1m", json: barsJSON(count: 120, start: t0))
            XCTAssertEqual(r.status, .created, r.text)
            // Re-posting the same time replaces the bar.
            let fix = "[{\"ts\":\(t0),\"open\":50,\"high\":500,\"low\":40,\"close\":45,\"volume\":1}]"
            let awaited1 = try await client.send(.post, "/api/bars/AAPL", json: fix).status
            XCTAssertEqual(awaited1, .created)
            let hourly = try await client.send(.get, "/api/bars/AAPL?interval=1h&from=\(t0)&to=\(t0 + 7_200_000)")
            let bars = try hourly.decode(BarsDTO.self).bars
            XCTAssertEqual(bars.count, 2)
            XCTAssertEqual(bars.first?.open, 50)
            XCTAssertEqual(bars.first?.high, 500)
            let raw = try await client.send(
                .get, "/api/bars/AAPL?interval=1h&from=\(t0)&to=\(t0 + 7_200_000)&source=raw")
            XCTAssertEqual(raw.text, hourly.text)
            let fives = try await client.send(.get, "/api/bars/AAPL?interval=5m&limit=3")
            let five = try fives.decode(BarsDTO.self).bars
            XCTAssertEqual(five.count, 3)
            XCTAssertEqual(five.last?.ts, t0 + 115 * 60_000)
            let month = try await client.send(.get, "/api/bars/AAPL?interval=1M")
            XCTAssertEqual(try month.decode(BarsDTO.self).bars.count, 1)
        }
    }

    func testDailyBarsAreStampedAtMidnight() async throws {
        try await makeApp().test(.router) { client in
            let body = "[{\"ts\":\"2024-03-05T15:30:00\",\"open\":1,\"high\":2,\"low\":0.5,\"close\":1.5,\"volume\":0}]"
            let awaited2 = try await client.send(.post, "/api/bars/goog?interval=1d", json: body).status
            XCTAssertEqual(awaited2, .created)
            let r = try await client.send(.get, "/api/bars/GOOG?interval=1d&from=2024-03-01")
            XCTAssertEqual(try r.decode(BarsDTO.self).bars.first?.ts, Timestamp.parse("2024-03-05"))
            // 1d bars cannot build 1h bars.
            let bad = try await client.send(.get, "/api/bars/GOOG?interval=1h")
            XCTAssertEqual(bad.status, .unprocessableContent)
            XCTAssertEqual(bad.problemFields, ["interval"])
        }
    }

    func testValuesThatWouldOverflowAndUnalignedBarsAreRejected() async throws {
        let store = MemoryStore()
        try await makeApp(store: store).test(.router) { client in
            func fields(_ r: TestResponse) -> [String] { r.problemPointers }
            // Finite values whose sums or ratios overflow a double once stored (rollup volumes, a quote's change).
            let huge = try await client.send(
                .post, "/api/bars/BIG?interval=1m",
                json:
                    "[{\"ts\":\"2024-06-03T10:00:00Z\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":1.7e308}]"
            )
            XCTAssertEqual(huge.status, .unprocessableContent)
            XCTAssertEqual(fields(huge), ["/0/volume"])
            let tiny = try await client.send(
                .post, "/api/bars/CHG?interval=1d",
                json:
                    "[{\"ts\":\"2024-06-03\",\"open\":1e-300,\"high\":1e-300,\"low\":1e-300,\"close\":1e-300,\"volume\":1}]"
            )
            XCTAssertEqual(fields(tiny), ["/0/low"])
            let high = try await client.send(
                .post, "/api/bars/CHG?interval=1d",
                json: "[{\"ts\":\"2024-06-03\",\"open\":1,\"high\":1e31,\"low\":1,\"close\":1,\"volume\":1}]")
            XCTAssertEqual(fields(high), ["/0/high"])
            let size = try await client.send(
                .post, "/api/ticks", json: "[{\"symbol\":\"TKV\",\"ts\":1717408800000,\"price\":1,\"size\":1.7e308}]")
            XCTAssertEqual(fields(size), ["/0/size"])
            let price = try await client.send(
                .post, "/api/ticks", json: "[{\"symbol\":\"TKV\",\"ts\":1717408800000,\"price\":2e30}]")
            XCTAssertEqual(fields(price), ["/0/price"])
            // A well-formed number beyond the range of a double is a 422 naming its field, not malformed JSON.
            let beyond = try await client.send(
                .post, "/api/ticks", json: "[{\"symbol\":\"TKV\",\"ts\":1717408800000,\"price\":1e400,\"size\":-1e999}]"
            )
            XCTAssertEqual(beyond.status, .unprocessableContent, beyond.text)
            XCTAssertEqual(fields(beyond), ["/0/price", "/0/size"])
            // An item with a wrong field still gets its rule problems listed.
            let both = try await client.send(
                .post, "/api/ticks",
                json: "[{\"symbol\":\"TKV\",\"ts\":1717408800000,\"price\":1,\"bid\":2,\"ask\":1,\"extra\":1}]")
            XCTAssertEqual(Set(fields(both)), ["/0/extra", "/0/bid"])
            let bar = try await client.send(
                .post, "/api/bars/BIG?interval=1m",
                json:
                    "[{\"ts\":\"2024-06-03T10:00:00Z\",\"open\":1,\"high\":0.5,\"low\":1,\"close\":1,\"volume\":1,\"x\":1}]"
            )
            XCTAssertEqual(Set(fields(bar)), ["/0/x", "/0/high"])
            // The limits themselves are accepted.
            let edge = try await client.send(
                .post, "/api/bars/EDGE?interval=1d",
                json:
                    "[{\"ts\":\"2024-06-03\",\"open\":1e-30,\"high\":1e30,\"low\":1e-30,\"close\":1e30,\"volume\":1e30}]"
            )
            XCTAssertEqual(edge.status, .created, edge.text)
            let quote = try await client.send(.get, "/api/quotes/EDGE")
            XCTAssertEqual(quote.status, .ok, quote.text)
            // An intraday bar must start its interval; two bars 30 s apart would share a minute.
            let unaligned = try await client.send(
                .post, "/api/bars/OFFG?interval=1m",
                json: "[{\"ts\":\"2024-06-03T10:00:30Z\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":1}]")
            XCTAssertEqual(fields(unaligned), ["/0/ts"])
            XCTAssertTrue(unaligned.text.contains("is not the start of a 1m bar"), unaligned.text)
            // Weekly bars are stamped with their Monday, monthly bars with the 1st.
            let weekly = try await client.send(
                .post, "/api/bars/WK?interval=1w",
                json: "[{\"ts\":\"2024-06-05\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"volume\":1}]")
            XCTAssertEqual(weekly.status, .created)
            let week = try await client.send(.get, "/api/bars/WK?interval=1w&from=2024-05-01")
            XCTAssertEqual(try week.decode(BarsDTO.self).bars.first?.ts, Timestamp.parse("2024-06-03"))
        }
        let assets = try await store.assets()
        XCTAssertEqual(Set(assets.map(\.symbol)), ["EDGE", "WK"], "rejected batches write nothing")
    }

    func testMalformedJSONIs400() async throws {
        try await makeApp().test(.router) { client in
            let r = try await client.send(.post, "/api/ticks", json: "[{\"symbol\": ")
            XCTAssertEqual(r.status, .badRequest)
            XCTAssertEqual(r.headers[.contentType], "application/problem+json")
            XCTAssertEqual(r.problem?.status, 400)
            XCTAssertFalse(r.problem?.detail.isEmpty ?? true)
        }
    }

    func testEveryInvalidRowIsListedAndNothingIsWritten() async throws {
        let store = MemoryStore()
        try await makeApp(store: store).test(.router) { client in
            let body = """
                [{"ts":"2024-01-01T00:00:00Z","open":10,"high":11,"low":9,"close":10,"volume":1},
                 {"ts":"2024-01-01T00:01:00Z","open":10,"high":8,"low":9,"close":10,"volume":1},
                 {"ts":"2024-01-01T00:02:00Z","open":"x","high":11,"low":9,"close":10,"volume":1},
                 {"ts":"2024-01-01T00:03:00Z","open":10,"high":11,"low":9,"close":10,"volume":-5},
                 {"ts":"not a time","open":10,"high":11,"low":9,"close":10,"volume":1},
                 {"ts":"2024-01-01T00:00:00Z","open":10,"high":12,"low":9,"close":10,"volume":1},
                 {"ts":"2024-01-01T00:05:00Z","open":10,"high":11,"low":12,"close":10,"volume":1}]
                """
            let r = try await client.send(.post, "/api/bars/MSFT?interval=1m", json: body)
            XCTAssertEqual(r.status, .unprocessableContent, r.text)
            XCTAssertEqual(r.headers[.contentType], "application/problem+json")
            let pointers = Set(r.problemPointers)
            XCTAssertTrue(
                pointers.isSuperset(of: ["/1/high", "/2/open", "/3/volume", "/4/ts", "/6/low"]), "\(pointers)")
            let stored = try await store.storedIntervals(symbol: "MSFT")
            XCTAssertEqual(stored, [])
            // The duplicate time with different values is reported once the other rows are fixed.
            let dup = """
                [{"ts":"2024-01-01T00:00:00Z","open":10,"high":11,"low":9,"close":10,"volume":1},
                 {"ts":1704067200,"open":10,"high":12,"low":9,"close":10,"volume":1}]
                """
            let d = try await client.send(.post, "/api/bars/MSFT", json: dup)
            XCTAssertEqual(d.status, .unprocessableContent)
            XCTAssertEqual(d.problemPointers.first, "/1/ts")
            XCTAssertEqual(
                d.problem?.errors?.first?.detail,
                "2024-01-01T00:00:00.000Z again, with values that differ from the earlier item at that time")
        }
    }

    func testTickRulesAndTypes() async throws {
        try await makeApp().test(.router) { client in
            let body = """
                [{"symbol":"BTC","ts":1,"price":1},{"symbol":"bad symbol","ts":1,"price":1},{"symbol":"ETH","ts":true,"price":1},
                 {"symbol":"ETH","ts":1,"price":-1},{"symbol":"ETH","ts":1,"price":1,"bid":5,"ask":4},{"symbol":"ETH","ts":1,"price":1,"extra":1},
                 {"symbol":"ETH","ts":1}, 5]
                """
            let r = try await client.send(.post, "/api/ticks", json: body)
            XCTAssertEqual(r.status, .unprocessableContent, r.text)
            XCTAssertEqual(r.problemPointers.first, "/7")
            let notObject = try await client.send(.post, "/api/ticks", json: "{\"symbol\":\"BTC\"}")
            XCTAssertEqual(notObject.status, .unprocessableContent)
            let fine = try await client.send(
                .post, "/api/ticks",
                json:
                    "[{\"symbol\":\"BTC\",\"ts\":1,\"price\":1},{\"symbol\":\"bad symbol\",\"ts\":1,\"price\":1},{\"symbol\":\"ETH\",\"ts\":1,\"price\":-1}]"
            )
            XCTAssertEqual(fine.problemPointers, ["/1/symbol", "/2/price"])
        }
    }

    func testBatchLimitsAndBodySize() async throws {
        try await makeApp(maxBodyBytes: 64 * 1024).test(.router) { client in
            let many =
                "[" + Array(repeating: "{\"symbol\":\"A\",\"ts\":1,\"price\":1}", count: 10_001).joined(separator: ",")
                + "]"
            let big = try await client.send(.post, "/api/ticks", json: many)
            XCTAssertEqual(big.status, .contentTooLarge)
            XCTAssertEqual(big.headers[.contentType], "application/problem+json")
        }
        try await makeApp().test(.router) { client in
            let many =
                "[" + Array(repeating: "{\"symbol\":\"A\",\"ts\":1,\"price\":1}", count: 10_001).joined(separator: ",")
                + "]"
            let r = try await client.send(.post, "/api/ticks", json: many)
            XCTAssertEqual(r.status, .unprocessableContent)
            XCTAssertTrue(r.problem?.detail.contains("10000") ?? false, r.text)
        }
    }

    func testQueryParameterErrors() async throws {
        try await makeApp().test(.router) { client in
            _ = try await client.send(.post, "/api/bars/AAPL", json: barsJSON(count: 3, start: t0))
            let r = try await client.send(.get, "/api/bars/AAPL?interval=2m&from=yesterday&limit=0")
            XCTAssertEqual(r.status, .unprocessableContent)
            XCTAssertEqual(Set(r.problemFields), ["interval", "from", "limit"])
            let awaited3 = try await client.send(.get, "/api/bars/NOPE").status
            XCTAssertEqual(awaited3, .notFound)
            let awaited4 = try await client.send(.get, "/api/bars/a%20b").status
            XCTAssertEqual(awaited4, .unprocessableContent)
            let awaited5 = try await client.send(.get, "/api/quotes/NOPE").status
            XCTAssertEqual(awaited5, .notFound)
        }
    }
}
