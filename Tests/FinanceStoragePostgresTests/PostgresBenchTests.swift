import FinanceCore
import FinanceStorage
import FinanceStoragePostgres
import Foundation
import XCTest

/// Bulk import speed: `FINANCEHUB_BENCH=1 swift test -c release --filter PostgresBenchTests` (with
/// `FINANCEHUB_TEST_POSTGRES_URL` set). The target is 150,000 bars/s end to end for 1,000,000 one-minute bars.
final class PostgresBenchTests: XCTestCase {
    func testImportOneMillionMinuteBars() async throws {
        guard ProcessInfo.processInfo.environment["FINANCEHUB_BENCH"] == "1" else {
            throw XCTSkip("set FINANCEHUB_BENCH=1 to run the bulk import benchmark")
        }
        let count = Int(ProcessInfo.processInfo.environment["FINANCEHUB_BENCH_ROWS"] ?? "") ?? 1_000_000
        let store = try await PostgresTestDatabase.freshStore()

        let t0: Int64 = 1_600_000_000_000 - 1_600_000_000_000 % 86_400_000
        var price = 100.0
        var bars: [Bar] = []
        bars.reserveCapacity(count)
        for i in 0..<count {
            let open = price
            price += Double((i * 7919) % 13) / 10 - 0.6
            bars.append(
                Bar(
                    ts: t0 + Int64(i) * 60_000, open: open, high: max(open, price) + 0.25, low: min(open, price) - 0.25,
                    close: price, volume: Double(100 + i % 50)))
        }
        let batch = BarBatch(symbol: "BENCH", interval: .minute1, bars: bars)

        let clock = ContinuousClock()
        let first = try await clock.measure { try await store.writeBars([batch], progress: nil) }
        let second = try await clock.measure { try await store.writeBars([batch], progress: nil) }
        func rate(_ d: Duration) -> Double {
            Double(count) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        var changedBars = bars
        for i in changedBars.indices { changedBars[i].volume += 1 }
        let changed = BarBatch(symbol: "BENCH", interval: .minute1, bars: changedBars)
        let third = try await clock.measure { try await store.writeBars([changed], progress: nil) }
        print(
            "postgres bench: \(count) bars: insert \(first) = \(Int(rate(first))) rows/s; identical re-import \(second) = "
                + "\(Int(rate(second))) rows/s; changed re-import \(third) = \(Int(rate(third))) rows/s")
        bars = changedBars

        // Live-style writes at the end of the series (a full day already stored): one bar, then one tick per call.
        let last = bars[bars.count - 1].ts
        let live = 200
        let oneBar = try await clock.measure {
            for k in 0..<live {
                let bar = Bar(ts: last + Int64(k + 1) * 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10)
                try await store.writeBars(BarBatch(symbol: "BENCH", interval: .minute1, bars: [bar]))
                bars.append(bar)
            }
        }
        let oneTick = try await clock.measure {
            for k in 0..<live {
                _ = try await store.writeTicks([
                    Tick(symbol: "BENCH", ts: last + Int64(live + 1) * 60_000 + Int64(k) * 250, price: 3, size: 1)
                ])
            }
        }
        print(
            "postgres bench: live writes: \(oneBar / live) per one-bar writeBars, \(oneTick / live) per one-tick writeTicks"
        )
        bars.append(Bar(ts: last + Int64(live + 1) * 60_000, open: 3, high: 3, low: 3, close: 3, volume: Double(live)))

        let days = try await store.bars(
            symbol: "BENCH", series: .rollup(base: .minute1, interval: .day1), from: nil, to: nil, limit: 10_000,
            newestFirst: false)
        XCTAssertEqual(days, Bucketing.aggregate(bars, into: .day1))
        let hours = try await store.bars(
            symbol: "BENCH", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 100_000,
            newestFirst: false)
        XCTAssertEqual(hours, Bucketing.aggregate(bars, into: .hour1))
        let readClock = try await clock.measure {
            let all = try await store.bars(
                symbol: "BENCH", series: .stored(.minute1), from: nil, to: nil, limit: count, newestFirst: false)
            XCTAssertEqual(all.count, count)
        }
        print("postgres bench: read \(count) bars in \(readClock)")
        await PostgresTestDatabase.dispose(store)
    }

    /// Audit batches as the recorder writes them (500 events a statement):
    /// `FINANCEHUB_BENCH=1 swift test --filter PostgresBenchTests/testAuditAppendRate`.
    func testAuditAppendRate() async throws {
        guard ProcessInfo.processInfo.environment["FINANCEHUB_BENCH"] == "1" else {
            throw XCTSkip("set FINANCEHUB_BENCH=1 to run the audit append benchmark")
        }
        let store = try await PostgresTestDatabase.freshStore()
        let count = 100_000
        let events = (0..<count).map { i in
            AuditEvent(
                id: String(format: "%032x", i), ts: 1_704_153_600_000 + Int64(i), type: .connect,
                user: i % 4 == 0 ? nil : "user\(i % 100)", ip: "192.0.2.\(i % 250)", detail: "/ws/market/BTC/price")
        }
        let elapsed = try await ContinuousClock().measure {
            for start in stride(from: 0, to: count, by: 500) {
                try await store.appendAudit(Array(events[start..<min(count, start + 500)]))
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "audit append: \(count) events in \(String(format: "%.2f", seconds)) s, \(Int(Double(count) / seconds))/s")
        let page = try await store.auditEvents(AuditQuery(user: "user1", limit: 10))
        XCTAssertEqual(page.count, 10)
        await PostgresTestDatabase.dispose(store)
    }
}
