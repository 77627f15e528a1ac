import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import XCTest

/// What the recorder and the guard cost on the request path, and how fast batches reach a real SQLite file; the
/// numbers go to stderr (docs/operations.md quotes them), the bounds are loose enough for a loaded machine.
final class AuditAndAbuseCostTests: TemporaryFolderTestCase {
    private func perCall(_ n: Int, _ body: (Int) -> Void) -> Double {
        let start = ContinuousClock.now
        for i in 0..<n { body(i) }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1e9 / Double(n) + Double(elapsed.components.attoseconds) / 1e9
            / Double(n)
    }

    func testRecordingAndCheckingCostMicrosecondsAndBatchesWriteFast() async throws {
        let store = try SQLiteStore(path: self.path("cost.sqlite"))
        _ = try await store.migrate()
        let clock = SettableClock(1_704_153_600_000)
        let log = AuditLog(repository: store, settings: AuditLogSettings(bufferSize: 20_000), clock: clock)
        let record = self.perCall(20_000) { i in
            log.record(.connect, user: "user\(i % 100)", ip: "192.0.2.\(i % 250)", detail: "/ws")
        }
        let full = self.perCall(20_000) { _ in log.record(.limitHit, ip: "192.0.2.1", detail: "flood") }
        let start = ContinuousClock.now
        try await log.flush()
        let flushSeconds = (ContinuousClock.now - start) / .seconds(1)
        let guardian = AbuseGuard(clock: clock)
        let attempt = self.perCall(100_000) { i in _ = guardian.connectAttempt(ip: "10.0.\(i / 256 % 256).\(i % 256)") }
        let login = self.perCall(100_000) { i in _ = guardian.loginAllowed(user: "user\(i % 1000)", ip: "192.0.2.1") }
        FileHandle.standardError.write(
            Data(
                """
                audit record: \(Int(record)) ns/event buffered, \(Int(full)) ns/event dropped (buffer full); \
                flush of 20,000 events to SQLite: \(String(format: "%.2f", flushSeconds)) s \
                (\(Int(20_000 / flushSeconds)) events/s)
                abuse guard: connectAttempt(ip:) \(Int(attempt)) ns (65,536 addresses), loginAllowed \(Int(login)) ns

                """.utf8))
        XCTAssertEqual(log.written, 20_000)
        XCTAssertEqual(log.dropped, 20_000)
        XCTAssertLessThan(record, 50_000, "ns per record")
        XCTAssertLessThan(attempt, 50_000, "ns per connect check")
        try await store.close()
    }
}
