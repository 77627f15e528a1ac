import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

@testable import FinanceCLI

/// The engine of `financehub bench ws` against the real application over loopback: it signs in, connects real
/// WebSocket clients, publishes through `POST /api/ticks` and counts each delivery exactly (no timing asserted).
final class WebSocketLoadTests: XCTestCase {
    private func app() async throws -> some ApplicationProtocol {
        let store = MemoryStore()
        let auth = try await AuthService.make(settings: AuthSettings(bcryptCost: 4), users: store, clock: SystemClock())
        try await store.createUser(
            User(
                name: "bench", passwordHash: auth.hashPassword("pw-bench"), role: .admin, tier: .enterprise,
                createdAt: 0))
        return try await makeApp(store: store, analytics: LiveAnalyticsSettings(intervals: []), auth: auth)
    }

    func testTheEngineCountsEveryDeliveryOfEachRun() async throws {
        try await self.app().test(.live) { client in
            // 7 clients over 2 symbols: 4 on WSA (slots 0, 2, 4, 6), 3 on WSB. 200 ticks/s for 1 s in batches of
            // 10, alternating symbols: 20 POSTs, 100 ticks per symbol.
            let config = WSLoadEngine.Config(
                port: client.port!, clients: 7, symbols: ["WSA", "WSB"], seconds: 1, rate: 200, batchSize: 10,
                publishers: 2, drainSeconds: 2, threads: 2)
            let engine = WSLoadEngine(config, progress: nil)
            do {
                await XCTAssertThrowsErrorAsync(try await engine.login(user: "bench", password: "wrong"))
                engine.token = try await engine.login(user: "bench", password: "pw-bench")
                let connected = await engine.connect(token: engine.token)
                XCTAssertEqual(connected.connected, 7, connected.firstError ?? "")
                try await Task.sleep(for: .milliseconds(300))
                for run in 1...2 {
                    let result = try await engine.run()
                    XCTAssertEqual(result.published.posts, 20, "run \(run)")
                    XCTAssertEqual(result.published.acceptedPerSymbol, [100, 100], "run \(run)")
                    XCTAssertEqual(result.expected, 100 * 4 + 100 * 3, "run \(run)")
                    XCTAssertEqual(result.delivered, 700, "run \(run): each run counts from zero")
                    XCTAssertEqual(result.seen.delivered, Dictionary(uniqueKeysWithValues: (0..<7).map { ($0, 100) }))
                    XCTAssertEqual(result.completeClients, 7)
                    XCTAssertEqual(result.ratio, 1)
                    XCTAssertEqual(Int(result.seen.latency.totalCount), 700, "one latency sample per message")
                    XCTAssertEqual(result.seen.other, 0)
                    XCTAssertEqual(result.seen.preStart, 0)
                }
            } catch {
                await engine.shutdown()
                throw error
            }
            await engine.shutdown()
        }
    }

    func testAClientOfAnotherSymbolIsExpectedNothingFromIt() async throws {
        try await self.app().test(.live) { client in
            // 3 symbols for 3 clients, but ticks only reach what they were published for: 1 tick per POST, so
            // batches of 1 at 30 ticks/s spread 10 ticks on each symbol.
            let config = WSLoadEngine.Config(
                port: client.port!, clients: 3, symbols: ["WSA", "WSB", "WSC"], seconds: 1, rate: 30, batchSize: 1,
                publishers: 1, drainSeconds: 2, threads: 1)
            let engine = WSLoadEngine(config, progress: nil)
            engine.token = try await engine.login(user: "bench", password: "pw-bench")
            let connected = await engine.connect(token: engine.token)
            XCTAssertEqual(connected.connected, 3)
            try await Task.sleep(for: .milliseconds(300))
            let result = try await engine.run()
            await engine.shutdown()
            XCTAssertEqual(result.published.acceptedPerSymbol, [10, 10, 10])
            XCTAssertEqual(result.seen.delivered, [0: 10, 1: 10, 2: 10])
            XCTAssertEqual(result.expected, 30)
        }
    }

    func testFramesAreReadWithoutDecodingAndOnlyPricesCount() {
        XCTAssertEqual(
            WSLoadFrame.classify(#"{"type":"price","symbol":"BTC","price":67000.5,"size":0.01,"ts":1717000000000}"#),
            .price(ts: 1_717_000_000_000))
        XCTAssertEqual(
            WSLoadFrame.classify(#"{"type":"price","symbol":"BTC","ts": 42,"price":1}"#), .price(ts: 42))
        XCTAssertEqual(WSLoadFrame.classify(#"{"type":"heartbeat","ts":1717000000000}"#), .other)
        XCTAssertEqual(WSLoadFrame.classify(#"{"type":"price","symbol":"BTC","price":1}"#), .other)
        XCTAssertEqual(WSLoadFrame.classify(#"{"type":"price","ts":"x"}"#), .other)
        XCTAssertEqual(WSLoadFrame.classify(""), .other)
    }

    func testTheTargetMustBeALoopbackAddress() throws {
        XCTAssertEqual(try BenchWebSocket.target("http://127.0.0.1:8000").port, 8000)
        XCTAssertEqual(try BenchWebSocket.target("ws://localhost:9").host, "127.0.0.1")
        XCTAssertThrowsError(try BenchWebSocket.target("http://10.0.0.1:8000"))
        XCTAssertThrowsError(try BenchWebSocket.target("http://127.0.0.1"), "the port is required")
        XCTAssertThrowsError(try BenchWebSocket.target("ftp://127.0.0.1:21"))
    }

    func testTicksAreBuiltRoundRobinWithTheirTime() {
        let body = WSLoadPublisher.body(symbols: ["A", "B"], first: 3, count: 2, ts: 5)
        XCTAssertEqual(
            String(buffer: body), #"[{"symbol":"B","ts":5,"price":100.03},{"symbol":"A","ts":5,"price":100.04}]"#)
    }
}

private func XCTAssertThrowsErrorAsync<T>(
    _ expression: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line
) async {
    do {
        _ = try await expression()
        XCTFail("no error thrown", file: file, line: line)
    } catch {}
}
