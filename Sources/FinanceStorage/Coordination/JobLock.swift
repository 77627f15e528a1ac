import Synchronization

/// Lets exactly one instance run a job that must run once (polling a provider, retention, the simulated
/// history): the holder keeps the lock while it runs, and another instance takes it over when the holder dies.
/// Drivers implement it (PostgreSQL: a session advisory lock); `LocalJobLock` serves a single process.
public protocol JobLock: Sendable {
    /// Takes the lock named `job` if no one holds it; returns a lease to release, or nil when another holds it.
    func tryAcquire(_ job: String) async throws -> JobLease?
}

/// A held lock; `release()` gives it back (a lease that is never released is freed when its holder dies).
public struct JobLease: Sendable {
    public let job: String
    private let releaser: @Sendable () async -> Void

    public init(job: String, release: @escaping @Sendable () async -> Void) {
        self.job = job
        self.releaser = release
    }

    /// Gives the lock back.
    public func release() async { await self.releaser() }
}

/// The job lock of one process: with a single instance (the embedded SQLite default) it only keeps two tasks
/// of this process from running the same job at once.
public final class LocalJobLock: JobLock {
    private let held = Mutex(Set<String>())

    public init() {}

    public func tryAcquire(_ job: String) async throws -> JobLease? {
        let taken = self.held.withLock { $0.insert(job).inserted }
        guard taken else { return nil }
        return JobLease(job: job) { [self] in _ = self.held.withLock { $0.remove(job) } }
    }
}
