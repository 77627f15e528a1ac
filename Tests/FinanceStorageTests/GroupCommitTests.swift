import FinanceCore
import FinanceStorage
import FinanceStorageTesting
import Foundation
import Synchronization
import XCTest

@testable import FinanceStorageSQLite

/// Concurrent tick batches share transactions, and each keeps its own outcome.
final class GroupCommitTests: XCTestCase {
    func testConcurrentBatchesAreGroupedAndEachGetsItsOwnOutput() async throws {
        let groups = Mutex<[[Int]]>([])
        let commit = GroupCommit<Int, Int>(maxGroup: 8)
        let run: GroupCommit<Int, Int>.Run = { items in
            groups.withLock { $0.append(items) }
            try await Task.sleep(for: .milliseconds(5))
            return items.map { $0 * 10 }
        }
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 0..<40 { group.addTask { (i, try await commit.submit(i, run: run)) } }
            var out: [Int: Int] = [:]
            for try await (i, output) in group { out[i] = output }
            return out
        }
        XCTAssertEqual(outputs, Dictionary(uniqueKeysWithValues: (0..<40).map { ($0, $0 * 10) }))
        let seen = groups.withLock { $0 }
        XCTAssertEqual(seen.flatMap { $0 }.sorted(), Array(0..<40), "every item is written exactly once")
        XCTAssertLessThan(seen.count, 40, "items that arrive during a transaction share the next one")
        XCTAssertLessThanOrEqual(seen.map(\.count).max() ?? 0, 8)
    }

    func testAFailingBatchFailsAloneAndTheOthersAreWritten() async throws {
        struct Refused: Error {}
        let written = Mutex<[Int]>([])
        let commit = GroupCommit<Int, Int>()
        // A transaction holding item 13 fails as a whole (nothing of it is kept).
        let run: GroupCommit<Int, Int>.Run = { items in
            try await Task.sleep(for: .milliseconds(2))
            if items.contains(13) { throw Refused() }
            written.withLock { $0 += items }
            return items
        }
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<30 {
                group.addTask {
                    do { return (i, try await commit.submit(i, run: run) == i) } catch { return (i, false) }
                }
            }
            var out: [Int: Bool] = [:]
            for await (i, ok) in group { out[i] = ok }
            return out
        }
        XCTAssertEqual(results.filter { !$0.value }.map(\.key), [13])
        XCTAssertEqual(written.withLock { $0 }.sorted(), (0..<30).filter { $0 != 13 })
    }

    func testConcurrentTickWritesAreAllStoredAndFolded() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fh-group-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        _ = try await store.migrate()
        let t0 = StoreContract.t0
        var batches: [[Tick]] = []
        for b in 0..<60 {
            var batch: [Tick] = []
            for i in 0..<20 {
                let ts = t0 + Int64(b * 20 + i) * 700
                let price = Double(100 + (b * 7 + i) % 13)
                batch.append(Tick(symbol: "S\(i % 3)", ts: ts, price: price, size: Double(1 + i)))
            }
            batches.append(batch)
        }
        let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
            for batch in batches {
                group.addTask {
                    _ = try await store.writeTicks(batch)
                    return batch.count
                }
            }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(acknowledged, 1200)
        let all = batches.flatMap { $0 }
        for symbol in ["S0", "S1", "S2"] {
            let stored = try await store.bars(
                symbol: symbol, series: .stored(.minute1), from: nil, to: nil, limit: 10_000, newestFirst: false)
            XCTAssertEqual(stored, SQLiteWriterCacheTests.expectedMinutes(all, symbol: symbol), symbol)
            let hours = try await store.bars(
                symbol: symbol, series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 100,
                newestFirst: false)
            XCTAssertEqual(hours, Bucketing.aggregate(stored, into: .hour1), symbol)
        }
    }
}
