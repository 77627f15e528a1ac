import FinanceCore
import FinanceStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Turns the engine's firings into persisted notifications: each firing is recorded in the alert history together
/// with one outbox row per channel (`AlertOutboxRepository.recordFiring`, deduplicated by the firing's event), after
/// the throttle (a burst beyond `alerts.throttle.*` is held for a digest) and the runaway stop (an alert firing more
/// than 15 times in 3 minutes is disabled and its owner told). A `once` alert is marked triggered. The outbox's
/// delivery service sends the rows; this sink only writes them, so an accepted notification survives a crash.
public final class AlertFiringSink: Sendable {
    private struct State {
        var throttle: AlertThrottle
        var runaway: RunawayGuard
    }

    private let alerts: any AlertRepository
    private let outbox: any AlertOutboxRepository
    private let clock: any WallClock
    private let logger: Logger
    private let state: Mutex<State>
    /// Told when the runaway stop disabled an alert (the engine drops it).
    private let onDisabled: @Sendable (String) -> Void
    /// Told when the sink changed an alert in the store: a `once` alert triggered, or one disabled (the other
    /// instances reload it).
    private let onChanged: @Sendable (String) -> Void
    /// Told when deliveries were queued (the delivery service claims them at once).
    private let onQueued: @Sendable () -> Void

    public init(
        alerts: any AlertRepository, outbox: any AlertOutboxRepository, throttle: AlertThrottle,
        runaway: RunawayGuard = RunawayGuard(), clock: any WallClock, logger: Logger,
        onDisabled: @escaping @Sendable (String) -> Void = { _ in },
        onChanged: @escaping @Sendable (String) -> Void = { _ in },
        onQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.alerts = alerts
        self.outbox = outbox
        self.clock = clock
        self.logger = logger
        self.state = Mutex(State(throttle: throttle, runaway: runaway))
        self.onDisabled = onDisabled
        self.onChanged = onChanged
        self.onQueued = onQueued
    }

    /// Records `firings` and queues their deliveries, up to `maxBatch` in one transaction. A batch that fails is
    /// logged with its alerts; the next batches go on.
    public func record(_ firings: [AlertFiring]) async {
        var start = 0
        while start < firings.count {
            let end = min(start + Self.maxBatch, firings.count)
            do {
                try await self.record(batch: firings[start..<end])
            } catch {
                self.logger.error(
                    "alert firings not recorded",
                    metadata: [
                        "alerts": "\(firings[start..<end].map(\.alertId).joined(separator: ","))",
                        "error": "\(String(reflecting: error))",
                    ])
            }
            start = end
        }
    }

    /// The most firings recorded in one transaction.
    static let maxBatch = 500

    /// Records one batch of firings in one transaction (history rows, deliveries, `once` alerts triggered), then
    /// applies the runaway stop to the alerts it disables.
    private func record(batch firings: ArraySlice<AlertFiring>) async throws {
        let now = self.clock.nowMilliseconds()
        var records: [FiringRecord] = []
        var pending: [(alert: Alert, notice: AlertDisabledNotice?)] = []
        for firing in firings {
            let alert: Alert
            do {
                alert = try await self.alerts.alert(id: firing.alertId)
            } catch StorageError.notFound {
                continue  // deleted meanwhile
            }
            let notification = AlertNotification(alert: alert, firing: firing)
            let (decision, notice) = self.state.withLock { s in
                (
                    s.throttle.admit(notification, owner: alert.owner, channels: alert.channels, now: now),
                    s.runaway.record(alertId: alert.id, now: now)
                )
            }
            let rows =
                decision == .send
                ? try OutboxDelivery.rows(
                    for: .alert(notification), alertId: alert.id, owner: alert.owner, event: firing.event,
                    channels: alert.channels, now: now)
                : []
            records.append(FiringRecord(firing: firing, deliveries: rows, triggersOnce: alert.trigger == .once))
            pending.append((alert, notice))
        }
        let recorded = try await self.outbox.recordFirings(records)
        var queued = false
        for (index, isNew) in recorded.enumerated() where isNew {  // false: a duplicate event
            let (alert, notice) = pending[index]
            AlertPipelineMetrics.firings.increment()
            queued = queued || !records[index].deliveries.isEmpty
            if alert.trigger == .once { self.onChanged(alert.id) }
            if let notice {
                try await self.alerts.disableAlert(id: alert.id, reason: notice.reason, at: now)
                try await self.outbox.enqueue(
                    OutboxDelivery.rows(
                        for: .disabled(notice), alertId: alert.id, owner: alert.owner, event: nil,
                        channels: alert.channels, now: now))
                queued = true
                self.onDisabled(alert.id)
                self.onChanged(alert.id)
                self.logger.notice(
                    "runaway alert disabled", metadata: ["alert": "\(alert.id)", "owner": "\(alert.owner)"])
            }
        }
        if queued { self.onQueued() }
    }

    /// Queues the digests whose throttle window has ended; returns when the next one is due (ms), if any.
    @discardableResult
    public func flushDigests() async -> Int64? {
        let now = self.clock.nowMilliseconds()
        let (due, next) = self.state.withLock { s in
            s.runaway.sweep(now: now)
            return (s.throttle.dueDigests(now: now), s.throttle.nextDigestAt)
        }
        for digest in due {
            guard let first = digest.digest.alerts.first else { continue }
            do {
                try await self.outbox.enqueue(
                    OutboxDelivery.rows(
                        for: .digest(digest.digest), alertId: first.alertId, owner: digest.owner, event: nil,
                        channels: [digest.channel], now: now))
            } catch {
                self.logger.error("alert digest not queued", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
        if !due.isEmpty { self.onQueued() }
        return next
    }
}

/// Queues throttled digests when their window ends (every second at most).
public struct AlertDigestService: Service {
    let sink: AlertFiringSink

    public init(sink: AlertFiringSink) {
        self.sink = sink
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.sink.flushDigests()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
