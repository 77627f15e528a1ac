import FinanceCore
import FinanceStorage
import GRDB

/// The write path of one transaction: upserts bars with prepared statements reused per row, and recomputes
/// the rollups of every touched bucket from the batch merged with the bucket's other stored bars, or, when the
/// batch only extends its series, from the series' tail held in the `WriterCache`.
final class BarWriter {
    private let insertAsset: RawStatement
    private let upsertBar: RawStatement
    private let upsertRollup: RawStatement
    private let selectRange: RawStatement
    private let selectLast: RawStatement
    /// The writer's `data_version` when the transaction started.
    let dataVersion: Int64
    /// The cache entries valid when the transaction started (never changed here: a copy of the cache's
    /// dictionaries, which changing would duplicate whole at every transaction).
    private let snapshot: WriterCache.Entries
    /// What this transaction changed, read before the snapshot, and recorded once the transaction commits.
    var updates = WriterCache.Entries()

    init(_ db: Database, cache: WriterCache) throws {
        self.dataVersion = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
        self.snapshot = cache.entries(atDataVersion: self.dataVersion)
        self.selectLast = try RawStatement(db, "SELECT MAX(ts) FROM bars WHERE symbol = ?1 AND interval = ?2")
        self.insertAsset = try RawStatement(
            db, "INSERT OR IGNORE INTO assets (symbol, asset_class) VALUES (?1, 'unknown')")
        self.upsertBar = try RawStatement(
            db,
            """
            INSERT INTO bars (symbol, interval, ts, open, high, low, close, volume) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            ON CONFLICT (symbol, interval, ts) DO UPDATE SET open = excluded.open, high = excluded.high,
            low = excluded.low, close = excluded.close, volume = excluded.volume
            """)
        self.upsertRollup = try RawStatement(
            db,
            """
            INSERT INTO bar_rollups (symbol, base, interval, ts, open, high, low, close, volume)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT (symbol, base, interval, ts) DO UPDATE SET open = excluded.open, high = excluded.high,
            low = excluded.low, close = excluded.close, volume = excluded.volume
            """)
        self.selectRange = try RawStatement(
            db,
            """
            SELECT ts, open, high, low, close, volume FROM bars
            WHERE symbol = ?1 AND interval = ?2 AND ts >= ?3 AND ts < ?4 ORDER BY ts
            """)
    }

    /// A symbol's minute entries as this transaction sees them.
    func minutes(_ symbol: String) -> WriterCache.RecentMinutes? {
        self.updates.minutes[symbol] ?? self.snapshot.minutes[symbol]
    }

    /// A series' tail as this transaction sees it.
    func tail(_ key: WriterCache.SeriesKey) -> WriterCache.SeriesTail? {
        if let tail = self.updates.tails[key] { return tail }
        return self.updates.dropped.contains(key) ? nil : self.snapshot.tails[key]
    }

    func ensureAsset(_ symbol: String) throws {
        self.insertAsset.bind(1, symbol)
        try self.insertAsset.execute()
    }

    /// Upserts `bars` of one series and recomputes its rollups for every bucket the bars touch.
    /// `progress` is told how many of these bars are written, every 4096 rows.
    func upsert(symbol: String, interval: Interval, bars input: [Bar], progress: ((Int) -> Void)?) throws {
        guard !input.isEmpty else { return }
        let bars = Self.sortedUnique(input)
        let rollups = BarSeries.rollups(of: interval)
        let key = WriterCache.SeriesKey(symbol: symbol, interval: interval)
        if !rollups.isEmpty, let tail = self.tail(key), bars[0].ts >= tail.last.ts {
            try self.writeBars(symbol: symbol, interval: interval, bars: bars, progress: progress)
            try self.extend(tail, key: key, rollups: rollups, with: bars)
            return
        }

        // 1. The stored bars of the touched buckets, read before the batch overwrites any of them, and the
        //    series' latest time (whether the batch ends the series, so that its tail can be held).
        var touched: [[Int64]] = []
        var existing: [Bar] = []
        var storedLast: Int64?
        if !rollups.isEmpty {
            self.selectLast.bind(1, symbol)
            self.selectLast.bind(2, interval.name)
            if try self.selectLast.step(), !self.selectLast.isNull(0) { storedLast = self.selectLast.int64(0) }
            self.selectLast.reset()
            touched = rollups.map { RollupPlanning.touchedBuckets(bars, $0) }
            let spans = RollupPlanning.spans(touched, rollups)
            self.selectRange.bind(1, symbol)
            self.selectRange.bind(2, interval.name)
            for (start, end) in spans {
                self.selectRange.bind(3, start)
                self.selectRange.bind(4, end)
                try self.selectRange.readBars(into: &existing)
            }
        }

        // 2. The bars.
        try self.writeBars(symbol: symbol, interval: interval, bars: bars, progress: progress)

        // 3. The rollups of the touched buckets: the batch merged over the stored bars, aggregated.
        guard !rollups.isEmpty else { return }
        let merged = existing.isEmpty ? bars : Self.merge(existing, bars)
        for (k, rollup) in rollups.enumerated() {
            try Self.aggregate(merged, into: rollup, only: touched[k]) { bar in
                try self.writeRollup(symbol: symbol, interval: interval, rollup: rollup, bar: bar)
            }
        }

        // 4. The series' tail, when the batch ends the series (its last bar's buckets were all read above).
        let last = bars[bars.count - 1]
        if let storedLast, storedLast > last.ts {
            self.updates.tails.removeValue(forKey: key)
            self.updates.dropped.insert(key)
            return
        }
        let buckets = rollups.map { rollup in
            let start = rollup.bucketStart(last.ts)
            var bucket = WriterCache.SeriesTail.Bucket(start: start, before: nil)
            for bar in merged where bar.ts >= start && bar.ts < last.ts { bucket.before = bucket.rollup(with: bar) }
            return bucket
        }
        let tail = WriterCache.SeriesTail(last: last, buckets: buckets)
        self.updates.tails[key] = tail
        self.updates.dropped.remove(key)
    }

    /// Writes bars that replace or follow the series' latest bar, and the rollups of the buckets they touch, from
    /// the series' tail: the same arithmetic in the same order as aggregating the bucket's stored bars.
    private func extend(
        _ tail: WriterCache.SeriesTail, key: WriterCache.SeriesKey, rollups: [Interval], with bars: [Bar]
    )
        throws
    {
        var t = tail
        var touched = Array(repeating: false, count: rollups.count)
        for bar in bars {
            if bar.ts == t.last.ts {
                t.last = bar
                touched = Array(repeating: true, count: rollups.count)
                continue
            }
            for (k, rollup) in rollups.enumerated() {
                let start = rollup.bucketStart(bar.ts)
                if start == t.buckets[k].start {
                    t.buckets[k].before = t.buckets[k].rollup(with: t.last)
                } else {
                    if touched[k] {
                        try self.writeRollup(
                            symbol: key.symbol, interval: key.interval, rollup: rollup,
                            bar: t.buckets[k].rollup(with: t.last))
                    }
                    t.buckets[k] = WriterCache.SeriesTail.Bucket(start: start, before: nil)
                }
                touched[k] = true
            }
            t.last = bar
        }
        for (k, rollup) in rollups.enumerated() where touched[k] {
            try self.writeRollup(
                symbol: key.symbol, interval: key.interval, rollup: rollup, bar: t.buckets[k].rollup(with: t.last))
        }
        self.updates.tails[key] = t
        self.updates.dropped.remove(key)
    }

    private func writeBars(symbol: String, interval: Interval, bars: [Bar], progress: ((Int) -> Void)?) throws {
        let s = self.upsertBar
        s.bind(1, symbol)
        s.bind(2, interval.name)
        var count = 0
        for bar in bars {
            s.bind(3, bar.ts)
            s.bind(4, bar.open)
            s.bind(5, bar.high)
            s.bind(6, bar.low)
            s.bind(7, bar.close)
            s.bind(8, bar.volume)
            try s.execute()
            count += 1
            if count & 4095 == 0 { progress?(count) }
        }
    }

    private func writeRollup(symbol: String, interval: Interval, rollup: Interval, bar: Bar) throws {
        let r = self.upsertRollup
        r.bind(1, symbol)
        r.bind(2, interval.name)
        r.bind(3, rollup.name)
        r.bind(4, bar.ts)
        r.bind(5, bar.open)
        r.bind(6, bar.high)
        r.bind(7, bar.low)
        r.bind(8, bar.close)
        r.bind(9, bar.volume)
        try r.execute()
    }

    /// `Bucketing.aggregate(bars, into: rollup)` (the same arithmetic in the same order, specialized for
    /// arrays), emitting only the buckets in `only` (ascending bucket starts).
    static func aggregate(_ bars: [Bar], into rollup: Interval, only buckets: [Int64], _ emit: (Bar) throws -> Void)
        rethrows
    {
        var next = 0
        var current: Bar?
        var currentEnd = Int64.min
        func flush(_ bar: Bar) throws {
            // Only touched buckets: others may lie partly outside the rows read.
            while next < buckets.count && buckets[next] < bar.ts { next += 1 }
            if next < buckets.count && buckets[next] == bar.ts { try emit(bar) }
        }
        for bar in bars {
            if current != nil, bar.ts < currentEnd {
                current!.absorb(bar)
                continue
            }
            if let c = current { try flush(c) }
            let start = rollup.bucketStart(bar.ts)
            currentEnd = rollup.nextBucketStart(after: start)
            current = Bar(ts: start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)
        }
        if let c = current { try flush(c) }
    }

    /// `bars` sorted by time with unique times (the last of equal times wins); the input itself when it already is.
    static func sortedUnique(_ bars: [Bar]) -> [Bar] {
        var ok = true
        for i in bars.indices.dropFirst() where bars[i - 1].ts >= bars[i].ts {
            ok = false
            break
        }
        if ok { return bars }
        let order = bars.indices.sorted { bars[$0].ts < bars[$1].ts || (bars[$0].ts == bars[$1].ts && $0 < $1) }
        var out: [Bar] = []
        out.reserveCapacity(bars.count)
        for i in order {
            if let last = out.last, last.ts == bars[i].ts { out[out.count - 1] = bars[i] } else { out.append(bars[i]) }
        }
        return out
    }

    /// Merges two time-sorted bar lists; on equal times `newer` wins.
    static func merge(_ older: [Bar], _ newer: [Bar]) -> [Bar] {
        var out: [Bar] = []
        out.reserveCapacity(older.count + newer.count)
        var i = 0
        var j = 0
        while i < older.count || j < newer.count {
            if j == newer.count || (i < older.count && older[i].ts < newer[j].ts) {
                out.append(older[i])
                i += 1
            } else {
                if i < older.count && older[i].ts == newer[j].ts { i += 1 }
                out.append(newer[j])
                j += 1
            }
        }
        return out
    }
}
