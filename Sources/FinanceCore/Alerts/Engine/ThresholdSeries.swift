/// One condition of one indexed alert: the alert's slot in the engine and the condition's index in the alert.
struct ConditionRef: Hashable {
    var slot: Int32
    var condition: Int32
}

/// A condition's level on a series. A rising threshold is met while the value is at or above `level`, a falling
/// one while it is at or below. A crossing threshold fires only when the value moves from unmet to met; a level
/// threshold also fires on the first value that meets it (it was not known to be met before).
struct Threshold {
    var level: Double
    var ref: ConditionRef
    var crossing: Bool
}

/// A numeric series (a price, a percent change, an RSI, a fast−slow moving average spread, a relative volume)
/// with the thresholds of every condition that watches it, kept sorted by level.
///
/// An update from `p` to `v` fires exactly the thresholds between the two (edge-triggered): rising ones with
/// `p < level ≤ v` when the value rose, falling ones with `v ≤ level < p` when it fell. Both are found by binary
/// search, so an update costs O(log n + fired) however many conditions watch the series.
final class ThresholdSeries {
    /// The last value (nil before the first).
    private(set) var last: Double?
    /// The number reported with a firing (the fast average for a crossover, else the value).
    private(set) var shown: Double = .nan
    /// Sorted by level; met while value ≥ level.
    private(set) var rising: [Threshold] = []
    /// Sorted by level; met while value ≤ level.
    private(set) var falling: [Threshold] = []
    /// Thresholds judged on their own at the next update, against the value their condition saw last (a condition
    /// restored after a restart, or a level condition added while the series already had a value), then indexed.
    private var pending: [(threshold: Threshold, rising: Bool, previous: Double?)] = []
    /// Set by an update; cleared by whoever persists the alerts' state.
    var changed = false

    /// The thresholds held.
    var count: Int { self.rising.count + self.falling.count + self.pending.count }

    /// Adds a threshold. `previous` is the value its condition last saw (restored state): it is then judged on
    /// its own against the next value. A level threshold without a previous value added to a series that has one
    /// is judged likewise, so that it fires on the next update if it is met.
    func insert(_ threshold: Threshold, rising: Bool, previous: Double? = nil, restored: Bool = false) {
        if restored || (!threshold.crossing && self.last != nil) {
            self.pending.append((threshold, rising, previous))
        } else {
            self.index(threshold, rising: rising)
        }
    }

    /// Removes every threshold of the alert in `slot`.
    func remove(slot: Int32) {
        self.rising.removeAll { $0.ref.slot == slot }
        self.falling.removeAll { $0.ref.slot == slot }
        self.pending.removeAll { $0.threshold.ref.slot == slot }
    }

    /// Whether `value` meets a threshold at `level` of that direction.
    @inline(__always)
    static func meets(_ value: Double, _ level: Double, rising: Bool) -> Bool {
        rising ? value >= level : value <= level
    }

    /// Whether the last value meets a threshold (false before the first value).
    func meets(_ level: Double, rising: Bool) -> Bool {
        guard let last = self.last else { return false }
        return Self.meets(last, level, rising: rising)
    }

    /// Takes a new value and appends the conditions it fires. Non-finite values (an indicator warming up) are
    /// skipped. `shown` is the number to report (defaults to the value).
    @inline(__always)
    func update(_ value: Double, shown: Double? = nil, edges: inout [ConditionRef]) {
        guard value.isFinite else { return }
        let previous = self.last
        self.last = value
        self.shown = shown ?? value
        self.changed = true
        if let p = previous {
            if value > p {
                var i = Self.firstAbove(p, in: self.rising)
                while i < self.rising.count && self.rising[i].level <= value {
                    edges.append(self.rising[i].ref)
                    i += 1
                }
            } else if value < p {
                var i = Self.firstAtOrAbove(value, in: self.falling)
                while i < self.falling.count && self.falling[i].level < p {
                    edges.append(self.falling[i].ref)
                    i += 1
                }
            }
        } else {
            // The first value: level conditions it meets become true; crossings need a value before.
            let end = Self.firstAbove(value, in: self.rising)
            for i in 0..<end where !self.rising[i].crossing { edges.append(self.rising[i].ref) }
            for i in Self.firstAtOrAbove(value, in: self.falling)..<self.falling.count where !self.falling[i].crossing {
                edges.append(self.falling[i].ref)
            }
        }
        if !self.pending.isEmpty { self.judgePending(value, edges: &edges) }
    }

    private func judgePending(_ value: Double, edges: inout [ConditionRef]) {
        for (threshold, rising, previous) in self.pending {
            let now = Self.meets(value, threshold.level, rising: rising)
            let before = previous.map { Self.meets($0, threshold.level, rising: rising) }
            let fires = threshold.crossing ? (now && before == false) : (now && before != true)
            if fires { edges.append(threshold.ref) }
            self.index(threshold, rising: rising)
        }
        self.pending.removeAll()
    }

    private func index(_ threshold: Threshold, rising: Bool) {
        if rising {
            self.rising.insert(threshold, at: Self.firstAbove(threshold.level, in: self.rising))
        } else {
            self.falling.insert(threshold, at: Self.firstAbove(threshold.level, in: self.falling))
        }
    }

    /// The index of the first threshold whose level is > `value`.
    @inline(__always)
    static func firstAbove(_ value: Double, in a: [Threshold]) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if a[mid].level <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The index of the first threshold whose level is ≥ `value`.
    @inline(__always)
    static func firstAtOrAbove(_ value: Double, in a: [Threshold]) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if a[mid].level < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

extension ThresholdSeries {
    /// The value the alert in `slot` last saw: its restored value while it waits to be judged, else the last.
    func lastSeen(by slot: Int32) -> Double? {
        if let waiting = self.pending.first(where: { $0.threshold.ref.slot == slot }) { return waiting.previous }
        return self.last
    }
}
