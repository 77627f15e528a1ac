import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import XCTest

@testable import FinanceCLI

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Runs the real `financehub` binary: `kill -9` while a client posts batches, then checks that every
/// acknowledged batch is present in full and no batch is present in part.
final class CrashTests: XCTestCase {
    /// The `financehub` executable that `swift test` builds beside the test bundle.
    static var binary: URL? { FinanceHubBinary.url }

    func testKill9KeepsEveryAcknowledgedBatchWhole() async throws {
        guard let binary = Self.binary else { throw XCTSkip("financehub binary not built next to the tests") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("financehub-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("crash.sqlite").path
        let (server, port, apiKey) = try SelfProcess.startServer(
            executable: binary.path, database: "sqlite:" + path, feed: "none")
        let perBatch = 200
        let url = URL(string: "http://127.0.0.1:\(port)/api/bars/CRASH?interval=1m")!
        let session = URLSession(configuration: .ephemeral)
        let t0: Int64 = 1_704_067_200_000
        // Batch b covers minutes [b*perBatch, (b+1)*perBatch) and carries volume b+1 on every bar.
        func body(_ b: Int) -> Data {
            let items = (0..<perBatch).map { i in
                "{\"ts\":\(t0 + Int64(b * perBatch + i) * 60_000),\"open\":10,\"high\":11,\"low\":9,\"close\":10,\"volume\":\(b + 1)}"
            }
            return Data(("[" + items.joined(separator: ",") + "]").utf8)
        }
        let killer = Task {
            try await Task.sleep(for: .milliseconds(1500))
            kill(server.processIdentifier, SIGKILL)
        }
        var acknowledged: [Int] = []
        var attempted = 0
        for b in 0..<100_000 {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.httpBody = body(b)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(apiKey, forHTTPHeaderField: "X-API-Key")
            attempted = b + 1
            do {
                let (_, response) = try await session.data(for: request)
                if let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) {
                    acknowledged.append(b)
                }
            } catch {
                break  // the server is gone
            }
        }
        _ = try? await killer.value
        server.waitUntilExit()
        XCTAssertEqual(server.terminationReason, .uncaughtSignal)
        XCTAssertGreaterThan(acknowledged.count, 3, "the client should have written several batches before the kill")

        let store = try SQLiteStore(path: path)
        let bars = try await store.bars(
            symbol: "CRASH", series: .stored(.minute1), from: nil, to: nil, limit: 10_000_000, newestFirst: false)
        var counts: [Int: Int] = [:]
        for bar in bars { counts[Int(bar.volume) - 1, default: 0] += 1 }
        for b in acknowledged { XCTAssertEqual(counts[b], perBatch, "acknowledged batch \(b) is not complete") }
        for (b, n) in counts { XCTAssertEqual(n, perBatch, "batch \(b) is present in part (\(n) of \(perBatch))") }
        XCTAssertLessThanOrEqual(counts.count, attempted)
        // Rollups are consistent with the surviving bars.
        let hourly = try await store.bars(
            symbol: "CRASH", series: .rollup(base: .minute1, interval: .hour1), from: nil, to: nil, limit: 1_000_000,
            newestFirst: false)
        XCTAssertEqual(hourly, Bucketing.aggregate(bars, into: .hour1))
        try await store.close()
    }
}
