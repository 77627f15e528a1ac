extension AlertEngine {
    /// The state that makes an alert's edges survive a restart, as a few numbers: `c<i>`, the value condition `i`
    /// last saw (a price, a percent change, an RSI, a moving-average spread); `firedAt` (ms) and `bucket` (the
    /// once-per-bar bucket) of its last firing; `done` = 1 for a `once` alert that fired. Pass it back to `add`.
    public func state(of id: String) -> [String: Double]? {
        guard let slot = self.slots[id], let entry = self.entries[Int(slot)] else { return nil }
        var state: [String: Double] = [:]
        for (i, condition) in entry.conditions.enumerated() {
            if let value = condition?.series?.lastSeen(by: slot) { state["c\(i)"] = value }
        }
        if let firedAt = entry.lastFiredAt { state["firedAt"] = Double(firedAt) }
        if let bucket = entry.lastFiredBucket { state["bucket"] = Double(bucket) }
        if entry.done { state["done"] = 1 }
        return state
    }

    /// The states of the alerts whose series moved or that fired since the last call (to persist them, for
    /// example every few seconds and at shutdown), by alert id.
    public func takeChangedStates() -> [String: [String: Double]] {
        var out: [String: [String: Double]] = [:]
        for (id, slot) in self.slots {
            guard let entry = self.entries[Int(slot)] else { continue }
            let moved = entry.conditions.contains { $0?.series?.changed == true }
            if moved || self.firedSinceTaken.contains(slot) { out[id] = self.state(of: id) }
        }
        for book in self.books.values {
            book.value.changed = false
            book.sinceClose?.changed = false
            for (_, series) in book.minuteChanges { series.changed = false }
            for feed in book.intervals.values {
                for (_, series) in feed.rsi.values { series.changed = false }
                for (_, _, series) in feed.crossovers.values { series.changed = false }
                for series in feed.changes.values { series.changed = false }
                for series in feed.volumes.values { series.changed = false }
            }
        }
        self.firedSinceTaken.removeAll()
        return out
    }
}
