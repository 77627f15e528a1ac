import FinanceCore

/// Which rollup buckets a write touches, shared by the stores that maintain rollups in Swift.
public enum RollupPlanning {
    /// The distinct bucket starts of `rollup` holding the (ascending) bars, ascending.
    public static func touchedBuckets(_ bars: [Bar], _ rollup: Interval) -> [Int64] {
        var out: [Int64] = []
        var end = Int64.min
        for bar in bars where out.isEmpty || bar.ts >= end {
            let start = rollup.bucketStart(bar.ts)
            out.append(start)
            end = rollup.nextBucketStart(after: start)
        }
        return out
    }

    /// The union of the touched buckets of every rollup, as disjoint ascending `[lo, hi)` ranges.
    public static func spans(_ touched: [[Int64]], _ rollups: [Interval]) -> [(Int64, Int64)] {
        var ranges: [(Int64, Int64)] = []
        for (k, rollup) in rollups.enumerated() {
            for start in touched[k] { ranges.append((start, rollup.nextBucketStart(after: start))) }
        }
        ranges.sort { $0.0 < $1.0 }
        var out: [(Int64, Int64)] = []
        for r in ranges {
            if let last = out.last, r.0 <= last.1 {
                out[out.count - 1].1 = max(last.1, r.1)
            } else {
                out.append(r)
            }
        }
        return out
    }
}
