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

    public init(
        alerts: any AlertRepository, outbox: any AlertOutboxRepository, throttle: AlertThrottle,
        runaway: RunawayGuard = RunawayGuard(), clock: any WallClock, logger: Logger,
        onDisabled: @escaping @Sendable (String) -> Void = { _ in },
        onChanged: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.alerts = alerts
        self.outbox = outbox
        self.clock = clock
        self.logger = logger
        self.state = Mutex(State(throttle: throttle, runaway: runaway))
        self.onDisabled = onDisabled
        self.onChanged = onChanged
    }

    /// Records `firings` and queues their deliveries. Errors are logged per firing; the others go on.
    public func record(_ firings: [AlertFiring]) async {
        for firing in firings {
            do {
                try await self.record(firing)
            } catch {
                self.logger.error(
                    "alert firing not recorded",
                    metadata: ["alert": "\(firing.alertId)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    private func record(_ firing: AlertFiring) async throws {
        let now = self.clock.nowMilliseconds()
        let alert: Alert
        do {
            alert = try await self.alerts.alert(id: firing.alertId)
        } catch StorageError.notFound {
            return  // deleted meanwhile
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
        guard try await self.outbox.recordFiring(firing, deliveries: rows) else { return }  // a duplicate event
        AlertPipelineMetrics.firings.increment()
        if alert.trigger == .once {
            try await self.alerts.markAlertTriggered(id: alert.id, at: firing.ts)
            self.onChanged(alert.id)
        }
        if let notice {
            try await self.alerts.disableAlert(id: alert.id, reason: notice.reason, at: now)
            try await self.outbox.enqueue(
                OutboxDelivery.rows(
                    for: .disabled(notice), alertId: alert.id, owner: alert.owner, event: nil,
                    channels: alert.channels, now: now))
            self.onDisabled(alert.id)
            self.onChanged(alert.id)
            self.logger.notice("runaway alert disabled", metadata: ["alert": "\(alert.id)", "owner": "\(alert.owner)"])
        }
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
