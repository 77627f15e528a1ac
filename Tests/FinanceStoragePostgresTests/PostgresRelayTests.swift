import FinanceCore
import FinanceStorage
import Logging
import PostgresNIO
import Synchronization
import XCTest

@testable import FinanceStoragePostgres

/// `PostgresRelay` against a real PostgreSQL server: payloads under the NOTIFY limit, many in one transaction, own
/// payloads ignored, and a listener that comes back after its connection is killed.
final class PostgresRelayTests: XCTestCase {
    private static let t0: Int64 = 1_717_000_000_000

    private static var logger: Logger {
        var logger = Logger(label: "test.relay")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` with a migrated store in a fresh schema and a running relay `b` listening on it, then stops all.
    private func withListeningRelay(
        reconnectDelay: Duration = .milliseconds(100),
        _ body: (PostgresStore, PostgresRelay, MessageCollector) async throws -> Void
    ) async throws {
        let store = try await PostgresTestDatabase.freshStore(migrate: false)
        let b = PostgresRelay(store: store, instanceId: "bbbb", reconnectDelay: reconnectDelay, logger: Self.logger)
        let collector = MessageCollector()
        let running = Task { await b.run() }
        let reading = Task { for await batch in b.received { collector.add(batch) } }
        var failure: (any Error)?
        do {
            try await Self.waitUntil("the relay listens") { b.stats.listening }
            try await body(store, b, collector)
        } catch {
            failure = error
        }
        running.cancel()
        await running.value
        await reading.value
        await PostgresTestDatabase.dispose(store)
        if let failure { throw failure }
    }

    static func waitUntil(_ what: String, seconds: Double = 10, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    private static func ticks(_ count: Int, symbols: [String] = ["BTC", "ETH", "SOL"]) -> [RelayMessage] {
        (0..<count).map { (i: Int) -> RelayMessage in
            let price: Double = 100 + Double(i) / 8
            let bid: Double? = i % 3 == 0 ? 99.5 : nil
            let tick = Tick(symbol: symbols[i % symbols.count], ts: t0 + Int64(i), price: price, size: 0.25, bid: bid)
            return .market(.tick(tick))
        }
    }

    func testManyMessagesArriveInOrderInPayloadsUnderTheNotifyLimit() async throws {
        try await self.withListeningRelay { store, b, collector in
            // A raw listener on the channel sees the payloads themselves.
            let sizes = Mutex<[Int]>([])
            let raw = try await PostgresConnection.connect(
                configuration: PostgresStore.connectionConfiguration(store.location), id: 9, logger: Self.logger)
            let rawListening = Task {
                try await raw.listen(on: b.channel) { notifications in
                    for try await n in notifications { sizes.withLock { $0.append(n.payload.utf8.count) } }
                }
            }
            defer {
                rawListening.cancel()
                Task { try? await raw.close() }
            }
            try await Task.sleep(for: .milliseconds(200))
            let a = PostgresRelay(store: store, instanceId: "aaaa", logger: Self.logger)
            let messages = Self.ticks(30_000) + [.alert(user: "alice", body: "{\"type\":\"alert\"}")]
            try await a.send(messages)
            try await Self.waitUntil("every message arrived") { collector.count >= messages.count }
            XCTAssertEqual(collector.messages, messages, "every message, in order")
            XCTAssertGreaterThan(a.stats.sentPayloads, 50)
            XCTAssertEqual(b.stats.receivedPayloads, a.stats.sentPayloads)
            XCTAssertEqual(b.stats.missedPayloads, 0)
            XCTAssertEqual(b.stats.malformed, 0)
            try await Self.waitUntil("the raw listener saw them all") {
                sizes.withLock { $0.count } >= a.stats.sentPayloads
            }
            let seen = sizes.withLock { $0 }
            XCTAssertLessThanOrEqual(seen.max() ?? 0, 7_999)
            XCTAssertGreaterThan(seen.max() ?? 0, 7_900, "payloads are filled close to the limit")
        }
    }

    func testTheLimitIsRealAndIdenticalPayloadsOfOneTransactionAreMergedWithoutSequenceNumbers() async throws {
        try await self.withListeningRelay { store, b, collector in
            let conn = try await PostgresConnection.connect(
                configuration: PostgresStore.connectionConfiguration(store.location), id: 9, logger: Self.logger)
            defer { Task { try? await conn.close() } }
            let tooLong = String(repeating: "x", count: 8_000)
            do {
                for try await _ in try await conn.query(
                    "SELECT pg_notify(\(b.channel), \(tooLong))", logger: Self.logger)
                {}
                XCTFail("PostgreSQL took an 8,000-byte payload")
            } catch {}
            // Without sequence numbers, 50 identical payloads in one transaction arrive once.
            let same = "fh1 cccc 1\nt BTC \(Self.t0) 1"
            for try await _ in try await conn.query(
                "SELECT pg_notify(\(b.channel), \(same)) FROM generate_series(1, 50)", logger: Self.logger)
            {}
            try await Self.waitUntil("the merged payload arrived") { collector.count >= 1 }
            try await Task.sleep(for: .milliseconds(300))
            XCTAssertEqual(collector.count, 1, "PostgreSQL delivered identical payloads once")
            // With them, the same tick 2,000 times in tiny payloads (identical bodies) all arrive.
            let a = PostgresRelay(store: store, instanceId: "aaaa", maxPayloadBytes: 60, logger: Self.logger)
            let tick = RelayMessage.market(.tick(Tick(symbol: "BTC", ts: Self.t0, price: 1)))
            try await a.send(Array(repeating: tick, count: 2_000))
            XCTAssertGreaterThan(a.stats.sentPayloads, 500, "more than one statement of payloads")
            try await Self.waitUntil("all 2,000 arrived") { collector.count >= 2_001 }
            XCTAssertEqual(b.stats.receivedPayloads, 1 + a.stats.sentPayloads)
            XCTAssertEqual(b.stats.missedPayloads, 0)
        }
    }

    func testAnInstanceIgnoresItsOwnPayloads() async throws {
        try await self.withListeningRelay { store, b, collector in
            let other = PostgresRelay(store: store, instanceId: "aaaa", logger: Self.logger)
            try await b.send(Self.ticks(1_000))
            try await other.send(Self.ticks(3))
            try await Self.waitUntil("the other's ticks arrived") { collector.count >= 3 }
            try await Self.waitUntil("its own came back") { b.stats.ownIgnored >= b.stats.sentPayloads }
            XCTAssertEqual(collector.messages, Self.ticks(3), "only the other instance's messages")
            XCTAssertEqual(b.stats.ownIgnored, b.stats.sentPayloads)
            XCTAssertEqual(b.stats.receivedPayloads, 1)
        }
    }

    func testTheListenerComesBackAfterItsConnectionIsKilled() async throws {
        try await self.withListeningRelay { store, b, collector in
            let a = PostgresRelay(store: store, instanceId: "aaaa", logger: Self.logger)
            try await a.send(Self.ticks(10))
            try await Self.waitUntil("the first ticks arrived") { collector.count >= 10 }
            for round in 1...2 {
                let pid = try XCTUnwrap(b.listenerProcessId)
                let conn = try await PostgresConnection.connect(
                    configuration: PostgresStore.connectionConfiguration(store.location), id: 9, logger: Self.logger)
                var ended = false
                for try await value in try await conn.query("SELECT pg_terminate_backend(\(pid))", logger: Self.logger)
                    .decode(Bool.self)
                {
                    ended = value
                }
                try await conn.close()
                XCTAssertTrue(ended)
                try await Self.waitUntil("the loss is noticed (round \(round))") { b.stats.reconnects >= round }
                try await Self.waitUntil("it listens again (round \(round))") {
                    b.stats.listening && b.listenerProcessId != nil && b.listenerProcessId != pid
                }
                let before = collector.count
                try await a.send(Self.ticks(10))
                try await Self.waitUntil("ticks arrive again (round \(round))") { collector.count >= before + 10 }
            }
            XCTAssertEqual(b.stats.reconnects, 2)
            XCTAssertEqual(collector.messages, Self.ticks(10) + Self.ticks(10) + Self.ticks(10))
        }
    }

    func testTheChannelIsPerSchemaAndAPlainIdentifier() {
        XCTAssertEqual(PostgresRelay.channel(schema: nil), "financehub_relay")
        XCTAssertEqual(PostgresRelay.channel(schema: "fh_test_1a2b"), "financehub_relay_fh_test_1a2b")
        let odd = PostgresRelay.channel(schema: "My \"Schema\"")
        XCTAssertTrue(odd.hasPrefix("financehub_relay_"))
        XCTAssertTrue(odd.utf8.allSatisfy { $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) })
        XCTAssertLessThanOrEqual(PostgresRelay.channel(schema: String(repeating: "s", count: 80)).utf8.count, 63)
    }
}

/// A condition a test waited for did not come true in time.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting until \(self.what)" }
}

/// The messages a relay received, in order.
final class MessageCollector: Sendable {
    private let all = Mutex<[RelayMessage]>([])

    func add(_ batch: [RelayMessage]) { self.all.withLock { $0 += batch } }
    var count: Int { self.all.withLock { $0.count } }
    var messages: [RelayMessage] { self.all.withLock { $0 } }
}
