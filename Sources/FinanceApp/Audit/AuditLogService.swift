import FinanceCore
import Logging
import ServiceLifecycle

/// Writes the audit log's buffered events every `flushInterval` (sooner when a batch fills), prunes events past
/// `audit.retentionDays` at start and then once a day, and writes what is left at shutdown.
public struct AuditLogService: Service {
    public let log: AuditLog
    public let logger: Logger
    /// How often old events are pruned.
    public var pruneEvery: Duration = .seconds(86_400)

    public init(log: AuditLog, logger: Logger) {
        self.log = log
        self.logger = logger
    }

    public func run() async throws {
        await self.prune()
        await cancelWhenGracefulShutdown {
            var sincePrune = ContinuousClock.now
            var failing = false
            await withTaskGroup(of: Void.self) { group in
                // A ticker that wakes the loop every `flushInterval`; the recorder wakes it too when a batch is full.
                let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                let interval = self.log.settings.flushInterval
                group.addTask {
                    while (try? await Task.sleep(for: interval)) != nil { tick.yield() }
                    tick.finish()
                }
                group.addTask {
                    for await _ in self.log.wakeups { tick.yield() }
                }
                for await _ in ticks {
                    failing = await self.flush(failing: failing)
                    if ContinuousClock.now - sincePrune >= self.pruneEvery {
                        sincePrune = ContinuousClock.now
                        await self.prune()
                    }
                }
                group.cancelAll()
            }
        }
        // After the server drained: what is left goes out before the store closes.
        _ = await self.flush(failing: false)
    }

    /// Writes what is buffered; returns whether it failed. A failure is logged once until writes work again (a
    /// database that is down for a minute does not fill the log with 60 warnings).
    private func flush(failing: Bool) async -> Bool {
        do {
            try await self.log.flush()
            if failing { self.logger.info("audit events are written again") }
            return false
        } catch {
            if !failing {
                self.logger.warning(
                    "audit events could not be written; kept (up to audit.bufferSize) for the next try",
                    metadata: ["error": "\(error)"])
            }
            return true
        }
    }

    private func prune() async {
        do {
            let pruned = try await self.log.prune()
            if pruned > 0 { self.logger.info("pruned \(pruned) audit events past their retention") }
        } catch {
            self.logger.warning("audit events could not be pruned", metadata: ["error": "\(error)"])
        }
    }
}
