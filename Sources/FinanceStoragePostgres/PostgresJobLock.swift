import FinanceStorage
import Logging
import PostgresNIO

/// Jobs that must run on one instance only, held as PostgreSQL session advisory locks: each held job keeps its own
/// connection open, and the server frees the lock when that connection ends, so when the holder dies (even by
/// `kill -9`) another instance takes the job over at its next attempt.
public final class PostgresJobLock: JobLock {
    private let location: PostgresURL
    private let logger: Logger

    public init(location: PostgresURL, logger: Logger) {
        self.location = location
        self.logger = logger
    }

    public func tryAcquire(_ job: String) async throws -> JobLease? {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: PostgresStore.connectionConfiguration(self.location), id: 0, logger: self.logger)
        } catch {
            throw PostgresStore.mapError(error, "connect for the job lock \(job)")
        }
        do {
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(hashtextextended(\("financehub.job." + job), 0))", logger: self.logger)
            var taken = false
            for try await value in rows.decode(Bool.self) { taken = value }
            guard taken else {
                try? await connection.close()
                return nil
            }
        } catch {
            try? await connection.close()
            throw PostgresStore.mapError(error, "take the job lock \(job)")
        }
        // Closing the session releases the lock.
        return JobLease(job: job) { try? await connection.close() }
    }
}
