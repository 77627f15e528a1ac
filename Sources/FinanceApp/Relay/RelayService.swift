import FinanceCore
import FinanceStorage
import Logging
import ServiceLifecycle
import Synchronization

/// Moves live messages between this instance and the others through an `InstanceRelay`.
///
/// Out: every live tick and bar ingested here (observed on the market bus as it is published), plus the alert
/// notifications and revocations handed to `send(alert:body:)` and `send(revocation:)`, wait in a bounded backlog
/// that one sender drains, so whatever gathers while a send is in flight goes in the next one. In: market events of
/// other instances are published on the market bus with origin `remote`, which the WebSocket hub and the quote book
/// take and live analytics (and every other consumer of `isLocalLive` only) skips; they are never written to the
/// store, which the other instance already did. Alert notifications and revocations go to `notices`.
public final class RelayService: Service, Sendable {
    public let relay: any InstanceRelay
    /// Alert notifications and revocations received from other instances.
    public let notices: EventBus<RelayMessage>
    /// The most messages waiting to be sent; beyond it the oldest are dropped (counted).
    public let maxBacklog: Int
    private let bus: any MarketBus
    private let logger: Logger
    private let backlog = Mutex(Backlog())
    private let wakeUps: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Nothing is collected until `run()` starts (an application built but never run keeps no backlog).
    private let running = Atomic<Bool>(false)

    private struct Backlog {
        var messages: [RelayMessage] = []
        var dropped = 0
        /// Send failures not yet logged (one line at most every `failureLogInterval`).
        var unloggedFailures = 0
        var lostSinceLog = 0
        var lastFailureLog: ContinuousClock.Instant?
    }

    static let failureLogInterval = Duration.seconds(10)

    /// Starts collecting this instance's live market events from `bus` at once.
    public init(relay: any InstanceRelay, bus: any MarketBus, logger: Logger, maxBacklog: Int = 100_000) {
        self.relay = relay
        self.bus = bus
        self.logger = logger
        self.maxBacklog = max(1, maxBacklog)
        self.notices = EventBus(name: "relay_notices")
        (self.wakeUps, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        bus.observe { [weak self] messages in self?.collect(messages) }
    }

    /// Sends an alert notification (its JSON) for `user` to the other instances.
    public func send(alert user: String, body: String) {
        self.enqueue([.alert(user: user, body: body)])
    }

    /// Sends a revocation to the other instances.
    public func send(revocation: RelayRevocation) {
        self.enqueue([.revoke(revocation)])
    }

    /// Tells the other instances that alert `id` changed in the store (created, updated, triggered, disabled or
    /// deleted), so that their engines reload it.
    public func send(alertChanged id: String) {
        self.enqueue([.alertChanged(id: id)])
    }

    /// What waits to be sent.
    public var backlogCount: Int { self.backlog.withLock { $0.messages.count } }

    /// Runs the relay, its sender and its receiver until graceful shutdown.
    public func run() async throws {
        self.running.store(true, ordering: .releasing)
        defer { self.running.store(false, ordering: .releasing) }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.relay.run() }
                group.addTask {
                    for await batch in self.relay.received { self.deliver(batch) }
                }
                group.addTask {
                    for await _ in self.wakeUps { await self.sendWaiting() }
                }
                await group.waitForAll()
            }
        }
    }

    /// Takes the live market events ingested on this instance.
    private func collect(_ messages: [MarketMessage]) {
        guard self.running.load(ordering: .relaxed) else { return }
        var out: [RelayMessage] = []
        for message in messages where message.isLocalLive { out.append(.market(message.event)) }
        self.enqueue(out)
    }

    private func enqueue(_ messages: [RelayMessage]) {
        guard !messages.isEmpty, self.running.load(ordering: .acquiring) else { return }
        let dropped = self.backlog.withLock { b -> Int in
            b.messages += messages
            let over = b.messages.count - self.maxBacklog
            guard over > 0 else { return 0 }
            b.messages.removeFirst(over)
            b.dropped += over
            return over
        }
        if dropped > 0 { RelayMetrics.dropped("backlog").increment(by: dropped) }
        self.wake.yield()
    }

    /// Sends everything waiting, in one call.
    private func sendWaiting() async {
        let batch = self.backlog.withLock { b in
            defer { b.messages.removeAll(keepingCapacity: true) }
            return b.messages
        }
        guard !batch.isEmpty else { return }
        do {
            try await self.relay.send(batch)
        } catch {
            // A database outage fails every send: one log line every `failureLogInterval` at most.
            let now = ContinuousClock.now
            let report = self.backlog.withLock { b -> (failures: Int, lost: Int)? in
                b.unloggedFailures += 1
                b.lostSinceLog += batch.count
                if let last = b.lastFailureLog, now - last < Self.failureLogInterval { return nil }
                defer {
                    b.lastFailureLog = now
                    b.unloggedFailures = 0
                    b.lostSinceLog = 0
                }
                return (b.unloggedFailures, b.lostSinceLog)
            }
            if let report {
                self.logger.warning(
                    "relay: \(report.failures) send(s) failed, \(report.lost) message(s) not relayed: \(error)")
            }
        }
    }

    /// Hands messages of another instance on: market events to the market bus (origin remote), the rest to `notices`.
    func deliver(_ batch: [RelayMessage]) {
        var events: [MarketMessage] = []
        var notices: [RelayMessage] = []
        events.reserveCapacity(batch.count)
        for message in batch {
            if case .market(let event) = message {
                events.append(MarketMessage(event, origin: .remote, freshness: .live))
            } else {
                notices.append(message)
            }
        }
        self.bus.publish(events)
        self.notices.publish(notices)
    }
}
