import FinanceCore
import FinanceStorage
import Foundation

extension OutboxDelivery {
    /// One outbox row per channel carrying `payload`, due at `now`, each with a fresh delivery id (`dlv_` and a
    /// UUID): what the engine hands `recordFiring` for a firing, or `enqueue` for a digest, a runaway notice or a
    /// test send (`event` nil).
    public static func rows(
        for payload: DeliveryPayload, alertId: String, owner: String, event: String?, channels: [AlertChannel],
        now: Int64
    ) throws -> [OutboxDelivery] {
        let body = try payload.json
        return channels.map { channel in
            OutboxDelivery(
                id: "dlv_" + UUID().uuidString.lowercased(), alertId: alertId, owner: owner, event: event,
                channel: channel, body: body, nextAttemptAt: now, createdAt: now)
        }
    }
}
