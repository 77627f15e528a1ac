import FinanceCore

/// The open bar of one symbol at one interval, built from live ticks for the `bars.<interval>` channel: one per
/// symbol and interval in the hub (while someone subscribes), never one per connection.
///
/// A tick in the open bar's bucket updates it; a tick in a later bucket closes it (sent once with `closed: true`)
/// and opens the next; an older tick is ignored. Updates of the open bar are paced: at most one per
/// `updateMilliseconds` (the rest wait for `flush`). A bar opened while its bucket was current (by the wall clock)
/// is also closed once the wall clock passes its end, so the final bar comes even when the symbol goes quiet.
struct StreamLiveBar: Sendable {
    /// What to send after a change.
    struct Output: Sendable {
        var bar: Bar
        var closed: Bool
    }

    let interval: Interval
    private(set) var bar: Bar?
    /// The bar's bucket was current when it opened (so the wall clock may close it).
    private var live = false
    private var dirty = false
    private var lastSentAt: Int64 = .min

    init(interval: Interval) {
        self.interval = interval
    }

    /// Seeds the open bar from the store (a subscription's snapshot) when none is held yet and it is still open.
    mutating func seed(_ stored: Bar, now: Int64) {
        guard self.bar == nil, self.interval.nextBucketStart(after: stored.ts) > now else { return }
        self.bar = stored
        self.live = true
    }

    /// Applies a live tick; returns what to send now (a closed bar, then perhaps the new open bar).
    mutating func apply(_ tick: Tick, now: Int64, updateMilliseconds: Int64) -> [Output] {
        let bucket = self.interval.bucketStart(tick.ts)
        let size = tick.size ?? 0
        var out: [Output] = []
        if var bar = self.bar, bucket == bar.ts {
            bar.high = max(bar.high, tick.price)
            bar.low = min(bar.low, tick.price)
            bar.close = tick.price
            bar.volume += size
            self.bar = bar
        } else if let bar = self.bar, bucket < bar.ts {
            return []
        } else {
            if let bar = self.bar { out.append(Output(bar: bar, closed: true)) }
            self.bar = Bar(
                ts: bucket, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: size)
            self.live = self.interval.nextBucketStart(after: bucket) > now
        }
        self.dirty = true
        if let update = self.paced(now: now, updateMilliseconds: updateMilliseconds) { out.append(update) }
        return out
    }

    /// Applies an ingested live bar of this interval: it replaces the open bar of its bucket, or closes an older one.
    mutating func apply(_ ingested: Bar, now: Int64, updateMilliseconds: Int64) -> [Output] {
        var out: [Output] = []
        if let bar = self.bar {
            if ingested.ts < bar.ts { return [] }
            if ingested.ts > bar.ts { out.append(Output(bar: bar, closed: true)) }
        }
        self.bar = ingested
        self.live = self.interval.nextBucketStart(after: ingested.ts) > now
        self.dirty = true
        if let update = self.paced(now: now, updateMilliseconds: updateMilliseconds) { out.append(update) }
        return out
    }

    /// The pending update once its pace allows, and the final bar once the wall clock passed the end of a live bar.
    mutating func flush(now: Int64, updateMilliseconds: Int64) -> [Output] {
        guard let bar = self.bar else { return [] }
        if self.live, self.interval.nextBucketStart(after: bar.ts) <= now {
            self.bar = nil
            self.dirty = false
            return [Output(bar: bar, closed: true)]
        }
        return self.paced(now: now, updateMilliseconds: updateMilliseconds).map { [$0] } ?? []
    }

    /// True when `flush` may have something to send.
    var needsFlush: Bool { self.dirty || self.live }

    private mutating func paced(now: Int64, updateMilliseconds: Int64) -> Output? {
        guard self.dirty, let bar = self.bar, self.lastSentAt == .min || now - self.lastSentAt >= updateMilliseconds
        else { return nil }
        self.dirty = false
        self.lastSentAt = now
        return Output(bar: bar, closed: false)
    }
}
