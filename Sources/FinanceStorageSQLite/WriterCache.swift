import FinanceCore
import Synchronization

/// What the writer connection last wrote at the head of each series, so that a write that only extends a series
/// updates its derived rows from memory instead of reading back what it derives them from:
///
/// - per symbol, the minute bars its ticks last built (`RecentMinutes`: the two newest minutes, so that a batch that
///   arrives late across a minute boundary still finds its minute): a tick batch that extends a minute folds its
///   ticks into it instead of reading all of the minute's ticks (600 rows per symbol per batch at the end of a busy
///   minute);
/// - per bar series, its latest bar and, for each rollup, the fold of that bucket's earlier bars (`SeriesTail`): a
///   bar that replaces or follows the latest one updates its hour and day rollups without reading the day's bars
///   back (up to 1,440 rows per symbol per tick batch).
///
/// Entries are exact: a minute entry is the fold of every stored tick of its minute in (ts, seq) order, a tail the
/// stored bars as they are. They stay exact because this store's writer connection is the process's only writer;
/// another connection's commit (another process, or a second store on the file) changes SQLite's `data_version`,
/// and the whole cache is then dropped. Writes that reach behind an entry rebuild from the stored rows. Entries
/// change only after their transaction commits, still on the writer. At most `capacity` entries are held; beyond
/// it the cache starts over.
final class WriterCache: Sendable {
    /// The entries of a symbol's two newest minutes.
    struct RecentMinutes: Equatable, Sendable {
        private(set) var latest: MinuteEntry?
        private(set) var previous: MinuteEntry?

        /// The entry of `minute`, when it is one of the two.
        subscript(minute: Int64) -> MinuteEntry? {
            if let latest, latest.minute == minute { return latest }
            if let previous, previous.minute == minute { return previous }
            return nil
        }

        /// Keeps `entry` when its minute is one of the two newest seen.
        mutating func keep(_ entry: MinuteEntry) {
            guard let latest else {
                self.latest = entry
                return
            }
            if entry.minute > latest.minute {
                self.previous = latest
                self.latest = entry
            } else if entry.minute == latest.minute {
                self.latest = entry
            } else if entry.minute >= (self.previous?.minute ?? .min) {
                self.previous = entry
            }
        }
    }

    /// The minute bar built from a symbol's ticks.
    struct MinuteEntry: Equatable, Sendable {
        /// The start of the minute.
        var minute: Int64
        /// The fold of the minute's ticks.
        var bar: Bar
        /// The earliest and the latest tick time in the minute.
        var firstTs: Int64
        var lastTs: Int64
        /// True while every size is a whole number and the volume is below 2^53, so that adding a size is exact in
        /// any order and a late tick can be folded in without summing the minute again in time order.
        var wholeVolume: Bool

        /// The entry of a minute's first tick.
        init(minute: Int64, ts: Int64, price: Double, size: Double) {
            self.minute = minute
            self.bar = Bar(ts: minute, open: price, high: price, low: price, close: price, volume: size)
            self.firstTs = ts
            self.lastTs = ts
            self.wholeVolume = Self.isWhole(size) && abs(size) < Self.exactLimit
        }

        /// Folds a later tick in (time at or after `lastTs`), as a fold in (ts, seq) order does.
        mutating func append(ts: Int64, price: Double, size: Double) {
            self.bar.absorb(Bar(ts: self.minute, open: price, high: price, low: price, close: price, volume: size))
            self.lastTs = ts
            self.wholeVolume = self.wholeVolume && Self.isWhole(size) && abs(self.bar.volume) < Self.exactLimit
        }

        /// Folds in a tick of any time that arrived after every tick folded so far, when the result equals the
        /// fold in (ts, seq) order: the volume must stay a whole number below 2^53. False (and unchanged) otherwise.
        mutating func insert(ts: Int64, price: Double, size: Double) -> Bool {
            guard self.wholeVolume, Self.isWhole(size), abs(self.bar.volume + size) < Self.exactLimit else {
                return false
            }
            if ts < self.firstTs {
                self.bar.open = price
                self.firstTs = ts
            }
            if ts >= self.lastTs {
                self.bar.close = price
                self.lastTs = ts
            }
            if price > self.bar.high { self.bar.high = price }
            if price < self.bar.low { self.bar.low = price }
            self.bar.volume += size
            return true
        }

        static let exactLimit = 9_007_199_254_740_992.0
        static func isWhole(_ x: Double) -> Bool { x == x.rounded(.towardZero) }
    }

    /// The head of one bar series (a symbol at one interval).
    struct SeriesTail: Equatable, Sendable {
        /// The series' latest stored bar.
        var last: Bar
        /// Per rollup of the series' interval (in `BarSeries.rollups(of:)` order): the bucket holding `last` and
        /// the fold of the bucket's bars before it (nil when `last` is the bucket's first bar).
        var buckets: [Bucket]

        struct Bucket: Equatable, Sendable {
            var start: Int64
            var before: Bar?

            /// The bucket's rollup bar: `before` with `last` folded in, as `Bucketing.aggregate` folds.
            func rollup(with last: Bar) -> Bar {
                guard var bar = self.before else {
                    return Bar(
                        ts: self.start, open: last.open, high: last.high, low: last.low, close: last.close,
                        volume: last.volume)
                }
                bar.absorb(last)
                return bar
            }
        }
    }

    /// A series' key: its symbol and interval.
    struct SeriesKey: Hashable, Sendable {
        var symbol: String
        var interval: Interval
    }

    /// The entries one transaction reads, or writes back (with the series whose tails it no longer knows).
    struct Entries: Equatable, Sendable {
        var minutes: [String: RecentMinutes] = [:]
        var tails: [SeriesKey: SeriesTail] = [:]
        var dropped: Set<SeriesKey> = []

        var count: Int { self.minutes.count + self.tails.count }
    }

    private struct State {
        var dataVersion: Int64?
        var minutes: [String: RecentMinutes] = [:]
        var tails: [SeriesKey: SeriesTail] = [:]
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
    }

    /// The entries valid at the writer's `dataVersion` (none when another connection committed since they were
    /// made).
    func entries(atDataVersion version: Int64) -> Entries {
        self.state.withLock { state in
            guard state.dataVersion == version else { return Entries() }
            return Entries(minutes: state.minutes, tails: state.tails)
        }
    }

    /// Records the entries of a committed transaction made at `dataVersion`.
    func commit(_ updates: Entries, atDataVersion version: Int64) {
        self.state.withLock { state in
            if state.dataVersion != version {
                state = State(dataVersion: version)
            }
            if state.minutes.count + state.tails.count + updates.count > self.capacity {
                state = State(dataVersion: version)
            }
            for key in updates.dropped { state.tails.removeValue(forKey: key) }
            state.minutes.merge(updates.minutes) { _, new in new }
            state.tails.merge(updates.tails) { _, new in new }
        }
    }

    /// Drops a symbol's entries (its rows were deleted).
    func remove(_ symbol: String) {
        self.state.withLock { state in
            state.minutes.removeValue(forKey: symbol)
            state.tails = state.tails.filter { $0.key.symbol != symbol }
        }
    }

    /// The number of entries held (for tests).
    var count: Int { self.state.withLock { $0.minutes.count + $0.tails.count } }
}
