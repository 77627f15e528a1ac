import FinanceStorage
import Logging
import ServiceLifecycle

/// Runs a service on one instance only: it takes the job lock `job` (retrying every `retryInterval` while another
/// instance holds it, so that it takes the job over when the holder dies) and runs `body` while holding it, until
/// graceful shutdown.
public struct ExclusiveService: Service {
    public let job: String
    public let lock: any JobLock
    public let retryInterval: Duration
    public let logger: Logger
    let body: @Sendable () async throws -> Void

    public init(
        job: String, lock: any JobLock, retryInterval: Duration = .seconds(5), logger: Logger,
        body: @escaping @Sendable () async throws -> Void
    ) {
        self.job = job
        self.lock = lock
        self.retryInterval = retryInterval
        self.logger = logger
        self.body = body
    }

    /// Wraps `service` so that it runs on one instance only.
    public init(job: String, lock: any JobLock, logger: Logger, running service: some Service) {
        self.init(job: job, lock: lock, logger: logger) { try await service.run() }
    }

    public func run() async throws {
        var waiting = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let lease: JobLease?
            do { lease = try await self.lock.tryAcquire(self.job) } catch {
                self.logger.warning("job lock unavailable", metadata: ["job": "\(self.job)", "error": "\(error)"])
                lease = nil
            }
            if let lease {
                self.logger.info("running job", metadata: ["job": "\(self.job)"])
                do {
                    try await self.body()
                } catch {
                    await lease.release()
                    throw error
                }
                await lease.release()
                return
            }
            if !waiting {
                self.logger.info("job runs on another instance; standing by", metadata: ["job": "\(self.job)"])
                waiting = true
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.retryInterval) }
            } catch {
                return
            }
        }
    }
}
