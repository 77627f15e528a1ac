import FinanceCore
import FinanceStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Drains the persisted outbox: every `pollInterval`, and at once when `signal` says deliveries were queued, it claims
/// the due deliveries (leased, so another instance does not take them meanwhile), delivers up to `concurrency` at once and records each outcome. A delivery whose
/// instance died is claimed again when its lease runs out, so what the engine accepted is delivered after a crash.
public struct AlertDeliveryService: Service {
    public let outbox: any AlertOutboxRepository
    public let deliverer: AlertDeliverer
    public let concurrency: Int
    public let pollInterval: Duration
    public let leaseMilliseconds: Int64
    public let clock: any WallClock
    public let logger: Logger
    /// Told by the firing sink when it queued deliveries.
    public let signal: AlertOutboxSignal

    public init(
        outbox: any AlertOutboxRepository, deliverer: AlertDeliverer, concurrency: Int = 64,
        pollInterval: Duration = .milliseconds(250), leaseMilliseconds: Int64 = 10_000,
        clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "financehub.alerts.delivery"),
        signal: AlertOutboxSignal = AlertOutboxSignal()
    ) {
        self.signal = signal
        self.outbox = outbox
        self.deliverer = deliverer
        self.concurrency = max(1, concurrency)
        self.pollInterval = pollInterval
        self.leaseMilliseconds = leaseMilliseconds
        self.clock = clock
        self.logger = logger
    }

    /// The service of `settings`.
    public init(
        outbox: any AlertOutboxRepository, deliverer: AlertDeliverer, settings: AlertDeliverySettings,
        clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "financehub.alerts.delivery"),
        signal: AlertOutboxSignal = AlertOutboxSignal()
    ) {
        self.init(
            outbox: outbox, deliverer: deliverer, concurrency: settings.concurrency,
            pollInterval: settings.pollInterval, leaseMilliseconds: settings.leaseMilliseconds, clock: clock,
            logger: logger, signal: signal)
    }

    /// Runs until shutdown; deliveries under way then finish (each is bounded by its timeout) before it returns.
    public func run() async throws {
        let inFlight = InFlightCount()
        await withDiscardingTaskGroup { group in
            // Whether the last claim was full: more may be due, so the loop claims again as soon as a slot frees
            // instead of waiting a whole poll interval.
            var backlog = false
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let free = self.concurrency - inFlight.value.load(ordering: .acquiring)
                if free > 0 {
                    let deliveries = await self.claim(limit: free)
                    for delivery in deliveries {
                        inFlight.value.add(1, ordering: .acquiringAndReleasing)
                        group.addTask {
                            await self.deliverAndRecord(delivery)
                            inFlight.value.subtract(1, ordering: .acquiringAndReleasing)
                        }
                    }
                    backlog = !deliveries.isEmpty && deliveries.count == free
                }
                do {
                    if backlog {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.slotWait) }
                    } else {
                        let (signal, poll) = (self.signal, self.pollInterval)
                        try await cancelWhenGracefulShutdown {
                            await signal.wait(upTo: poll)
                            try Task.checkCancellation()
                        }
                    }
                } catch {
                    break
                }
            }
        }
    }

    /// How often a saturated loop with a backlog looks for a free slot.
    static let slotWait = Duration.milliseconds(2)

    /// One pass: claims what is due and delivers it, returning the number of deliveries attempted (for tests and
    /// tools that drive the outbox step by step).
    @discardableResult
    public func drainOnce(limit: Int? = nil) async -> Int {
        let deliveries = await self.claim(limit: limit ?? self.concurrency)
        await withDiscardingTaskGroup { group in
            for delivery in deliveries { group.addTask { await self.deliverAndRecord(delivery) } }
        }
        return deliveries.count
    }

    private func claim(limit: Int) async -> [OutboxDelivery] {
        do {
            return try await self.outbox.claimDueDeliveries(
                now: self.clock.nowMilliseconds(), limit: limit, leaseMilliseconds: self.leaseMilliseconds)
        } catch {
            self.logger.warning("the alert outbox could not be read", metadata: ["error": "\(error)"])
            return []
        }
    }

    private func deliverAndRecord(_ delivery: OutboxDelivery) async {
        let outcome = await self.deliverer.deliver(delivery)
        // An attempt cut short by cancellation (not a graceful shutdown, which lets attempts finish) says nothing
        // about the receiver: it is not counted, and the delivery is taken again when its lease runs out.
        if Task.isCancelled && outcome != .delivered { return }
        do {
            try await self.outbox.completeDelivery(id: delivery.id, outcome: outcome, now: self.clock.nowMilliseconds())
        } catch {
            // The lease runs out and the delivery is attempted again: at least once, and the receiver's delivery id
            // tells the repeat.
            self.logger.warning(
                "an alert delivery's outcome could not be recorded",
                metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }
}

/// The deliveries under way, shared by the loop and the delivering tasks.
private final class InFlightCount: Sendable {
    let value = Atomic<Int>(0)
}
