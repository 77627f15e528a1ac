import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import Foundation
import Synchronization
import XCTest

/// Throughput of SQLiteStore, run only with FINANCEHUB_BENCH=1 (use a release build):
/// `FINANCEHUB_BENCH=1 swift test -c release --filter SQLiteStoreBenchTests`
/// Optional: FINANCEHUB_BENCH_ROWS (default 1,000,000), FINANCEHUB_BENCH_DIR (default the temporary folder).
final class SQLiteStoreBenchTests: XCTestCase {
    func testImportOneMillionMinuteBars() async throws {
        let env = ProcessInfo.processInfo.environment
        guard env["FINANCEHUB_BENCH"] == "1" else { throw XCTSkip("set FINANCEHUB_BENCH=1 to run the benchmark") }
        let rows = Int(env["FINANCEHUB_BENCH_ROWS"] ?? "") ?? 1_000_000
        let base =
            env["FINANCEHUB_BENCH_DIR"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        let folder = base.appendingPathComponent("financehub-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bench.sqlite").path

        let start: Int64 = 1_577_836_800_000  // 2020-01-01
        var bars: [Bar] = []
        bars.reserveCapacity(rows)
        var price = 100.0
        for i in 0..<rows {
            let open = price
            let close = open + Double((i * 7919) % 21 - 10) / 100
            bars.append(
                Bar(
                    ts: start + Int64(i) * 60_000, open: open, high: max(open, close) + 0.05,
                    low: min(open, close) - 0.05,
                    close: close, volume: Double(100 + (i * 31) % 900)))
            price = max(1, close)
        }
        let batch = BarBatch(symbol: "BENCH", interval: .minute1, bars: bars)

        let store = try SQLiteStore(path: path)
        _ = try await store.migrate()
        let reports = Mutex<[Int]>([])
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            try await store.writeBars([batch], progress: { n in reports.withLock { $0.append(n) } })
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "BENCH import \(rows) 1m bars: \(String(format: "%.3f", seconds)) s, \(Int(Double(rows) / seconds)) rows/s")
        print("BENCH progress reports: \(reports.withLock { $0 })")

        let chunks = stride(from: 0, to: rows, by: 10_000).map {
            BarBatch(symbol: "CHUNKED", interval: .minute1, bars: Array(bars[$0..<min(rows, $0 + 10_000)]))
        }
        let chunked = try await clock.measure { try await store.writeBars(chunks, progress: nil) }
        print("BENCH import \(rows) 1m bars as \(chunks.count) batches of 10,000 in one call: \(chunked)")

        let reimport = try await clock.measure { try await store.writeBars([batch], progress: nil) }
        print("BENCH re-import (all upserts, rollups from stored rows): \(reimport)")

        let tail = BarBatch(symbol: "BENCH", interval: .minute1, bars: [bars[rows - 1]])
        let small = try await clock.measure { for _ in 0..<100 { try await store.writeBars(tail) } }
        print("BENCH 100 single-bar writes: \(small / 100) each")

        let yearStart = start + 365 * 86_400_000 / 2
        var days: [Bar] = []
        let reads = try await clock.measure {
            for _ in 0..<200 {
                days = try await store.bars(
                    symbol: "BENCH", series: .rollup(base: .minute1, interval: .day1), from: yearStart,
                    to: yearStart + 365 * 86_400_000, limit: 1000, newestFirst: false)
            }
        }
        print("BENCH read \(days.count) daily rollup rows: \(reads / 200) each")
        let minutes = try await clock.measure {
            for _ in 0..<20 {
                _ = try await store.bars(
                    symbol: "BENCH", series: .stored(.minute1), from: nil, to: nil, limit: 10_000, newestFirst: true)
            }
        }
        print("BENCH read the newest 10,000 minute bars: \(minutes / 20) each")

        let hours = try await store.bars(
            symbol: "BENCH", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: .max,
            newestFirst: false)
        XCTAssertEqual(hours, Bucketing.aggregate(bars, into: .hour1), "hourly rollups of the import")
        try await store.close()
    }
}
