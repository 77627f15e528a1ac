import FinanceStorage
import XCTest

final class LocalJobLockTests: XCTestCase {
    func testOneHolderPerJobUntilReleased() async throws {
        let lock = LocalJobLock()
        let first = try await lock.tryAcquire("poll")
        XCTAssertEqual(first?.job, "poll")
        let second = try await lock.tryAcquire("poll")
        XCTAssertNil(second, "the job is held")
        let other = try await lock.tryAcquire("retention")
        XCTAssertNotNil(other, "another job is free")
        await first?.release()
        let again = try await lock.tryAcquire("poll")
        XCTAssertNotNil(again, "released jobs can be taken again")
    }
}
