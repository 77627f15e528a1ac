import FinanceCore
import Synchronization

/// The minute bar each symbol's ticks last built, so that a tick batch that only extends a minute folds its ticks
/// into that bar instead of reading all of the minute's ticks back (which made a live minute cost more with every
/// batch: 600 ticks a minute meant 600 rows read per symbol per batch).
///
/// An entry is exact: its bar is the fold of every stored tick of its minute, in (ts, seq) order, and `lastTs` the
/// latest of their times. It stays exact because this store's writer connection is the process's only writer of
/// ticks; another connection's commit (another process, or a second store on the file) changes SQLite's
/// `data_version`, and the whole cache is then dropped. A batch that reaches into a minute before an entry's
/// `lastTs`, an older minute, or a symbol without an entry rebuilds the minute from the stored ticks. Entries change
/// only after their transaction commits. At most `capacity` symbols are held; beyond it the cache starts over.
final class TickMinuteCache: Sendable {
    struct Entry: Equatable, Sendable {
        /// The start of the minute.
        var minute: Int64
        /// The fold of the minute's ticks.
        var bar: Bar
        /// The latest tick time in the minute.
        var lastTs: Int64
    }

    private struct State {
        var dataVersion: Int64?
        var entries: [String: Entry] = [:]
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// The entries valid at the writer's `dataVersion` (none when another connection committed since they were
    /// made).
    func entries(atDataVersion version: Int64) -> [String: Entry] {
        self.state.withLock { $0.dataVersion == version ? $0.entries : [:] }
    }

    /// Records the entries of a committed batch made at `dataVersion`.
    func commit(_ updates: [String: Entry], atDataVersion version: Int64) {
        self.state.withLock { state in
            if state.dataVersion != version {
                state.entries = [:]
                state.dataVersion = version
            }
            if state.entries.count + updates.count > self.capacity { state.entries = [:] }
            state.entries.merge(updates) { _, new in new }
        }
    }

    /// Drops a symbol's entry (its ticks were deleted).
    func remove(_ symbol: String) {
        self.state.withLock { _ = $0.entries.removeValue(forKey: symbol) }
    }

    /// The number of symbols held (for tests).
    var count: Int { self.state.withLock { $0.entries.count } }
}
