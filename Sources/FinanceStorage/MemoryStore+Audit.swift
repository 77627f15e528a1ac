import FinanceCore
import Synchronization

/// The audit log of the in-memory store: the reference semantics of `AuditRepository`.
final class MemoryAuditState: Sendable {
    struct State {
        var events: [String: AuditEvent] = [:]
    }

    let state = Mutex(State())
}

extension MemoryStore {
    public func appendAudit(_ events: [AuditEvent]) async throws {
        self.auditState.state.withLock { s in
            for event in events where s.events[event.id] == nil { s.events[event.id] = event }
        }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        let matching = self.auditState.state.withLock { $0.events.values.filter(query.matches) }
        let newestFirst = matching.sorted { a, b in
            a.ts != b.ts ? a.ts > b.ts : b.id.utf8.lexicographicallyPrecedes(a.id.utf8)
        }
        return Array(newestFirst.prefix(max(0, query.limit)))
    }

    public func pruneAudit(before: Int64) async throws -> Int {
        self.auditState.state.withLock { s in
            let old = s.events.values.filter { $0.ts < before }.map(\.id)
            for id in old { s.events[id] = nil }
            return old.count
        }
    }
}
