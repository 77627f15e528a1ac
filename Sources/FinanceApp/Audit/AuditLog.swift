import FinanceCore
import FinanceStorage
import Metrics
import Synchronization

/// One page of the audit log, newest first, and the position of the next one (nil on the last page).
public struct AuditPage: Sendable, Equatable {
    public var items: [AuditEvent]
    public var next: AuditCursor?
}

/// The audit log's recorder: `record` never waits for the database. Events go into a bounded buffer that
/// `AuditLogService` writes in batches; when the buffer is full an event is dropped and counted
/// (`financehub_audit_dropped_total`), so a flood of events costs bounded memory and never slows a request.
public final class AuditLog: Sendable {
    public let settings: AuditLogSettings
    private let repository: any AuditRepository
    private let clock: any WallClock
    private let buffer: Mutex<Buffer>
    /// Wakes the writer when a batch is full.
    private let wake: AsyncStream<Void>.Continuation
    let wakeups: AsyncStream<Void>

    struct Buffer {
        var events: [AuditEvent] = []
        var dropped = 0
        /// Events written so far (tests and the operations docs).
        var written = 0
    }

    public init(repository: any AuditRepository, settings: AuditLogSettings = AuditLogSettings(), clock: any WallClock)
    {
        self.repository = repository
        self.settings = settings
        self.clock = clock
        self.buffer = Mutex(Buffer())
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.wakeups = wakeups
        self.wake = wake
    }

    /// Records an event now, with a fresh id. Never blocks on the database; see `record(_:)`.
    public func record(_ type: AuditEventType, user: String? = nil, ip: String? = nil, detail: String = "") {
        self.record(
            AuditEvent(
                id: Self.newId(), ts: self.clock.nowMilliseconds(), type: type, user: user, ip: ip, detail: detail))
    }

    /// Queues `event` for writing; drops it (counted) when `bufferSize` events are already waiting.
    public func record(_ event: AuditEvent) {
        let (accepted, batchFull) = self.buffer.withLock { b -> (Bool, Bool) in
            guard b.events.count < self.settings.bufferSize else {
                b.dropped += 1
                return (false, false)
            }
            b.events.append(event)
            return (true, b.events.count >= self.settings.batchSize)
        }
        if !accepted {
            Counter(label: "financehub_audit_dropped_total").increment()
        } else if batchFull {
            self.wake.yield()
        }
    }

    /// Events waiting to be written.
    public var pending: Int { self.buffer.withLock { $0.events.count } }
    /// Events dropped because the buffer was full, since start.
    public var dropped: Int { self.buffer.withLock { $0.dropped } }
    /// Events written, since start.
    public var written: Int { self.buffer.withLock { $0.written } }

    /// Writes every waiting event, `batchSize` at a time. A batch that fails goes back to the front of the buffer (as
    /// much of it as fits) and the error is thrown; ids make a batch written twice count once.
    public func flush() async throws {
        while true {
            let batch = self.buffer.withLock { b -> [AuditEvent] in
                let n = min(b.events.count, self.settings.batchSize)
                defer { b.events.removeFirst(n) }
                return Array(b.events.prefix(n))
            }
            if batch.isEmpty { return }
            do {
                try await self.repository.appendAudit(batch)
            } catch {
                let lost = self.buffer.withLock { b -> Int in
                    let room = max(0, self.settings.bufferSize - b.events.count)
                    b.events.insert(contentsOf: batch.prefix(room), at: 0)
                    b.dropped += batch.count - min(room, batch.count)
                    return batch.count - min(room, batch.count)
                }
                if lost > 0 { Counter(label: "financehub_audit_dropped_total").increment(by: lost) }
                throw error
            }
            self.buffer.withLock { $0.written += batch.count }
            Counter(label: "financehub_audit_written_total").increment(by: batch.count)
        }
    }

    /// Deletes the events older than `audit.retentionDays` (none when it is 0); returns how many.
    public func prune() async throws -> Int {
        guard self.settings.retentionDays > 0 else { return 0 }
        let cutoff = self.clock.nowMilliseconds() - Int64(self.settings.retentionDays) * 86_400_000
        return try await self.repository.pruneAudit(before: cutoff)
    }

    /// One page of stored events matching `query` (newest first), with the cursor of the next page when there may
    /// be one. Events still in the buffer show once written (within `flushInterval`).
    public func page(_ query: AuditQuery) async throws -> AuditPage {
        var probe = query
        probe.limit = min(query.limit, Int.max - 1) + 1
        let found = try await self.repository.auditEvents(probe)
        guard found.count > query.limit, query.limit > 0 else { return AuditPage(items: found, next: nil) }
        let items = Array(found.prefix(query.limit))
        return AuditPage(items: items, next: items.last.map(AuditCursor.init(after:)))
    }

    /// Ends the writer's wake-ups (the service's last flush follows).
    func finish() { self.wake.finish() }

    /// A random id: 32 hexadecimal digits.
    static func newId() -> String {
        var generator = SystemRandomNumberGenerator()
        let (a, b) = (generator.next() as UInt64, generator.next() as UInt64)
        return Self.hex(a) + Self.hex(b)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
