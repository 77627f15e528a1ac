import FinanceCore
import FinanceStorage
import GRDB

/// Ticks: each batch stored with the minute bars it touches, batches that arrive together sharing one transaction.
extension SQLiteStore {
    public func writeTicks(_ ticks: [Tick]) async throws -> [SymbolBar] {
        guard !ticks.isEmpty else { return [] }
        return try await self.tickCommits.submit(ticks) { batches in
            try await self.writeThroughCache("write_ticks") { db, writer in
                let insert = try RawStatement(
                    db,
                    "INSERT INTO ticks (symbol, ts, price, size, bid, ask, bid_size, ask_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                )
                let select = try RawStatement(
                    db, "SELECT ts, price, size FROM ticks WHERE symbol = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts, seq")
                return try batches.map { try Self.writeTicks($0, writer: writer, insert: insert, select: select) }
            }
        }
    }

    /// Writes one batch of ticks inside the writer's transaction and returns the minute bars it rebuilt.
    private static func writeTicks(_ ticks: [Tick], writer: BarWriter, insert: RawStatement, select: RawStatement)
        throws -> [SymbolBar]
    {
        // Each symbol's new ticks by minute, in input (= seq) order.
        var minutes: [String: [Int64: [Tick]]] = [:]
        for tick in ticks {
            if minutes[tick.symbol] == nil { try writer.ensureAsset(tick.symbol) }
            insert.bind(1, tick.symbol)
            insert.bind(2, tick.ts)
            insert.bind(3, tick.price)
            insert.bind(4, tick.size)
            insert.bind(5, tick.bid)
            insert.bind(6, tick.ask)
            insert.bind(7, tick.bidSize)
            insert.bind(8, tick.askSize)
            try insert.execute()
            minutes[tick.symbol, default: [:]][Interval.minute1.bucketStart(tick.ts), default: []].append(tick)
        }
        var rebuilt: [SymbolBar] = []
        for (symbol, byMinute) in minutes.sorted(by: { $0.key < $1.key }) {
            var recent = writer.minutes(symbol) ?? WriterCache.RecentMinutes()
            var bars: [Bar] = []
            for (minute, added) in byMinute.sorted(by: { $0.key < $1.key }) {
                let built: WriterCache.MinuteEntry
                if let held = recent[minute], let extended = Self.fold(added, into: held) {
                    built = extended
                } else {
                    built = try Self.rebuildMinute(select, symbol: symbol, minute: minute)
                }
                bars.append(built.bar)
                recent.keep(built)
            }
            writer.updates.minutes[symbol] = recent
            try writer.upsert(symbol: symbol, interval: .minute1, bars: bars, progress: nil)
            rebuilt.append(contentsOf: bars.map { SymbolBar(symbol: symbol, bar: $0) })
        }
        return rebuilt
    }

    /// The minute entry with `added` (its new ticks, in arrival order) folded in, or nil when only reading the
    /// minute's ticks back gives the exact fold (late ticks with fractional sizes).
    private static func fold(_ added: [Tick], into held: WriterCache.MinuteEntry) -> WriterCache.MinuteEntry? {
        var entry = held
        // Stable by time: equal times keep their arrival order, as `ORDER BY ts, seq` does.
        let ordered = added.enumerated().sorted { ($0.element.ts, $0.offset) < ($1.element.ts, $1.offset) }
        if ordered[0].element.ts >= held.lastTs {
            for (_, tick) in ordered { entry.append(ts: tick.ts, price: tick.price, size: tick.size ?? 0) }
            return entry
        }
        for (_, tick) in ordered where !entry.insert(ts: tick.ts, price: tick.price, size: tick.size ?? 0) {
            return nil
        }
        return entry
    }

    /// A minute's bar folded from all of its stored ticks (the batch's ticks are already inserted).
    private static func rebuildMinute(_ select: RawStatement, symbol: String, minute: Int64) throws
        -> WriterCache.MinuteEntry
    {
        select.bind(1, symbol)
        select.bind(2, minute)
        select.bind(3, Interval.minute1.nextBucketStart(after: minute))
        defer { select.reset() }
        var entry: WriterCache.MinuteEntry?
        while try select.step() {
            let (ts, price, size) = (select.int64(0), select.double(1), select.optionalDouble(2) ?? 0)
            if entry == nil {
                entry = WriterCache.MinuteEntry(minute: minute, ts: ts, price: price, size: size)
            } else {
                entry!.append(ts: ts, price: price, size: size)
            }
        }
        // The minute holds at least the batch's own ticks.
        guard let entry else { throw StorageError.backend("the ticks of \(symbol) at \(minute) were not stored") }
        return entry
    }
}
