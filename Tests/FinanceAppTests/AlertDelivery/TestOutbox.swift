import FinanceCore
import FinanceStorage
import Synchronization

/// The outbox contract in memory, for the delivery service's tests (the stores implement the real one): leased
/// claims of due pending rows, outcomes that count attempts.
final class TestOutbox: AlertOutboxRepository {
    private let rows = Mutex<[OutboxDelivery]>([])

    var all: [OutboxDelivery] { self.rows.withLock { $0 } }
    func row(_ id: String) -> OutboxDelivery? { self.rows.withLock { $0.first { $0.id == id } } }

    func recordFiring(_ firing: AlertFiring, deliveries: [OutboxDelivery]) async throws -> Bool {
        try await self.enqueue(deliveries)
        return true
    }

    func recordFirings(_ records: [FiringRecord]) async throws -> [Bool] {
        self.rows.withLock { rows in rows += records.flatMap(\.deliveries) }
        return records.map { _ in true }
    }

    func enqueue(_ deliveries: [OutboxDelivery]) async throws {
        self.rows.withLock { $0 += deliveries }
    }

    func claimDueDeliveries(now: Int64, limit: Int, leaseMilliseconds: Int64) async throws -> [OutboxDelivery] {
        self.rows.withLock { rows in
            var claimed: [OutboxDelivery] = []
            for i in rows.indices where rows[i].status == .pending && rows[i].nextAttemptAt <= now {
                guard claimed.count < limit else { break }
                rows[i].nextAttemptAt = now + leaseMilliseconds
                claimed.append(rows[i])
            }
            return claimed
        }
    }

    func completeDelivery(id: String, outcome: DeliveryOutcome, now: Int64) async throws {
        self.rows.withLock { rows in
            guard let i = rows.firstIndex(where: { $0.id == id }) else { return }
            rows[i].attempts += 1
            rows[i].updatedAt = now
            switch outcome {
            case .delivered:
                rows[i].status = .delivered
                rows[i].lastError = nil
            case .retry(let error, let at):
                rows[i].lastError = error
                rows[i].nextAttemptAt = at
            case .failed(let error):
                rows[i].status = .failed
                rows[i].lastError = error
            }
        }
    }

    func deliveries(alertId: String, limit: Int) async throws -> [OutboxDelivery] {
        Array(self.rows.withLock { $0.filter { $0.alertId == alertId } }.reversed().prefix(limit))
    }
}
