import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Synchronization
import XCTest

/// A wall clock the test sets.
final class TestClock: WallClock {
    private let now: Mutex<Int64>
    init(_ start: Int64) { self.now = Mutex(start) }
    func nowMilliseconds() -> Int64 { self.now.withLock { $0 } }
    func advance(by ms: Int64) { self.now.withLock { $0 += ms } }
}

final class QuoteBookTests: XCTestCase {
    /// The book and the quote service over one store, the book observing the ingestor's bus.
    struct Rig {
        let store: any MarketStore
        let ingestor: Ingestor
        let service: QuoteService
        let book: QuoteBook
        let clock: TestClock

        init(_ store: any MarketStore, maxSymbols: Int = 10_000, maxAge: Int64 = 3_600_000) {
            let bus = InProcessMarketBus()
            self.store = store
            self.clock = TestClock(t0 + 400 * 86_400_000)
            self.ingestor = Ingestor(marketData: store, bus: bus)
            self.service = QuoteService(store: store)
            self.book = QuoteBook(
                service: self.service, bus: bus, clock: self.clock, maxSymbols: maxSymbols,
                maxAgeMilliseconds: maxAge)
        }

        /// Asserts the book answers as the service does (both throwing alike for a symbol without data).
        func check(_ symbol: String, _ context: @autoclosure () -> String, line: UInt = #line) async throws {
            let expected: Quote?
            do { expected = try await self.service.quote(symbol: symbol, now: self.clock.nowMilliseconds()) } catch {
                expected = nil
            }
            let actual: Quote?
            do { actual = try await self.book.quote(symbol: symbol) } catch { actual = nil }
            XCTAssertEqual(actual, expected, context(), line: line)
        }
    }

    /// Random sequences of live ticks (mostly in order, some late, some a day later), live bars at several
    /// intervals, history and reads: after every step the book answers exactly as the quote service.
    func testTheBookAnswersAsTheQuoteServiceOnRandomSequences() async throws {
        var total = QuoteBook.Stats()
        for seed in 1...10 {
            let store: any MarketStore =
                seed % 3 == 0
                ? try SQLiteStore(
                    path: FileManager.default.temporaryDirectory.appendingPathComponent(
                        "quotebook-\(UUID().uuidString).sqlite"
                    ).path) : MemoryStore()
            _ = try await store.migrate()
            let rig = Rig(store)
            var r = SeededRandom(seed: UInt64(seed))
            let symbols = ["AAA", "BBB", "CCC"]
            var clockTs: [String: Int64] = [:]
            var log: [String] = []
            var symbol = symbols[0]
            for step in 0..<400 {
                // Runs of writes to one symbol, as a feed makes them.
                if r.int(0, 3) == 0 { symbol = symbols[r.int(0, symbols.count - 1)] }
                var ts = clockTs[symbol] ?? t0
                let kind = r.int(0, 99)
                // Mostly a little later; sometimes the same time, earlier, or a day or more later.
                switch r.int(0, 29) {
                case 0, 1: ts -= Int64(r.int(1, 180_000))
                case 2: ts += Int64(r.int(1, 3)) * 86_400_000
                case 3: break
                default: ts += Int64(r.int(1, 40_000))
                }
                ts = max(ts, t0 - 86_400_000)
                let price = Double(r.int(5_000, 15_000)) / 100
                let size: Double? = r.int(0, 9) == 0 ? nil : Double(r.int(1, 999)) / 10
                if kind < 83 {
                    let spread = Double(r.int(0, 5)) / 100
                    let tick = Tick(
                        symbol: symbol, ts: ts, price: price, size: size,
                        bid: spread > 0 ? price - spread : nil, ask: spread > 0 ? price + spread : nil)
                    let historical = kind >= 80
                    try await rig.ingestor.ingest(ticks: [tick], freshness: historical ? .historical : .live)
                    log.append(
                        "\(historical ? "hist " : "")tick \(symbol) \(ts) \(price) \(size.map { "\($0)" } ?? "-")")
                    clockTs[symbol] = max(ts, clockTs[symbol] ?? .min)
                } else if kind < 93 {
                    let interval: Interval = [.minute1, .minute1, .minute1, .minute5, .day1][r.int(0, 4)]
                    let start = interval.bucketStart(ts)
                    let bar = Bar(
                        ts: start, open: price, high: price + 1, low: price - 1, close: price + 0.5,
                        volume: size ?? 0)
                    let historical = kind >= 90
                    try await rig.ingestor.ingest(
                        symbol: symbol, interval: interval, bars: [IncomingBar(index: 0, bar: bar)],
                        freshness: historical ? .historical : .live)
                    log.append("\(historical ? "hist " : "")bar \(symbol) \(interval.name) \(start) \(price)")
                } else {
                    log.append("read")
                }
                // The touched symbol after every step, every symbol now and then.
                let checked = step % 10 == 0 ? symbols : [symbol]
                for s in checked {
                    try await rig.check(s, "seed \(seed) step \(step) \(s):\n" + log.suffix(12).joined(separator: "\n"))
                }
            }
            let stats = rig.book.stats
            total.inPlace += stats.inPlace
            total.dropped += stats.dropped
            total.hits += stats.hits
            try await store.close()
        }
        // The sequences exercise every path: ticks applied in place, entries dropped, answers from memory.
        XCTAssertGreaterThan(total.inPlace, 200)
        XCTAssertGreaterThan(total.dropped, 200)
        XCTAssertGreaterThan(total.hits, 1000)
    }

    func testAHeldQuoteIsServedWithoutTheStoreAndFollowsLiveTicks() async throws {
        let store = MemoryStore()
        let rig = Rig(store)
        try await rig.ingestor.ingest(ticks: [Tick(symbol: "Q", ts: t0 + 1_000, price: 10, size: 1.1)])
        _ = try await rig.book.quote(symbol: "Q")
        _ = try await rig.book.quote(symbol: "Q")
        XCTAssertEqual(rig.book.stats, QuoteBook.Stats(hits: 1, loads: 1, inPlace: 0, dropped: 0))
        // A tick in the minute the book loaded: it did not see that minute's ticks, so it loads again.
        try await rig.ingestor.ingest(ticks: [Tick(symbol: "Q", ts: t0 + 2_000, price: 11, size: 0.3)])
        XCTAssertEqual(rig.book.count, 0)
        try await rig.check("Q", "after a tick in the loaded minute")
        // In-order ticks in later minutes and on the next day are followed in place, and the answers still equal
        // the service's.
        for (i, (dt, price)) in [(70_000, 9.5), (75_000, 9.75), (86_400_000, 12.25), (86_460_000, 12.5)].enumerated() {
            try await rig.ingestor.ingest(
                ticks: [Tick(symbol: "Q", ts: t0 + Int64(dt), price: price, size: Double(i) + 0.3)])
            XCTAssertEqual(rig.book.count, 1, "the entry is kept after tick \(i)")
            try await rig.check("Q", "after tick \(i)")
        }
        XCTAssertEqual(rig.book.stats.inPlace, 4)
        XCTAssertEqual(rig.book.stats.loads, 2)
        // A late tick cannot be applied in place: the entry is dropped and loaded again.
        try await rig.ingestor.ingest(ticks: [Tick(symbol: "Q", ts: t0 + 80_000, price: 8, size: 2)])
        XCTAssertEqual(rig.book.count, 0)
        try await rig.check("Q", "after a late tick")
        // A write that does not go through this process's bus (another process on the file) is not seen until
        // the entry is older than maxAge.
        try await store.writeTicks([Tick(symbol: "Q", ts: t0 + 86_500_000, price: 99, size: 1)])
        let stale = try await rig.book.quote(symbol: "Q")
        XCTAssertEqual(stale.price, 12.5)
        rig.clock.advance(by: 3_600_001)
        let fresh = try await rig.book.quote(symbol: "Q")
        XCTAssertEqual(fresh.price, 99)
    }

    func testTheBookHoldsAtMostMaxSymbolsDroppingTheLeastRecentlyUsed() async throws {
        let rig = Rig(MemoryStore(), maxSymbols: 10)
        for i in 0..<30 {
            try await rig.ingestor.ingest(ticks: [Tick(symbol: "S\(i)", ts: t0 + Int64(i) * 1000, price: 10, size: 1)])
            _ = try await rig.book.quote(symbol: "S\(i)")
            // S0 is read after every other symbol, so it is never the least recently used.
            _ = try await rig.book.quote(symbol: "S0")
            XCTAssertLessThanOrEqual(rig.book.count, 10)
        }
        try await rig.check("S0", "S0 after evictions")
        try await rig.check("S5", "an evicted symbol loads again")
        await XCTAssertThrowsErrorAsync(try await rig.book.quote(symbol: "NONE"))
    }
}

/// Asserts an async expression throws.
func XCTAssertThrowsErrorAsync<T>(
    _ expression: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line
) async {
    do {
        _ = try await expression()
        XCTFail("expected an error", file: file, line: line)
    } catch {}
}
