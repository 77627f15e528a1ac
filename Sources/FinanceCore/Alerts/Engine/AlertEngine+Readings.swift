/// What one condition of an alert reads now: the number its series holds (a price, a percent change, an RSI, the
/// fast average of a crossover, a relative volume, a pattern's breakout level) and whether the condition holds.
public struct AlertConditionReading: Hashable, Sendable {
    /// The condition type name.
    public var condition: String
    /// Nil while the series has no value (no price yet, an indicator still warming up).
    public var value: Double?
    public var holds: Bool

    public init(condition: String, value: Double?, holds: Bool) {
        self.condition = condition
        self.value = value
        self.holds = holds
    }
}

extension AlertEngine {
    /// The reading of each condition of the alert `id`, in the alert's order, at `ts` (empty for an unknown alert).
    /// "Holds" is the level view of a condition (`holds(_:at:)`): a crossing holds while the value stays on the
    /// crossed side, so a test of an alert tells whether it is on the firing side now.
    public func readings(id: String, at ts: Int64) -> [AlertConditionReading] {
        guard let slot = self.slots[id], let entry = self.entries[Int(slot)] else { return [] }
        return entry.alert.conditions.enumerated().map { i, condition in
            let indexed = i < entry.conditions.count ? entry.conditions[i] : nil
            var value: Double?
            if let series = indexed?.series, let last = series.last {
                value = series.shown.isFinite ? series.shown : last
            } else if let signal = indexed?.lastSignal {
                value = signal.value
            }
            return AlertConditionReading(
                condition: condition.typeName, value: value.flatMap { $0.isFinite ? $0 : nil },
                holds: indexed.map { self.holds($0, at: ts) } ?? false)
        }
    }
}
