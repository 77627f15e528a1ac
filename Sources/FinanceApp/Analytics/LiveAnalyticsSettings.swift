import FinanceCore

/// Settings of live analytics (`analytics.*`).
public struct LiveAnalyticsSettings: Sendable, Equatable {
    /// The intervals analyzed, finest first; empty turns live analytics off.
    public var intervals: [Interval]
    /// Closed bars read from the store to warm up a series the first time it is seen.
    public var warmupBars: Int
    /// Most symbols whose detectors are held in memory; beyond it the least recently updated symbol is dropped
    /// (it is warmed up from the store again when it returns).
    public var maxSymbols: Int

    public init(intervals: [Interval] = [.minute1, .hour1, .day1], warmupBars: Int = 300, maxSymbols: Int = 1000) {
        self.intervals = Array(Set(intervals)).sorted()
        self.warmupBars = max(0, warmupBars)
        self.maxSymbols = max(1, maxSymbols)
    }

    /// Parses `analytics.intervals`: a comma-separated list of interval names, or `none`; nil if a name is unknown.
    public static func parseIntervals(_ text: String) -> [Interval]? {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if names == ["none"] { return [] }
        guard !names.isEmpty else { return nil }
        var out: [Interval] = []
        for name in names {
            guard let interval = Interval(name) else { return nil }
            out.append(interval)
        }
        return Array(Set(out)).sorted()
    }
}
