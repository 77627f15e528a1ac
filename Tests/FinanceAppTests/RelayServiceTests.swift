import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceTestSupport
import Logging
import Synchronization
import XCTest

/// `RelayService` between two instances of one process (an `InProcessRelay` network) on one shared store.
final class RelayServiceTests: XCTestCase {
    /// One instance: its bus, ingestor, quote book and relay service.
    private struct Instance {
        let bus: InProcessMarketBus
        let ingestor: Ingestor
        let book: QuoteBook
        let relay: InProcessRelay
        let service: RelayService
        /// Everything the bus carried, live or not.
        let seen: AsyncStream<MarketMessage>
        /// Messages published on the bus so far, counted after the quote book (observed first) applied them.
        let published = Counter()

        init(store: MemoryStore, network: InProcessRelay.Network, name: String) {
            self.bus = InProcessMarketBus()
            self.seen = self.bus.subscribe("test", includingHistory: true)
            self.ingestor = Ingestor(marketData: store, bus: self.bus)
            self.book = QuoteBook(
                service: QuoteService(storage: Storage(store)), bus: self.bus, clock: SystemClock(),
                maxAgeMilliseconds: 60_000)
            self.bus.observe { [published] in published.add($0.count) }
            self.relay = InProcessRelay(network: network, instanceId: name)
            var logger = Logger(label: "test.relay")
            logger.logLevel = .critical
            self.service = RelayService(relay: self.relay, bus: self.bus, logger: logger)
        }
    }

    private static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let held = try await FinanceTestSupport.waitUntil(timeout: .seconds(5), every: .milliseconds(5), condition)
        if !held { XCTFail("timed out waiting until \(what)") }
    }

    func testLiveEventsReachTheOtherInstanceAsRemoteOnlyAndAreNeverStoredTwice() async throws {
        let store = MemoryStore()
        let network = InProcessRelay.Network()
        let a = Instance(store: store, network: network, name: "a")
        let b = Instance(store: store, network: network, name: "b")
        let notices = b.service.notices.subscribe("test")
        let running = [Task { try await a.service.run() }, Task { try await b.service.run() }]
        try await Self.waitUntil("both run") { a.relay.stats.listening && b.relay.stats.listening }
        // B holds BTC's quote before A's ticks come in.
        try await a.ingestor.ingest(ticks: [Tick(symbol: "BTC", ts: t0, price: 100, size: 1)])
        // Until B's bus (and so its quote book) carried the tick and its bar: a load racing them is not kept.
        try await Self.waitUntil("B published the first tick") { b.published.value >= 2 }
        _ = try await b.book.quote(symbol: "BTC")
        let loads = b.book.stats.loads

        try await a.ingestor.ingest(
            ticks: [
                // In a later minute than the one the book loaded, so that it can follow them in place.
                Tick(symbol: "BTC", ts: t0 + 60_000, price: 101, size: 2),
                Tick(symbol: "BTC", ts: t0 + 61_000, price: 102, size: 3, bid: 101.5, ask: 102.5),
            ])
        try await a.ingestor.ingest(ticks: [Tick(symbol: "OLD", ts: t0, price: 5, size: 1)], freshness: .historical)
        a.service.send(alert: "alice", body: "{\"type\":\"alert\",\"symbol\":\"BTC\"}")
        a.service.send(revocation: .token(jti: "j-1"))
        try await Self.waitUntil("B published the second batch") { b.published.value >= 5 }

        // B's quote book followed the remote ticks in memory, without a store read.
        let quote = try await b.book.quote(symbol: "BTC")
        XCTAssertEqual(quote.price, 102)
        XCTAssertEqual(quote.volume, 6)
        XCTAssertEqual(quote.bid, 101.5)
        XCTAssertEqual(b.book.stats.loads, loads)
        XCTAssertGreaterThanOrEqual(b.book.stats.inPlace, 2)
        // The ticks are stored once, by A.
        let stored = try await store.ticks(symbol: "BTC", from: nil, to: nil, limit: 100)
        XCTAssertEqual(stored.map(\.price), [100, 101, 102])

        a.service.send(revocation: .user("bob"))
        try await Self.waitUntil("the notices arrived") { b.relay.stats.receivedMessages >= 8 }
        for task in running { task.cancel() }
        a.bus.finish()
        b.bus.finish()
        b.service.notices.finish()
        var onB: [MarketMessage] = []
        for await message in b.seen { onB.append(message) }
        XCTAssertTrue(onB.allSatisfy { $0.origin == .remote && $0.freshness == .live && !$0.isLocalLive })
        XCTAssertEqual(
            onB.compactMap { if case .tick(let t) = $0.event { t.price } else { nil } }, [100, 101, 102],
            "live ticks only: the historical write stays on A")
        XCTAssertEqual(
            onB.filter { if case .bar = $0.event { true } else { false } }.count, 2, "the rebuilt minute bars")
        // Nothing comes back: B never relays what it received.
        XCTAssertEqual(a.relay.stats.receivedPayloads, 0)
        XCTAssertEqual(b.relay.stats.sentPayloads, 0)
        var got: [RelayMessage] = []
        for await notice in notices { got.append(notice) }
        XCTAssertEqual(
            got,
            [
                .alert(user: "alice", body: "{\"type\":\"alert\",\"symbol\":\"BTC\"}"), .revoke(.token(jti: "j-1")),
                .revoke(.user("bob")),
            ])
    }

    func testTheBacklogIsBoundedWhileASendHangs() async throws {
        let bus = InProcessMarketBus()
        var logger = Logger(label: "test.relay")
        logger.logLevel = .critical
        let relay = StalledRelay()
        let service = RelayService(relay: relay, bus: bus, logger: logger, maxBacklog: 100)
        bus.publish([MarketMessage(.tick(Tick(symbol: "X", ts: t0, price: 1)))])
        XCTAssertEqual(service.backlogCount, 0, "nothing is collected before the service runs")
        let running = Task { try await service.run() }
        try await Self.waitUntil("the service runs") {
            bus.publish([MarketMessage(.tick(Tick(symbol: "X", ts: t0, price: 1)))])
            return relay.sends.load(ordering: .relaxed) == 1
        }
        // The first send hangs; what comes meanwhile waits, at most 100 messages, the newest.
        bus.publish((0..<1_000).map { MarketMessage(.tick(Tick(symbol: "X", ts: t0 + Int64($0), price: 1))) })
        bus.publish([MarketMessage(.tick(Tick(symbol: "R", ts: t0, price: 1)), origin: .remote)])
        bus.publish([MarketMessage(.tick(Tick(symbol: "H", ts: t0, price: 1)), freshness: .historical)])
        XCTAssertEqual(service.backlogCount, 100)
        running.cancel()
        _ = try? await running.value
    }
}

/// A relay whose sends never finish.
final class StalledRelay: InstanceRelay {
    let sends = Atomic(0)
    let instanceId = "stalled"
    let summary = "stalled"
    let received = AsyncStream<[RelayMessage]> { _ in }
    var stats: RelayStats { RelayStats() }

    func send(_ messages: [RelayMessage]) async throws {
        self.sends.add(1, ordering: .relaxed)
        try await Task.sleep(for: .seconds(3_600))
    }

    func run() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
    }
}
