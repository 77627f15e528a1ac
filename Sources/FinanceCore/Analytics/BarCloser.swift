/// Turns live updates of bars at a source interval into closed bars at a target interval.
///
/// A live bar is re-published on every change with the same `ts` (growing volume, new close); a bar with a
/// newer `ts` means the previous one closed. With `target == source` each closed source bar is emitted as it
/// closes. With a coarser target (1h or 1d from 1m) closed source bars are folded into their target bucket
/// (open first, high max, low min, close last, volume sum, as `Bucketing.aggregate`), and the bucket is
/// emitted when a source bar of a later bucket arrives. The open bar and the open bucket are never emitted.
///
/// Updates older than the current bar are ignored and counted in `ignored`. The source should divide the
/// target (`Interval.divides`); otherwise buckets are still formed by `target.bucketStart`, but may straddle
/// source bars.
public struct BarCloser: Sendable {
    /// The interval of the incoming bars.
    public let source: Interval
    /// The interval of the emitted bars.
    public let target: Interval
    /// The latest update of the open source bar.
    public private(set) var current: Bar?
    /// The closed source bars of the open target bucket, folded (stamped with the bucket start).
    public private(set) var bucket: Bar?
    /// Updates ignored because they were older than the current bar.
    public private(set) var ignored = 0

    /// A closer from `source` bars to `target` bars.
    public init(source: Interval, target: Interval) {
        self.source = source
        self.target = target
    }

    /// Takes one update of a source bar; returns the target bars it closed (at most two, oldest first).
    public mutating func update(_ bar: Bar) -> [Bar] {
        guard let open = self.current else {
            self.current = bar
            return []
        }
        if bar.ts < open.ts {
            self.ignored += 1
            return []
        }
        self.current = bar
        guard bar.ts > open.ts else { return [] }
        // `open` closed: fold it into its bucket.
        var out: [Bar] = []
        let start = self.target.bucketStart(open.ts)
        if var folded = self.bucket, folded.ts == start {
            folded.absorb(open)
            self.bucket = folded
        } else {
            if let previous = self.bucket { out.append(previous) }
            self.bucket = Bar(
                ts: start, open: open.open, high: open.high, low: open.low, close: open.close, volume: open.volume)
        }
        // The new bar starts a later bucket: every source bar of the folded one has closed.
        if let folded = self.bucket, self.target.bucketStart(bar.ts) > folded.ts {
            out.append(folded)
            self.bucket = nil
        }
        return out
    }
}
