/// The last value of each of the most recent minutes of a series (a price, a portfolio's value), for percent
/// changes over a window of minutes. A minute without an update carries the value before it.
struct MinuteRing {
    private var values: [Double]
    /// The minute (ms / 60,000) of the newest slot, nil before the first value.
    private var head: Int64?
    /// How many minutes hold a value (at most the capacity).
    private var filled = 0

    /// A ring that answers windows of up to `minutes` minutes.
    init(minutes: Int) {
        self.values = Array(repeating: .nan, count: max(minutes, 1) + 1)
    }

    /// The longest window answered.
    var minutes: Int { self.values.count - 1 }

    /// Grows to answer windows of `minutes` (keeping what it holds).
    mutating func reserve(minutes: Int) {
        guard minutes > self.minutes, let head = self.head else {
            if minutes > self.minutes { self.values = Array(repeating: .nan, count: minutes + 1) }
            return
        }
        var grown = Array(repeating: Double.nan, count: minutes + 1)
        for back in 0..<self.filled {
            let m = head - Int64(back)
            grown[Self.index(m, grown.count)] = self.values[Self.index(m, self.values.count)]
        }
        self.values = grown
    }

    @inline(__always)
    private static func index(_ minute: Int64, _ count: Int) -> Int {
        let r = Int(minute % Int64(count))
        return r < 0 ? r + count : r
    }

    /// Records `value` at `ts`; an update older than the newest minute is ignored.
    @inline(__always)
    mutating func record(_ ts: Int64, _ value: Double) {
        let minute = ts >= 0 ? ts / 60_000 : (ts - 59_999) / 60_000
        guard let head = self.head else {
            self.head = minute
            self.values[Self.index(minute, self.values.count)] = value
            self.filled = 1
            return
        }
        if minute == head {
            self.values[Self.index(minute, self.values.count)] = value
        } else if minute > head {
            let carried = self.values[Self.index(head, self.values.count)]
            let gap = Int(min(minute - head, Int64(self.values.count)))
            for k in 1..<gap { self.values[Self.index(minute - Int64(k), self.values.count)] = carried }
            self.values[Self.index(minute, self.values.count)] = value
            self.filled = min(self.filled + gap, self.values.count)
            self.head = minute
        }
    }

    /// The value of the minute `minutes` before the newest one, nil when the ring does not reach back that far.
    @inline(__always)
    func value(minutesBack minutes: Int) -> Double? {
        guard let head = self.head, minutes < self.filled else { return nil }
        return self.values[Self.index(head - Int64(minutes), self.values.count)]
    }
}

/// The closes and volumes of the most recent closed bars of one interval.
struct RecentBars {
    private var closes: [Double]
    private var volumes: [Double]
    private var next = 0
    /// Bars held (at most the capacity).
    private(set) var count = 0

    init(capacity: Int) {
        self.closes = Array(repeating: .nan, count: max(capacity, 1))
        self.volumes = Array(repeating: .nan, count: max(capacity, 1))
    }

    var capacity: Int { self.closes.count }

    /// Grows to hold `capacity` bars (keeping the newest ones).
    mutating func reserve(_ capacity: Int) {
        guard capacity > self.capacity else { return }
        var grown = RecentBars(capacity: capacity)
        for back in stride(from: self.count - 1, through: 0, by: -1) {
            grown.append(close: self.close(back: back), volume: self.volume(back: back))
        }
        self = grown
    }

    mutating func append(close: Double, volume: Double) {
        self.closes[self.next] = close
        self.volumes[self.next] = volume
        self.next = (self.next + 1) % self.capacity
        self.count = min(self.count + 1, self.capacity)
    }

    private func index(back: Int) -> Int {
        (self.next - 1 - back + 2 * self.capacity) % self.capacity
    }

    /// The close `back` bars before the newest (0 = the newest).
    func close(back: Int) -> Double { self.closes[self.index(back: back)] }

    func volume(back: Int) -> Double { self.volumes[self.index(back: back)] }

    /// The mean volume of the `n` bars before the newest, nil without that many.
    func meanVolume(before n: Int) -> Double? {
        guard n >= 1, self.count > n else { return nil }
        var sum = 0.0
        for back in 1...n { sum += self.volume(back: back) }
        return sum / Double(n)
    }
}
