import FinanceApp
import FinanceCore
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import XCTest

/// The audit recorder over a real SQLite file: `record` never waits for the database, the buffer is bounded (drops
/// counted), batches are written by the service and on demand, a failed batch is retried, old events are pruned.
final class AuditLogTests: TemporaryFolderTestCase {
    private let t0: Int64 = 1_704_153_600_000

    private func store() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: self.path("audit.sqlite"))
        _ = try await store.migrate()
        return store
    }

    func testRecordedEventsAreWrittenInBatchesAndReadNewestFirstInPages() async throws {
        let store = try await self.store()
        let clock = SettableClock(self.t0)
        let log = AuditLog(repository: store, settings: AuditLogSettings(batchSize: 7), clock: clock)
        for i in 0..<30 {
            log.record(i % 2 == 0 ? .login : .loginFailed, user: "u\(i % 3)", ip: "192.0.2.\(i)", detail: "try \(i)")
            clock.advance(by: 1)
        }
        XCTAssertEqual(log.pending, 30)
        let before = try await store.auditEvents(AuditQuery(limit: 100))
        XCTAssertEqual(before, [], "nothing is written until a flush")
        try await log.flush()
        XCTAssertEqual(log.pending, 0)
        XCTAssertEqual(log.written, 30)
        var seen: [AuditEvent] = []
        var query = AuditQuery(limit: 8)
        var pages = 0
        while true {
            let page = try await log.page(query)
            seen += page.items
            pages += 1
            guard let next = page.next else { break }
            query.after = next
        }
        XCTAssertEqual(pages, 4, "8 + 8 + 8 + 6")
        XCTAssertEqual(seen.map(\.detail), (0..<30).reversed().map { "try \($0)" })
        XCTAssertEqual(Set(seen.map(\.id)).count, 30, "ids are unique")
        XCTAssertEqual(seen.last?.ts, self.t0)
        XCTAssertEqual(seen.last?.ip, "192.0.2.0")
        // A page that ends exactly at the end has no next.
        let exact = try await log.page(AuditQuery(user: "u0", limit: 10))
        XCTAssertEqual(exact.items.count, 10)
        XCTAssertNil(exact.next)
        try await store.close()
    }

    func testAFullBufferDropsAndCountsNewEventsWithoutGrowing() async throws {
        let store = try await self.store()
        let log = AuditLog(
            repository: store, settings: AuditLogSettings(bufferSize: 100), clock: SettableClock(self.t0))
        let start = ContinuousClock.now
        for i in 0..<10_000 { log.record(.limitHit, ip: "192.0.2.1", detail: "n \(i)") }
        // Recording never waits: 10,000 records in well under a second even on a loaded machine.
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
        XCTAssertEqual(log.pending, 100)
        XCTAssertEqual(log.dropped, 9_900)
        try await log.flush()
        let stored = try await store.auditEvents(AuditQuery(limit: 1_000))
        XCTAssertEqual(stored.count, 100, "the first 100 were kept")
        XCTAssertEqual(Set(stored.map(\.detail)), Set((0..<100).map { "n \($0)" }))
        try await store.close()
    }

    func testAFailedWriteKeepsTheBatchForTheNextFlush() async throws {
        let store = try await self.store()
        let failing = FailingAuditRepository(store)
        let clock = SettableClock(self.t0)
        let log = AuditLog(repository: failing, settings: AuditLogSettings(batchSize: 5), clock: clock)
        for i in 0..<12 {
            log.record(.connect, user: "alice", detail: "c\(i)")
            clock.advance(by: 1)
        }
        failing.failNext(2)
        do {
            try await log.flush()
            XCTFail("the flush should report the failed write")
        } catch {}
        XCTAssertEqual(log.pending, 12, "the batch went back to the front")
        do {
            try await log.flush()
            XCTFail("the second write fails too")
        } catch {}
        try await log.flush()
        let stored = try await store.auditEvents(AuditQuery(limit: 100))
        XCTAssertEqual(stored.map(\.detail), (0..<12).reversed().map { "c\($0)" }, "in order, each once")
        XCTAssertEqual(log.dropped, 0)
        try await store.close()
    }

    func testTheServiceWritesWithinTheIntervalAndAtShutdownAndPrunesOldEvents() async throws {
        let store = try await self.store()
        let clock = SettableClock(self.t0)
        // Stored before the service starts, 100 days old: past the 90-day retention.
        try await store.appendAudit([AuditEvent(id: "old", ts: self.t0 - 100 * 86_400_000, type: .logout)])
        let log = AuditLog(
            repository: store, settings: AuditLogSettings(flushInterval: .milliseconds(50)), clock: clock)
        let service = AuditLogService(log: log, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        log.record(.ban, ip: "198.51.100.7", detail: "20 violations")
        try await self.waitUntil { try await store.auditEvents(AuditQuery(limit: 10)).map(\.type) == [.ban] }
        log.record(.forcedDisconnect, user: "bob")
        await group.triggerGracefulShutdown()
        try await running.value
        let stored = try await store.auditEvents(AuditQuery(limit: 10))
        XCTAssertEqual(stored.map(\.type).sorted { $0.rawValue < $1.rawValue }, [.ban, .forcedDisconnect])
        XCTAssertNil(stored.first { $0.id == "old" }, "pruned at start")
        try await store.close()
    }

    func testAFullBatchIsWrittenWithoutWaitingForTheInterval() async throws {
        let store = try await self.store()
        let log = AuditLog(
            repository: store, settings: AuditLogSettings(batchSize: 10, flushInterval: .seconds(3_600)),
            clock: SettableClock(self.t0))
        let group = ServiceGroup(
            services: [AuditLogService(log: log, logger: Logger(label: "test"))], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        for i in 0..<9 { log.record(.connect, user: "u\(i)") }
        try await Task.sleep(for: .milliseconds(200))
        let partial = try await store.auditEvents(AuditQuery(limit: 100))
        XCTAssertEqual(partial.count, 0, "9 of 10 wait for the hourly flush")
        log.record(.connect, user: "u9")
        try await self.waitUntil { try await store.auditEvents(AuditQuery(limit: 100)).count == 10 }
        await group.triggerGracefulShutdown()
        try await running.value
        try await store.close()
    }

    private func waitUntil(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("condition not met within 10 s")
    }
}

/// A repository over a real one whose next writes fail on request.
private final class FailingAuditRepository: AuditRepository {
    private let base: any AuditRepository
    private let failures = Mutex(0)

    init(_ base: any AuditRepository) { self.base = base }

    func failNext(_ n: Int) { self.failures.withLock { $0 = n } }

    func appendAudit(_ events: [AuditEvent]) async throws {
        let fail = self.failures.withLock { n -> Bool in
            defer { n = max(0, n - 1) }
            return n > 0
        }
        if fail { throw StorageError.backend("injected failure") }
        try await self.base.appendAudit(events)
    }

    func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] { try await self.base.auditEvents(query) }
    func pruneAudit(before: Int64) async throws -> Int { try await self.base.pruneAudit(before: before) }
}
