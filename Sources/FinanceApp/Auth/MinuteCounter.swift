/// Events of the last minute, counted per second: the current second and the 59 before it (an event is counted for
/// 59 to 60 seconds). Memory is fixed (60 counters) whatever the rate, so a flood costs no more than a trickle.
struct MinuteCounter: Sendable {
    static let seconds = 60

    private var slots = [UInt16](repeating: 0, count: MinuteCounter.seconds)
    /// The newest second counted into; slots hold the seconds `lastSecond - 59 ... lastSecond`.
    private(set) var lastSecond: Int64 = .min
    private var total = 0

    /// The second of a time in ms (floored, also before 1970).
    static func second(_ ms: Int64) -> Int64 { ms >= 0 ? ms / 1_000 : (ms - 999) / 1_000 }

    /// Counts one event at `now` (ms). A clock that went back counts into the newest second.
    mutating func add(now: Int64) {
        self.advance(to: Self.second(now))
        let index = Self.index(self.lastSecond)
        guard self.slots[index] < UInt16.max else { return }
        self.slots[index] += 1
        self.total += 1
    }

    /// The events counted in the minute that ends at `now`.
    func count(now: Int64) -> Int {
        let second = Self.second(now)
        guard self.lastSecond != .min, second > self.lastSecond else { return self.total }
        if second - self.lastSecond >= Int64(Self.seconds) { return 0 }
        var expired = 0
        for s in (self.lastSecond + 1)...second { expired += Int(self.slots[Self.index(s - Int64(Self.seconds))]) }
        return self.total - expired
    }

    /// Whole seconds from `now` until fewer than `limit` events are counted (at least 1); 0 when already fewer.
    func secondsUntilBelow(_ limit: Int, now: Int64) -> Int {
        var count = self.count(now: now)
        guard count >= limit else { return 0 }
        let second = max(Self.second(now), self.lastSecond)
        for s in (second - Int64(Self.seconds) + 1)...second where s <= self.lastSecond {
            count -= Int(self.slots[Self.index(s)])
            if count < limit {
                // The events of second `s` stop counting when second `s + 60` begins.
                let freeAt = (s + Int64(Self.seconds)) * 1_000
                return max(1, Int((freeAt - now + 999) / 1_000))
            }
        }
        return Self.seconds
    }

    private mutating func advance(to second: Int64) {
        guard second > self.lastSecond else { return }
        if self.lastSecond == .min || second - self.lastSecond >= Int64(Self.seconds) {
            for i in self.slots.indices { self.slots[i] = 0 }
            self.total = 0
        } else {
            for s in (self.lastSecond + 1)...second {
                let i = Self.index(s)
                self.total -= Int(self.slots[i])
                self.slots[i] = 0
            }
        }
        self.lastSecond = second
    }

    private static func index(_ second: Int64) -> Int {
        let r = Int(second % Int64(Self.seconds))
        return r < 0 ? r + Self.seconds : r
    }
}

/// Minute counters by key, at most `capacity` of them: a new key beyond it first drops the counters that count
/// nothing any more, then (under a flood of distinct keys) the least recently counted ones, down to 90 %.
struct MinuteCounters<Key: Hashable & Sendable>: Sendable {
    private(set) var entries: [Key: MinuteCounter] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The events of `key` in the minute that ends at `now`.
    func count(_ key: Key, now: Int64) -> Int { self.entries[key]?.count(now: now) ?? 0 }

    /// `limited` with the seconds until `key` counts fewer than `limit` events, else `allowed`.
    func decision(_ key: Key, limit: Int, now: Int64) -> AbuseDecision {
        guard let counter = self.entries[key] else { return .allowed }
        let wait = counter.secondsUntilBelow(limit, now: now)
        return wait == 0 ? .allowed : .limited(retryAfterSeconds: wait)
    }

    /// Counts one event of `key` at `now`.
    mutating func add(_ key: Key, now: Int64) {
        if self.entries[key] == nil && self.entries.count >= self.capacity { self.evict(now: now) }
        self.entries[key, default: MinuteCounter()].add(now: now)
    }

    /// Forgets `key`.
    mutating func reset(_ key: Key) { self.entries[key] = nil }

    /// Drops the counters that count nothing at `now`.
    mutating func sweep(now: Int64) {
        self.entries = self.entries.filter { $0.value.count(now: now) > 0 }
    }

    private mutating func evict(now: Int64) {
        self.sweep(now: now)
        guard self.entries.count >= self.capacity else { return }
        let target = self.capacity - max(1, self.capacity / 10)
        let oldest = self.entries.sorted { $0.value.lastSecond < $1.value.lastSecond }
        for (key, _) in oldest.prefix(self.entries.count - target) { self.entries[key] = nil }
    }
}
