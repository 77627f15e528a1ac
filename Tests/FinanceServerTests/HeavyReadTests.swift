import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import XCTest

/// Heavy reads: `GET /api/bars` of many bars is streamed and admitted through the heavy-read queue.
final class HeavyReadTests: XCTestCase {
    /// A store holding `count` one-minute bars of AAA from 2024-01-01.
    static func store(bars count: Int) async throws -> MemoryStore {
        let store = MemoryStore()
        try await store.createAsset(Asset(symbol: "AAA", name: "AAA", assetClass: .crypto))
        let start: Int64 = 1_704_067_200_000
        let bars = (0..<count).map { i -> Bar in
            let p = 100 + Double(i % 97) / 8
            return Bar(
                ts: start + Int64(i) * 60_000, open: p, high: p + 1.25, low: p - 0.5, close: p + 0.1,
                volume: Double(i % 1000) + 0.001)
        }
        try await store.writeBars([BarBatch(symbol: "AAA", interval: .minute1, bars: bars)], progress: nil)
        return store
    }

    func testTheHeavyRuleCountsTheLimitAndTheRange() {
        let day: Int64 = 86_400_000
        XCTAssertEqual(HeavyReadGate.maxBars(interval: .minute1, from: nil, to: nil, limit: 100_000, now: 0), 100_000)
        XCTAssertEqual(HeavyReadGate.maxBars(interval: .minute1, from: 0, to: day, limit: 100_000, now: 0), 1_441)
        XCTAssertEqual(HeavyReadGate.maxBars(interval: .day1, from: 0, to: 365 * day, limit: 5_000, now: 0), 366)
        XCTAssertEqual(HeavyReadGate.maxBars(interval: .minute1, from: 0, to: nil, limit: 50, now: 30 * day), 50)
        XCTAssertEqual(HeavyReadGate.maxBars(interval: .hour1, from: 0, to: nil, limit: 100_000, now: day), 25)
        let gate = HeavyReadGate(settings: HTTPEdgeSettings())
        XCTAssertFalse(gate.isHeavy(bars: 10_000))
        XCTAssertTrue(gate.isHeavy(bars: 10_001))
    }

    func testAStreamedBodyIsByteForByteTheOnePieceBody() async throws {
        let store = try await Self.store(bars: 12_345)
        var streaming = HTTPEdgeSettings()
        streaming.heavyReadMinBars = 100
        var onePiece = HTTPEdgeSettings()
        onePiece.heavyReadMinBars = 100_000
        let uri = "/api/bars/AAA?interval=1m&limit=20000"
        var bodies: [ByteBuffer] = []
        for edge in [streaming, onePiece] {
            let body = try await edgeApp(edge, store: store).test(.live) { client in
                let r = try await client.execute(uri: uri, method: .get, headers: EdgeTestAPI.headers)
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(r.headers[.contentType], "application/json")
                // The streamed one has no length up front.
                XCTAssertEqual(r.headers[.contentLength] == nil, edge.heavyReadMinBars == 100, "\(r.headers)")
                return r.body
            }
            bodies.append(body)
        }
        XCTAssertEqual(bodies.count, 2)
        XCTAssertGreaterThan(bodies[0].readableBytes, 12_345 * 60)
        XCTAssertEqual(bodies[0], bodies[1])
        let decoded = try JSONDecoder().decode(BarsDTO.self, from: Data(buffer: bodies[0]))
        XCTAssertEqual(decoded.bars.count, 12_345)
        XCTAssertEqual(decoded.symbol, "AAA")
    }

    func testTheQueueAdmitsInOrderAndAnswers503AfterTheLongestWait() async throws {
        var settings = HTTPEdgeSettings()
        settings.heavyReadConcurrency = 1
        settings.heavyReadMaxWaitSeconds = 1
        let gate = HeavyReadGate(settings: settings)
        let first = try await gate.admit()
        XCTAssertEqual(gate.load.running, 1)
        let order = Mutex<[Int]>([])
        // Two waiters: the first is handed the turn when it is released, the second times out.
        async let second: Void = {
            let permit = try await gate.admit()
            order.withLock { $0.append(2) }
            try await Task.sleep(for: .milliseconds(1_500))
            permit.release()
        }()
        try await Task.sleep(for: .milliseconds(100))
        async let third: Problem? = {
            do {
                _ = try await gate.admit()
                return nil
            } catch let problem as Problem { return problem }
        }()
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(gate.load.waiting, 2)
        first.release()
        first.release()  // once only
        try await second
        let problem = try await third
        XCTAssertEqual(problem?.status, 503)
        XCTAssertEqual(problem?.headers["Retry-After"], "5")
        XCTAssertTrue(problem?.detail.contains("http.heavyReads.maxWaitSeconds") ?? false)
        XCTAssertEqual(order.withLock { $0 }, [2])
        XCTAssertEqual(gate.load.running, 0)
        XCTAssertEqual(gate.load.waiting, 0)
        // A permit that ends without a release frees its turn.
        do { _ = try await gate.admit() }
        XCTAssertEqual(gate.load.running, 0)
    }

    func testConcurrentHeavyReadsAllSucceedThroughTheQueue() async throws {
        let store = try await Self.store(bars: 30_000)
        var edge = HTTPEdgeSettings()
        edge.heavyReadConcurrency = 1
        try await edgeApp(edge, store: store).test(.live) { client in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let r = try await client.execute(
                            uri: "/api/bars/AAA?interval=1m&limit=100000", method: .get, headers: EdgeTestAPI.headers)
                        XCTAssertEqual(r.status, .ok)
                        return r.body.readableBytes
                    }
                }
                var sizes: [Int] = []
                for try await size in group { sizes.append(size) }
                XCTAssertEqual(sizes.count, 6)
                XCTAssertEqual(Set(sizes).count, 1, "every read got the whole body")
            }
        }
    }

    func testAClientThatStopsReadingAHeavyResponseLosesItsTurnAfterTheIdleTimeout() async throws {
        let store = try await Self.store(bars: 100_000)
        var edge = HTTPEdgeSettings()
        edge.heavyReadConcurrency = 1
        edge.heavyReadMaxWaitSeconds = 20
        edge.idleTimeoutSeconds = 2
        try await edgeApp(edge, store: store).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // 13 MB the client never reads: its writer stalls, holding the only turn, until the stall closes it.
            let stalled = try RawConnection(port: port, timeout: 30)
            XCTAssertTrue(
                stalled.send(
                    "GET /api/bars/AAA?interval=1m&limit=100000 HTTP/1.1\r\nHost: x\r\n\(EdgeTestAPI.rawHeaderLines)\r\n"
                ))
            try await Task.sleep(for: .milliseconds(500))
            let start = ContinuousClock.now
            let r = try await client.execute(
                uri: "/api/bars/AAA?interval=1m&limit=100000", method: .get, headers: EdgeTestAPI.headers)
            XCTAssertEqual(r.status, .ok)
            XCTAssertLessThan(ContinuousClock.now - start, .seconds(15))
            XCTAssertGreaterThan(r.body.readableBytes, 100_000 * 80)
            withExtendedLifetime(stalled) {}
        }
    }
}
