import FinanceStorage
import FinanceStoragePostgres
import Logging
import XCTest

/// Jobs run once across instances: a session advisory lock per job, freed when its holder's session ends.
final class PostgresJobLockTests: XCTestCase {
    func testOneHolderAtATimeAndTakeOverAfterRelease() async throws {
        let url = try PostgresURL(parsing: try PostgresTestDatabase.requireURL())
        let logger = Logger(label: "test")
        // Two instances: two lock objects, each with its own sessions.
        let a = PostgresJobLock(location: url, logger: logger)
        let b = PostgresJobLock(location: url, logger: logger)
        let job = "test.\(UUID().uuidString)"
        let held = try await a.tryAcquire(job)
        XCTAssertNotNil(held)
        let refused = try await b.tryAcquire(job)
        XCTAssertNil(refused, "another instance holds the job")
        let other = try await b.tryAcquire(job + ".other")
        XCTAssertNotNil(other, "jobs are locked apart")
        await other?.release()
        await held?.release()
        var taken: JobLease?
        // The session closes asynchronously on the server: allow it a moment.
        for _ in 0..<50 {
            taken = try await b.tryAcquire(job)
            if taken != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertNotNil(taken, "the job is taken over once its holder's session ends")
        await taken?.release()
    }
}
