/// The event being processed: its time decides creation, expiry, cooldown and bar; its key deduplicates.
enum AlertOccasion {
    case tick(Int64)
    /// A closed bar (interval, bar start): it happens when the bar closes.
    case bar(Interval, Int64)
    /// A pattern signal on the bar starting at `ts`, with the record's id and status.
    case signal(Interval, Int64, String)
    /// A portfolio or sector value.
    case value(Int64)

    /// When the event happened (ms): a bar event at its bar's close.
    var ts: Int64 {
        switch self {
        case .tick(let ts), .value(let ts): return ts
        case .bar(let interval, let start), .signal(let interval, let start, _):
            return interval.nextBucketStart(after: start)
        }
    }

    /// The dedupe key of a firing on this event (`every_time` alerts).
    var key: String {
        switch self {
        case .tick(let ts): return "tick:\(ts)"
        case .value(let ts): return "value:\(ts)"
        case .bar(let interval, let start): return "bar:\(interval.name):\(start)"
        case .signal(let interval, _, let id): return "pattern:\(interval.name):\(id)"
        }
    }
}

extension AlertEngine {
    /// Turns the edges found for `occasion` into firings: at most one per alert (its first condition with an
    /// edge), when its combination holds and its trigger mode lets it fire now. Clears the edges.
    func fire(_ occasion: AlertOccasion) -> [AlertFiring] {
        defer { self.edges.removeAll(keepingCapacity: true) }
        if self.edges.count > 1 {
            self.edges.sort { ($0.slot, $0.condition) < ($1.slot, $1.condition) }
        }
        var firings: [AlertFiring] = []
        var previousSlot: Int32 = -1
        for edge in self.edges where edge.slot != previousSlot {
            previousSlot = edge.slot
            self.stats.judged += 1
            if let firing = self.judge(edge, occasion) { firings.append(firing) }
        }
        self.stats.firings += firings.count
        return firings
    }

    private func judge(_ edge: ConditionRef, _ occasion: AlertOccasion) -> AlertFiring? {
        let slot = Int(edge.slot)
        guard let entry = self.entries[slot], !entry.done, entry.alert.enabled,
            Int(edge.condition) < entry.conditions.count, let fired = entry.conditions[Int(edge.condition)]
        else { return nil }
        let alert = entry.alert
        let ts = occasion.ts
        // Events from before the alert existed (a bar that closed earlier, a late tick) never fire it.
        guard ts >= alert.createdAt else { return nil }
        if let expiresAt = alert.expiresAt, expiresAt <= ts { return nil }
        if alert.combine == .all && entry.conditions.count > 1 {
            for (i, condition) in entry.conditions.enumerated() where i != Int(edge.condition) {
                guard let condition, self.holds(condition, at: ts) else { return nil }
            }
        }
        let event: String
        switch alert.trigger {
        case .once:
            event = "once"
            self.entries[slot]?.done = true
            self.unindex(edge.slot)
        case .oncePerBar(let interval):
            let bucket = interval.bucketStart(ts)
            guard entry.lastFiredBucket != bucket else { return nil }
            self.entries[slot]?.lastFiredBucket = bucket
            event = "bar:\(interval.name):\(bucket)"
        case .everyTime(let cooldownSeconds):
            if let last = entry.lastFiredAt, ts - last < Int64(cooldownSeconds) * 1_000 { return nil }
            event = occasion.key
        }
        self.entries[slot]?.lastFiredAt = ts
        self.firedSinceTaken.insert(edge.slot)
        let value = fired.series?.shown ?? fired.lastSignal?.value ?? .nan
        var symbol: String?
        var price: Double?
        if case .symbol(let s) = alert.target {
            symbol = s
            price = entry.book?.value.last ?? self.books[alert.target]?.value.last
        }
        return AlertFiring(
            alertId: alert.id, owner: alert.owner, ts: ts, symbol: symbol,
            condition: alert.conditions[Int(edge.condition)].typeName,
            value: value, price: price, event: event)
    }
}
